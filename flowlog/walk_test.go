package flowlog_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/flowlog"
)

func TestDayPrefixes(t *testing.T) {
	f := func(region string, from, to time.Time, late time.Duration, want ...string) {
		t.Helper()
		got := flowlog.DayPrefixes(region, from, to, late)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("DayPrefixes(%q, %v, %v, %v)\n got %v\nwant %v", region, from, to, late, got, want)
		}
	}
	d := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	r := "AWSLogs/1/vpcflowlogs/us-east-1/"
	f(r, d("2026-11-01T10:00:00Z"), d("2026-11-01T12:00:00Z"), time.Hour, r+"2026/11/01/")
	f(r, d("2026-11-01T10:00:00Z"), d("2026-11-01T23:30:00Z"), time.Hour, r+"2026/11/01/", r+"2026/11/02/")
	f(r, d("2026-12-31T00:00:00Z"), d("2027-01-01T00:00:00Z"), 0, r+"2026/12/31/", r+"2027/01/01/")
	f(r, d("2026-11-01T01:00:00+02:00"), d("2026-11-01T02:00:00+02:00"), 0, r+"2026/10/31/", r+"2026/11/01/") // UTC days
	h := "x/AWSLogs/aws-account-id=1/aws-service=vpcflowlogs/aws-region=eu-west-1/"
	f(h, d("2026-02-28T10:00:00Z"), d("2026-03-01T00:00:00Z"), 0, h+"year=2026/month=02/day=28/", h+"year=2026/month=03/day=01/")
}

// countingLister records what a walk lists.
type countingLister struct {
	flowlog.Lister
	dirs, alls []string
}

func (c *countingLister) Dir(ctx context.Context, p string, out *[]flowlog.Object) ([]string, error) {
	c.dirs = append(c.dirs, p)
	return c.Lister.Dir(ctx, p, out)
}

func (c *countingLister) All(ctx context.Context, p string, out *[]flowlog.Object) error {
	c.alls = append(c.alls, p)
	return c.Lister.All(ctx, p, out)
}

// TestWalkLocal: a mirror with two accounts, two regions, both layouts and stray files is walked level
// by level, by day within the range, with --account and --region honoured.
func TestWalkLocal(t *testing.T) {
	dir := t.TempDir()
	touch := func(key string) {
		p := filepath.Join(dir, filepath.FromSlash(key))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
	}
	name := func(acct, region, ts string) string {
		return acct + "_vpcflowlogs_" + region + "_fl-1_" + ts + "_ab.log.gz"
	}
	keys := []string{
		"AWSLogs/111/vpcflowlogs/us-east-1/2026/11/01/" + name("111", "us-east-1", "20261101T2355Z"),
		"AWSLogs/111/vpcflowlogs/us-east-1/2026/11/02/" + name("111", "us-east-1", "20261102T0005Z"),
		"AWSLogs/111/vpcflowlogs/us-east-1/2026/11/02/" + name("111", "us-east-1", "20261102T1505Z"),
		"AWSLogs/111/vpcflowlogs/us-east-1/2026/11/03/" + name("111", "us-east-1", "20261103T0005Z"),
		"AWSLogs/111/vpcflowlogs/eu-west-1/2026/11/02/" + name("111", "eu-west-1", "20261102T0005Z"),
		"AWSLogs/222/vpcflowlogs/us-east-1/2026/11/02/" + name("222", "us-east-1", "20261102T0005Z"),
		"AWSLogs/aws-account-id=333/aws-service=vpcflowlogs/aws-region=us-east-1/year=2026/month=11/day=02/hour=00/" + name("333", "us-east-1", "20261102T0005Z"),
		"AWSLogs/111/vpcflowlogs/us-east-1/2026/11/02/notes.json",
		"other/stray.log.gz",
	}
	for _, k := range keys {
		touch(k)
	}
	touch("here.log")
	srcs, skipped, err := flowlog.ExpandLocalSelect(context.Background(), []string{dir}, flowlog.Selection{})
	// Of a folder that holds AWSLogs/, only AWSLogs/ and the files right in it (here.log) are read:
	// other/stray.log.gz is other data.
	if err != nil || len(srcs) != 8 || skipped != 0 {
		t.Fatalf("all: %v, %d sources, %d skipped", err, len(srcs), skipped)
	}

	sel := flowlog.Selection{From: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC),
		Late: time.Hour, Accounts: []string{"111", "333"}, Regions: []string{"us-east-1"}}
	l := &countingLister{Lister: flowlog.DirLister(dir)}
	objs, skipped, err := flowlog.Walk(context.Background(), l, "", sel)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.Key)
	}
	want := []string{keys[1], keys[6], "here.log"} // here.log: its key says nothing about time
	if strings.Join(got, " ") != strings.Join(want, " ") || skipped != 1 {
		t.Errorf("objects %v (skipped %d), want %v (skipped 1: the one of 15:05)", got, skipped, want)
	}
	wantDirs := "|  | AWSLogs/ | AWSLogs/111/ | AWSLogs/111/vpcflowlogs/ | AWSLogs/aws-account-id=333/ | AWSLogs/aws-account-id=333/aws-service=vpcflowlogs/"
	if d := "| " + strings.Join(l.dirs, " | "); d != wantDirs {
		t.Errorf("folders listed %s\nwant %s", d, wantDirs)
	}
	wantAll := "AWSLogs/111/vpcflowlogs/us-east-1/2026/11/02/ AWSLogs/aws-account-id=333/aws-service=vpcflowlogs/aws-region=us-east-1/year=2026/month=11/day=02/"
	if a := strings.Join(l.alls, " "); a != wantAll {
		t.Errorf("prefixes listed whole %s\nwant %s", a, wantAll)
	}
}
