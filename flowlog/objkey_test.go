package flowlog_test

import (
	"testing"
	"time"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
)

// at parses a UTC minute; "" is the zero time.
func at(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse("2006-01-02T15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// ki builds a KeyInfo in one line (keyed fields would make the case table unreadable).
func ki(layout, account, region, from, to string) flowlog.KeyInfo {
	return flowlog.KeyInfo{Layout: layout, Account: account, Region: region, From: at(from), To: at(to)}
}

func sameKeyInfo(a, b flowlog.KeyInfo) bool {
	return a.Layout == b.Layout && a.Account == b.Account && a.Region == b.Region && a.From.Equal(b.From) && a.To.Equal(b.To)
}

const (
	acct = "123456789012"
	reg  = "us-east-1"
	// an AWS object name for the window 2025-01-02 13:05–13:10
	objName  = "123456789012_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20250102T1305Z_9e3779b1.log.gz"
	plainDir = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/01/02/"
	hiveDir  = "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2025/month=01/day=02/"
)

func TestParseObjectKey(t *testing.T) {
	f := func(key string, want flowlog.KeyInfo) {
		t.Helper()
		if got := flowlog.ParseObjectKey(key); !sameKeyInfo(got, want) {
			t.Errorf("%q:\n got %+v\nwant %+v", key, got, want)
		}
	}
	day := ki("plain", acct, reg, "2025-01-02T00:00", "2025-01-03T00:00")
	win := func(layout string) flowlog.KeyInfo {
		return ki(layout, acct, reg, "2025-01-02T13:05", "2025-01-02T13:10")
	}

	// Every layout of docs/format.md, folder only (with and without the trailing slash) and with the object.
	f(plainDir, day)
	f(plainDir[:len(plainDir)-1], day)
	f(plainDir+objName, win("plain"))
	f(plainDir+"13/", ki("hourly", acct, reg, "2025-01-02T13:00", "2025-01-02T14:00"))
	f(plainDir+"13", ki("hourly", acct, reg, "2025-01-02T13:00", "2025-01-02T14:00"))
	f(plainDir+"13/"+objName, win("hourly"))
	f(hiveDir, ki("hive", acct, reg, "2025-01-02T00:00", "2025-01-03T00:00"))
	f(hiveDir+objName, win("hive"))
	f(hiveDir+"hour=13/", ki("hive-hourly", acct, reg, "2025-01-02T13:00", "2025-01-02T14:00"))
	f(hiveDir+"hour=13/"+objName, win("hive-hourly"))
	f("AWSLogs/aws-account-id=123456789012/service=vpcflowlogs/aws-region=us-east-1/year=2025/month=01/day=02/hour=00/",
		ki("hive-hourly", acct, reg, "2025-01-02T00:00", "2025-01-02T01:00"))
	// Any service value is accepted: only its position matters.
	f("AWSLogs/123456789012/transitgateway/us-east-1/2025/01/02/", day)

	// Prefixes: a folder, an S3 URI, a local absolute path, Windows separators, a prefix with its own AWSLogs.
	f("mirror/"+plainDir, day)
	f("s3://bucket/pre/"+plainDir+"13/"+objName, win("hourly"))
	f("/var/data/flow/"+hiveDir+objName, win("hive"))
	f(`C:\logs\AWSLogs\123456789012\vpcflowlogs\us-east-1\2025\01\02\`+objName, win("plain"))
	f(`D:\mirror\AWSLogs/123456789012/vpcflowlogs\us-east-1/2025/01/02/13\`+objName, win("hourly"))
	f("AWSLogs/old/AWSLogs/"+plainDir[len("AWSLogs/"):], day)
	f("s3://bucket//"+plainDir, day)

	// Dates: leap days, the ends of months and of the day.
	f("AWSLogs/1/vpcflowlogs/eu-west-1/2024/02/29/", ki("plain", "1", "eu-west-1", "2024-02-29T00:00", "2024-03-01T00:00"))
	f("AWSLogs/1/vpcflowlogs/eu-west-1/2025/12/31/23/", ki("hourly", "1", "eu-west-1", "2025-12-31T23:00", "2026-01-01T00:00"))

	// Invalid dates: no layout. With an object name, the name alone speaks.
	f("AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/02/30/", ki("", "", "", "", ""))
	f("AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/02/29/", ki("", "", "", "", ""))
	f("AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/13/01/", ki("", "", "", "", ""))
	f("AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/00/01/", ki("", "", "", "", ""))
	f("AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/01/00/", ki("", "", "", "", ""))
	f("AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/1/2/", ki("", "", "", "", ""))
	f(plainDir+"24/", ki("", "", "", "", ""))
	f(plainDir+"7/"+objName, win(""))
	f(hiveDir+"hour=24/"+objName, win(""))
	f("AWSLogs/aws-account-id=1/aws-service=vpcflowlogs/aws-region=r/year=2025/month=02/day=30/", ki("", "", "", "", ""))
	f("AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/02/30/"+objName, win(""))

	// Malformed layouts: a missing part, an empty account, a hive key out of place, a deeper path.
	f("AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/01", ki("", "", "", "", ""))
	f("AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/region=us-east-1/year=2025/month=01/day=02/", ki("", "", "", "", ""))
	f("AWSLogs/aws-account-id=123456789012/vpcflowlogs/aws-region=us-east-1/year=2025/month=01/day=02/", ki("", "", "", "", ""))
	f("AWSLogs/aws-account-id=/aws-service=vpcflowlogs/aws-region=us-east-1/year=2025/month=01/day=02/", ki("", "", "", "", ""))
	f(hiveDir+"13/x.log", ki("", "", "", "", ""))
	f(plainDir+"extra/x.log", ki("", "", "", "", ""))
	f(plainDir+"13/extra/"+objName, win(""))

	// The file name alone, and with each extension.
	f(objName, win(""))
	f("some/where/"+objName, win(""))
	f("123456789012_vpcflowlogs_us-east-1_fl-1_20250102T1305Z_abc.log", win(""))
	f("123456789012_vpcflowlogs_us-east-1_fl-1_20250102T1305Z_abc.log.parquet", win(""))
	f("123456789012_vpcflowlogs_us-east-1_fl-1_20250102T1305Z_abc.parquet", win(""))
	f("123456789012_vpcflowlogs_us-east-1_fl-1_20250102T2355Z_abc.log", ki("", acct, reg, "2025-01-02T23:55", "2025-01-03T00:00"))
	// Bad names: wrong time, wrong extension, missing or empty parts.
	f("123456789012_vpcflowlogs_us-east-1_fl-1_20250102T2400Z_abc.log", ki("", "", "", "", ""))
	f("123456789012_vpcflowlogs_us-east-1_fl-1_20250102T1360Z_abc.log", ki("", "", "", "", ""))
	f("123456789012_vpcflowlogs_us-east-1_fl-1_20250230T1300Z_abc.log", ki("", "", "", "", ""))
	f("123456789012_vpcflowlogs_us-east-1_fl-1_20250102 1305Z_abc.log", ki("", "", "", "", ""))
	f("123456789012_vpcflowlogs_us-east-1_fl-1_2025010213051Z_abc.log", ki("", "", "", "", ""))
	f("123456789012_vpcflowlogs_us-east-1_fl-1_20250102T1305Z_abc.txt", ki("", "", "", "", ""))
	f("123456789012_vpcflowlogs_us-east-1_20250102T1305Z_abc.log", ki("", "", "", "", ""))
	f("123456789012_vpcflowlogs__fl-1_20250102T1305Z_abc.log", ki("", "", "", "", ""))

	// File name plus folder: the folders win for account and region; the file window narrows the
	// folder range, and when they do not overlap the hull is kept.
	f("AWSLogs/999999999999/vpcflowlogs/eu-west-1/2025/01/02/"+objName, ki("plain", "999999999999", "eu-west-1", "2025-01-02T13:05", "2025-01-02T13:10"))
	f(plainDir+"14/"+objName, ki("hourly", acct, reg, "2025-01-02T13:05", "2025-01-02T15:00"))
	f("AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/01/03/123456789012_vpcflowlogs_us-east-1_fl-1_20250102T2355Z_abc.log.gz",
		ki("plain", acct, reg, "2025-01-02T23:55", "2025-01-04T00:00"))

	// Not AWS paths.
	f("", ki("", "", "", "", ""))
	f("/", ki("", "", "", "", ""))
	f(`\\`, ki("", "", "", "", ""))
	f("AWSLogs", ki("", "", "", "", ""))
	f("data/flows.log.gz", ki("", "", "", "", ""))
	f("/tmp/2025/01/02/flows.log", ki("", "", "", "", ""))
	f("logs/123456789012/vpcflowlogs/us-east-1/2025/01/02/", ki("", "", "", "", ""))
	f("awslogs/123456789012/vpcflowlogs/us-east-1/2025/01/02/", ki("", "", "", "", ""))
}

// TestParseObjectKeyGen: every key flowlog/synth writes parses back to its layout, account, region and
// 5-minute window. (The external test package can import flowlog/synth: it imports flowlog, but
// flowlog itself does not import it, so there is no cycle.)
func TestParseObjectKeyGen(t *testing.T) {
	layouts := map[string]string{"flat": "", "aws": "plain", "aws-hourly": "hourly", "hive": "hive", "hive-hourly": "hive-hourly"}
	ends := []time.Time{
		time.Date(2026, 11, 2, 13, 5, 0, 0, time.UTC),
		time.Date(2026, 11, 2, 23, 59, 59, 0, time.UTC),
		time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 12, 31, 23, 57, 30, 0, time.UTC),
		time.Date(2025, 1, 1, 0, 4, 59, 0, time.UTC),
	}
	for layout, want := range layouts {
		for i, end := range ends {
			for _, gz := range []bool{false, true} {
				key := synth.ObjectKey(layout, acct, reg, i, end, gz)
				from := end.Truncate(5 * time.Minute)
				w := flowlog.KeyInfo{Layout: want, Account: acct, Region: reg, From: from, To: from.Add(5 * time.Minute)}
				if got := flowlog.ParseObjectKey(key); !sameKeyInfo(got, w) {
					t.Errorf("%s %q:\n got %+v\nwant %+v", layout, key, got, w)
				}
				if got := flowlog.ParseObjectKey("s3://bucket/prefix/" + key); !sameKeyInfo(got, w) {
					t.Errorf("%s with prefix %q:\n got %+v\nwant %+v", layout, key, got, w)
				}
			}
		}
	}
}

func TestMayHold(t *testing.T) {
	obj := ki("plain", acct, reg, "2025-01-02T10:00", "2025-01-02T10:05")
	f := func(k flowlog.KeyInfo, from, to string, late time.Duration, want bool) {
		t.Helper()
		if got := k.MayHold(at(from), at(to), late); got != want {
			t.Errorf("%+v MayHold(%s, %s, %v) = %v, want %v", k, from, to, late, got, want)
		}
	}
	sec := time.Second
	// Lower bound: the object ends exactly at from, or one second after.
	f(obj, "2025-01-02T10:05", "", 0, false)
	f(obj, "2025-01-02T10:05", "2025-01-02T11:00", 15*time.Minute, false)
	longer := obj
	longer.To = longer.To.Add(sec)
	f(longer, "2025-01-02T10:05", "", 0, true)
	f(obj, "2025-01-02T10:04", "", 0, true)
	// Upper bound: the object starts exactly at to+late, or one second before.
	f(obj, "", "2025-01-02T09:45", 15*time.Minute, false)
	f(obj, "", "2025-01-02T10:00", 0, false)
	f(obj, "2025-01-02T09:00", "2025-01-02T09:50", 10*time.Minute, false)
	f(obj, "", "2025-01-02T09:45", 15*time.Minute+sec, true)
	f(obj, "", "2025-01-02T10:00", sec, true)
	// A negative late counts as zero.
	f(obj, "", "2025-01-02T10:00", -time.Hour, false)
	f(obj, "", "2025-01-02T10:01", -time.Hour, true)
	// Inside, around, and zero bounds.
	f(obj, "2025-01-02T10:01", "2025-01-02T10:02", 0, true)
	f(obj, "2025-01-02T00:00", "2025-01-03T00:00", 0, true)
	f(obj, "", "", 0, true)
	f(obj, "2025-01-02T09:00", "", 0, true)
	f(obj, "", "2025-01-02T11:00", 0, true)
	// Unknown time: always true.
	f(flowlog.KeyInfo{}, "2025-01-02T10:05", "2025-01-02T10:06", 0, true)
	f(ki("", acct, reg, "", ""), "2030-01-01T00:00", "2030-01-02T00:00", 0, true)
}

func FuzzParseObjectKey(f *testing.F) {
	for _, s := range []string{"", "/", `\`, objName, plainDir + objName, plainDir + "13/" + objName, hiveDir + objName,
		hiveDir + "hour=13/" + objName, `C:\x\` + plainDir, "AWSLogs/1/s/r/2024/02/29/24/",
		"s3://b/AWSLogs/aws-account-id=1/service=s/aws-region=r/year=2025/month=1/day=2/",
		"AWSLogs/9/vpcflowlogs/r/2025/01/03/1_vpcflowlogs_r_f_20250102T2355Z_h.parquet"} {
		f.Add(s)
	}
	layouts := map[string]bool{"": true, "plain": true, "hourly": true, "hive": true, "hive-hourly": true}
	f.Fuzz(func(t *testing.T, key string) {
		k := flowlog.ParseObjectKey(key)
		if !layouts[k.Layout] {
			t.Fatalf("%q: layout %q", key, k.Layout)
		}
		if k.From.IsZero() != k.To.IsZero() || k.To.Before(k.From) {
			t.Fatalf("%q: bad range %v %v", key, k.From, k.To)
		}
		if !k.From.IsZero() && (k.From.Location() != time.UTC || k.To.Location() != time.UTC || !k.From.Before(k.To)) {
			t.Fatalf("%q: range %v %v not a UTC non-empty range", key, k.From, k.To)
		}
		if k.Layout != "" && (k.Account == "" || k.Region == "" || k.From.IsZero()) {
			t.Fatalf("%q: layout %q without account, region or time: %+v", key, k.Layout, k)
		}
		// An object always may hold records from its own range.
		if !k.MayHold(k.From, k.To, 0) || !k.MayHold(time.Time{}, time.Time{}, 0) {
			t.Fatalf("%q: %+v excludes its own range", key, k)
		}
	})
}
