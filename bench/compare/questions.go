package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/big"
	"net/netip"
	"sort"
	"strings"
	"time"
)

// table is a result: column names and rows of normalised text (a null is "").
type table struct {
	cols []string
	rows [][]string
}

// check says how two answers to a question must agree.
type check struct {
	keys  int // the leading key columns
	order int // the column the rows are ordered by (descending), or -1: ordered by the keys, compared row by row
	limit int // the LIMIT of a top-N list (its last rows may tie with rows left out), or 0
}

// question is one question asked of both engines: flowlens's SQL over table t and DuckDB's over
// {src}, the data set's table expression.
type question struct {
	name     string
	flowlens string
	duck     string
	check    check
	hourCol  int // flowlens's column holding date_trunc('hour', …) text (DuckDB gives Unix seconds), or -1
}

// questions are the single questions; the standard report is reportQuestion.
var questions = []question{
	{name: "top 20 interfaces by bytes",
		flowlens: "SELECT interface_id, sum(bytes) AS bytes FROM t GROUP BY 1 ORDER BY 2 DESC LIMIT 20",
		duck:     "SELECT interface_id, sum(bytes) AS bytes FROM {src} GROUP BY 1 ORDER BY 2 DESC LIMIT 20",
		check:    check{keys: 1, order: 1, limit: 20}, hourCol: -1},
	{name: "bytes per hour",
		flowlens: "SELECT date_trunc('hour', from_unixtime(start)) AS hour, sum(bytes) AS bytes, count(*) AS flows FROM t GROUP BY 1 ORDER BY 1",
		duck:     "SELECT start - start % 3600 AS hour, sum(bytes) AS bytes, count(*) AS flows FROM {src} GROUP BY 1 ORDER BY 1",
		check:    check{keys: 1, order: -1}, hourCol: 0},
	{name: "reject totals",
		flowlens: "SELECT count(*) AS flows, sum(packets) AS packets, sum(bytes) AS bytes FROM t WHERE action = 'REJECT'",
		duck:     "SELECT count(*) AS flows, sum(packets) AS packets, sum(bytes) AS bytes FROM {src} WHERE action = 'REJECT'",
		check:    check{order: -1}, hourCol: -1},
	{name: "top 20 rejected sources",
		flowlens: "SELECT srcaddr, count(*) AS flows, sum(bytes) AS bytes FROM t WHERE action = 'REJECT' GROUP BY 1 ORDER BY 2 DESC LIMIT 20",
		duck:     "SELECT srcaddr, count(*) AS flows, sum(bytes) AS bytes FROM {src} WHERE action = 'REJECT' GROUP BY 1 ORDER BY 2 DESC LIMIT 20",
		check:    check{keys: 1, order: 1, limit: 20}, hourCol: -1},
	{name: "top 20 conversations",
		flowlens: "SELECT srcaddr, dstaddr, sum(bytes) AS bytes FROM t GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 20",
		duck:     "SELECT srcaddr, dstaddr, sum(bytes) AS bytes FROM {src} GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 20",
		check:    check{keys: 2, order: 2, limit: 20}, hourCol: -1},
}

// reportQuestion names the standard report in results and in -only.
const reportQuestion = "standard report"

// reportISAL names the standard report run by the ISA-L build (-flowlens-isal).
const reportISAL = "standard report, ISA-L build"

// reportLoadOnce names the standard report against DuckDB used as its users would: the columns the
// report needs loaded once into a temporary table, then the report's statements over that table.
// The same flowlens runs stand beside it; reportQuestion keeps DuckDB re-reading the files for
// every statement, labelled as such.
const reportLoadOnce = "standard report, DuckDB loads once"

// loadOnceTable is the temporary table of reportLoadOnce, and loadOnceColumns what it holds: the
// columns the report's statements read.
const (
	loadOnceTable   = "loaded_records"
	loadOnceColumns = `interface_id, srcaddr, dstaddr, dstport, protocol, packets, bytes, start, "end", action`
)

// reportStatements are the report's DuckDB statements over src: each reading src, or, loadOnce,
// the load of a temporary table first and every statement reading it.
func reportStatements(src string, loadOnce bool) []statement {
	var out []statement
	if loadOnce {
		out = append(out, statement{Name: "load", SQL: "CREATE TEMP TABLE " + loadOnceTable + " AS SELECT " + loadOnceColumns + " FROM " + src})
		src = loadOnceTable
	}
	for _, s := range reportSections {
		out = append(out, statement{Name: s.name, SQL: withSource(s.sql, src)})
	}
	return out
}

// reportTop is the length of the report's top-N lists (flowlens report --top).
const reportTop = 20

// reportSection is one part of the standard report: the DuckDB statement that computes it and how
// to compare it with the part of flowlens's JSON report.
type reportSection struct {
	name  string
	sql   string
	check check
}

// reportSections are the DuckDB statements equivalent to `flowlens report --no-nat` (report.Build),
// run one after the other in one DuckDB process, each reading the files (or, for reportLoadOnce,
// the table they were loaded into). The report's
// other parts are derived from these (busiest hours from hourly, accepted flows from flows and
// rejected flows) or absent from both layouts (reject reasons, v8), or are its input accounting.
var reportSections = []reportSection{
	{"totals", `SELECT sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows,
		count(*) FILTER (WHERE action = 'REJECT') AS rejected_flows,
		coalesce(sum(packets) FILTER (WHERE action = 'REJECT'), 0) AS rejected_packets,
		coalesce(sum(bytes) FILTER (WHERE action = 'REJECT'), 0) AS rejected_bytes,
		min(start) AS first_start, max("end") AS last_end FROM {src}`, check{order: -1}},
	{"interfaces", `WITH ih AS (SELECT interface_id, start - start % 3600 AS hour, sum(bytes) AS bytes,
		sum(packets) AS packets, count(*) AS flows, count(*) FILTER (WHERE action = 'REJECT') AS rejected_flows,
		min(start) AS first_seen, max("end") AS last_seen FROM {src} GROUP BY 1, 2)
		SELECT interface_id, sum(bytes) AS bytes, sum(packets) AS packets, sum(flows) AS flows,
		sum(rejected_flows) AS rejected_flows, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
		first(hour ORDER BY bytes DESC, hour) AS peak_hour, max(bytes) AS peak_hour_bytes
		FROM ih GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20`, check{keys: 1, order: 1, limit: reportTop}},
	{"interfaces_by_reject_ratio", `SELECT interface_id, count(*) AS flows,
		count(*) FILTER (WHERE action = 'REJECT') AS rejected_flows FROM {src} GROUP BY 1
		HAVING count(*) FILTER (WHERE action = 'REJECT') > 0
		ORDER BY rejected_flows / flows DESC, rejected_flows DESC, 1 LIMIT 20`, check{keys: 1, order: 3, limit: reportTop}},
	{"sources", `SELECT srcaddr, sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows FROM {src}
		GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20`, check{keys: 1, order: 1, limit: reportTop}},
	{"destinations", `SELECT dstaddr, sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows FROM {src}
		GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20`, check{keys: 1, order: 1, limit: reportTop}},
	{"conversations", `SELECT srcaddr, dstaddr, sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows
		FROM {src} GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 20`, check{keys: 2, order: 2, limit: reportTop}},
	{"hourly", `SELECT start - start % 3600 AS hour, sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows
		FROM {src} WHERE start IS NOT NULL GROUP BY 1 ORDER BY 1`, check{keys: 1, order: -1}},
	{"rejects.top_sources", `SELECT srcaddr, sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows FROM {src}
		WHERE action = 'REJECT' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20`, check{keys: 1, order: 1, limit: reportTop}},
	{"rejects.top_dstports", `SELECT dstport, protocol, sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows
		FROM {src} WHERE action = 'REJECT' GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 20`, check{keys: 2, order: 2, limit: reportTop}},
	{"ports", `SELECT dstport, protocol, sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows FROM {src}
		GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 20`, check{keys: 2, order: 2, limit: reportTop}},
	{"protocols", `SELECT protocol, sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows FROM {src}
		GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20`, check{keys: 1, order: 1, limit: reportTop}},
}

// withSource puts the table expression src in place of {src}.
func withSource(sql, src string) string { return strings.ReplaceAll(sql, "{src}", src) }

// parseCSV reads flowlens sql's CSV answer; hourCol, when not -1, is turned into Unix seconds.
func parseCSV(out []byte, hourCol int) (*table, error) {
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("reading flowlens's CSV: %v", err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("flowlens's CSV has no header")
	}
	t := &table{cols: recs[0], rows: recs[1:]}
	if hourCol >= 0 {
		for _, r := range t.rows {
			if r[hourCol] == "" {
				continue
			}
			tm, err := time.Parse("2006-01-02 15:04:05.000", r[hourCol])
			if err != nil {
				return nil, fmt.Errorf("flowlens's hour %q: %v", r[hourCol], err)
			}
			r[hourCol] = fmt.Sprint(tm.Unix())
		}
	}
	t.normalize()
	return t, nil
}

// duckTable turns one of DuckDB's results into a table.
func duckTable(cols []string, rows [][]json.RawMessage) (*table, error) {
	t := &table{cols: cols}
	for _, r := range rows {
		row := make([]string, len(r))
		for i, v := range r {
			s, err := jsonText(v)
			if err != nil {
				return nil, fmt.Errorf("DuckDB's value %s: %v", v, err)
			}
			row[i] = s
		}
		t.rows = append(t.rows, row)
	}
	t.normalize()
	return t, nil
}

// jsonText is a JSON scalar as text: strings unquoted, numbers as written, null as "".
func jsonText(v json.RawMessage) (string, error) {
	var x any
	d := json.NewDecoder(bytes.NewReader(v))
	d.UseNumber()
	if err := d.Decode(&x); err != nil {
		return "", err
	}
	switch x := x.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return fmt.Sprint(x), nil
	}
	return "", fmt.Errorf("not a scalar")
}

// normalize writes addresses (columns named …addr) in their canonical form.
func (t *table) normalize() {
	for c, name := range t.cols {
		if !strings.HasSuffix(name, "addr") {
			continue
		}
		for _, r := range t.rows {
			if a, err := netip.ParseAddr(r[c]); err == nil {
				r[c] = a.Unmap().String()
			}
		}
	}
}

// compare checks that flowlens's answer fl and DuckDB's dk agree: the same number of rows, the same
// ordering values in the same order and the same rows, except that rows tied on the last value of a
// top-N list may be different ones (the engines break ties by key in different orders); such rows
// are compared where both lists hold their key.
func compare(what string, fl, dk *table, c check) error {
	mismatch := func(format string, a ...any) error {
		return fmt.Errorf("%s: flowlens and DuckDB disagree: %s\nflowlens:\n%s\nDuckDB:\n%s", what, fmt.Sprintf(format, a...), fl, dk)
	}
	if len(fl.rows) == 0 {
		return mismatch("no rows")
	}
	if len(fl.rows) != len(dk.rows) {
		return mismatch("%d rows against %d", len(fl.rows), len(dk.rows))
	}
	for i := range fl.rows {
		if len(fl.rows[i]) != len(dk.rows[i]) {
			return mismatch("%d columns against %d", len(fl.rows[i]), len(dk.rows[i]))
		}
	}
	if c.order < 0 {
		for i := range fl.rows {
			if !equalRows(fl.rows[i], dk.rows[i]) {
				return mismatch("row %d", i+1)
			}
		}
		return nil
	}
	for i := range fl.rows {
		if fl.rows[i][c.order] != dk.rows[i][c.order] {
			return mismatch("row %d: %s %s against %s", i+1, fl.cols[c.order], fl.rows[i][c.order], dk.rows[i][c.order])
		}
	}
	boundary, tied := "", false
	if c.limit > 0 && len(fl.rows) == c.limit {
		boundary, tied = fl.rows[len(fl.rows)-1][c.order], true
	}
	var a, b []string
	dkKeys := map[string][]string{}
	for _, r := range dk.rows {
		if tied && r[c.order] == boundary {
			dkKeys[strings.Join(r[:c.keys], "\x00")] = r
			continue
		}
		b = append(b, strings.Join(r, "\x00"))
	}
	for _, r := range fl.rows {
		if tied && r[c.order] == boundary {
			if o, ok := dkKeys[strings.Join(r[:c.keys], "\x00")]; ok && !equalRows(r, o) {
				return mismatch("key %v", r[:c.keys])
			}
			continue
		}
		a = append(a, strings.Join(r, "\x00"))
	}
	sort.Strings(a)
	sort.Strings(b)
	for i := range a {
		if a[i] != b[i] {
			return mismatch("rows %q and %q", strings.ReplaceAll(a[i], "\x00", ","), strings.ReplaceAll(b[i], "\x00", ","))
		}
	}
	return nil
}

func equalRows(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// String prints the table as CSV-like lines (for error messages).
func (t *table) String() string {
	var sb strings.Builder
	sb.WriteString("  " + strings.Join(t.cols, ",") + "\n")
	for i, r := range t.rows {
		if i == 25 {
			fmt.Fprintf(&sb, "  … %d more\n", len(t.rows)-i)
			break
		}
		sb.WriteString("  " + strings.Join(r, ",") + "\n")
	}
	return sb.String()
}

// reportDoc is the part of flowlens's JSON report that is compared.
type reportDoc struct {
	Input struct {
		Lines      int64   `json:"lines"`
		Headers    int64   `json:"headers"`
		Records    int64   `json:"records"`
		FirstStart *string `json:"first_start"`
		LastEnd    *string `json:"last_end"`
	} `json:"input"`
	Totals struct {
		Bytes         int64 `json:"bytes"`
		Packets       int64 `json:"packets"`
		Flows         int64 `json:"flows"`
		RejectedFlows int64 `json:"rejected_flows"`
	} `json:"totals"`
	Interfaces []struct {
		InterfaceID   *string `json:"interface_id"`
		Bytes         int64   `json:"bytes"`
		Packets       int64   `json:"packets"`
		Flows         int64   `json:"flows"`
		RejectedFlows int64   `json:"rejected_flows"`
		FirstSeen     *string `json:"first_seen"`
		LastSeen      *string `json:"last_seen"`
		PeakHour      *string `json:"peak_hour"`
		PeakHourBytes int64   `json:"peak_hour_bytes"`
	} `json:"interfaces"`
	Sources       []addrDoc `json:"sources"`
	Destinations  []addrDoc `json:"destinations"`
	Conversations []addrDoc `json:"conversations"`
	Hourly        []struct {
		Hour    string `json:"hour"`
		Bytes   int64  `json:"bytes"`
		Packets int64  `json:"packets"`
		Flows   int64  `json:"flows"`
	} `json:"hourly"`
	Rejects struct {
		Flows                   int64     `json:"flows"`
		Packets                 int64     `json:"packets"`
		Bytes                   int64     `json:"bytes"`
		TopSources              []addrDoc `json:"top_sources"`
		TopDstPorts             []portDoc `json:"top_dstports"`
		InterfacesByRejectRatio []struct {
			InterfaceID   *string `json:"interface_id"`
			Flows         int64   `json:"flows"`
			RejectedFlows int64   `json:"rejected_flows"`
		} `json:"interfaces_by_reject_ratio"`
	} `json:"rejects"`
	Ports     []portDoc `json:"ports"`
	Protocols []struct {
		Protocol *int64 `json:"protocol"`
		Bytes    int64  `json:"bytes"`
		Packets  int64  `json:"packets"`
		Flows    int64  `json:"flows"`
	} `json:"protocols"`
}

type addrDoc struct {
	SrcAddr *string `json:"srcaddr"`
	DstAddr *string `json:"dstaddr"`
	Bytes   int64   `json:"bytes"`
	Packets int64   `json:"packets"`
	Flows   int64   `json:"flows"`
}

type portDoc struct {
	DstPort  *int64 `json:"dstport"`
	Protocol *int64 `json:"protocol"`
	Bytes    int64  `json:"bytes"`
	Packets  int64  `json:"packets"`
	Flows    int64  `json:"flows"`
}

// reportTables turns flowlens's JSON report into tables shaped as the DuckDB statements' results,
// by section name. Times become Unix seconds.
func reportTables(out []byte) (map[string]*table, *reportDoc, error) {
	var d reportDoc
	if err := json.Unmarshal(out, &d); err != nil {
		return nil, nil, fmt.Errorf("reading flowlens's JSON report: %v", err)
	}
	var terr error
	unix := func(s *string) string {
		if s == nil {
			return ""
		}
		tm, err := time.Parse(time.RFC3339, *s)
		if err != nil && terr == nil {
			terr = fmt.Errorf("a time of flowlens's report, %q: %v", *s, err)
		}
		return fmt.Sprint(tm.Unix())
	}
	str := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	num := func(p *int64) string {
		if p == nil {
			return ""
		}
		return fmt.Sprint(*p)
	}
	n := fmt.Sprint
	ts := map[string]*table{}
	add := func(name string, cols ...string) *table {
		t := &table{cols: cols}
		ts[name] = t
		return t
	}
	t := add("totals", "bytes", "packets", "flows", "rejected_flows", "rejected_packets", "rejected_bytes", "first_start", "last_end")
	t.rows = [][]string{{n(d.Totals.Bytes), n(d.Totals.Packets), n(d.Totals.Flows), n(d.Totals.RejectedFlows),
		n(d.Rejects.Packets), n(d.Rejects.Bytes), unix(d.Input.FirstStart), unix(d.Input.LastEnd)}}
	t = add("interfaces", "interface_id", "bytes", "packets", "flows", "rejected_flows", "first_seen", "last_seen", "peak_hour", "peak_hour_bytes")
	for _, x := range d.Interfaces {
		t.rows = append(t.rows, []string{str(x.InterfaceID), n(x.Bytes), n(x.Packets), n(x.Flows), n(x.RejectedFlows),
			unix(x.FirstSeen), unix(x.LastSeen), unix(x.PeakHour), n(x.PeakHourBytes)})
	}
	t = add("interfaces_by_reject_ratio", "interface_id", "flows", "rejected_flows", "ratio")
	for _, x := range d.Rejects.InterfacesByRejectRatio {
		t.rows = append(t.rows, []string{str(x.InterfaceID), n(x.Flows), n(x.RejectedFlows), ratio(x.RejectedFlows, x.Flows)})
	}
	addrs := func(name, col string, docs []addrDoc) {
		t := add(name, col, "bytes", "packets", "flows")
		for _, x := range docs {
			a := x.SrcAddr
			if col == "dstaddr" {
				a = x.DstAddr
			}
			t.rows = append(t.rows, []string{str(a), n(x.Bytes), n(x.Packets), n(x.Flows)})
		}
	}
	addrs("sources", "srcaddr", d.Sources)
	addrs("destinations", "dstaddr", d.Destinations)
	addrs("rejects.top_sources", "srcaddr", d.Rejects.TopSources)
	t = add("conversations", "srcaddr", "dstaddr", "bytes", "packets", "flows")
	for _, x := range d.Conversations {
		t.rows = append(t.rows, []string{str(x.SrcAddr), str(x.DstAddr), n(x.Bytes), n(x.Packets), n(x.Flows)})
	}
	t = add("hourly", "hour", "bytes", "packets", "flows")
	for _, x := range d.Hourly {
		h := x.Hour
		t.rows = append(t.rows, []string{unix(&h), n(x.Bytes), n(x.Packets), n(x.Flows)})
	}
	ports := func(name string, docs []portDoc) {
		t := add(name, "dstport", "protocol", "bytes", "packets", "flows")
		for _, x := range docs {
			t.rows = append(t.rows, []string{num(x.DstPort), num(x.Protocol), n(x.Bytes), n(x.Packets), n(x.Flows)})
		}
	}
	ports("rejects.top_dstports", d.Rejects.TopDstPorts)
	ports("ports", d.Ports)
	t = add("protocols", "protocol", "bytes", "packets", "flows")
	for _, x := range d.Protocols {
		t.rows = append(t.rows, []string{num(x.Protocol), n(x.Bytes), n(x.Packets), n(x.Flows)})
	}
	for _, t := range ts {
		t.normalize()
	}
	return ts, &d, terr
}

// ratio is rejected/flows as a reduced fraction, so that equal ratios are equal text.
func ratio(rejected, flows int64) string {
	if flows == 0 {
		return ""
	}
	return new(big.Rat).SetFrac64(rejected, flows).RatString()
}

// withRatio adds the reduced fraction of rejected_flows (column 2) over flows (column 1) to the
// reject-ratio rows of DuckDB.
func withRatio(t *table) error {
	t.cols = append(t.cols, "ratio")
	for i, r := range t.rows {
		var f, rj int64
		if _, err := fmt.Sscan(r[1], &f); err != nil {
			return fmt.Errorf("DuckDB's flows %q: %v", r[1], err)
		}
		if _, err := fmt.Sscan(r[2], &rj); err != nil {
			return fmt.Errorf("DuckDB's rejected_flows %q: %v", r[2], err)
		}
		t.rows[i] = append(r, ratio(rj, f))
	}
	return nil
}
