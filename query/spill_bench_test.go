package query

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// benchRows is a sorted buffer of 1 M rows of srcaddr, dstaddr, bytes, interface_id and the key
// bytes, as a spilling worker holds them.
func benchRows(b *testing.B) (*rowSet, []int32) {
	const n = 1 << 20
	types := []typ{tAddr, tAddr, tInt, tStr, tInt}
	src := []*vec{{}, {}, {}, {}, {}}
	for i, v := range src {
		v.reset(types[i], n)
	}
	for k := range n {
		src[0].a[k] = netip.AddrFrom4([4]byte{10, 0, byte(k >> 8), byte(k)})
		src[1].a[k] = netip.AddrFrom4([4]byte{10, 1, byte(k >> 10), byte(k * 7)})
		src[2].i[k] = int64(k * 7919 % 100000)
		src[3].s[k] = fmt.Sprintf("eni-%017x", k%500)
		src[4].i[k] = src[2].i[k]
	}
	rs := newRowSet(types, &memBudget{})
	idx := make([]int32, n)
	for k := range idx {
		idx[k] = int32(k)
	}
	rs.ensure(n, 22*n, true)
	for c, v := range src {
		rs.appendCol(c, v, idx)
	}
	rs.commit(n)
	return rs, idx
}

// BenchmarkRunWrite: a run in the package's format, written and read back.
func BenchmarkRunWrite(b *testing.B) {
	rs, idx := benchRows(b)
	defer SetSpillDir(b.TempDir())()
	b.ResetTimer()
	for range b.N {
		sh := newSortShared([]bool{true}, 4, -1, &memBudget{})
		if err := sh.writeRun(rs, idx); err != nil {
			b.Fatal(err)
		}
		rd, err := openRun(sh.spill.runs[0], sh.budget)
		if err != nil {
			b.Fatal(err)
		}
		set := newRowSet(sh.spill.runs[0].types, sh.budget)
		for {
			more, err := rd.next(set)
			if err != nil {
				b.Fatal(err)
			}
			if !more {
				break
			}
		}
		rd.close()
		st, _ := os.Stat(sh.spill.runs[0].path)
		b.ReportMetric(float64(st.Size())/float64(len(idx)), "B/row")
		sh.spill.remove()
	}
}

// BenchmarkRunWriteArrowIPC: the same rows as an Arrow IPC file of batches of runBlockRows, read
// back to arrays (not yet to vecs, which the merge would need).
func BenchmarkRunWriteArrowIPC(b *testing.B) {
	rs, idx := benchRows(b)
	dir := b.TempDir()
	p := &Plan{env: newEnv("", nil)}
	names := []string{"a", "b", "c", "d", "e"}
	b.ResetTimer()
	for range b.N {
		path := filepath.Join(dir, "run.arrow")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		var w *ipc.FileWriter
		for s := 0; s < len(idx); s += runBlockRows {
			rec := p.recordNamed(names, rs.v, idx[s:min(s+runBlockRows, len(idx))])
			if w == nil {
				if w, err = ipc.NewFileWriter(f, ipc.WithSchema(rec.Schema())); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Write(rec); err != nil {
				b.Fatal(err)
			}
			rec.Release()
		}
		w.Close()
		f.Close()
		f, _ = os.Open(path)
		r, err := ipc.NewFileReader(f, ipc.WithAllocator(memory.DefaultAllocator))
		if err != nil {
			b.Fatal(err)
		}
		var sum int64
		for i := range r.NumRecords() {
			rec, err := r.RecordBatch(i)
			if err != nil {
				b.Fatal(err)
			}
			sum += int64(rec.Column(2).(*array.Int64).Value(0))
			_ = rec.Column(0).DataType() == arrow.BinaryTypes.String
		}
		r.Close()
		st, _ := f.Stat()
		b.ReportMetric(float64(st.Size())/float64(len(idx)), "B/row")
		f.Close()
	}
}
