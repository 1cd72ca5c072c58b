package flowlog_test

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/flowlog"
)

var update = flag.Bool("update", false, "rewrite golden files")

// beatsFormats reads the field lists of the Elastic beats module's test config, by section name.
func beatsFormats(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("../testdata/peer/elastic-beats/aws-vpc-flow-logs.yml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	formats := map[string]string{}
	section := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if len(l) > 0 && l[0] != ' ' && l[0] != '#' && strings.HasSuffix(strings.Fields(l)[0], ":") {
			section = strings.TrimSuffix(strings.Fields(l)[0], ":")
		}
		if s := strings.TrimSpace(l); strings.HasPrefix(s, "format:") {
			formats[section] = strings.TrimSpace(strings.TrimPrefix(s, "format:"))
		}
	}
	return formats
}

// peerInputs lists every peer input with the field list it needs (empty: header or implicit layout).
func peerInputs(t *testing.T) map[string]string {
	fm := beatsFormats(t)
	return map[string]string{
		"elastic-beats/accept-reject-traffic.log":          "",
		"elastic-beats/bad.log":                            "",
		"elastic-beats/custom-nat-gateway.log":             "",
		"elastic-beats/custom-transit-gateway.log":         fm["transit-gateway"],
		"elastic-beats/ipv6.log":                           "",
		"elastic-beats/no-data-skip-data.log":              "",
		"elastic-beats/tcp-flag-sequence-skip-data.log":    "",
		"elastic-beats/tcp-flag-sequence.log":              "",
		"elastic-integrations/test-ecs-samples.log":        "",
		"elastic-integrations/test-extra-samples.log":      "",
		"elastic-integrations/test-tcp-flag-sequence.log":  "",
		"elastic-integrations/test-tgw-samples.log":        "",
		"elastic-integrations/test-v5-all-fields.log":      "",
		"elastic-integrations/test-v8-samples.log":         "",
		"elastic-integrations/test-with-message-field.log": "",
	}
}

// decodePeer decodes one peer input with the field list it needs.
func decodePeer(t *testing.T, name, fields string) (string, *flowlog.Stats) {
	t.Helper()
	in, err := os.ReadFile(filepath.Join("../testdata/peer", name))
	if err != nil {
		t.Fatal(err)
	}
	opts := flowlog.Options{}
	if fields != "" {
		opts.Fields = flowlog.MustLayout(fields)
	}
	out, st, err := decode(t, string(in), opts)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out, st
}

func readPeer(t *testing.T, name, fields string) ([]map[string]any, *flowlog.Stats) {
	t.Helper()
	out, st := decodePeer(t, name, fields)
	var rows []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%s: output is not JSON: %v: %s", name, err, l)
		}
		rows = append(rows, m)
	}
	return rows, st
}

// TestPeerGolden decodes every peer input and compares `cat` output and accounting with golden files.
func TestPeerGolden(t *testing.T) {
	for name, fields := range peerInputs(t) {
		out, st := decodePeer(t, name, fields)
		got := out + fmt.Sprintf("# lines %d: records %d, nodata %d, skipdata %d, headers %d, blank %d, malformed %d\n",
			st.Lines, st.Records, st.NoData, st.SkipData, st.Headers, st.Blank, st.Malformed)
		for _, e := range st.FirstMalformed {
			got += "# " + e.Error() + "\n"
		}
		golden := filepath.Join("../testdata/golden", strings.TrimSuffix(name, ".log")+".jsonl")
		if *update {
			os.MkdirAll(filepath.Dir(golden), 0o755)
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./flowlog -run Golden -update)", err)
		}
		if got != string(want) {
			t.Errorf("%s: output differs from %s:\n got:\n%s\nwant:\n%s", name, golden, got, want)
		}
	}
}

// TestPeerAccounting checks what each peer input is known to hold.
func TestPeerAccounting(t *testing.T) {
	f := func(name string, records, nodata, skipdata, headers, malformed int64) {
		t.Helper()
		_, st := readPeer(t, name, peerInputs(t)[name])
		if st.Records != records || st.NoData != nodata || st.SkipData != skipdata || st.Headers != headers || st.Malformed != malformed {
			t.Fatalf("%s: %+v", name, st)
		}
	}
	f("elastic-beats/accept-reject-traffic.log", 4, 0, 0, 1, 0)
	f("elastic-beats/bad.log", 0, 0, 0, 0, 1)
	f("elastic-beats/custom-nat-gateway.log", 2, 0, 0, 1, 0)
	f("elastic-beats/custom-transit-gateway.log", 1, 0, 0, 0, 0)
	f("elastic-beats/no-data-skip-data.log", 0, 1, 1, 0, 0)
	f("elastic-beats/tcp-flag-sequence-skip-data.log", 0, 1, 1, 2, 0)
	f("elastic-integrations/test-ecs-samples.log", 4, 4, 2, 0, 0)
	f("elastic-integrations/test-tgw-samples.log", 3, 1, 6, 0, 0)
	f("elastic-integrations/test-tcp-flag-sequence.log", 1, 1, 1, 3, 0)
}

// elasticKeys maps Elastic's aws.vpcflow keys to flowlens columns where they differ.
var elasticKeys = map[string]string{"pkt_src_service": "pkt_src_aws_service", "pkt_dst_service": "pkt_dst_aws_service"}

// TestPeerElasticIntegrations asserts every field value that Elastic's pipeline tests expect.
func TestPeerElasticIntegrations(t *testing.T) {
	files, _ := filepath.Glob("../testdata/peer/elastic-integrations/*-expected.json")
	if len(files) == 0 {
		t.Fatal("no expected files")
	}
	for _, exp := range files {
		name := "elastic-integrations/" + strings.TrimSuffix(filepath.Base(exp), "-expected.json")
		rows, _ := readPeer(t, name, "")
		var doc struct {
			Expected []map[string]any `json:"expected"`
		}
		b, _ := os.ReadFile(exp)
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Expected) != len(rows) {
			t.Fatalf("%s: %d rows, %d expected", name, len(rows), len(doc.Expected))
		}
		checked := 0
		for i, e := range doc.Expected {
			row := rows[i]
			want := map[string]string{}
			if vf, ok := dig(e, "aws", "vpcflow").(map[string]any); ok {
				for k, v := range vf {
					if s, ok := v.(string); ok {
						if c, ok := elasticKeys[k]; ok {
							k = c
						}
						want[k] = s
					}
				}
			}
			put := func(col string, path ...string) {
				if v := dig(e, path...); v != nil && fmt.Sprint(v) != "-" {
					want[col] = fmt.Sprint(v)
				}
			}
			put("srcaddr", "source", "ip")
			put("dstaddr", "destination", "ip")
			put("srcport", "source", "port")
			put("dstport", "destination", "port")
			put("protocol", "network", "iana_number")
			put("packets", "network", "packets")
			put("bytes", "network", "bytes")
			put("region", "cloud", "region")
			put("az_id", "cloud", "availability_zone")
			put("instance_id", "cloud", "instance", "id")
			put("reject_reason", "event", "reason")
			put("action", "event", "action")
			for _, k := range []string{"start", "end"} {
				if s, ok := dig(e, "event", k).(string); ok {
					tm, err := time.Parse(time.RFC3339, s)
					if err != nil {
						t.Fatal(err)
					}
					want[k] = strconv.FormatInt(tm.Unix(), 10)
				}
			}
			for col, w := range want {
				v, ok := row[col]
				if !ok {
					t.Errorf("%s row %d: no column %s (want %q)", name, i, col, w)
					continue
				}
				got := fmt.Sprint(v)
				if f, ok := v.(float64); ok {
					got = strconv.FormatFloat(f, 'f', -1, 64)
				}
				if got != w {
					t.Errorf("%s row %d: %s = %q, Elastic expects %q", name, i, col, got, w)
				}
				checked++
			}
		}
		if checked < 5*len(rows) {
			t.Errorf("%s: only %d values checked", name, checked)
		}
	}
}

// TestPeerElasticBeats decodes the beats module's golden samples with their formats and checks each
// typed value of aws.vpcflow.
func TestPeerElasticBeats(t *testing.T) {
	fm := beatsFormats(t)
	for _, v := range []string{"v5", "v6", "v7"} {
		section := v + "-fields-original"
		b, err := os.ReadFile("../testdata/peer/elastic-beats/" + section + ".golden.json")
		if err != nil {
			t.Fatal(err)
		}
		var docs []map[string]any
		if err := json.Unmarshal(b, &docs); err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			out, st, err := decode(t, d["message"].(string)+"\n", flowlog.Options{Fields: flowlog.MustLayout(fm[section])})
			if err != nil || st.Records != 1 {
				t.Fatalf("%s: %v %+v", section, err, st)
			}
			var row map[string]any
			json.Unmarshal([]byte(out), &row)
			vf := dig(d, "aws", "vpcflow").(map[string]any)
			checked := 0
			for k, w := range vf {
				if k == "tcp_flags_array" {
					continue
				}
				got, ok := row[k]
				if !ok {
					t.Errorf("%s: no column %s", section, k)
					continue
				}
				if s, ok := w.(string); ok && (k == "start" || k == "end") {
					tm, _ := time.Parse(time.RFC3339, s)
					w = float64(tm.Unix())
				}
				if fmt.Sprint(got) != fmt.Sprint(w) {
					t.Errorf("%s: %s = %v, Elastic expects %v", section, k, got, w)
				}
				checked++
			}
			if checked < 10 {
				t.Errorf("%s: only %d values checked", section, checked)
			}
		}
	}
}

func dig(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}
