package aggregate

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowlens/flowlens/flowlog"
)

// StateVersion is the version of the state format that Result.WriteState writes.
const StateVersion = 1

// A state is an Arrow IPC stream of rows of one schema:
//
//	spec  int32       the group-by (its index among the engine's specs); -1 for a string
//	set   int32       0 the groups with wide keys, 1 those with narrow (IPv4) keys, 2+j the
//	                  (group, value) pairs of distinct field j; -1 for a string
//	words list<uint64> a group's row (its key, then its measures) or a pair's key
//	str   utf8        a string value: the k-th string row is string id k
//	blob  binary      with spec -2: a blob the caller added (Result.Blobs), in order
//
// String rows come first. The schema's metadata holds "flowlens.state" (stateMeta, JSON) and the
// caller's own entries.
var stateSchemaFields = []arrow.Field{
	{Name: "spec", Type: arrow.PrimitiveTypes.Int32},
	{Name: "set", Type: arrow.PrimitiveTypes.Int32},
	{Name: "words", Type: arrow.ListOf(arrow.PrimitiveTypes.Uint64), Nullable: true},
	{Name: "str", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "blob", Type: arrow.BinaryTypes.Binary, Nullable: true},
}

// stateMeta is what a state says of itself beside its rows.
type stateMeta struct {
	Version    int      `json:"version"`
	Specs      []string `json:"specs"` // the group-bys, described: a state loads into an engine of the same
	Rows       int64    `json:"rows"`
	InRange    int64    `json:"in_range"`
	OutOfRange int64    `json:"out_of_range"`
	Seen       []string `json:"seen"`
	SumFields  []string `json:"sum_fields"`
	Bounds     []uint64 `json:"sum_bounds"`
}

const stateMetaKey = "flowlens.state"

// describe writes a spec for the check that a state loads into an engine of the same group-bys.
func (s *Spec) describe() string {
	return fmt.Sprintf("%s keys=%v measures=%v where=%v distinct=%v aggs=%v", s.Name, s.Keys, s.Measures, s.Where, s.Distinct, s.Aggs)
}

// WriteState writes the result of a run made with Config.Partial as an Arrow IPC stream that
// Engine.LoadState reads back: every group with its measures, the pairs behind the distinct
// counts, the string values, the input counts and the bounds of the sums. meta is written into
// the stream's schema metadata (keys other than "flowlens.state").
func (r *Result) WriteState(w io.Writer, meta map[string]string) error {
	e := r.e
	if !e.cfg.Partial {
		return fmt.Errorf("BUG: WriteState of a run without Config.Partial")
	}
	sm := stateMeta{Version: StateVersion, Rows: r.Rows, InRange: r.InRange, OutOfRange: r.OutOfRange, Bounds: r.bounds}
	for i := range e.specs {
		sm.Specs = append(sm.Specs, e.specs[i].describe())
	}
	for f, on := range r.seen {
		if on {
			sm.Seen = append(sm.Seen, flowlog.Fields[f].Name)
		}
	}
	for _, f := range e.sumFields {
		sm.SumFields = append(sm.SumFields, flowlog.Fields[f].Name)
	}
	js, err := json.Marshal(sm)
	if err != nil {
		return err
	}
	keys, vals := []string{stateMetaKey}, []string{string(js)}
	for k, v := range meta {
		keys, vals = append(keys, k), append(vals, v)
	}
	md := arrow.NewMetadata(keys, vals)
	schema := arrow.NewSchema(stateSchemaFields, &md)
	iw := ipc.NewWriter(w, ipc.WithSchema(schema), ipc.WithAllocator(memory.DefaultAllocator))
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	spec, set := b.Field(0).(*array.Int32Builder), b.Field(1).(*array.Int32Builder)
	words, str := b.Field(2).(*array.ListBuilder), b.Field(3).(*array.StringBuilder)
	blob := b.Field(4).(*array.BinaryBuilder)
	wv := words.ValueBuilder().(*array.Uint64Builder)
	n := 0
	flush := func(force bool) error {
		if n == 0 || (!force && n < 65536) {
			return nil
		}
		rec := b.NewRecordBatch()
		defer rec.Release()
		n = 0
		return iw.Write(rec)
	}
	e.strs.mu.Lock()
	strs := slices.Clone(e.strs.vals)
	e.strs.mu.Unlock()
	for _, v := range strs {
		spec.Append(-1)
		set.Append(-1)
		words.AppendNull()
		str.Append(v)
		blob.AppendNull()
		n++
		if err := flush(false); err != nil {
			return err
		}
	}
	row := func(i, s int, ws []uint64) error {
		spec.Append(int32(i))
		set.Append(int32(s))
		words.Append(true)
		wv.AppendValues(ws, nil)
		str.AppendNull()
		blob.AppendNull()
		n++
		return flush(false)
	}
	for k, bl := range r.Blobs {
		spec.Append(-2)
		set.Append(int32(k))
		words.AppendNull()
		str.AppendNull()
		blob.Append(bl)
		n++
		if err := flush(true); err != nil { // a row group each: blobs can be large
			return err
		}
	}
	for i, t := range r.Tables {
		for _, p := range t.parts {
			s := 0
			if p.narrow {
				s = 1
			}
			for g := 0; g < p.n; g++ {
				if err := row(i, s, p.row(g)); err != nil {
					return err
				}
			}
		}
		for j, parts := range t.pairs {
			for _, p := range parts {
				for g := 0; g < p.n; g++ {
					if err := row(i, 2+j, p.key(g)); err != nil {
						return err
					}
				}
			}
		}
	}
	if err := flush(true); err != nil {
		return err
	}
	return iw.Close()
}

// LoadState reads a state that WriteState wrote, of a run of the same group-bys, into a new worker
// of e: its string ids are mapped to e's and its groups are put in the worker's tables, within the
// memory limit. Merge then combines it with others as it combines the workers of one run, to the
// result one run over all of their inputs would have had. It returns the state's metadata (the
// caller's entries).
func (e *Engine) LoadState(r io.Reader) (*Worker, map[string]string, error) {
	rd, err := ipc.NewReader(r, ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return nil, nil, fmt.Errorf("not a flowlens state: %w", err)
	}
	defer rd.Release()
	md := rd.Schema().Metadata()
	meta := map[string]string{}
	var sm stateMeta
	found := false
	for i, k := range md.Keys() {
		if k == stateMetaKey {
			if err := json.Unmarshal([]byte(md.Values()[i]), &sm); err != nil {
				return nil, nil, fmt.Errorf("reading the state's description: %w", err)
			}
			found = true
			continue
		}
		meta[k] = md.Values()[i]
	}
	if !found || !sameFields(rd.Schema()) {
		return nil, nil, fmt.Errorf("not a flowlens state (no %s metadata or other columns)", stateMetaKey)
	}
	if sm.Version != StateVersion {
		return nil, nil, fmt.Errorf("state version %d: this flowlens reads version %d", sm.Version, StateVersion)
	}
	want := make([]string, len(e.specs))
	for i := range e.specs {
		want[i] = e.specs[i].describe()
	}
	if !slices.Equal(sm.Specs, want) {
		return nil, nil, fmt.Errorf("the state was made by other group-bys than this merge's (%d against %d)", len(sm.Specs), len(want))
	}
	var sums []string
	for _, f := range e.sumFields {
		sums = append(sums, flowlog.Fields[f].Name)
	}
	if !slices.Equal(sm.SumFields, sums) || len(sm.Bounds) != len(sums) {
		return nil, nil, fmt.Errorf("the state's summed fields %v differ from this merge's %v", sm.SumFields, sums)
	}
	w := e.NewWorker()
	w.Rows, w.InRange, w.OutOfRange = sm.Rows, sm.InRange, sm.OutOfRange
	w.sumBound = slices.Clone(sm.Bounds)
	for _, name := range sm.Seen {
		if f, ok := flowlog.LookupField(name); ok {
			w.seen[f] = true
		}
	}
	ids := []uint64{0} // state id -> e's id
	buf := make([]uint64, 0, 64)
	fail := func(err error) (*Worker, map[string]string, error) {
		w.Release()
		return nil, nil, err
	}
	for rd.Next() {
		rec := rd.RecordBatch()
		spec := rec.Column(0).(*array.Int32)
		set := rec.Column(1).(*array.Int32)
		words := rec.Column(2).(*array.List)
		wv := words.ListValues().(*array.Uint64)
		str := rec.Column(3).(*array.String)
		blob := rec.Column(4).(*array.Binary)
		offs := words.Offsets()
		for k := 0; k < int(rec.NumRows()); k++ {
			i, s := int(spec.Value(k)), int(set.Value(k))
			if i == -2 {
				w.Blobs = append(w.Blobs, slices.Clone(blob.Value(k)))
				continue
			}
			if i == -1 {
				if str.IsNull(k) {
					return fail(fmt.Errorf("state row %d: a string row without its string", k))
				}
				ids = append(ids, e.strs.ID(str.Value(k)))
				continue
			}
			if i < 0 || i >= len(e.specs) || s < 0 || s >= 2+len(e.specs[i].Distinct) || words.IsNull(k) {
				return fail(fmt.Errorf("state row %d: group-by %d, set %d: not in this merge's group-bys", k, i, s))
			}
			buf = append(buf[:0], wv.Values()[offs[k]:offs[k+1]]...)
			kl := &e.layouts[i]
			var t *table
			switch s {
			case 0:
				t = w.tables[i]
			case 1:
				t = w.ntables[i]
			default:
				t = w.dtables[i][s-2]
			}
			if t == nil || len(buf) != t.stride {
				return fail(fmt.Errorf("state row %d: %d words, group-by %s wants %d", k, len(buf), e.specs[i].Name, strideOf(t)))
			}
			var err error
			switch s {
			case 0, 1:
				err = remapStrings(kl, s == 1, buf, ids)
			default:
				if err = remapStrings(kl, false, buf[:kl.w], ids); err == nil {
					err = remapStrings(&e.dlayouts[i][s-2], false, buf[kl.w:], ids)
				}
			}
			if err != nil {
				return fail(fmt.Errorf("state row %d: %w", k, err))
			}
			key := buf[:t.w]
			if s < 2 {
				t.mergeRow(key, hashKey(key), t, buf)
			} else {
				t.find(key, hashKey(key))
			}
			if t.err != nil {
				return fail(t.err)
			}
		}
	}
	if err := rd.Err(); err != nil {
		return fail(fmt.Errorf("reading the state: %w", err))
	}
	return w, meta, nil
}

func strideOf(t *table) int {
	if t == nil {
		return 0
	}
	return t.stride
}

func sameFields(s *arrow.Schema) bool {
	if len(s.Fields()) != len(stateSchemaFields) {
		return false
	}
	for i, f := range s.Fields() {
		if f.Name != stateSchemaFields[i].Name || !arrow.TypeEqual(f.Type, stateSchemaFields[i].Type) {
			return false
		}
	}
	return true
}

// remapStrings replaces the string ids of key k (of layout kl, narrow or wide) by e's.
func remapStrings(kl *keyLayout, narrow bool, k []uint64, ids []uint64) error {
	for p, kind := range kl.kinds {
		if kind != flowlog.KindString {
			continue
		}
		o := kl.offs[p]
		if narrow {
			o = kl.noffs[p]
		}
		if k[o] == 0 {
			continue
		}
		if k[o] >= uint64(len(ids)) {
			return fmt.Errorf("string id %d: the state has %d strings", k[o], len(ids)-1)
		}
		k[o] = ids[k[o]]
	}
	return nil
}
