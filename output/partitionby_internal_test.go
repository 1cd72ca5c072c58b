package output

import (
	"testing"

	"github.com/flowlens/flowlens/flowlog"
)

// TestHiveEscape: a partition value is one folder whatever it holds, and PartitionValues reads
// back what was written.
func TestHiveEscape(t *testing.T) {
	for v, want := range map[string]string{
		"123456789012": "123456789012", "us-east-1": "us-east-1", "": hiveDefault,
		"a/b": "a%2Fb", "..": "%2E%2E", "x=y": "x%3Dy", "50%": "50%25", "é": "%C3%A9",
	} {
		got := hiveEscape(v)
		if got != want {
			t.Errorf("hiveEscape(%q) = %q, want %q", v, got, want)
		}
		pv := flowlog.PartitionValues("ds/account_id=" + got + "/region=" + got + "/year=2026/month=11/day=01/part-0.parquet")
		if pv["account_id"] != v || pv["aws-account-id"] != v || pv["aws-region"] != v {
			t.Errorf("%q: read back as %v", v, pv)
		}
	}
	for _, s := range []string{"account,region", "region, account_id", "account-id,region,account"} {
		if by, err := ParsePartitionBy(s); err != nil || len(by) != 2 || by[0] != PartitionAccount || by[1] != PartitionRegion {
			t.Errorf("ParsePartitionBy(%q) = %v, %v", s, by, err)
		}
	}
	if by, err := ParsePartitionBy(""); err != nil || by != nil {
		t.Errorf("ParsePartitionBy(\"\") = %v, %v", by, err)
	}
}
