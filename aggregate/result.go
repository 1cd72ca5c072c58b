package aggregate

import (
	"container/heap"
	"sort"
	"sync"

	"github.com/flowlens/flowlens/flowlog"
)

// Result is the merged state of a run: one Table per Spec, in the engine's order.
type Result struct {
	Tables     []*Table
	Rows       int64 // rows of all batches
	InRange    int64 // records aggregated
	OutOfRange int64 // records left out by the time range
	seen       [numFieldSlots]bool
	e          *Engine
}

// Seen reports whether any batch had the field.
func (r *Result) Seen(f flowlog.FieldID) bool { return r.seen[f] }

// Table returns the table of the named spec, or nil.
func (r *Result) Table(name string) *Table {
	for _, t := range r.Tables {
		if t.Spec.Name == name {
			return t
		}
	}
	return nil
}

// Table is the merged state of one group-by, held as disjoint hash partitions.
type Table struct {
	Spec  *Spec
	kl    *keyLayout
	strs  *Strings
	parts []*table
}

// Group names one group of a Table.
type Group struct{ part, g int32 }

// Merge combines the workers' states into a Result and releases them. The tables are merged by hash
// partition: partition p of every worker's table goes into goroutine p, so the merge runs on
// `parallel` goroutines with no locks. The result is the same whatever the number of workers.
func (e *Engine) Merge(workers []*Worker, parallel int) (*Result, error) {
	parallel = max(parallel, 1)
	res := &Result{e: e}
	for _, w := range workers {
		res.Rows += w.Rows
		res.InRange += w.InRange
		res.OutOfRange += w.OutOfRange
		for f, s := range w.seen {
			res.seen[f] = res.seen[f] || s
		}
	}
	type job struct{ spec, part int }
	merged := make([][]*table, len(e.specs))
	dmerged := make([][][]*table, len(e.specs))
	var jobs []job
	for i := range e.specs {
		merged[i] = make([]*table, parallel)
		dmerged[i] = make([][]*table, len(e.specs[i].Distinct))
		for j := range dmerged[i] {
			dmerged[i][j] = make([]*table, parallel)
		}
		for p := 0; p < parallel; p++ {
			jobs = append(jobs, job{i, p})
		}
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan job)
	)
	for g := 0; g < parallel; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for jb := range next {
				t, ds := e.newTables(jb.spec)
				var err error
				for _, w := range workers {
					err = mergePartition(t, w.tables[jb.spec], jb.part, parallel)
					for j, d := range ds {
						if err == nil {
							err = mergePartition(d, w.dtables[jb.spec][j], jb.part, parallel)
						}
					}
					if err != nil {
						break
					}
				}
				merged[jb.spec][jb.part] = t
				for j, d := range ds {
					dmerged[jb.spec][j][jb.part] = d
				}
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, jb := range jobs {
		next <- jb
	}
	close(next)
	wg.Wait()
	for _, w := range workers {
		w.Release()
	}
	if first != nil {
		for i := range merged {
			for _, t := range merged[i] {
				t.release()
			}
		}
		return nil, first
	}
	for i := range e.specs {
		t := &Table{Spec: &e.specs[i], kl: &e.layouts[i], strs: e.strs, parts: merged[i]}
		for j := range e.specs[i].Distinct {
			t.countDistinct(j, dmerged[i][j], e.dlayouts[i][j].w)
		}
		res.Tables = append(res.Tables, t)
	}
	return res, nil
}

// mergePartition folds the groups of src that fall in partition p of n into dst.
func mergePartition(dst, src *table, p, n int) error {
	for g := 0; g < src.n; g++ {
		if partitionOf(src.hashes[g], n) == p {
			dst.mergeGroup(src, g)
		}
	}
	return dst.err
}

// countDistinct turns the (group key, value) pairs of distinct field j into a count per group.
func (t *Table) countDistinct(j int, pairs []*table, dw int) {
	kw := t.kl.w
	m := Distinct(j)
	for _, d := range pairs {
		for g := 0; g < d.n; g++ {
			k := d.key(g)
			if isNullKey(k[kw:], dw) {
				continue
			}
			gk := k[:kw]
			h := hashKey(gk)
			pt := t.parts[partitionOf(h, len(t.parts))]
			pt.vals[m][pt.find(gk, h)]++
		}
		d.release()
	}
}

// isNullKey reports whether a one-part key is null: a zero word, or an address with its null bit.
func isNullKey(k []uint64, w int) bool {
	if w == 1 {
		return k[0] == 0
	}
	return k[w-1]&1 != 0
}

// Len is the number of groups.
func (t *Table) Len() int {
	n := 0
	for _, p := range t.parts {
		n += p.n
	}
	return n
}

// Groups returns every group, in no particular order.
func (t *Table) Groups() []Group {
	out := make([]Group, 0, t.Len())
	for pi, p := range t.parts {
		for g := 0; g < p.n; g++ {
			out = append(out, Group{int32(pi), int32(g)})
		}
	}
	return out
}

// Key returns part i of group g's key.
func (t *Table) Key(g Group, i int) Value {
	return t.kl.decode(t.parts[g.part].key(int(g.g)), i, t.strs)
}

// Value returns measure m of group g (0 when the spec does not keep it).
func (t *Table) Value(g Group, m Measure) int64 {
	v := t.parts[g.part].vals[m]
	if v == nil {
		return 0
	}
	return v[g.g]
}

// Less orders groups by the measures in by, largest first, then by key, smallest first: a total
// order, so output never depends on the number of workers.
func (t *Table) Less(a, b Group, by []Measure) bool {
	for _, m := range by {
		va, vb := t.Value(a, m), t.Value(b, m)
		if va != vb {
			return va > vb
		}
	}
	return t.kl.compare(t.parts[a.part].key(int(a.g)), t.parts[b.part].key(int(b.g)), t.strs) < 0
}

// Top returns the k first groups in the order of Less (all groups when k <= 0).
func (t *Table) Top(k int, by ...Measure) []Group {
	all := t.Groups()
	if k <= 0 || k >= len(all) {
		sort.Slice(all, func(i, j int) bool { return t.Less(all[i], all[j], by) })
		return all
	}
	// A heap of the k best seen so far, worst on top.
	h := &groupHeap{t: t, by: by}
	for _, g := range all {
		if len(h.g) < k {
			heap.Push(h, g)
		} else if t.Less(g, h.g[0], by) {
			h.g[0] = g
			heap.Fix(h, 0)
		}
	}
	out := h.g
	sort.Slice(out, func(i, j int) bool { return t.Less(out[i], out[j], by) })
	return out
}

type groupHeap struct {
	t  *Table
	by []Measure
	g  []Group
}

func (h *groupHeap) Len() int           { return len(h.g) }
func (h *groupHeap) Less(i, j int) bool { return h.t.Less(h.g[j], h.g[i], h.by) }
func (h *groupHeap) Swap(i, j int)      { h.g[i], h.g[j] = h.g[j], h.g[i] }
func (h *groupHeap) Push(x any)         { h.g = append(h.g, x.(Group)) }
func (h *groupHeap) Pop() any {
	x := h.g[len(h.g)-1]
	h.g = h.g[:len(h.g)-1]
	return x
}

// Rollup re-groups the table by the key parts listed in keep (in that order), combining measures:
// bytes per hour from bytes per (interface, hour). Distinct counts do not roll up and are dropped.
func (t *Table) Rollup(name string, keep ...int) *Table {
	keys := make([]Key, len(keep))
	for i, p := range keep {
		keys[i] = t.Spec.Keys[p]
	}
	spec := &Spec{Name: name, Keys: keys, Measures: t.Spec.Measures}
	kl := newKeyLayout(keys)
	measured := make([]bool, numMeasures)
	for _, m := range spec.Measures {
		measured[m] = true
	}
	out := newTable(kl.w, measured, nil, name)
	src := &table{w: kl.w, vals: make([][]int64, numMeasures)}
	key := make([]uint64, kl.w)
	for _, p := range t.parts {
		for g := 0; g < p.n; g++ {
			old := p.key(g)
			clear(key)
			ai := 0
			for i, part := range keep {
				if kl.kinds[i] == flowlog.KindAddr {
					o := t.kl.offs[part]
					copy(key[kl.offs[i]:kl.offs[i]+2], old[o:o+2])
					if old[t.kl.nullW]&(1<<t.kl.addrIndex(part)) != 0 {
						key[kl.nullW] |= 1 << ai
					}
					ai++
					continue
				}
				key[kl.offs[i]] = old[t.kl.offs[part]]
			}
			// Fold through a one-group table so that mergeGroup combines each measure its own way.
			src.keys, src.hashes, src.n = key, []uint64{hashKey(key)}, 1
			for m := range src.vals {
				if measured[m] {
					src.vals[m] = []int64{p.vals[m][g]}
				}
			}
			out.mergeGroup(src, 0)
		}
	}
	return &Table{Spec: spec, kl: &kl, strs: t.strs, parts: []*table{out}}
}
