// Package ec2src fetches an AWS inventory through the EC2 API (--enrich-from-aws): the read-only
// calls DescribeNetworkInterfaces, DescribeInstances, DescribeSubnets, DescribeVpcs,
// DescribeVpcEndpoints, DescribeNatGateways and DescribeTransitGatewayAttachments, every page of
// each, written as the JSON documents that aws ec2 describe-* prints, which package enrich reads.
// Nothing else is called: nothing is ever created or changed in an account.
package ec2src

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/flowlens/flowlens/enrich"
	"github.com/flowlens/flowlens/output"
)

// Options say where to ask.
type Options struct {
	Profile     string // a profile of the shared config files; "" for the standard chain's
	Region      string // the region whose inventory is fetched; "" for the configuration's
	EndpointURL string // an EC2-compatible endpoint (a test server); "" for AWS's
	// HTTPClient replaces the SDK's (tests).
	HTTPClient aws.HTTPClient
	// MaxAttempts per request, throttling (RequestLimitExceeded) and 5xx retried with backoff; 0
	// means 8.
	MaxAttempts int
	// MaxBackoff between attempts; 0 means 20 s.
	MaxBackoff time.Duration
	// PageSize is the MaxResults of each request; 0 means 1000, the API's largest.
	PageSize int32
	// Now is the clock of the snapshot's time (time.Now when nil).
	Now func() time.Time
}

// Snapshot is what the calls answered: one describe-* document per API.
type Snapshot struct {
	Region  string
	TakenAt time.Time
	// Docs are the documents in the order of Calls, each a JSON object with its top-level key
	// (NetworkInterfaces, Reservations, …) and flowlensTakenAt.
	Docs [][]byte
	// Counts are the items each call returned (instances for DescribeInstances), by top-level key,
	// and Pages its pages.
	Counts map[string]int
	Pages  map[string]int
}

// Calls are the API actions made, in order, with the top-level key of their describe-* output.
// What names what Counts counts (instances, not reservations).
var Calls = []struct{ Action, Key, What string }{
	{"DescribeNetworkInterfaces", "NetworkInterfaces", "interfaces"},
	{"DescribeInstances", "Reservations", "instances"},
	{"DescribeSubnets", "Subnets", "subnets"},
	{"DescribeVpcs", "Vpcs", "VPCs"},
	{"DescribeVpcEndpoints", "VpcEndpoints", "VPC endpoints"},
	{"DescribeNatGateways", "NatGateways", "NAT gateways"},
	{"DescribeTransitGatewayAttachments", "TransitGatewayAttachments", "transit gateway attachments"},
}

// Fetch makes the calls and returns their answers.
func Fetch(ctx context.Context, opts Options) (*Snapshot, error) {
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 8
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 20 * time.Second
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 1000
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	chain := "the standard AWS credential chain"
	if opts.Profile != "" {
		chain = fmt.Sprintf("the standard AWS credential chain with profile %q", opts.Profile)
	}
	lo := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = opts.MaxAttempts
				o.MaxBackoff = opts.MaxBackoff
			})
		}),
	}
	if opts.Profile != "" {
		lo = append(lo, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.Region != "" {
		lo = append(lo, config.WithRegion(opts.Region))
	}
	if opts.HTTPClient != nil {
		lo = append(lo, config.WithHTTPClient(opts.HTTPClient))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return nil, fmt.Errorf("EC2 inventory: loading the AWS configuration (%s): %w", chain, err)
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("EC2 inventory: no region: an inventory is regional; give --region (or AWS_REGION, or a region in the profile)")
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, fmt.Errorf("EC2 inventory: no AWS credentials from %s: set AWS_PROFILE or --profile, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "+
			"run 'aws sso login', or use an instance or container role: %w", chain, err)
	}
	client := ec2.NewFromConfig(cfg, func(o *ec2.Options) {
		if opts.EndpointURL != "" {
			o.BaseEndpoint = aws.String(opts.EndpointURL)
		}
	})
	where := "region " + cfg.Region
	if opts.EndpointURL != "" {
		where += " at " + opts.EndpointURL
	}
	s := &Snapshot{Region: cfg.Region, TakenAt: now().UTC().Truncate(time.Second), Counts: map[string]int{}, Pages: map[string]int{}}
	n := aws.Int32(opts.PageSize)
	for _, c := range Calls {
		var items []any
		var err error
		pages := 0
		add := func(list any, count int) {
			items = append(items, list)
			s.Counts[c.Key] += count
			pages++
		}
		switch c.Action {
		case "DescribeNetworkInterfaces":
			p := ec2.NewDescribeNetworkInterfacesPaginator(client, &ec2.DescribeNetworkInterfacesInput{MaxResults: n})
			for err == nil && p.HasMorePages() {
				var out *ec2.DescribeNetworkInterfacesOutput
				if out, err = p.NextPage(ctx); err == nil {
					add(out.NetworkInterfaces, len(out.NetworkInterfaces))
				}
			}
		case "DescribeInstances":
			p := ec2.NewDescribeInstancesPaginator(client, &ec2.DescribeInstancesInput{MaxResults: n})
			for err == nil && p.HasMorePages() {
				var out *ec2.DescribeInstancesOutput
				if out, err = p.NextPage(ctx); err == nil {
					k := 0
					for _, r := range out.Reservations {
						k += len(r.Instances)
					}
					add(out.Reservations, k)
				}
			}
		case "DescribeSubnets":
			p := ec2.NewDescribeSubnetsPaginator(client, &ec2.DescribeSubnetsInput{MaxResults: n})
			for err == nil && p.HasMorePages() {
				var out *ec2.DescribeSubnetsOutput
				if out, err = p.NextPage(ctx); err == nil {
					add(out.Subnets, len(out.Subnets))
				}
			}
		case "DescribeVpcs":
			p := ec2.NewDescribeVpcsPaginator(client, &ec2.DescribeVpcsInput{MaxResults: n})
			for err == nil && p.HasMorePages() {
				var out *ec2.DescribeVpcsOutput
				if out, err = p.NextPage(ctx); err == nil {
					add(out.Vpcs, len(out.Vpcs))
				}
			}
		case "DescribeVpcEndpoints":
			p := ec2.NewDescribeVpcEndpointsPaginator(client, &ec2.DescribeVpcEndpointsInput{MaxResults: n})
			for err == nil && p.HasMorePages() {
				var out *ec2.DescribeVpcEndpointsOutput
				if out, err = p.NextPage(ctx); err == nil {
					add(out.VpcEndpoints, len(out.VpcEndpoints))
				}
			}
		case "DescribeNatGateways":
			p := ec2.NewDescribeNatGatewaysPaginator(client, &ec2.DescribeNatGatewaysInput{MaxResults: n})
			for err == nil && p.HasMorePages() {
				var out *ec2.DescribeNatGatewaysOutput
				if out, err = p.NextPage(ctx); err == nil {
					add(out.NatGateways, len(out.NatGateways))
				}
			}
		case "DescribeTransitGatewayAttachments":
			p := ec2.NewDescribeTransitGatewayAttachmentsPaginator(client, &ec2.DescribeTransitGatewayAttachmentsInput{MaxResults: n})
			for err == nil && p.HasMorePages() {
				var out *ec2.DescribeTransitGatewayAttachmentsOutput
				if out, err = p.NextPage(ctx); err == nil {
					add(out.TransitGatewayAttachments, len(out.TransitGatewayAttachments))
				}
			}
		}
		if err != nil {
			return nil, callError(c.Action, where, pages, err)
		}
		s.Pages[c.Key] = pages
		doc, err := document(c.Key, items, s.TakenAt)
		if err != nil {
			return nil, fmt.Errorf("EC2 inventory: %s (%s): %w", c.Action, where, err)
		}
		s.Docs = append(s.Docs, doc)
	}
	return s, nil
}

// callError names the call that failed, where, after how many pages, and what the caller needs
// when access was denied.
func callError(action, where string, pages int, err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	msg := fmt.Sprintf("EC2 inventory: %s (%s) failed", action, where)
	if pages > 0 {
		msg += fmt.Sprintf(" after %d pages", pages)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && (strings.Contains(ae.ErrorCode(), "Unauthorized") || strings.Contains(ae.ErrorCode(), "AccessDenied")) {
		msg += fmt.Sprintf("; the caller needs ec2:%s (the read-only policy AmazonEC2ReadOnlyAccess has every call flowlens makes)", action)
	}
	return fmt.Errorf("%s: %w", msg, err)
}

// document writes one describe-* document: {"KEY": [every page's items], "flowlensTakenAt": …},
// the SDK's values as the AWS CLI prints them (absent fields left out, not null).
func document(key string, pages []any, taken time.Time) ([]byte, error) {
	var all []any
	for _, p := range pages {
		b, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		var l []any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&l); err != nil {
			return nil, err
		}
		for _, x := range l {
			all = append(all, dropNulls(x))
		}
	}
	if all == nil {
		all = []any{}
	}
	return json.MarshalIndent(map[string]any{key: all, enrich.TakenAtKey: taken.Format(time.RFC3339)}, "", " ")
}

// dropNulls removes null members of objects, recursively.
func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = dropNulls(e)
		}
	case []any:
		for i := range x {
			x[i] = dropNulls(x[i])
		}
	}
	return v
}

// WriteTo writes the documents one after another, as a file --enrich reads.
func (s *Snapshot) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for _, d := range s.Docs {
		k, err := w.Write(append(d, '\n'))
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Save writes the snapshot to path atomically (a temporary file renamed), making its directory.
func (s *Snapshot) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("EC2 inventory cache %s: %w", path, err)
	}
	w, done, err := output.Open(path, nil)
	if err != nil {
		return fmt.Errorf("EC2 inventory cache %s: %w", path, err)
	}
	_, err = s.WriteTo(w)
	if err2 := done(err == nil); err == nil {
		err = err2
	}
	if err != nil {
		return fmt.Errorf("EC2 inventory cache %s: %w", path, err)
	}
	return nil
}

// Summary says what the calls returned, for a note.
func (s *Snapshot) Summary() string {
	var parts []string
	for _, c := range Calls {
		parts = append(parts, fmt.Sprintf("%d %s", s.Counts[c.Key], c.What))
	}
	return strings.Join(parts, ", ")
}

// DefaultCachePath is where a snapshot is kept without --enrich-cache: below the user's cache
// directory, one file per region, profile and endpoint.
func DefaultCachePath(region, profile, endpoint string) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache directory for the EC2 inventory (%v): give --enrich-cache FILE", err)
	}
	name := "inventory-" + safe(region)
	if profile != "" {
		name += "-" + safe(profile)
	}
	if endpoint != "" {
		name += "-" + safe(strings.TrimPrefix(strings.TrimPrefix(endpoint, "https://"), "http://"))
	}
	return filepath.Join(dir, "flowlens", "enrich", name+".json"), nil
}

func safe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
}
