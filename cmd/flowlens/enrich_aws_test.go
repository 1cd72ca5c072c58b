package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/enrich/ec2src/ec2fake"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/report"
)

// awsTestEnv gives the SDK test credentials and nothing else to find.
func awsTestEnv(t *testing.T) {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_MAX_ATTEMPTS", "")
	t.Setenv("AWS_RETRY_MODE", "")
}

// TestEnrichFromAWS: the generated world's inventory served by a fake EC2 endpoint (paginated,
// throttled once per call) gives, through --enrich-from-aws, the same enriched records (cat, every
// column) and the same report (--by-tag) as the same inventory given as a file with --enrich; the
// cache is written where --enrich-cache says, stderr says so, and the cache read back with
// --enrich gives the same again. Only the describe calls were made.
func TestEnrichFromAWS(t *testing.T) {
	awsTestEnv(t)
	dir, _ := genWorld(t)
	inv := filepath.Join(dir, synth.InventoryName)
	fake, err := ec2fake.New(inv)
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	fake.PageSize = 700
	for _, a := range []string{"DescribeNetworkInterfaces", "DescribeInstances", "DescribeSubnets", "DescribeVpcs", "DescribeVpcEndpoints",
		"DescribeNatGateways", "DescribeTransitGatewayAttachments"} {
		fake.Throttle[a] = 1
	}
	cache := filepath.Join(t.TempDir(), "cache", "inventory.json")
	aws := []string{"--enrich-from-aws", "--region", "us-east-1", "--endpoint-url", fake.URL, "--enrich-cache", cache}
	query := "SELECT interface_id, interface_type, interface_name, srcaddr, src_name, dst_name, src_vpc_id, dst_az_id, az_id, tag_team, src_tag_team, dst_tag_env, sum(bytes) AS b " +
		"FROM t GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 ORDER BY b DESC, 1, 4 LIMIT 200"

	code, fromAWS, errOut := flowlens(t, append(append([]string{"cat", "--tag-keys", "team,env"}, aws...), dir)...)
	if code != 0 {
		t.Fatalf("cat --enrich-from-aws: exit %d: %s", code, errOut)
	}
	if p := fake.Problems(); len(p) > 0 {
		t.Fatalf("requests EC2 would not take:\n%s", strings.Join(p, "\n"))
	}
	if !strings.Contains(errOut, "written to "+cache) || !strings.Contains(errOut, "fetched from the EC2 API") {
		t.Errorf("stderr does not say where the inventory went: %s", errOut)
	}
	fromFile := mustRun(t, "cat", "--tag-keys", "team,env", "--enrich", inv, dir)
	if fromAWS != fromFile || !strings.Contains(fromFile, `"interface_name"`) {
		t.Fatalf("cat: the records enriched from the API differ from those enriched from the file (%d and %d bytes)", len(fromAWS), len(fromFile))
	}
	pages := map[string]int{}
	for _, r := range fake.Requests() {
		pages[r.Action]++
	}
	if pages["DescribeNetworkInterfaces"] < 3 { // 2 pages or more, and the throttled request
		t.Errorf("requests %v: want the interfaces over several pages", pages)
	}

	// sql over every kind of enriched column, and the report with owners and --by-tag.
	sqlAWS := mustRun(t, append(append([]string{"sql", "-q", "--format", "jsonl", "--tag-keys", "team,env"}, aws...), query, dir)...)
	sqlFile := mustRun(t, "sql", "-q", "--format", "jsonl", "--tag-keys", "team,env", "--enrich", inv, query, dir)
	sqlCache := mustRun(t, "sql", "-q", "--format", "jsonl", "--tag-keys", "team,env", "--enrich", cache, query, dir)
	if sqlAWS != sqlFile || sqlCache != sqlFile || strings.Count(sqlFile, "\n") < 100 {
		t.Fatalf("sql: from the API, the file and the cache differ:\n%.600s\n---\n%.600s\n---\n%.600s", sqlAWS, sqlFile, sqlCache)
	}
	reportOf := func(args ...string) report.Report {
		var rep report.Report
		if err := json.Unmarshal([]byte(mustRun(t, append(append([]string{"report", "-q", "--format", "json", "--top", "0", "--by-tag", "team"}, args...), dir)...)), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Enrichment == nil {
			t.Fatal("no enrichment in the report")
		}
		// The snapshot's time and file differ, nothing else.
		rep.Enrichment.Taken, rep.Enrichment.Sources = "", nil
		rep.Enrichment.Summary = strings.SplitN(rep.Enrichment.Summary, ": ", 2)[1]
		return rep
	}
	a, f := reportOf(aws...), reportOf("--enrich", inv)
	ja, _ := json.Marshal(a)
	jf, _ := json.Marshal(f)
	if string(ja) != string(jf) || a.ByTag == nil {
		t.Fatalf("report: from the API and from the file differ")
	}
}

// A call the caller may not make fails the command (exit 1), naming the call and the permission;
// nothing is written.
func TestEnrichFromAWSDenied(t *testing.T) {
	awsTestEnv(t)
	dir, _ := genWorld(t)
	fake, err := ec2fake.New(filepath.Join(dir, synth.InventoryName))
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	fake.Deny["DescribeInstances"] = true
	cache := filepath.Join(t.TempDir(), "inventory.json")
	code, out, errOut := flowlens(t, "report", "--enrich-from-aws", "--region", "us-east-1", "--endpoint-url", fake.URL, "--enrich-cache", cache, dir)
	if code != exitFailure || out != "" || !strings.Contains(errOut, "ec2:DescribeInstances") || !strings.Contains(errOut, "UnauthorizedOperation") {
		t.Fatalf("exit %d, stdout %d bytes, stderr %s", code, len(out), errOut)
	}
	if _, err := os.Stat(cache); !os.IsNotExist(err) {
		t.Errorf("cache written after a failed fetch: %v", err)
	}
	// --enrich-cache alone is a usage error.
	if code, _, errOut := flowlens(t, "cat", "--enrich-cache", cache, dir); code != exitUsage || !strings.Contains(errOut, "--enrich-from-aws") {
		t.Errorf("--enrich-cache alone: exit %d: %s", code, errOut)
	}
}
