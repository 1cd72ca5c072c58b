package flowlog_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/output"
)

// awsParquetRow is a row as AWS or another writer may lay it out: dictionary-encoded strings and
// ints, nulls, ints for a string field, a float and a boolean where flow logs have neither.
type awsParquetRow struct {
	Version   int32    `parquet:"version"`
	AccountID *int64   `parquet:"account_id,optional"`
	Interface string   `parquet:"interface_id,dict"`
	SrcAddr   string   `parquet:"srcaddr,dict"`
	DstAddr   *string  `parquet:"dstaddr,optional"`
	SrcPort   *int32   `parquet:"srcport,optional"`
	DstPort   *int32   `parquet:"dstport,optional,dict"`
	Protocol  string   `parquet:"protocol"`
	Packets   *int64   `parquet:"packets,optional"`
	Bytes     *float64 `parquet:"bytes,optional"`
	Start     int64    `parquet:"start"`
	End       *int64   `parquet:"end,optional,dict"`
	Action    *string  `parquet:"action,optional,dict"`
	LogStatus string   `parquet:"log_status,dict"`
	Unknown   *string  `parquet:"some_future_field,optional"`
	VPC       *bool    `parquet:"vpc_id,optional"`
}

// awsParquetFile returns rows as Parquet (row groups of 4000 rows, small pages) and as the text
// of the same records under a header. Values that do not fit their field appear from row 9001 on.
func awsParquetFile(t *testing.T, n int) (pq []byte, text string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	i32 := func(v int32) *int32 { return &v }
	i64 := func(v int64) *int64 { return &v }
	str := func(v string) *string { return &v }
	var rows []awsParquetRow
	var tb strings.Builder
	tb.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id\n")
	for i := range n {
		bad := func() bool { return i >= 9000 && rng.IntN(300) == 0 }
		r := awsParquetRow{Version: 2, Interface: fmt.Sprintf("eni-%d", rng.IntN(50)), SrcAddr: pick("10.0.0.1", "10.0.0.2", "2001:db8::1", "-"),
			Protocol: pick("6", "17", "-"), Start: 1_700_000_000 + int64(i), LogStatus: pick("OK", "OK", "OK", "NODATA", "SKIPDATA")}
		if bad() {
			r.SrcAddr = "bad"
		}
		if bad() {
			r.Protocol = pick("300", "x")
		}
		if rng.IntN(10) > 0 {
			r.AccountID = i64(int64(123456789000 + rng.IntN(3)))
		}
		if rng.IntN(5) > 0 {
			s := fmt.Sprintf("172.16.%d.%d", rng.IntN(3), rng.IntN(256))
			if bad() {
				s = "1.2.3"
			}
			r.DstAddr = str(s)
		}
		if rng.IntN(7) > 0 {
			r.SrcPort = i32(int32(rng.IntN(60000)))
			if bad() {
				r.SrcPort = i32([]int32{-5, 70000}[rng.IntN(2)])
			}
		}
		if rng.IntN(7) > 0 {
			r.DstPort = i32([]int32{443, 80, 22}[rng.IntN(3)])
			if bad() {
				r.DstPort = i32(70000)
			}
		}
		if rng.IntN(3) > 0 {
			r.Packets = i64(int64(rng.IntN(1000)))
			if bad() {
				r.Packets = i64(-2)
			}
		}
		if bad() {
			v := 1.5
			r.Bytes = &v
		}
		if rng.IntN(4) == 0 {
			r.Start *= 1000
		}
		if rng.IntN(6) > 0 {
			r.End = i64(r.Start + 60)
			if rng.IntN(2) == 0 {
				r.End = i64(1_700_000_000_000 + int64(rng.IntN(5)))
			}
		}
		if rng.IntN(8) > 0 {
			r.Action = str(pick("ACCEPT", "REJECT", "-"))
		}
		if rng.IntN(100) == 0 {
			b := true
			r.VPC = &b
		}
		rows = append(rows, r)
		or := func(p *string) string {
			if p == nil {
				return "-"
			}
			return *p
		}
		num := func(p any) string {
			switch v := p.(type) {
			case *int32:
				if v != nil {
					return strconv.Itoa(int(*v))
				}
			case *int64:
				if v != nil {
					return strconv.FormatInt(*v, 10)
				}
			case *float64:
				if v != nil {
					return strconv.FormatFloat(*v, 'g', -1, 64)
				}
			case *bool:
				if v != nil {
					return strconv.FormatBool(*v)
				}
			}
			return "-"
		}
		fmt.Fprintln(&tb, r.Version, num(r.AccountID), r.Interface, r.SrcAddr, or(r.DstAddr), num(r.SrcPort), num(r.DstPort), r.Protocol,
			num(r.Packets), num(r.Bytes), r.Start, num(r.End), or(r.Action), r.LogStatus, num(r.VPC))
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[awsParquetRow](&buf, parquet.MaxRowsPerRowGroup(4000), parquet.PageBufferSize(2000))
	if _, err := w.Write(rows); err != nil || w.Close() != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), tb.String()
}

// decodeRows decodes with f into JSON Lines with sorted keys, checking for leaks.
func decodeRows(t *testing.T, f func(flowlog.Options, flowlog.Emit) (*flowlog.Stats, error), opts flowlog.Options) ([]string, *flowlog.Stats, error) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	opts.Alloc = mem
	var out bytes.Buffer
	rw, _ := output.NewRowWriter(&out, output.JSONL)
	st, err := f(opts, rw.Write)
	rw.Flush()
	var rows []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if l != "" {
			rows = append(rows, sortedJSON(t, l))
		}
	}
	return rows, st, err
}

// TestParquetColumnarAsText: a Parquet file with dictionaries, nulls, "-", values that do not fit,
// millisecond times, several row groups and many pages decodes as the same records as text, with
// the same accounting and the same malformed rows (Parquet row n is text line n+1, after the
// header), whatever the workers and the batch size.
func TestParquetColumnarAsText(t *testing.T) {
	pq, text := awsParquetFile(t, 30_000)
	fromText := func(opts flowlog.Options, emit flowlog.Emit) (*flowlog.Stats, error) {
		return flowlog.DecodeStream(context.Background(), strings.NewReader(text), "t.log", opts, emit)
	}
	fromParquet := func(opts flowlog.Options, emit flowlog.Emit) (*flowlog.Stats, error) {
		return flowlog.DecodeParquet(context.Background(), bytes.NewReader(pq), int64(len(pq)), "t.log", opts, emit)
	}
	// By parts: the row groups decoded last to first, each into batches of its own, then emitted in
	// file order up to the first fault, as a run that aggregates sees them.
	fromParts := func(opts flowlog.Options, emit flowlog.Emit) (*flowlog.Stats, error) {
		po, st, err := flowlog.OpenParquet(bytes.NewReader(pq), int64(len(pq)), "t.log", opts)
		if err != nil {
			return st, err
		}
		defer po.Close()
		n := po.Parts()
		batches := make([][]arrow.RecordBatch, n)
		stats := make([]*flowlog.Stats, n)
		errs := make([]error, n)
		for i := n - 1; i >= 0; i-- {
			stats[i], errs[i] = po.DecodePart(context.Background(), i, func(b arrow.RecordBatch) error {
				b.Retain()
				batches[i] = append(batches[i], b)
				return nil
			})
		}
		var first error
		for i := range n {
			for _, b := range batches[i] {
				if first == nil {
					if err := emit(b); err != nil {
						t.Fatal(err)
					}
				}
				b.Release()
			}
			if first != nil {
				stats[i] = nil
			}
			first = cmp.Or(first, errs[i])
		}
		return po.Result(stats, first)
	}
	for _, need := range [][]flowlog.FieldID{nil, append([]flowlog.FieldID{flowlog.FSrcPort}, reportNeed...)} {
		for _, strict := range []bool{false, true} {
			want, wst, werr := decodeRows(t, fromText, flowlog.Options{Need: need, Strict: strict})
			if wst.Malformed == 0 || wst.MillisTimes == 0 || wst.NoData == 0 {
				t.Fatalf("the text does not exercise the reader: %+v", wst)
			}
			// Workers 2: by parts (fromParts).
			for _, opts := range []flowlog.Options{{}, {Workers: 3}, {BatchRows: 3000}, {BatchRows: 3000, Workers: 2}, {Workers: 2}} {
				opts.Need, opts.Strict = need, strict
				from := fromParquet
				if opts.Workers == 2 {
					from = fromParts
				}
				got, gst, gerr := decodeRows(t, from, opts)
				if len(got) != len(want) {
					t.Fatalf("%+v: %d rows, want %d", opts, len(got), len(want))
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%+v: row %d:\n got  %s\n want %s", opts, i, got[i], want[i])
					}
				}
				if gst.Records != wst.Records || gst.NoData != wst.NoData || gst.SkipData != wst.SkipData || gst.Malformed != wst.Malformed ||
					gst.MillisTimes != wst.MillisTimes || gst.Lines+1 != wst.Lines || !gst.Balanced() {
					t.Errorf("%+v: stats %+v, text %+v", opts, gst, wst)
				}
				if len(gst.FirstMalformed) != len(wst.FirstMalformed) {
					t.Fatalf("%+v: %d malformed kept, want %d", opts, len(gst.FirstMalformed), len(wst.FirstMalformed))
				}
				for i, g := range gst.FirstMalformed {
					w := wst.FirstMalformed[i]
					if g.Line+1 != w.Line || g.Field != w.Field || g.Value != w.Value || g.Reason != w.Reason || g.Text != "parquet row "+strconv.FormatInt(g.Line, 10) {
						t.Errorf("%+v: malformed %+v, want %+v", opts, g, w)
					}
				}
				var gpe, wpe *flowlog.ParseError
				if errors.As(gerr, &gpe) != errors.As(werr, &wpe) || (gpe != nil && (gpe.Line+1 != wpe.Line || gpe.Field != wpe.Field)) || (gpe == nil && gerr != nil) {
					t.Errorf("%+v: error %v, want %v", opts, gerr, werr)
				}
			}
		}
	}
}

// TestParquetNeed: with Need, only the needed columns are read; the batches hold those of them the
// file has, in file order, and rows still count in the accounting when none is there.
func TestParquetNeed(t *testing.T) {
	pq, _ := awsParquetFile(t, 5000)
	dec := func(opts flowlog.Options) ([]arrow.RecordBatch, *flowlog.Stats) {
		var recs []arrow.RecordBatch
		st, err := flowlog.DecodeParquet(context.Background(), bytes.NewReader(pq), int64(len(pq)), "t", opts, func(r arrow.RecordBatch) error {
			r.Retain()
			recs = append(recs, r)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			for _, r := range recs {
				r.Release()
			}
		})
		return recs, st
	}
	instanceID, _ := flowlog.LookupField("instance-id")
	all, ast := dec(flowlog.Options{})
	recs, st := dec(flowlog.Options{Need: []flowlog.FieldID{flowlog.FEnd, flowlog.FSrcAddr, instanceID}, Workers: 2})
	if got := recs[0].Schema().String(); !strings.Contains(got, "srcaddr") || strings.Index(got, "srcaddr") > strings.Index(got, "end") ||
		!strings.Contains(got, "log_status") || recs[0].Schema().NumFields() != 3 {
		t.Errorf("schema %s", got)
	}
	if st.Records != ast.Records || st.NoData != ast.NoData || st.Lines != ast.Lines || all[0].NumRows() == 0 {
		t.Errorf("stats %+v, all columns %+v", st, ast)
	}
	// Nothing needed in the file: rows without columns, every row counted.
	var rows int64
	none, err := flowlog.DecodeParquet(context.Background(), bytes.NewReader(pq), int64(len(pq)), "t", flowlog.Options{Need: []flowlog.FieldID{instanceID}}, func(r arrow.RecordBatch) error {
		rows += r.NumRows()
		if r.NumCols() != 1 { // log-status
			t.Errorf("schema %s", r.Schema())
		}
		return nil
	})
	if err != nil || rows != none.Records+none.NoData+none.SkipData || none.Lines != 5000 {
		t.Errorf("%v: %d rows, %+v", err, rows, none)
	}
}

// TestParquetParallelStops: an emit error or a cancellation stops a parallel decode without leaking
// batches; a damaged column chunk is an object error, not a crash.
func TestParquetParallelStops(t *testing.T) {
	pq, _ := awsParquetFile(t, 30_000)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	stop := errors.New("stop")
	n := 0
	_, err := flowlog.DecodeParquet(context.Background(), bytes.NewReader(pq), int64(len(pq)), "t", flowlog.Options{Alloc: mem, Workers: 3, BatchRows: 1000}, func(arrow.RecordBatch) error {
		if n++; n == 5 {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Errorf("emit error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, err = flowlog.DecodeParquet(ctx, bytes.NewReader(pq), int64(len(pq)), "t", flowlog.Options{Alloc: mem, Workers: 3, BatchRows: 1000}, func(arrow.RecordBatch) error {
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	// Damage the middle of the file, where column chunks are.
	for _, at := range []int{len(pq) / 3, len(pq) / 2} {
		bad := bytes.Clone(pq)
		for i := at; i < at+64; i++ {
			bad[i] ^= 0x5a
		}
		for _, w := range []int{1, 3} {
			st, err := flowlog.DecodeParquet(context.Background(), bytes.NewReader(bad), int64(len(bad)), "t", flowlog.Options{Alloc: mem, Workers: w}, func(arrow.RecordBatch) error { return nil })
			var se *flowlog.StreamError
			t.Logf("damaged at %d, %d workers: %v", at, w, err)
			if err != nil && (!errors.As(err, &se) || st.ObjectsFailed != 1 || !strings.Contains(err.Error(), "row group")) {
				t.Errorf("damaged at %d, %d workers: %v (%+v)", at, w, err, st)
			}
		}
	}
}
