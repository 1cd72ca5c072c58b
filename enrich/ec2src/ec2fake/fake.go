// Package ec2fake is a fake EC2 endpoint for tests, on loopback: it answers the seven describe
// calls of --enrich-from-aws with the EC2 Query protocol (form-encoded POST, XML answers in the
// documented shapes, paginated with NextToken), from describe-* JSON files, and checks every
// request: signed, the API version 2016-11-15, only the read-only Describe actions flowlens makes,
// MaxResults in range, NextToken one it gave. It can answer RequestLimitExceeded (HTTP 503) first,
// as EC2 throttles, to check that the SDK retries.
package ec2fake

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// listKeys maps each action to the top-level key of its describe-* output and the XML element of
// its list.
var listKeys = map[string][2]string{
	"DescribeNetworkInterfaces":         {"NetworkInterfaces", "networkInterfaceSet"},
	"DescribeInstances":                 {"Reservations", "reservationSet"},
	"DescribeSubnets":                   {"Subnets", "subnetSet"},
	"DescribeVpcs":                      {"Vpcs", "vpcSet"},
	"DescribeVpcEndpoints":              {"VpcEndpoints", "vpcEndpointSet"},
	"DescribeNatGateways":               {"NatGateways", "natGatewaySet"},
	"DescribeTransitGatewayAttachments": {"TransitGatewayAttachments", "transitGatewayAttachments"},
}

// Request is one request the fake answered.
type Request struct {
	Action     string
	NextToken  string
	MaxResults int
	Throttled  bool
}

// Server is the fake endpoint.
type Server struct {
	*httptest.Server
	// PageSize is the most items of one answer (default 2), whatever MaxResults asks.
	PageSize int
	// Throttle is how many times each action is answered RequestLimitExceeded before its second
	// page (its first when it has one page).
	Throttle map[string]int
	// Deny answers UnauthorizedOperation (HTTP 403) to these actions.
	Deny map[string]bool

	mu        sync.Mutex
	items     map[string][]any
	requests  []Request
	problems  []string
	throttled map[string]int
}

// New starts a fake serving the items of the describe-* JSON files (any mix; documents one after
// another, pages concatenated).
func New(files ...string) (*Server, error) {
	s := &Server{PageSize: 2, Throttle: map[string]int{}, Deny: map[string]bool{}, items: map[string][]any{}, throttled: map[string]int{}}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			for _, k := range listKeys {
				if l, ok := doc[k[0]].([]any); ok {
					s.items[k[0]] = append(s.items[k[0]], l...)
				}
			}
		}
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s, nil
}

// Requests returns the requests answered so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Problems returns what was wrong with the requests: empty when every one was as EC2 wants it.
func (s *Server) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.problems...)
}

func (s *Server) problem(format string, a ...any) {
	s.problems = append(s.problems, fmt.Sprintf(format, a...))
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost {
		s.problem("%s %s: the EC2 Query protocol POSTs", r.Method, r.URL)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		s.problem("Content-Type %q, want application/x-www-form-urlencoded", ct)
	}
	if a := r.Header.Get("Authorization"); !strings.HasPrefix(a, "AWS4-HMAC-SHA256 Credential=") || !strings.Contains(a, "/ec2/aws4_request") {
		s.problem("Authorization %q: not signed with SigV4 for ec2", a)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		s.problem("body %q: %v", body, err)
	}
	action := form.Get("Action")
	req := Request{Action: action, NextToken: form.Get("NextToken")}
	if v := form.Get("Version"); v != "2016-11-15" {
		s.problem("%s: Version %q, want 2016-11-15", action, v)
	}
	keys, ok := listKeys[action]
	if !ok {
		s.problem("action %q: not one of the read-only describe calls of --enrich-from-aws", action)
		s.requests = append(s.requests, req)
		writeError(w, http.StatusBadRequest, "InvalidAction", "The action "+action+" is not valid for this web service.")
		return
	}
	if m := form.Get("MaxResults"); m != "" {
		req.MaxResults, err = strconv.Atoi(m)
		if err != nil || req.MaxResults < 5 || req.MaxResults > 1000 {
			s.problem("%s: MaxResults %q, want 5 to 1000", action, m)
		}
	} else {
		s.problem("%s: no MaxResults: an unpaginated call", action)
	}
	for k := range form {
		if k != "Action" && k != "Version" && k != "MaxResults" && k != "NextToken" {
			s.problem("%s: parameter %s=%q: flowlens filters nothing", action, k, form.Get(k))
		}
	}
	if s.Deny[action] {
		s.requests = append(s.requests, req)
		writeError(w, http.StatusForbidden, "UnauthorizedOperation", "You are not authorized to perform this operation. User: arn:aws:iam::123456789012:user/test is not authorized to perform: ec2:"+action)
		return
	}
	items := s.items[keys[0]]
	start := 0
	if req.NextToken != "" {
		n, ok := strings.CutPrefix(req.NextToken, "tok-"+action+"-")
		if start, err = strconv.Atoi(n); !ok || err != nil || start <= 0 || start >= len(items) {
			s.problem("%s: NextToken %q was not given by this server", action, req.NextToken)
			s.requests = append(s.requests, req)
			writeError(w, http.StatusBadRequest, "InvalidParameterValue", "The token '"+req.NextToken+"' is invalid.")
			return
		}
	}
	// Throttle before the second page (the first when there is one page): mid-pagination.
	if (start > 0 || len(items) <= s.PageSize) && s.throttled[action] < s.Throttle[action] {
		s.throttled[action]++
		req.Throttled = true
		s.requests = append(s.requests, req)
		writeError(w, http.StatusServiceUnavailable, "RequestLimitExceeded", "Request limit exceeded.")
		return
	}
	s.requests = append(s.requests, req)
	end := min(start+s.PageSize, len(items))
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<%sResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">`, action)
	fmt.Fprintf(&b, "<requestId>%08d-fake-4a4e-b7c1-fake%08d</requestId>", len(s.requests), len(s.requests))
	writeList(&b, keys[1], keys[0], items[start:end])
	if end < len(items) {
		fmt.Fprintf(&b, "<nextToken>tok-%s-%d</nextToken>", action, end)
	}
	fmt.Fprintf(&b, "</%sResponse>", action)
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Write(b.Bytes())
}

// writeError writes an EC2 error response.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>fake-request</RequestID></Response>`,
		code, xmlText(msg))
}

// renames are the XML names that are not the JSON key with a lower-case first letter, as the
// EC2 API documents them (and the SDK's deserializers read them); "Context/Key" first, then "Key".
var renames = map[string]string{
	"Groups": "groupSet", "SecurityGroups": "groupSet", "Tags": "tagSet", "TagSet": "tagSet",
	"PrivateIpAddresses": "privateIpAddressesSet", "Ipv6Addresses": "ipv6AddressesSet",
	"NetworkInterfaces": "networkInterfaceSet", "Instances": "instancesSet", "Reservations": "reservationSet",
	"Subnets": "subnetSet", "Vpcs": "vpcSet", "VpcEndpoints": "vpcEndpointSet", "NatGateways": "natGatewaySet",
	"NatGatewayAddresses": "natGatewayAddressSet", "NetworkInterfaceIds": "networkInterfaceIdSet",
	"SubnetIds": "subnetIdSet", "RouteTableIds": "routeTableIdSet", "DnsEntries": "dnsEntrySet",
	"BlockDeviceMappings": "blockDeviceMapping",
	"Instances/State":     "instanceState", "Instances/PublicIpAddress": "ipAddress", "Instances/PublicDnsName": "dnsName",
}

func xmlName(ctx, key string) string {
	if n, ok := renames[ctx+"/"+key]; ok {
		return n
	}
	if n, ok := renames[key]; ok {
		return n
	}
	return strings.ToLower(key[:1]) + key[1:]
}

func writeList(b *bytes.Buffer, elem, ctx string, items []any) {
	fmt.Fprintf(b, "<%s>", elem)
	for _, it := range items {
		b.WriteString("<item>")
		writeValue(b, ctx, "", it)
		b.WriteString("</item>")
	}
	fmt.Fprintf(b, "</%s>", elem)
}

func writeValue(b *bytes.Buffer, ctx, key string, v any) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			e := x[k]
			name := xmlName(ctx, k)
			if l, ok := e.([]any); ok {
				writeList(b, name, k, l)
				continue
			}
			if e == nil {
				continue
			}
			fmt.Fprintf(b, "<%s>", name)
			writeValue(b, k, k, e)
			fmt.Fprintf(b, "</%s>", name)
		}
	case string:
		if strings.HasSuffix(key, "Time") || strings.HasSuffix(key, "Timestamp") {
			if t, err := time.Parse(time.RFC3339, x); err == nil {
				x = t.UTC().Format("2006-01-02T15:04:05.000Z")
			}
		}
		b.WriteString(xmlText(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case json.Number:
		b.WriteString(x.String())
	default:
		fmt.Fprint(b, x)
	}
}

func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
