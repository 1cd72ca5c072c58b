package report

import (
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/output"
)

// inputSection accounts for what was read: objects, lines by kind, malformed lines, failed objects,
// and the parts of the report that the input's fields cannot give.
var inputSection = section{
	name:  "input",
	build: buildInput,
	text:  textInput,
	csv: func(r *Report) []output.CSVTable {
		return []output.CSVTable{{Name: "input", Rows: []InputDoc{r.Input}}, {Name: "failed_objects", Rows: r.Input.FailedObjects}}
	},
}

// InputDoc is the accounting of what was read.
type InputDoc struct {
	Objects           int64                 `json:"objects"`
	ObjectsFailed     int64                 `json:"objects_failed"`
	ObjectsSkipped    int                   `json:"objects_skipped"`
	RowsSkipped       int64                 `json:"rows_skipped"`
	BytesRead         int64                 `json:"bytes_read"`
	BytesText         int64                 `json:"bytes_text"`
	Lines             int64                 `json:"lines"`
	Records           int64                 `json:"records"`
	NoData            int64                 `json:"nodata"`
	SkipData          int64                 `json:"skipdata"`
	Headers           int64                 `json:"headers"`
	Blank             int64                 `json:"blank"`
	Malformed         int64                 `json:"malformed"`
	MillisTimes       int64                 `json:"millis_times"`
	MicrosTimes       int64                 `json:"micros_times"`
	NanosTimes        int64                 `json:"nanos_times"`
	RowsFromBadMember int64                 `json:"rows_from_bad_member"` // rows of a gzip member whose CRC failed (kept)
	RecordsInRange    int64                 `json:"records_in_range"`
	RecordsOutOfRange int64                 `json:"records_out_of_range"`
	FirstStart        *string               `json:"first_start"` // set by the totals section
	LastEnd           *string               `json:"last_end"`
	MalformedLines    []*flowlog.ParseError `json:"malformed_lines"`
	FailedObjects     []FailedDoc           `json:"failed_objects"`
}

// FailedDoc is an object that could not be read fully.
type FailedDoc struct {
	Object string `json:"object"`
	Error  string `json:"error"`
}

func buildInput(b *builder) error {
	st, res, r := b.in.Stats, b.res, b.r
	r.Input = InputDoc{
		Objects: st.Objects, ObjectsFailed: st.ObjectsFailed, ObjectsSkipped: b.in.Skipped, RowsSkipped: st.RowsSkipped,
		BytesRead: st.BytesRead, BytesText: st.BytesText, Lines: st.Lines, Records: st.Records,
		NoData: st.NoData, SkipData: st.SkipData, Headers: st.Headers, Blank: st.Blank,
		Malformed: st.Malformed, MillisTimes: st.MillisTimes, MicrosTimes: st.MicrosTimes, NanosTimes: st.NanosTimes,
		RowsFromBadMember: st.RowsFromBadMember,
		RecordsInRange:    res.InRange, RecordsOutOfRange: res.OutOfRange,
		MalformedLines: st.FirstMalformed, FailedObjects: []FailedDoc{},
	}
	if r.Input.MalformedLines == nil {
		r.Input.MalformedLines = []*flowlog.ParseError{}
	}
	for _, f := range b.in.Failed {
		r.Input.FailedObjects = append(r.Input.FailedObjects, FailedDoc{Object: f.Object, Error: f.Err.Error()})
	}
	for _, need := range []struct {
		f    flowlog.FieldID
		what string
	}{
		{flowlog.FInterfaceID, "interfaces"}, {flowlog.FSrcAddr, "sources, conversations"},
		{flowlog.FDstAddr, "destinations, conversations"}, {flowlog.FDstPort, "ports"},
		{flowlog.FAction, "rejects"}, {flowlog.FBytes, "bytes"}, {flowlog.FStart, "hourly"},
	} {
		if res.Rows > 0 && !res.Seen(need.f) {
			r.Unavailable = append(r.Unavailable, need.what+": the input has no "+flowlog.Fields[need.f].Name+" field")
		}
	}
	return nil
}

func textInput(r *Report, t *textOut) {
	in := r.Input
	t.p("\nINPUT\n")
	t.p("  objects %s (%s failed, %s skipped by their key's time), %s read, %s of text\n",
		num(in.Objects), num(in.ObjectsFailed), num(int64(in.ObjectsSkipped)), si(in.BytesRead), si(in.BytesText))
	t.p("  lines %s: records %s, NODATA %s, SKIPDATA %s, headers %s, blank %s, malformed %s\n",
		num(in.Lines), num(in.Records), num(in.NoData), num(in.SkipData), num(in.Headers), num(in.Blank), num(in.Malformed))
	if in.RowsSkipped > 0 {
		t.p("  Parquet rows skipped unread %s (row groups whose start times lie outside the range)\n", num(in.RowsSkipped))
	}
	if in.RecordsOutOfRange > 0 {
		t.p("  records in range %s, outside it %s\n", num(in.RecordsInRange), num(in.RecordsOutOfRange))
	}
	if in.FirstStart != nil {
		t.p("  time span %s to %s\n", *in.FirstStart, orDash(in.LastEnd))
	}
	for _, m := range in.MalformedLines {
		t.p("  malformed: %v\n", m)
	}
	if in.Malformed > int64(len(in.MalformedLines)) {
		t.p("  … and %s more malformed lines\n", num(in.Malformed-int64(len(in.MalformedLines))))
	}
	for _, f := range in.FailedObjects {
		t.p("  FAILED %s: %s\n", f.Object, f.Error)
	}
}
