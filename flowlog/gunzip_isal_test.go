//go:build isal && cgo

package flowlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

// isalTestText is n bytes of text that compresses about 2:1 (so that members span many chunks).
func isalTestText(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(rng.IntN(20))
		if rng.IntN(60) == 0 {
			b[i] = '\n'
		}
	}
	return b
}

func isalTestGzip(t *testing.T, text []byte) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, 1)
	zw.Write(text)
	zw.Close()
	return b.Bytes()
}

// TestGunzipISALReplayAcrossChunks: a member broken several input chunks after its start (so that
// its replay reads the log's chunks back) reads to klauspost's bytes and error; past isalReplayMax,
// to the same type of error; and one reader reused for all of them keeps no more than its window.
func TestGunzipISALReplayAcrossChunks(t *testing.T) {
	small := isalTestGzip(t, isalTestText(300<<10, 7))
	big := isalTestGzip(t, isalTestText(12<<20, 1))
	if len(big) < 4*isalChunk {
		t.Fatalf("the big member is only %d bytes", len(big))
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	flip := func(b []byte, at int) []byte {
		c := append([]byte(nil), b...)
		for j := at; j < at+32; j++ {
			c[j] ^= 0xa5
		}
		return c
	}
	type tc struct {
		name string
		data []byte
	}
	var cs []tc
	for _, at := range []int{isalChunk - 3, 2*isalChunk + 12345, len(big) - 5000} {
		cs = append(cs, tc{fmt.Sprintf("big corrupt at %d", at), flip(big, at)})
		cs = append(cs, tc{fmt.Sprintf("big cut at %d", at), big[:at]})
		cs = append(cs, tc{fmt.Sprintf("second member corrupt at %d", at), cat(small, flip(big, at), small)})
		cs = append(cs, tc{fmt.Sprintf("second member cut at %d", at), cat(small, big[:at])})
	}
	cs = append(cs, tc{"three members", cat(big, small, big)})
	zr := newGunzipReader()
	defer zr.Close()
	for _, c := range cs {
		want, werr := KlauspostGunzip(c.data)
		for _, n := range []int{4 << 20, 4096} {
			var got []byte
			err := zr.Reset(bytes.NewReader(c.data))
			if err == nil {
				got, err = ReadAllWith(zr, n)
			}
			if fmt.Sprintf("%T %v", err, err) != fmt.Sprintf("%T %v", werr, werr) || !bytes.Equal(got, want) {
				t.Fatalf("%s, reads of %d: %d bytes, error %T %v; klauspost: %d bytes, error %T %v",
					c.name, n, len(got), err, err, len(want), werr, werr)
			}
			if len(zr.log) != 0 && zr.fallback == nil {
				t.Fatalf("%s: the log keeps %d chunks at the end", c.name, len(zr.log))
			}
		}
	}

	// Decoding a multi-chunk stream again allocates nothing: the chunks come back to the pool.
	var rd bytes.Reader
	buf := make([]byte, 4<<20)
	decode := func() {
		rd.Reset(cs[len(cs)-1].data)
		if err := zr.Reset(&rd); err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := zr.Read(buf); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
	}
	decode()
	if a := testing.AllocsPerRun(10, decode); a != 0 {
		t.Errorf("%v allocations per stream", a)
	}

	// Past isalReplayMax: the same kind of error, and the bytes before it are klauspost's.
	huge := isalTestGzip(t, isalTestText(isalReplayMax*5/2, 3))
	if len(huge) < isalReplayMax+2*isalChunk {
		t.Fatalf("the huge member is only %d bytes", len(huge))
	}
	for _, c := range []tc{{"huge corrupt", flip(huge, isalReplayMax+isalChunk)}, {"huge cut", huge[:isalReplayMax+isalChunk]}} {
		want, werr := KlauspostGunzip(c.data)
		if err := zr.Reset(bytes.NewReader(c.data)); err != nil {
			t.Fatal(err)
		}
		got, err := ReadAllWith(zr, 4<<20)
		var wc, gc flate.CorruptInputError
		if errors.As(werr, &wc) != errors.As(err, &gc) || werr != err && !errors.As(werr, &wc) {
			t.Fatalf("%s: error %T %v; klauspost: %T %v", c.name, err, err, werr, werr)
		}
		if len(got) > len(want) || !bytes.Equal(got, want[:len(got)]) || len(want)-len(got) > 1<<20 {
			t.Fatalf("%s: %d bytes; klauspost: %d", c.name, len(got), len(want))
		}
		if len(zr.log) != 0 {
			t.Fatalf("%s: the log keeps %d chunks past isalReplayMax", c.name, len(zr.log))
		}
	}
}
