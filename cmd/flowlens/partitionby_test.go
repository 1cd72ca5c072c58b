package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
)

// genPartitioned writes, under one directory, AWS hourly key layouts of two regions (v2 records of
// us-east-1, v5 records of eu-west-1, account 123456789012) and one hand-written v2 object whose key
// says account 111122223333 in ap-south-1 while its records say 444455556666 or nothing ("-").
func genPartitioned(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, g := range []struct {
		seed   uint64
		region string
		fields *flowlog.Layout
	}{{31, "us-east-1", flowlog.DefaultLayout}, {32, "eu-west-1", flowlog.V5Layout}} {
		if _, err := synth.Generate(synth.Config{Dir: dir, Seed: g.seed, Records: 6000, Objects: 6, Fields: g.fields, Layout: "aws-hourly",
			Region: g.region, Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: true}); err != nil {
			t.Fatal(err)
		}
		os.Remove(filepath.Join(dir, synth.ManifestName))
	}
	key := filepath.Join(dir, "AWSLogs", "111122223333", "vpcflowlogs", "ap-south-1", "2026", "11", "01", "05",
		"111122223333_vpcflowlogs_ap-south-1_fl-0123456789abcdef0_20261101T0505Z_0000abcd.log")
	os.MkdirAll(filepath.Dir(key), 0o755)
	text := flowlog.DefaultLayout.String() + "\n" +
		"2 444455556666 eni-0a1b2c3d4e5f60718 10.1.2.3 10.1.2.4 443 49152 6 10 8400 1793509200 1793509260 ACCEPT OK\n" +
		"2 444455556666 eni-0a1b2c3d4e5f60718 10.1.2.4 10.1.2.3 49152 443 6 12 960 1793509230 1793509260 ACCEPT OK\n" +
		"2 - eni-0a1b2c3d4e5f60718 10.1.2.5 10.1.2.3 22 22 6 1 40 1793509300 1793509320 REJECT OK\n"
	if err := os.WriteFile(key, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// partitionFolders lists the folders of a dataset that hold Parquet files, relative to it.
func partitionFolders(t *testing.T, ds string) []string {
	t.Helper()
	var out []string
	filepath.Walk(ds, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".parquet") {
			r, _ := filepath.Rel(ds, filepath.Dir(p))
			if !slices.Contains(out, filepath.ToSlash(r)) {
				out = append(out, filepath.ToSlash(r))
			}
		}
		return nil
	})
	slices.Sort(out)
	return out
}

// TestConvertPartitionBy: --partition-by account,region puts each row under
// account_id=/region=/year=/month=/day=/hour= with the record's account and region where its layout
// has them, else the key's, else __HIVE_DEFAULT_PARTITION__ (a null account-id); flowlens sql and
// report read the dataset as they read the text, region and account_id included; append keeps the
// layout, and another --partition-by is refused.
func TestConvertPartitionBy(t *testing.T) {
	dir := genPartitioned(t)
	ds := filepath.Join(t.TempDir(), "ds")
	mustRun(t, "convert", "-q", "--partition", "hour", "--partition-by", "region,account", "-o", ds, dir)
	folders := partitionFolders(t, ds)
	for _, want := range []string{
		"account_id=123456789012/region=us-east-1/year=2026/month=11/day=01/hour=00",
		"account_id=123456789012/region=eu-west-1/year=2026/month=11/day=01/hour=23",
		"account_id=444455556666/region=ap-south-1/year=2026/month=11/day=01/hour=05",
		"account_id=__HIVE_DEFAULT_PARTITION__/region=ap-south-1/year=2026/month=11/day=01/hour=05",
	} {
		if !slices.Contains(folders, want) {
			t.Errorf("no folder %s in %v", want, folders)
		}
	}
	for _, f := range folders {
		if strings.Contains(f, "111122223333") {
			t.Errorf("%s: the key's account where the records name theirs", f)
		}
	}
	queries := []string{
		"SELECT account_id, region, count(*) AS flows, sum(bytes) AS bytes FROM t GROUP BY 1, 2 ORDER BY 1, 2",
		"SELECT srcaddr, account_id, region, sum(bytes) AS bytes FROM t WHERE region = 'ap-south-1' GROUP BY 1, 2, 3 ORDER BY 1, 2",
		roundTripQueries[0], roundTripQueries[2],
	}
	for _, q := range queries {
		want := mustRun(t, "sql", "-q", "--format", "csv", q, dir)
		if got := mustRun(t, "sql", "-q", "--format", "csv", q, ds); got != want {
			t.Errorf("%s over the dataset:\n got: %.600s\nwant: %.600s", q, got, want)
		}
	}
	_, fromText, _ := flowlens(t, "report", "--format", "json", dir)
	_, fromParquet, _ := flowlens(t, "report", "--format", "json", ds)
	cut := func(s string) string { return s[strings.Index(s, `"totals"`):] }
	if cut(fromText) != cut(fromParquet) {
		t.Errorf("report over the dataset differs from the report over the text")
	}

	// Append: the objects of eu-west-1 first, then all; the same rows as one conversion.
	twice := filepath.Join(t.TempDir(), "twice")
	mustRun(t, "convert", "-q", "--partition", "hour", "--partition-by", "account,region", "-o", twice, filepath.Join(dir, "AWSLogs", "123456789012", "vpcflowlogs", "eu-west-1"))
	mustRun(t, "convert", "-q", "--mode", "append", "--partition", "hour", "--partition-by", "account,region", "-o", twice, dir)
	if got := partitionFolders(t, twice); !slices.Equal(got, folders) {
		t.Errorf("appended: folders %v, want %v", got, folders)
	}
	for _, q := range queries[:1] {
		if a, b := mustRun(t, "sql", "-q", "--format", "csv", q, ds), mustRun(t, "sql", "-q", "--format", "csv", q, twice); a != b {
			t.Errorf("appended differs from converted once:\n%s\n%s", b, a)
		}
	}
	code, _, errOut := flowlens(t, "convert", "--mode", "append", "--partition", "hour", "--partition-by", "account", "-o", twice, dir)
	if code != 1 || !strings.Contains(errOut, "--partition-by account_id,region") {
		t.Errorf("append with another --partition-by: exit %d: %s", code, errOut)
	}
	code, _, errOut = flowlens(t, "convert", "--partition-by", "vpc", "-o", filepath.Join(t.TempDir(), "x"), dir)
	if code != 2 || !strings.Contains(errOut, `"vpc" is not account or region`) {
		t.Errorf("--partition-by vpc: exit %d: %s", code, errOut)
	}
}
