package enrich

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowlens/flowlens/flowlog"
)

// side says what a derived column is keyed by: the record's interface, or the owner of one of its
// addresses.
type side uint8

const (
	byInterface side = iota
	bySrc
	byDst
)

// column is one derived column: per owner (an index into Deriver.owners), the index of its value
// in dict, or -1 for null.
type column struct {
	field flowlog.FieldID
	side  side
	dict  *array.String
	of    []int32
}

// Deriver computes the enrichment columns of decoded batches from an inventory. It satisfies
// aggregate.Deriver; Counts says how many rows' interfaces and addresses were not found.
type Deriver struct {
	inv     *Inventory
	owners  []*Interface
	byENI   map[string]int32
	addr4   map[uint32]int32
	addr6   map[[16]byte]int32
	cols    map[flowlog.FieldID]*column
	order   []flowlog.FieldID
	tagKeys []string

	counts Counts
}

// Counts are the rows the derived columns were computed for, and those whose interface or
// address the inventory does not hold (null interfaces and addresses are not counted).
type Counts struct {
	InterfaceRows, InterfaceMissing atomic.Int64
	SrcRows, SrcMissing             atomic.Int64
	DstRows, DstMissing             atomic.Int64
}

// Field ids of the logged fields that enrichment fills when a layout lacks them.
var (
	fInterfaceType = mustField("interface-type")
	fInstanceID    = mustField("instance-id")
	fSubnetID      = mustField("subnet-id")
	fVPCID         = mustField("vpc-id")
	fAZID          = mustField("az-id")
	fInterfaceName = mustField("interface-name")
	fSrcName       = mustField("src-name")
	fDstName       = mustField("dst-name")
	fSrcVPCID      = mustField("src-vpc-id")
	fDstVPCID      = mustField("dst-vpc-id")
	fSrcAZID       = mustField("src-az-id")
	fDstAZID       = mustField("dst-az-id")
)

func mustField(name string) flowlog.FieldID {
	id, ok := flowlog.LookupField(name)
	if !ok {
		panic("BUG: no field " + name)
	}
	return id
}

// NewDeriver prepares the columns of inv, with tag columns for tagKeys (added to flowlog's field
// table: call it before any run starts).
func NewDeriver(inv *Inventory, tagKeys []string) (*Deriver, error) {
	if len(tagKeys) > flowlog.MaxTagKeys {
		return nil, fmt.Errorf("--tag-keys: %d keys, at most %d", len(tagKeys), flowlog.MaxTagKeys)
	}
	d := &Deriver{inv: inv, byENI: map[string]int32{}, addr4: map[uint32]int32{}, addr6: map[[16]byte]int32{},
		cols: map[flowlog.FieldID]*column{}, tagKeys: tagKeys}
	ids := make([]string, 0, len(inv.Interfaces))
	for id := range inv.Interfaces {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		d.byENI[id] = int32(len(d.owners))
		d.owners = append(d.owners, inv.Interfaces[id])
	}
	for a, i := range inv.addrs {
		o := d.byENI[i.ID]
		if a.Is4() {
			b := a.As4()
			d.addr4[binary.BigEndian.Uint32(b[:])] = o
		} else {
			d.addr6[a.As16()] = o
		}
	}
	str := func(f func(*Interface) string) func(*Interface) (string, bool) {
		return func(i *Interface) (string, bool) { v := f(i); return v, v != "" }
	}
	d.add(fInterfaceType, byInterface, str(func(i *Interface) string { return i.Type }))
	d.add(fInterfaceName, byInterface, str(func(i *Interface) string { return i.Name }))
	d.add(fInstanceID, byInterface, str(func(i *Interface) string { return i.InstanceID }))
	d.add(fSubnetID, byInterface, str(func(i *Interface) string { return i.SubnetID }))
	d.add(fVPCID, byInterface, str(func(i *Interface) string { return i.VPCID }))
	d.add(fAZID, byInterface, str(func(i *Interface) string { return i.AZID }))
	d.add(fSrcName, bySrc, str(func(i *Interface) string { return i.Name }))
	d.add(fDstName, byDst, str(func(i *Interface) string { return i.Name }))
	d.add(fSrcVPCID, bySrc, str(func(i *Interface) string { return i.VPCID }))
	d.add(fDstVPCID, byDst, str(func(i *Interface) string { return i.VPCID }))
	d.add(fSrcAZID, bySrc, str(func(i *Interface) string { return i.AZID }))
	d.add(fDstAZID, byDst, str(func(i *Interface) string { return i.AZID }))
	for _, k := range tagKeys {
		k := k
		tag := func(i *Interface) (string, bool) { return i.Tag(k) }
		for _, p := range []struct {
			prefix string
			side   side
		}{{"", byInterface}, {"src_", bySrc}, {"dst_", byDst}} {
			f, err := flowlog.AddTagField(p.prefix, k)
			if err != nil {
				return nil, fmt.Errorf("--tag-keys: %w", err)
			}
			d.add(f, p.side, tag)
		}
	}
	return d, nil
}

func (d *Deriver) add(f flowlog.FieldID, s side, val func(*Interface) (string, bool)) {
	c := &column{field: f, side: s, of: make([]int32, len(d.owners))}
	idx := map[string]int32{}
	var vals []string
	for o, i := range d.owners {
		v, ok := val(i)
		if !ok {
			c.of[o] = -1
			continue
		}
		k, seen := idx[v]
		if !seen {
			k = int32(len(vals))
			idx[v] = k
			vals = append(vals, v)
		}
		c.of[o] = k
	}
	b := array.NewStringBuilder(memory.DefaultAllocator)
	b.AppendValues(vals, nil)
	c.dict = b.NewStringArray()
	b.Release()
	d.cols[f] = c
	d.order = append(d.order, f)
}

// Inventory returns the inventory the columns come from.
func (d *Deriver) Inventory() *Inventory { return d.inv }

// TagKeys returns the tag keys of the tag columns.
func (d *Deriver) TagKeys() []string { return d.tagKeys }

// Fields lists every field the deriver computes, in a fixed order: what cat and convert add.
func (d *Deriver) Fields() []flowlog.FieldID { return append([]flowlog.FieldID(nil), d.order...) }

// Inputs reports whether d computes f, and the decoded field it is computed from.
func (d *Deriver) Inputs(f flowlog.FieldID) ([]flowlog.FieldID, bool) {
	c, ok := d.cols[f]
	if !ok {
		return nil, false
	}
	switch c.side {
	case bySrc:
		return []flowlog.FieldID{flowlog.FSrcAddr}, true
	case byDst:
		return []flowlog.FieldID{flowlog.FDstAddr}, true
	}
	return []flowlog.FieldID{flowlog.FInterfaceID}, true
}

// Counts returns the counts of rows looked up so far.
func (d *Deriver) Counts() *Counts { return &d.counts }

// New returns the computation of fields for one goroutine (aggregate.Deriver): fields d does not
// compute are ignored.
func (d *Deriver) New(fields []flowlog.FieldID) func(arrow.RecordBatch) (arrow.RecordBatch, error) {
	w := &worker{d: d, schemas: map[*arrow.Schema]*outSchema{}}
	for _, f := range fields {
		if c, ok := d.cols[f]; ok {
			w.cols = append(w.cols, c)
		}
	}
	return w.derive
}

type worker struct {
	d       *Deriver
	cols    []*column
	mu      sync.Mutex // a worker serves one goroutine; the lock only guards misuse
	schemas map[*arrow.Schema]*outSchema
	owner   [3][]int32 // per side: the owner of each row, -1 when none
	dictOwn []int32
}

// outSchema is, for one input schema, the columns to add and the output schema.
type outSchema struct {
	add    []*column
	schema *arrow.Schema
	ci     [3]int // column of interface-id, srcaddr, dstaddr; -1 when absent
}

func (w *worker) plan(in *arrow.Schema) *outSchema {
	if o, ok := w.schemas[in]; ok {
		return o
	}
	o := &outSchema{ci: [3]int{-1, -1, -1}}
	have := map[flowlog.FieldID]bool{}
	for i, f := range in.Fields() {
		id, ok := flowlog.LookupField(f.Name)
		if !ok {
			continue
		}
		have[id] = true
		switch id {
		case flowlog.FInterfaceID:
			o.ci[byInterface] = i
		case flowlog.FSrcAddr:
			o.ci[bySrc] = i
		case flowlog.FDstAddr:
			o.ci[byDst] = i
		}
	}
	fields := append([]arrow.Field(nil), in.Fields()...)
	for _, c := range w.cols {
		if have[c.field] {
			continue // decoded (or read from Parquet): the log's value stands
		}
		o.add = append(o.add, c)
		fields = append(fields, arrow.Field{Name: flowlog.Fields[c.field].Column, Type: flowlog.StringType, Nullable: true})
	}
	md := in.Metadata()
	o.schema = arrow.NewSchema(fields, &md)
	w.schemas[in] = o
	return o
}

func (w *worker) derive(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	o := w.plan(rec.Schema())
	if len(o.add) == 0 {
		rec.Retain()
		return rec, nil
	}
	n := int(rec.NumRows())
	var done [3]bool
	cols := append(make([]arrow.Array, 0, len(o.add)+int(rec.NumCols())), rec.Columns()...)
	for _, c := range o.add {
		if !done[c.side] {
			done[c.side] = true
			if err := w.owners(rec, o, c.side, n); err != nil {
				return nil, err
			}
		}
		cols = append(cols, w.column(c, n))
	}
	out := array.NewRecordBatch(o.schema, cols, int64(n))
	for _, a := range cols[rec.NumCols():] {
		a.Release()
	}
	return out, nil
}

// owners fills w.owner[s] with the owner of each row on side s and counts the rows not found.
func (w *worker) owners(rec arrow.RecordBatch, o *outSchema, s side, n int) error {
	own := w.owner[s][:0]
	if cap(own) < n {
		own = make([]int32, n)
	}
	own = own[:n]
	w.owner[s] = own
	ci := o.ci[s]
	if ci < 0 {
		for r := range own {
			own[r] = -1
		}
		return nil
	}
	var rows, missing int64
	a := rec.Column(ci)
	if s == byInterface {
		da, ok := a.(*array.Dictionary)
		if !ok {
			return fmt.Errorf("enrich: column interface_id is %s, want a dictionary of strings", a.DataType())
		}
		dict := da.Dictionary().(*array.String)
		if cap(w.dictOwn) < dict.Len() {
			w.dictOwn = make([]int32, dict.Len())
		}
		dictOwn := w.dictOwn[:dict.Len()]
		for i := range dictOwn {
			dictOwn[i] = -1
			if dict.IsValid(i) {
				if x, ok := w.d.byENI[dict.Value(i)]; ok {
					dictOwn[i] = x
				}
			}
		}
		idx := da.Indices().(*array.Int32).Int32Values()
		for r := 0; r < n; r++ {
			if da.IsNull(r) {
				own[r] = -1
				continue
			}
			x := dictOwn[idx[r]]
			own[r] = x
			rows++
			if x < 0 {
				missing++
			}
		}
		w.d.counts.InterfaceRows.Add(rows)
		w.d.counts.InterfaceMissing.Add(missing)
		return nil
	}
	fb, ok := a.(*array.FixedSizeBinary)
	if !ok || fb.DataType().(*arrow.FixedSizeBinaryType).ByteWidth != 16 {
		return fmt.Errorf("enrich: column %s is %s, want 16-byte addresses", rec.ColumnName(ci), a.DataType())
	}
	buf := a.Data().Buffers()[1].Bytes()[a.Data().Offset()*16:]
	for r := 0; r < n; r++ {
		if fb.IsNull(r) {
			own[r] = -1
			continue
		}
		b := buf[r*16 : r*16+16]
		x := int32(-1)
		if binary.BigEndian.Uint64(b[:8]) == 0 && binary.BigEndian.Uint32(b[8:12]) == 0xffff {
			if v, ok := w.d.addr4[binary.BigEndian.Uint32(b[12:])]; ok {
				x = v
			}
		} else if len(w.d.addr6) > 0 {
			if v, ok := w.d.addr6[[16]byte(b)]; ok {
				x = v
			}
		}
		own[r] = x
		rows++
		if x < 0 {
			missing++
		}
	}
	if s == bySrc {
		w.d.counts.SrcRows.Add(rows)
		w.d.counts.SrcMissing.Add(missing)
	} else {
		w.d.counts.DstRows.Add(rows)
		w.d.counts.DstMissing.Add(missing)
	}
	return nil
}

// column builds column c from the owners of its side: dictionary indices into c.dict, null where
// the owner is unknown or has no value.
func (w *worker) column(c *column, n int) arrow.Array {
	own := w.owner[c.side]
	vals := make([]byte, 4*n)
	valid := make([]byte, (n+7)/8)
	nulls := 0
	for r := 0; r < n; r++ {
		v := int32(-1)
		if o := own[r]; o >= 0 {
			v = c.of[o]
		}
		if v < 0 {
			nulls++
			continue
		}
		binary.LittleEndian.PutUint32(vals[4*r:], uint32(v))
		valid[r>>3] |= 1 << (r & 7)
	}
	var vb *memory.Buffer
	if nulls > 0 {
		vb = memory.NewBufferBytes(valid)
	}
	data := array.NewData(arrow.PrimitiveTypes.Int32, n, []*memory.Buffer{vb, memory.NewBufferBytes(vals)}, nil, nulls, 0)
	defer data.Release()
	idx := array.MakeFromData(data)
	defer idx.Release()
	return array.NewDictionaryArray(flowlog.StringType, idx, c.dict)
}

// Lookup helpers for the report and the cost review, which read names after aggregation.

// AddrName returns the name of the interface that holds a, and its type; ok false when the
// inventory does not hold a.
func (inv *Inventory) AddrName(a netip.Addr) (name, typ string, ok bool) {
	i := inv.ByAddr(a)
	if i == nil {
		return "", "", false
	}
	return i.Name, i.Type, true
}
