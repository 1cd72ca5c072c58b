package flowlog

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// KeyInfo is what the path (S3 key or local path) of a flow-log object says about the records in it.
//
// A query uses it to skip objects without opening them, so every field errs on the side of saying
// less: a path that does not match a known layout exactly gives no layout, and a time range is only
// set when the folders or the AWS file name state it.
type KeyInfo struct {
	// Layout is "plain" (AWSLogs/{acct}/vpcflowlogs/{region}/YYYY/MM/DD/), "hourly" (…/DD/HH/),
	// "hive" (aws-account-id=…/aws-service=vpcflowlogs/aws-region=…/year=/month=/day=/),
	// "hive-hourly" (…/hour=/), or "" when no layout matched.
	Layout  string
	Account string // "" when unknown
	Region  string // "" when unknown
	// From and To (UTC) are the half-open range [From, To) of record END times the object can hold
	// according to its path and file name; both zero when the key says nothing about time. AWS names
	// the range by delivery, and records can arrive late, so a record may end somewhat before From:
	// MayHold allows for that with its late argument.
	From, To time.Time
}

// ParseObjectKey reads the layout, account, region and time range from the key or path of a
// flow-log object (docs/format.md, "Objects in S3"). The layout may follow any prefix ("mirror/",
// "s3://bucket/pre/", a local directory) and starts at an AWSLogs folder; '/', '\' and the OS path
// separator all separate folders. The folders give a day or an hour; the AWS file name
// {account}_vpcflowlogs_{region}_{flow-log-id}_{YYYYMMDDTHHmmZ}_{hash}.log.gz gives a 5-minute window,
// which narrows the folder range (and stands alone when no folder layout matched). It never panics;
// a key that says nothing gives KeyInfo{}.
func ParseObjectKey(key string) KeyInfo {
	// '\' splits on every OS so that a Windows path parses anywhere: no AWS layout part contains one.
	// Empty parts ("//", a trailing slash) are dropped.
	parts := strings.FieldsFunc(key, func(r rune) bool { return r == '/' || r == '\\' || r == os.PathSeparator })
	if len(parts) == 0 {
		return KeyInfo{}
	}
	var k KeyInfo
	name := parts[len(parts)-1]
	// Try every AWSLogs folder: a prefix may itself contain one (a mirror of a mirror).
	for i, p := range parts {
		if p != "AWSLogs" {
			continue
		}
		if fk, n, ok := parseFolders(parts[i+1:]); ok {
			k = fk
			name = ""
			if i+1+n < len(parts) {
				name = parts[i+1+n]
			}
			break
		}
	}
	acct, region, from, ok := parseFileName(name)
	if !ok {
		return k
	}
	// The folders win for account and region: they are what the delivery was configured with.
	if k.Account == "" {
		k.Account = acct
	}
	if k.Region == "" {
		k.Region = region
	}
	to := from.Add(5 * time.Minute)
	if k.From.IsZero() {
		k.From, k.To = from, to
		return k
	}
	// Intersect the folder range with the file window. If they do not overlap the key contradicts
	// itself (for instance a folder named by delivery time past midnight); keep the hull then, since
	// an empty range would hide the object from every query.
	f, t := k.From, k.To
	if from.After(f) {
		f = from
	}
	if to.Before(t) {
		t = to
	}
	if f.Before(t) {
		k.From, k.To = f, t
		return k
	}
	if from.Before(k.From) {
		k.From = from
	}
	if to.After(k.To) {
		k.To = to
	}
	return k
}

// parseFolders matches the folders after an AWSLogs folder: plain or hourly
// {acct}/{service}/{region}/YYYY/MM/DD[/HH], or hive aws-account-id=/aws-service=/aws-region=/year=/
// month=/day=[/hour=] (service= is the older Transit Gateway spelling). The service is not checked,
// since only its position matters. It returns the number of folders used; at most one more part (the
// file name) may follow, because AWS puts objects directly in the day or hour folder and a deeper
// path is something else whose time we must not guess.
func parseFolders(p []string) (k KeyInfo, n int, ok bool) {
	if len(p) < 6 {
		return KeyInfo{}, 0, false
	}
	var y, m, d string
	hive := false
	if acct, isHive := strings.CutPrefix(p[0], "aws-account-id="); isHive {
		hive = true
		_, svc := strings.CutPrefix(p[1], "aws-service=")
		_, oldSvc := strings.CutPrefix(p[1], "service=")
		region, r := strings.CutPrefix(p[2], "aws-region=")
		year, ry := strings.CutPrefix(p[3], "year=")
		month, rm := strings.CutPrefix(p[4], "month=")
		day, rd := strings.CutPrefix(p[5], "day=")
		if !(svc || oldSvc) || !r || !ry || !rm || !rd {
			return KeyInfo{}, 0, false
		}
		k.Account, k.Region, y, m, d = acct, region, year, month, day
	} else {
		k.Account, k.Region, y, m, d = p[0], p[2], p[3], p[4], p[5]
	}
	if k.Account == "" || k.Region == "" {
		return KeyInfo{}, 0, false
	}
	day, ok := parseDate(y, m, d, "00")
	if !ok {
		return KeyInfo{}, 0, false
	}
	k.Layout, k.From, k.To, n = "plain", day, day.Add(24*time.Hour), 6
	if hive {
		k.Layout = "hive"
	}
	// An hour folder: hour=… in hive form, all digits in plain form. An invalid hour (24, 7) is
	// not a plain day folder with a subfolder: the layout does not match.
	if len(p) > 6 {
		h, isHour := strings.CutPrefix(p[6], "hour=")
		if !hive {
			h, isHour = p[6], allDigits(p[6])
		}
		if isHour {
			hour, ok := parseDate(y, m, d, h)
			if !ok {
				return KeyInfo{}, 0, false
			}
			k.Layout, k.From, k.To, n = "hourly", hour, hour.Add(time.Hour), 7
			if hive {
				k.Layout = "hive-hourly"
			}
		}
	}
	if len(p)-n > 1 {
		return KeyInfo{}, 0, false
	}
	return k, n, true
}

// parseFileName reads the AWS object name {account}_{service}_{region}_{flow-log-id}_{YYYYMMDDTHHmmZ}_{hash}
// with extension .log.gz, .log, .log.parquet or .parquet, and returns the window start.
func parseFileName(name string) (acct, region string, t time.Time, ok bool) {
	base := ""
	for _, ext := range []string{".log.gz", ".log.parquet", ".parquet", ".log"} {
		if b, found := strings.CutSuffix(name, ext); found {
			base = b
			break
		}
	}
	f := strings.Split(base, "_")
	if len(f) != 6 {
		return "", "", time.Time{}, false
	}
	for _, s := range f {
		if s == "" {
			return "", "", time.Time{}, false
		}
	}
	ts := f[4] // YYYYMMDDTHHmmZ
	if len(ts) != 14 || ts[8] != 'T' || ts[13] != 'Z' || !allDigits(ts[11:13]) {
		return "", "", time.Time{}, false
	}
	hour, ok := parseDate(ts[0:4], ts[4:6], ts[6:8], ts[9:11])
	mins := int(ts[11]-'0')*10 + int(ts[12]-'0')
	if !ok || mins > 59 {
		return "", "", time.Time{}, false
	}
	return f[0], f[2], hour.Add(time.Duration(mins) * time.Minute), true
}

// parseDate returns the UTC hour y-m-d h (1970 or later), given as 4, 2, 2 and 2 digits, if it exists: a date that
// time.Date would normalise (February 30, hour 24) is rejected rather than moved.
func parseDate(y, m, d, h string) (time.Time, bool) {
	if len(y) != 4 || len(m) != 2 || len(d) != 2 || len(h) != 2 ||
		!allDigits(y) || !allDigits(m) || !allDigits(d) || !allDigits(h) {
		return time.Time{}, false
	}
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			n = n*10 + int(s[i]-'0')
		}
		return n
	}
	yy, mm, dd, hh := num(y), num(m), num(d), num(h)
	t := time.Date(yy, time.Month(mm), dd, hh, 0, 0, 0, time.UTC)
	// Year 1 is refused too: its first hour is Go's zero time, which means "no range" here.
	if yy < 1970 || t.Year() != yy || int(t.Month()) != mm || t.Day() != dd || t.Hour() != hh {
		return time.Time{}, false
	}
	return t, true
}

// allDigits reports whether s is non-empty and only ASCII digits.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// MayHold reports whether an object whose key says k can hold records whose START time lies in
// [from, to), allowing for records delivered up to late after to. Zero from/to mean unbounded.
// Unknown time (zero k.From) means true.
//
// Why these two tests suffice, and are safe:
//   - A record with start s has end >= s, so if s >= from its end is >= from too; an object holds
//     only records ending before k.To, so it can hold one only if k.To > from.
//   - A record with start s < to ends within the capture window (up to 10 minutes, 60 s on Nitro)
//     and reaches an object named at most a delivery delay later, so the object's range begins
//     before to + late, where late covers both. Hence k.From < to + late.
//
// A negative late is treated as zero: it would only hide objects that may hold wanted records.
func (k KeyInfo) MayHold(from, to time.Time, late time.Duration) bool {
	if k.From.IsZero() {
		return true
	}
	if !from.IsZero() && !k.To.After(from) {
		return false
	}
	if !to.IsZero() && !k.From.Before(to.Add(max(late, 0))) {
		return false
	}
	return true
}

// hiveDefault is the folder value Hive, Athena and Spark write for a NULL partition value.
const hiveDefault = "__HIVE_DEFAULT_PARTITION__"

// hiveUnescape undoes the %XX escapes of a Hive folder's value (as convert and Hive write them); a
// value with a malformed escape is kept as it is.
func hiveUnescape(v string) string {
	if !strings.Contains(v, "%") {
		return v
	}
	b := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			b = append(b, v[i])
			continue
		}
		if i+2 >= len(v) {
			return v
		}
		x, err := strconv.ParseUint(v[i+1:i+3], 16, 8)
		if err != nil {
			return v
		}
		b = append(b, byte(x))
		i += 2
	}
	return string(b)
}

// PartitionValues returns the partition values that the folders of an object's key state, by
// column name: every Hive folder NAME=VALUE (the [account_id=/][region=/]year=/month=/day=/[hour=] of
// a dataset written by flowlens convert, account_id and region also as aws-account-id and
// aws-region, the aws-account-id=/aws-service=/aws-region=/year=/… of AWS's Hive layout), and
// for the classic AWS layout (AWSLogs/ACCOUNT/vpcflowlogs/REGION/YYYY/MM/DD[/HH]/) the same names:
// aws-account-id, aws-region, year, month, day (and hour). When year, month and day are known,
// "date" is YYYY-MM-DD, the partition column of the Athena table over the classic layout. A
// __HIVE_DEFAULT_PARTITION__ value is "" (NULL). It returns nil when the key states none.
func PartitionValues(key string) map[string]string {
	parts := strings.FieldsFunc(key, func(r rune) bool { return r == '/' || r == '\\' || r == os.PathSeparator })
	var m map[string]string
	set := func(name, val string) {
		if m == nil {
			m = map[string]string{}
		}
		m[name] = val
	}
	for i, p := range parts {
		if i == len(parts)-1 {
			break // the file name
		}
		name, val, ok := strings.Cut(p, "=")
		if !ok || name == "" {
			continue
		}
		if val == hiveDefault {
			val = ""
		}
		val = hiveUnescape(val)
		set(name, val)
		// The account_id= and region= folders of a dataset that convert --partition-by wrote
		// are the key's account and region, as AWS's aws-account-id= and aws-region= are.
		switch name {
		case "account_id":
			set("aws-account-id", val)
		case "region":
			set("aws-region", val)
		}
	}
	if k := ParseObjectKey(key); k.Layout == "plain" || k.Layout == "hourly" {
		set("aws-account-id", k.Account)
		set("aws-region", k.Region)
		d := k.From.UTC()
		set("year", d.Format("2006"))
		set("month", d.Format("01"))
		set("day", d.Format("02"))
		if k.Layout == "hourly" {
			set("hour", d.Format("15"))
		}
	}
	y, mo, d := m["year"], m["month"], m["day"]
	if _, ok := parseDate(y, mo, d, "00"); ok {
		set("date", y+"-"+mo+"-"+d)
	}
	return m
}
