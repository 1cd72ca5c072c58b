package flowlog_test

import (
	"bytes"
	stdgzip "compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/output"
)

type gzCase struct {
	name  string
	data  []byte
	valid bool // a well-formed stream: the stdlib must agree with it too
}

func gzWith(t testing.TB, text []byte, level int) []byte {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(text)
	zw.Close()
	return b.Bytes()
}

// gzHeaderFields is one member whose header has every optional field, FHCRC included.
func gzHeaderFields(t testing.TB, text []byte, hcrcOK bool) []byte {
	h := []byte{0x1f, 0x8b, 8, 1<<1 | 1<<2 | 1<<3 | 1<<4, 0x40, 0x30, 0x20, 0x10, 0, 3}
	h = append(h, 5, 0, 'a', 'b', 'c', 'd', 'e')
	h = append(h, "flows\xe9.log\x00"...)
	h = append(h, "a comment\x00"...)
	c := crc32.ChecksumIEEE(h)
	if !hcrcOK {
		c++
	}
	h = binary.LittleEndian.AppendUint16(h, uint16(c))
	var body bytes.Buffer
	fw, _ := flate.NewWriter(&body, 6)
	fw.Write(text)
	fw.Close()
	h = append(h, body.Bytes()...)
	h = binary.LittleEndian.AppendUint32(h, crc32.ChecksumIEEE(text))
	return binary.LittleEndian.AppendUint32(h, uint32(len(text)))
}

func gzCorpus(t testing.TB) []gzCase {
	text := generated(t, 20000, 2, flowlog.DefaultLayout)
	one := gzWith(t, text, 6)
	multi := gzipMembers(t, text, 3)
	empty := gzWith(t, nil, 6)
	var std bytes.Buffer
	sw, _ := stdgzip.NewWriterLevel(&std, 9)
	sw.Name = "x.log"
	sw.Write(text)
	sw.Close()
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	cs := []gzCase{
		{"one member", one, true},
		{"stdlib level 9 with name", std.Bytes(), true},
		{"level 1", gzWith(t, text, 1), true},
		{"stored", gzWith(t, text[:300000], 0), true},
		{"huffman only", gzWith(t, text, flate.HuffmanOnly), true},
		{"three members", multi, true},
		{"empty member between", cat(gzWith(t, text[:5000], 6), empty, gzWith(t, text[5000:9000], 6)), true},
		{"only an empty member", empty, true},
		{"two empty members", cat(empty, empty), true},
		{"large", gzWith(t, bytes.Repeat(text, 6), 6), true},
		{"all header fields", gzHeaderFields(t, text[:70000], true), true},
		{"bad header crc", gzHeaderFields(t, text[:70000], false), false},
		{"trailing garbage", cat(one, []byte("this is not gzip at all")), false},
		{"trailing 4 zero bytes", cat(multi, make([]byte, 4)), false},
		{"trailing 10 zero bytes", cat(multi, make([]byte, 10)), false},
		{"trailing 1 KiB of zeros", cat(one, make([]byte, 1024)), false},
		{"trailing magic alone", cat(one, []byte{0x1f, 0x8b}), false},
		{"trailing header alone", cat(one, empty[:10]), false},
		{"header only", empty[:10], false},
		{"magic only", []byte{0x1f, 0x8b}, false},
		{"method 7", cat([]byte{0x1f, 0x8b, 7}, one[3:]), false},
		{"reserved flag", cat([]byte{0x1f, 0x8b, 8, 0x20}, one[4:]), false},
		{"name too long", cat([]byte{0x1f, 0x8b, 8, 1 << 3, 0, 0, 0, 0, 0, 3}, bytes.Repeat([]byte{'n'}, 600), []byte{0}, one[10:]), false},
		{"name unterminated", cat([]byte{0x1f, 0x8b, 8, 1 << 3, 0, 0, 0, 0, 0, 3}, []byte("abc")), false},
		{"extra cut", cat([]byte{0x1f, 0x8b, 8, 1 << 2, 0, 0, 0, 0, 0, 3, 200, 0}, []byte("abc")), false},
	}
	// Cut streams, at the start, all along, and inside the trailers.
	for _, src := range []struct {
		name string
		b    []byte
	}{{"one", one}, {"multi", multi}, {"fields", gzHeaderFields(t, text[:70000], true)}} {
		cuts := map[int]bool{}
		for i := 0; i < 40; i++ {
			cuts[i] = true
			cuts[len(src.b)-1-i] = true
		}
		for i := 1; i < 60; i++ {
			cuts[len(src.b)*i/60] = true
		}
		for c := range cuts {
			cs = append(cs, gzCase{fmt.Sprintf("%s cut at %d", src.name, c), src.b[:c], false})
		}
	}
	// Flipped bytes: every header byte, bytes all along the body, the CRC and ISIZE.
	flip := func(b []byte, at int, x byte) []byte {
		c := append([]byte(nil), b...)
		c[at] ^= x
		return c
	}
	for i := 0; i < 10; i++ {
		cs = append(cs, gzCase{fmt.Sprintf("header byte %d flipped", i), flip(one, i, 0xff), false})
	}
	for i := 1; i < 40; i++ {
		at := 10 + (len(one)-18)*i/40
		cs = append(cs, gzCase{fmt.Sprintf("body byte %d xor 0x5a", at), flip(one, at, 0x5a), false})
		cs = append(cs, gzCase{fmt.Sprintf("body byte %d xor 1", at), flip(one, at, 1), false})
		run := append([]byte(nil), one...)
		for j := at; j < at+64 && j < len(one)-8; j++ {
			run[j] ^= 0xa5
		}
		cs = append(cs, gzCase{fmt.Sprintf("body run at %d", at), run, false})
	}
	// The first block's header and code tables: corrupt deflate data, as opposed to a bad CRC.
	for i := 10; i < 40; i++ {
		cs = append(cs, gzCase{fmt.Sprintf("deflate header byte %d flipped", i), flip(one, i, 0xff), false})
		cs = append(cs, gzCase{fmt.Sprintf("deflate header byte %d xor 0x10", i), flip(one, i, 0x10), false})
	}
	cs = append(cs, gzCase{"block type 3", flip(one, 10, 0x06&^one[10]|0x06&one[10]^0x06), false})
	for i := len(one) - 8; i < len(one); i++ {
		cs = append(cs, gzCase{fmt.Sprintf("trailer byte %d flipped", i-len(one)+8), flip(one, i, 0x10), false})
	}
	first := gzWith(t, text[:len(text)/3+1], 6)
	cs = append(cs, gzCase{"first member's crc flipped", flip(multi, len(first)-7, 1), false})
	return cs
}

func sameErr(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return fmt.Sprintf("%T %v", a, a) == fmt.Sprintf("%T %v", b, b)
}

// TestGunzipBackendCorpus: the backend compiled in reads every stream of the corpus (valid, cut,
// corrupt) to the same bytes and the same error as klauspost/compress/gzip, whatever the read size,
// with one reader reused across streams as DecodeStream's pool does; valid streams also equal the
// standard library's reading.
func TestGunzipBackendCorpus(t *testing.T) {
	t.Logf("gzip backend: %s", flowlog.GzipBackend)
	zr := flowlog.NewGunzipReader()
	kinds := map[string]int{}
	for _, c := range gzCorpus(t) {
		want, werr := flowlog.KlauspostGunzip(c.data)
		kinds[fmt.Sprintf("%T %v", werr, werr)]++
		if c.valid {
			if werr != nil {
				t.Fatalf("%s: klauspost: %v", c.name, werr)
			}
			sr, err := stdgzip.NewReader(bytes.NewReader(c.data))
			if err != nil {
				t.Fatalf("%s: stdlib: %v", c.name, err)
			}
			std, err := io.ReadAll(sr)
			if err != nil || !bytes.Equal(std, want) {
				t.Fatalf("%s: stdlib reads %d bytes (%v), klauspost %d", c.name, len(std), err, len(want))
			}
		}
		sizes := []int{4 << 20, 4096}
		if c.valid {
			sizes = append(sizes, 64<<10, 1000)
		}
		for _, n := range sizes {
			var got []byte
			err := zr.Reset(bytes.NewReader(c.data))
			if err == nil {
				got, err = flowlog.ReadAllWith(zr, n)
			}
			if !sameErr(err, werr) || !bytes.Equal(got, want) {
				t.Fatalf("%s, reads of %d: %d bytes, error %T %v; klauspost: %d bytes, error %T %v",
					c.name, n, len(got), err, err, len(want), werr, werr)
			}
		}
	}
	t.Logf("errors met: %v", kinds)
	if len(kinds) < 5 {
		t.Fatalf("the corpus meets too few kinds of error: %v", kinds)
	}
}

// decodeText decodes r through DecodeStream and returns the JSON Lines of the records.
func decodeText(t *testing.T, r io.Reader, opts flowlog.Options) (string, *flowlog.Stats, error) {
	t.Helper()
	var out bytes.Buffer
	rw, _ := output.NewRowWriter(&out, output.JSONL)
	st, err := flowlog.DecodeStream(context.Background(), r, "obj", opts, func(r arrow.RecordBatch) error { return rw.Write(r) })
	rw.Flush()
	return out.String(), st, err
}

type failAfter struct {
	r   io.Reader
	err error
}

func (f *failAfter) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF && f.err != nil {
		err = f.err
	}
	return n, err
}

// TestGunzipBackendDecodeStream: DecodeStream over each stream of the corpus emits the records, the
// accounting and the error (StreamError text included) that it gives for the text klauspost reads
// followed by klauspost's error.
func TestGunzipBackendDecodeStream(t *testing.T) {
	cs := gzCorpus(t)
	for i, c := range cs {
		if i%3 != 0 && !c.valid || len(c.data) < 2 { // a third of the broken streams: each decode is a whole pipeline
			continue
		}
		want, werr := flowlog.KlauspostGunzip(c.data)
		for _, w := range []int{1, 2} {
			opts := flowlog.Options{Workers: w, BlockSize: 256 << 10}
			wrec, wst, wse := decodeText(t, &failAfter{bytes.NewReader(want), werr}, opts)
			grec, gst, gse := decodeText(t, bytes.NewReader(c.data), opts)
			var me *flowlog.GzipMemberError
			if errors.As(gse, &me) && errors.Is(werr, gzip.ErrChecksum) {
				// A failed check names its member (TestGzipBadMember); the rest is the same.
				gse = errors.New(strings.Replace(gse.Error(), me.Error(), werr.Error(), 1))
				wse = errors.New(wse.Error())
			}
			if grec != wrec || !sameErr(gse, wse) {
				t.Fatalf("%s, workers %d: %d bytes of records, error %v; want %d bytes, error %v", c.name, w, len(grec), gse, len(wrec), wse)
			}
			if gst.Records != wst.Records || gst.Lines != wst.Lines || gst.Malformed != wst.Malformed || gst.ObjectsFailed != wst.ObjectsFailed {
				t.Fatalf("%s, workers %d: stats %+v, want %+v", c.name, w, gst, wst)
			}
		}
	}
}

// BenchmarkGunzipBackend: the gzip backend compiled in alone over the benchmark object, read in 4 MiB
// blocks as DecodeStream reads it. Compare `go test -bench GunzipBackend` with and without -tags isal.
func BenchmarkGunzipBackend(b *testing.B) {
	for _, l := range layouts {
		b.Run("layout="+l.name, func(b *testing.B) {
			d := getBenchData(b, l.name, l.l)
			b.SetBytes(int64(len(d.text)))
			b.ReportAllocs()
			zr := flowlog.NewGunzipReader()
			buf := make([]byte, 4<<20)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := zr.Reset(bytes.NewReader(d.gz)); err != nil {
					b.Fatal(err)
				}
				for {
					_, err := zr.Read(buf)
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(d.records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(b.Elapsed().Seconds()*1e9/(float64(d.records)*float64(b.N)), "ns/record")
		})
	}
}
