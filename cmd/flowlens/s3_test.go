package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/internal/s3test"
)

var s3server *s3test.Server

func TestMain(m *testing.M) {
	s, err := s3test.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s3server = s
	code := m.Run()
	if s != nil {
		s.Stop()
	}
	os.Exit(code)
}

// TestS3CLI: report and cat over s3:// with --endpoint-url give what they give over the same files
// on disk; --from/--to, --account and --region select the same objects.
func TestS3CLI(t *testing.T) {
	if s3server == nil {
		t.Skip("no S3 server (set FLOWLENS_VERSITYGW, as make test does)")
	}
	for k, v := range s3test.Env(t.TempDir()) {
		t.Setenv(k, v)
	}
	dir := t.TempDir()
	if _, err := synth.Generate(synth.Config{Dir: dir, Seed: 5, Records: 20_000, Objects: 48, Fields: flowlog.DefaultLayout,
		Layout: "hive-hourly", Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 2, Gzip: true}); err != nil {
		t.Fatal(err)
	}
	if err := s3server.Upload("cli", "mirror/", dir); err != nil {
		t.Fatal(err)
	}
	ep := []string{"--endpoint-url", s3server.URL}
	for _, extra := range [][]string{
		nil,
		{"--from", "2026-11-01T20", "--to", "2026-11-02T03"},
		{"--account", "123456789012", "--region", "us-east-1", "--from", "2026-11-02"},
		{"--region", "eu-west-1", "--bucket-region", "us-east-1"},
	} {
		args := append(append([]string{"report", "--format", "json", "--top", "5"}, extra...), ep...)
		code, remote, errOut := flowlens(t, append(args, "s3://cli/mirror/")...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", extra, code, errOut)
		}
		code, local, errOut := flowlens(t, append(args, dir)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", extra, code, errOut)
		}
		if remote != local {
			t.Errorf("%v: report over s3:// differs from the report on disk", extra)
		}
		if len(extra) > 0 && extra[1] == "eu-west-1" && !strings.Contains(remote, `"objects": 0`) {
			t.Errorf("--region eu-west-1 read objects of us-east-1")
		}
	}
	code, out, errOut := flowlens(t, append([]string{"cat", "--format", "csv"}, append(ep, "s3://cli/mirror/AWSLogs/")...)...)
	if code != 0 || strings.Count(out, "\n") < 20_000 || !strings.Contains(errOut, "48 objects (0 failed)") {
		t.Fatalf("cat over s3://: exit %d, %d lines, %s", code, strings.Count(out, "\n"), errOut)
	}
	code, _, errOut = flowlens(t, append([]string{"report"}, append(ep, "s3://no-such-bucket/")...)...)
	if code != 1 || !strings.Contains(errOut, "s3://no-such-bucket/") || !strings.Contains(errOut, "NoSuchBucket") {
		t.Fatalf("missing bucket: exit %d: %s", code, errOut)
	}
}
