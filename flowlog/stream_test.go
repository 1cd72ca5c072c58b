package flowlog_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/klauspost/compress/gzip"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
)

// generated returns the plain text of generated objects, concatenated (each begins with its header).
func generated(t testing.TB, records int64, objects int, fields *flowlog.Layout) []byte {
	t.Helper()
	dir := t.TempDir()
	m, err := synth.Generate(synth.Config{Dir: dir, Seed: 7, Records: records, Objects: objects, Fields: fields,
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, NATInstanceCopies: true})
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, o := range m.Objects {
		b, err := os.ReadFile(filepath.Join(dir, o))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// mixed is an input that changes layout mid-stream, repeats headers, and holds junk.
func mixed(t testing.TB) []byte {
	var b bytes.Buffer
	b.Write(generated(t, 20000, 2, flowlog.DefaultLayout))
	b.WriteString("junk that is not a record\n\n")
	b.Write(generated(t, 20000, 3, flowlog.V5Layout))
	b.WriteString("{\"message\":\"2 1 eni-1 10.0.0.1 10.0.0.2 1 443 6 2 100 1600000000 1600000060 ACCEPT OK\"}\r\n")
	b.Write(generated(t, 5000, 1, flowlog.DefaultLayout))
	return b.Bytes()
}

func decodeReader(t testing.TB, in []byte, opts flowlog.Options) (string, *flowlog.Stats, error) {
	t.Helper()
	return decodeNamed(t, "obj", in, opts)
}

func sameStats(t *testing.T, what string, a, b *flowlog.Stats) {
	t.Helper()
	a2, b2 := *a, *b
	a2.FirstMalformed, b2.FirstMalformed = nil, nil
	a2.BytesRead, b2.BytesRead = 0, 0
	if !reflect.DeepEqual(a2, b2) {
		t.Fatalf("%s: stats differ:\n%+v\n%+v", what, a2, b2)
	}
	if len(a.FirstMalformed) != len(b.FirstMalformed) {
		t.Fatalf("%s: kept malformed differ", what)
	}
	for i := range a.FirstMalformed {
		if *a.FirstMalformed[i] != *b.FirstMalformed[i] {
			t.Fatalf("%s: malformed %d: %v vs %v", what, i, a.FirstMalformed[i], b.FirstMalformed[i])
		}
	}
}

// TestParallelEqualsSequential: workers and block sizes never change what is decoded, even when the
// layout changes inside a stream and blocks are far smaller than a batch.
func TestParallelEqualsSequential(t *testing.T) {
	in := mixed(t)
	// One row per batch: no batch ever grows, the simplest path is the reference.
	want, wst, err := decodeReader(t, in, flowlog.Options{Workers: 1, BatchRows: 1})
	if err != nil {
		t.Fatal(err)
	}
	if wst.Malformed != 2 || wst.Headers != 6 || wst.Records < 40000 {
		t.Fatalf("unexpected accounting %+v", wst)
	}
	for _, o := range []flowlog.Options{
		{Workers: 1},
		{Workers: 2},
		{Workers: 3, BlockSize: 4096},
		{Workers: 4, BlockSize: 64 << 10, BatchRows: 1000},
		{Workers: 1, BlockSize: 100, BatchRows: 7},
	} {
		got, st, err := decodeReader(t, in, o)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("workers=%d block=%d: output differs", o.Workers, o.BlockSize)
		}
		sameStats(t, "parallel", wst, st)
	}
}

func gzipMembers(t testing.TB, in []byte, members int) []byte {
	var b bytes.Buffer
	step := len(in)/members + 1
	for i := 0; i < len(in); i += step {
		zw, _ := gzip.NewWriterLevel(&b, 6)
		zw.Write(in[i:min(i+step, len(in))])
		zw.Close()
	}
	return b.Bytes()
}

func TestGzipMultiMember(t *testing.T) {
	in := mixed(t)
	want, wst, _ := decodeReader(t, in, flowlog.Options{Workers: 1})
	for _, w := range []int{1, 2} {
		got, st, err := decodeReader(t, gzipMembers(t, in, 3), flowlog.Options{Workers: w, BlockSize: 32 << 10})
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatal("gzip output differs from plain")
		}
		if st.BytesRead >= st.BytesText || st.BytesText != int64(len(in)) {
			t.Fatalf("bytes read %d, text %d, input %d", st.BytesRead, st.BytesText, len(in))
		}
		sameStats(t, "gzip", wst, st)
	}
}

// TestTruncatedGzip: a cut stream is an error naming the object and the records read before the
// fault; those records are emitted once, in order, and the partial last line is counted as malformed.
func TestTruncatedGzip(t *testing.T) {
	in := generated(t, 30000, 1, flowlog.DefaultLayout)
	full, _, _ := decodeReader(t, in, flowlog.Options{})
	z := gzipMembers(t, in, 1)
	for _, w := range []int{1, 2} {
		for _, cut := range []int{len(z) / 3, len(z) - 5} {
			got, st, err := decodeReader(t, z[:cut], flowlog.Options{Workers: w, BlockSize: 64 << 10})
			var se *flowlog.StreamError
			if !errors.As(err, &se) {
				t.Fatalf("cut at %d: error %v, want a StreamError", cut, err)
			}
			if se.Object != "obj" || se.RecordsRead != st.Records || st.ObjectsFailed != 1 {
				t.Fatalf("cut at %d: %+v %+v", cut, se, st)
			}
			if !strings.Contains(err.Error(), "cannot read obj after ") {
				t.Fatalf("message %q", err)
			}
			if !strings.HasPrefix(full, got) || int64(strings.Count(got, "\n")) != st.Records+st.NoData+st.SkipData {
				t.Fatalf("cut at %d: emitted records are not a prefix of the full decode", cut)
			}
			if st.Records == 0 && cut > len(z)/2 {
				t.Fatalf("cut at %d: no records before the fault", cut)
			}
		}
	}
}

func TestCorruptGzip(t *testing.T) {
	in := generated(t, 30000, 1, flowlog.DefaultLayout)
	z := gzipMembers(t, in, 1)
	bad := append([]byte(nil), z...)
	for i := len(bad) / 2; i < len(bad)/2+64; i++ {
		bad[i] ^= 0x5a
	}
	for _, w := range []int{1, 2} {
		_, st, err := decodeReader(t, bad, flowlog.Options{Workers: w})
		var se *flowlog.StreamError
		if !errors.As(err, &se) || st.ObjectsFailed != 1 {
			t.Fatalf("corrupt stream: err %v", err)
		}
	}
	// A bad trailer (CRC) is caught too.
	bad = append([]byte(nil), z...)
	bad[len(bad)-6] ^= 1
	if _, _, err := decodeReader(t, bad, flowlog.Options{}); err == nil {
		t.Fatal("checksum error not reported")
	}
}

func TestEmitErrorStops(t *testing.T) {
	in := generated(t, 50000, 2, flowlog.DefaultLayout)
	stop := errors.New("enough")
	for _, w := range []int{1, 3} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		n := 0
		_, err := flowlog.DecodeStream(context.Background(), bytes.NewReader(in), "obj",
			flowlog.Options{Workers: w, BlockSize: 16 << 10, BatchRows: 1000, Alloc: mem}, func(r arrow.RecordBatch) error {
				n++
				if n == 3 {
					return stop
				}
				return nil
			})
		if !errors.Is(err, stop) || n != 3 {
			t.Fatalf("workers %d: err %v after %d batches", w, err, n)
		}
		mem.AssertSize(t, 0)
	}
}

func TestDecodeSources(t *testing.T) {
	dir := t.TempDir()
	m, err := synth.Generate(synth.Config{Dir: dir, Seed: 3, Records: 5000, Objects: 3, Layout: "aws", Gzip: true,
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1})
	if err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.log.gz")
	os.WriteFile(broken, []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 2, 3}, 0o644)
	srcs, err := flowlog.ExpandLocal([]string{dir, filepath.Join(dir, "missing.log")})
	if err == nil {
		t.Fatal("a missing file is not an error")
	}
	srcs, err = flowlog.ExpandLocal([]string{dir})
	if err != nil || len(srcs) != 4 {
		t.Fatalf("%v %d sources", err, len(srcs))
	}
	st, failed, err := flowlog.DecodeSources(context.Background(), srcs, flowlog.Options{Workers: 2}, func(arrow.RecordBatch) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 1 || failed[0].Object != broken || st.ObjectsFailed != 1 || st.Objects != 4 {
		t.Fatalf("failed %v, stats %+v", failed, st)
	}
	if st.Records != m.Records || st.NoData != m.NoData || st.SkipData != m.SkipData || st.Headers != m.Headers {
		t.Fatalf("stats %+v, manifest %+v", st, m)
	}
}

// TestExpandLocalSymlink: a directory given as a symbolic link is walked, and its files are named
// under the link as given.
func TestExpandLocalSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real", "AWSLogs")
	os.MkdirAll(real, 0o755)
	os.WriteFile(filepath.Join(real, "a.log.gz"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(real, "b.txt"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(real, "c.json"), []byte("x"), 0o644)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "real"), link); err != nil {
		t.Skip(err)
	}
	srcs, err := flowlog.ExpandLocal([]string{link})
	if err != nil || len(srcs) != 2 || srcs[0].Name != filepath.Join(link, "AWSLogs", "a.log.gz") || srcs[1].Name != filepath.Join(link, "AWSLogs", "b.txt") {
		t.Fatalf("%v %+v", err, srcs)
	}
}
