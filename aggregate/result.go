package aggregate

import (
	"container/heap"
	"math"
	"math/bits"
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
	bounds     []uint64 // per Engine.sumFields: the bound of its sums (Worker.sumBound)
	// Objects is the input accounting of each source of Run, in the order of its sources: what a
	// partial run keeps, so that merged accounting adds up in the order of one run's.
	Objects []ObjectRead
	// Blobs are the caller's own state, written with the result's (WriteState) and read back into
	// the loaded worker (Worker.Blobs): a query's state that the engine does not hold.
	Blobs [][]byte
}

// ObjectRead is one source of a run and its accounting (nil when it was not read).
type ObjectRead struct {
	Name  string
	Stats *flowlog.Stats
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
	pairs [][]*table // per distinct field, per partition: its (group, value) pairs (Config.Partial)
}

// Group names one group of a Table.
type Group struct{ part, g int32 }

// Merge combines the workers' states into a Result. The sharded group-bys need no merge: worker p
// holds shard p. The others are merged by hash partition: partition p of every worker's table goes
// into goroutine p, with no locks. The result is the same whatever the number of workers. The
// workers must not be used afterwards.
func (e *Engine) Merge(workers []*Worker) (*Result, error) {
	parallel := max(len(workers), 1)
	res := &Result{e: e}
	bounds := make([]uint64, len(e.sumFields))
	res.bounds = bounds
	for _, w := range workers {
		for i, b := range w.sumBound {
			var c uint64
			if bounds[i], c = bits.Add64(bounds[i], b, 0); c != 0 || bounds[i] > math.MaxInt64 {
				return nil, &OverflowError{Field: flowlog.Fields[e.sumFields[i]].Name}
			}
		}
		res.Rows += w.Rows
		res.InRange += w.InRange
		res.OutOfRange += w.OutOfRange
		for f, s := range w.seen {
			res.seen[f] = res.seen[f] || s
		}
	}
	// A worker's tables are adopted as they are when they hold a whole shard: always for a sharded
	// group-by, and for every group-by when there is one worker.
	sharded := func(i int) bool { return len(workers) == 1 || (len(workers) > 0 && workers[0].sharded(i)) }
	type job struct{ spec, part int }
	type merged struct {
		wide, narrow *table
		distinct     []*table
	}
	out := make([][]merged, len(e.specs))
	var jobs []job
	for i := range e.specs {
		out[i] = make([]merged, parallel)
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
				var m merged
				var err error
				if sharded(jb.spec) {
					w := workers[jb.part]
					m.wide, m.narrow = w.tables[jb.spec], w.ntables[jb.spec]
					w.tables[jb.spec], w.ntables[jb.spec] = nil, nil
					// Only the distinct-count tables are merged; the others newTables makes
					// would hold budget that nothing releases.
					wide, narrow, distinct := e.newTables(jb.spec)
					wide.release()
					if narrow != nil {
						narrow.release()
					}
					m.distinct = distinct
				} else {
					m.wide, m.narrow, m.distinct = e.newTables(jb.spec)
					for _, w := range workers {
						err = mergePartition(m.wide, w.tables[jb.spec], jb.part, parallel)
						if err == nil && m.narrow != nil {
							err = mergePartition(m.narrow, w.ntables[jb.spec], jb.part, parallel)
						}
						if err != nil {
							break
						}
					}
				}
				for j, d := range m.distinct {
					for _, w := range workers {
						if err == nil {
							err = mergePartition(d, w.dtables[jb.spec][j], jb.part, parallel)
						}
					}
				}
				out[jb.spec][jb.part] = m
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
	for i := range e.specs {
		t := &Table{Spec: &e.specs[i], kl: &e.layouts[i], strs: e.strs}
		for _, m := range out[i] {
			if first != nil {
				for _, x := range append([]*table{m.wide, m.narrow}, m.distinct...) {
					if x != nil {
						x.release()
					}
				}
				continue
			}
			t.parts = append(t.parts, m.wide)
			if m.narrow != nil {
				t.parts = append(t.parts, m.narrow)
			}
		}
		if first != nil {
			continue
		}
		for j := range e.specs[i].Distinct {
			var pairs []*table
			for _, m := range out[i] {
				pairs = append(pairs, m.distinct[j])
			}
			if e.cfg.Partial {
				t.pairs = append(t.pairs, pairs)
				continue
			}
			t.countDistinct(j, pairs, e.dlayouts[i][j].w)
		}
		res.Tables = append(res.Tables, t)
	}
	if first != nil {
		return nil, first
	}
	return res, nil
}

// mergePartition folds the groups of src that fall in partition p of n into dst.
func mergePartition(dst, src *table, p, n int) error {
	for g := 0; g < src.n; g++ {
		if h := hashKey(src.key(g)); partitionOf(h, n) == p {
			dst.mergeGroup(src, g, h)
		}
	}
	return dst.err
}

// countDistinct turns the (group key, value) pairs of distinct field j into a count per group.
func (t *Table) countDistinct(j int, pairs []*table, dw int) {
	kw := t.kl.w
	m := Distinct(j)
	nk := make([]uint64, max(t.kl.nw, 1))
	for _, d := range pairs {
		for g := 0; g < d.n; g++ {
			k := d.key(g)
			if isNullKey(k[kw:], dw) {
				continue
			}
			gk := k[:kw]
			// The group lives in the narrow table of its partition when its key has a narrow form.
			want := false
			if t.kl.narrow(gk, nk) {
				gk, want = nk[:t.kl.nw], true
			}
			h := hashKey(gk)
			pp := t.partsPerPartition()
			i := partitionOf(h, len(t.parts)/pp) * pp
			if want {
				i++
			}
			pt := t.parts[i]
			g := int(pt.find(gk, h))
			pt.row(g)[pt.moff[m]]++
		}
		d.release()
	}
}

// partsPerPartition is 2 when the key has a narrow form (a wide and a narrow table per partition).
func (t *Table) partsPerPartition() int {
	if t.kl.nw > 0 {
		return 2
	}
	return 1
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
	n := t.Len()
	return t.AppendGroups(make([]Group, 0, n), 0, n)
}

// AppendGroups appends to dst the groups numbered from to to-1 in the order of Groups, so that a
// large table can be gone through a part at a time.
func (t *Table) AppendGroups(dst []Group, from, to int) []Group {
	base := 0
	for pi, p := range t.parts {
		for g := max(from-base, 0); g < min(to-base, p.n); g++ {
			dst = append(dst, Group{int32(pi), int32(g)})
		}
		base += p.n
	}
	return dst
}

// wideKey returns group g's key in its wide form (valid until the next call with the same buf).
func (t *Table) wideKey(g Group, buf []uint64) []uint64 {
	pt := t.parts[g.part]
	k := pt.key(int(g.g))
	if !pt.narrow {
		return k
	}
	t.kl.widen(k, buf)
	return buf[:t.kl.w]
}

// Key returns part i of group g's key.
func (t *Table) Key(g Group, i int) Value {
	buf := make([]uint64, t.kl.w)
	return t.kl.decode(t.wideKey(g, buf), i, t.strs)
}

// Keys writes every part of group g's key into dst (one per key part), using scratch (from
// Scratch) for the wide form: no allocation per group.
func (t *Table) Keys(g Group, scratch []uint64, dst []Value) {
	k := t.wideKey(g, scratch)
	for i := range dst {
		dst[i] = t.kl.decode(k, i, t.strs)
	}
}

// Scratch returns a buffer for Keys.
func (t *Table) Scratch() []uint64 { return make([]uint64, t.kl.w) }

// Value returns measure m of group g (0 when the spec does not keep it).
func (t *Table) Value(g Group, m Measure) int64 { return t.parts[g.part].value(int(g.g), m) }

// Less orders groups by the measures in by, largest first, then by key, smallest first: a total
// order, so output never depends on the number of workers.
func (t *Table) Less(a, b Group, by []Measure) bool {
	for _, m := range by {
		va, vb := t.Value(a, m), t.Value(b, m)
		if va != vb {
			return va > vb
		}
	}
	var ba, bb [16]uint64
	ka := t.wideKey(a, t.scratch(ba[:]))
	kb := t.wideKey(b, t.scratch(bb[:]))
	return t.kl.compare(ka, kb, t.strs) < 0
}

// scratch returns buf when the wide key fits in it, else a new slice.
func (t *Table) scratch(buf []uint64) []uint64 {
	if t.kl.w <= len(buf) {
		return buf[:t.kl.w]
	}
	return make([]uint64, t.kl.w)
}

// Top returns the k first groups in the order of Less (all groups when k <= 0).
func (t *Table) Top(k int, by ...Measure) []Group {
	if k <= 0 || k >= t.Len() {
		all := t.Groups()
		sort.Slice(all, func(i, j int) bool { return t.Less(all[i], all[j], by) })
		return all
	}
	// A heap of the k best seen so far, worst on top; the groups are not listed first (5 M
	// conversations would take 40 MB).
	h := &groupHeap{t: t, by: by}
	for pi, p := range t.parts {
		for gi := range p.n {
			g := Group{int32(pi), int32(gi)}
			if len(h.g) < k {
				heap.Push(h, g)
			} else if t.Less(g, h.g[0], by) {
				h.g[0] = g
				heap.Fix(h, 0)
			}
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
// The result holds wide keys only.
func (t *Table) Rollup(name string, keep ...int) *Table {
	keys := make([]Key, len(keep))
	for i, p := range keep {
		keys[i] = t.Spec.Keys[p]
	}
	spec := &Spec{Name: name, Keys: keys, Measures: t.Spec.Measures, Aggs: t.Spec.Aggs}
	kl := newKeyLayout(keys)
	measured := measuresOf(spec)
	out := newTable(kl.w, measured, nil, name)
	key := make([]uint64, kl.w)
	buf := make([]uint64, t.kl.w)
	for pi, p := range t.parts {
		for g := 0; g < p.n; g++ {
			old := t.wideKey(Group{int32(pi), int32(g)}, buf)
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
			out.mergeRow(key, hashKey(key), p, p.row(g))
		}
	}
	return &Table{Spec: spec, kl: &kl, strs: t.strs, parts: []*table{out}}
}

// Col is the position among the table's key parts of the part that groups by field f. It panics
// when the table does not group by f: a section that reads a key its own spec lacks is a bug.
func (t *Table) Col(f flowlog.FieldID) int {
	for i, k := range t.Spec.Keys {
		if k.Field == f {
			return i
		}
	}
	panic("aggregate: table " + t.Spec.Name + " has no key " + flowlog.Fields[f].Name)
}

// KeyOf returns the part of group g's key that groups by field f.
func (t *Table) KeyOf(g Group, f flowlog.FieldID) Value { return t.Key(g, t.Col(f)) }

// RollupBy is Rollup by the key parts that group by the fields keep.
func (t *Table) RollupBy(name string, keep ...flowlog.FieldID) *Table {
	cols := make([]int, len(keep))
	for i, f := range keep {
		cols[i] = t.Col(f)
	}
	return t.Rollup(name, cols...)
}

// Unset reports whether v, a value of measure m, is the measure's starting point: no record with
// the measure's field reached the group (MinStart and MaxEnd of records without times).
func Unset(m Measure, v int64) bool { return v == initial(m) && (m == MinStart || m == MaxEnd) }
