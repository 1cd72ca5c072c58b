package aggregate

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowlens/flowlens/flowlog"
)

// Config configures an Engine.
type Config struct {
	Specs []Spec
	// From and To keep the records whose start lies in [From, To); zero means unbounded.
	From, To time.Time
	// Location is the time zone of hours and days (UTC when nil).
	Location *time.Location
	// MemoryLimit bounds the aggregation state of all workers together, in bytes (none when <= 0).
	MemoryLimit int64
	// Scan, when set, receives the records of every batch that pass the range and its filter: the
	// rows of queries that do not aggregate.
	Scan *Scan
	// Partial keeps the merged result mergeable with others (Result.WriteState): the pairs behind
	// the distinct counts are kept, and the counts not made.
	Partial bool
	// Derive, when set, computes columns that are not decoded (the enrichment of package enrich)
	// from those that are: only the fields the group-bys, filters and scan read, after decoding and
	// before any selection.
	Derive flowlog.Deriver
}

// Scan passes selected records on, for queries that list rows rather than aggregate them.
type Scan struct {
	Filter Filter            // nil keeps every record
	Fields []flowlog.FieldID // the fields Sink reads
	// Sink receives the selected rows of a batch (ascending row numbers). It is called by several
	// goroutines at once, each with its worker's number (0 ≤ worker < the run's workers); it must not
	// keep sel, and must Retain rec to keep it. An error stops the run.
	Sink func(worker int, rec arrow.RecordBatch, sel []int32) error
}

// Engine holds what the workers of one run share: the group-bys, the string ids and the memory
// budget. Each goroutine that reads batches has its own Worker; Merge combines them.
type Engine struct {
	cfg      Config
	specs    []Spec
	layouts  []keyLayout   // per spec
	dlayouts [][]keyLayout // per spec, per distinct field
	conds    []condSet     // distinct Where lists and filters
	specCond []int         // spec -> index in conds
	from, to int64
	hasFrom  bool
	hasTo    bool
	strs     *Strings
	budget   *Budget
	needRej  bool
	// sumFields are the fields some measure sums: their values are bounded (checkSums) so that no
	// sum wraps around.
	sumFields []flowlog.FieldID
	// derived are the fields read that cfg.Derive computes.
	derived []flowlog.FieldID
}

// New checks the specs and returns an engine.
func New(cfg Config) (*Engine, error) {
	e := &Engine{cfg: cfg, specs: cfg.Specs, strs: NewStrings(), budget: NewBudget(cfg.MemoryLimit)}
	e.strs.budget = e.budget
	if cfg.Location == nil {
		e.cfg.Location = time.UTC
	}
	if !cfg.From.IsZero() {
		e.from, e.hasFrom = cfg.From.Unix(), true
	}
	if !cfg.To.IsZero() {
		e.to, e.hasTo = cfg.To.Unix(), true
	}
	seen := map[string]bool{}
	condIndex := map[string]int{}
	for i := range e.specs {
		s := &e.specs[i]
		if err := s.validate(); err != nil {
			return nil, err
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("two aggregations are named %s", s.Name)
		}
		seen[s.Name] = true
		e.layouts = append(e.layouts, newKeyLayout(s.Keys))
		var dl []keyLayout
		for _, f := range s.Distinct {
			dl = append(dl, newKeyLayout([]Key{{Field: f}}))
		}
		e.dlayouts = append(e.dlayouts, dl)
		ck := condKey(s.Where, s.Filter)
		ci, ok := condIndex[ck]
		if !ok {
			ci = len(e.conds)
			condIndex[ck] = ci
			e.conds = append(e.conds, condSet{s.Where, s.Filter})
		}
		e.specCond = append(e.specCond, ci)
		for _, m := range s.Measures {
			if m == RejectFlows || m == RejectPackets || m == RejectBytes {
				e.needRej = true
			}
			switch m {
			case Bytes, RejectBytes:
				e.addSumField(flowlog.FBytes)
			case Packets, RejectPackets:
				e.addSumField(flowlog.FPackets)
			}
		}
		for _, a := range s.Aggs {
			if a.Op == AggSum {
				e.addSumField(a.Field)
			}
		}
	}
	if cfg.Derive != nil {
		for _, f := range e.read() {
			if _, ok := cfg.Derive.Inputs(f); ok {
				e.derived = append(e.derived, f)
			}
		}
	}
	return e, nil
}

// Derived lists the fields the engine reads that its Deriver computes.
func (e *Engine) Derived() []flowlog.FieldID { return e.derived }

func (e *Engine) addSumField(f flowlog.FieldID) {
	if !slices.Contains(e.sumFields, f) {
		e.sumFields = append(e.sumFields, f)
	}
}

// OverflowError says that a sum could wrap around 64 bits: the values of a summed field add up, in
// absolute value, to 2^63 or more. No group's sum can reach that unless they do, so the check is
// made once per batch over the field's values rather than once per addition, and a run never gives
// a wrong total: it fails with this error.
type OverflowError struct {
	Field string
}

func (e *OverflowError) Error() string {
	return fmt.Sprintf("the %s values of the input add up to more than 2^63-1 (9.2e18), beyond what a 64-bit sum holds: "+
		"flowlens stops rather than give a wrong total (no real traffic comes near; look for implausible %s fields)", e.Field, e.Field)
}

// condSet is the conditions of a spec: rows are selected once per batch for all specs that share them.
type condSet struct {
	conds  []Cond
	filter Filter
}

// Need lists the fields the engine reads: decoding may leave the others out of the batches. With a
// Deriver, the fields it computes bring the decoded fields they need.
func (e *Engine) Need() []flowlog.FieldID {
	read := e.read()
	if e.cfg.Derive == nil {
		return read
	}
	on := map[flowlog.FieldID]bool{}
	for _, f := range read {
		on[f] = true
		if in, ok := e.cfg.Derive.Inputs(f); ok {
			for _, g := range in {
				on[g] = true
			}
		}
	}
	var out []flowlog.FieldID
	for id := range flowlog.Fields {
		if on[flowlog.FieldID(id)] {
			out = append(out, flowlog.FieldID(id))
		}
	}
	return out
}

// read lists the fields the group-bys, filters and scan read.
func (e *Engine) read() []flowlog.FieldID {
	on := map[flowlog.FieldID]bool{flowlog.FLogStatus: true}
	if e.hasFrom || e.hasTo {
		on[flowlog.FStart] = true
	}
	if e.needRej {
		on[flowlog.FAction] = true
	}
	for _, s := range e.specs {
		for _, k := range s.Keys {
			on[k.Field] = true
		}
		for _, c := range s.Where {
			if len(c.Differ) > 0 {
				for _, p := range c.Differ {
					on[p[0]], on[p[1]] = true, true
				}
				continue
			}
			on[c.Field] = true
		}
		for _, f := range s.Distinct {
			on[f] = true
		}
		for _, a := range s.Aggs {
			on[a.Field] = true
		}
		if s.Filter != nil {
			for _, f := range s.Filter.Fields() {
				on[f] = true
			}
		}
		for _, m := range s.Measures {
			switch m {
			case Bytes, RejectBytes:
				on[flowlog.FBytes] = true
			case Packets, RejectPackets:
				on[flowlog.FPackets] = true
			case MinStart:
				on[flowlog.FStart] = true
			case MaxEnd:
				on[flowlog.FEnd] = true
			}
		}
	}
	if sc := e.cfg.Scan; sc != nil {
		for _, f := range sc.Fields {
			on[f] = true
		}
		if sc.Filter != nil {
			for _, f := range sc.Filter.Fields() {
				on[f] = true
			}
		}
	}
	var out []flowlog.FieldID
	for id := range flowlog.Fields {
		if on[flowlog.FieldID(id)] {
			out = append(out, flowlog.FieldID(id))
		}
	}
	return out
}

// Strings returns the run's string ids.
func (e *Engine) Strings() *Strings { return e.strs }

// Budget returns the run's memory budget.
func (e *Engine) Budget() *Budget { return e.budget }

// Specs returns the group-bys.
func (e *Engine) Specs() []Spec { return e.specs }

// Location is the time zone of hours and days.
func (e *Engine) Location() *time.Location { return e.cfg.Location }

// measureSet is which measure columns a spec's tables keep (indexed by Measure), their initial
// values and how two partial values combine.
type measureSet struct {
	on    []bool
	init  []int64
	merge []AggOp // AggSum, AggMin or AggMax
}

func (e *Engine) measured(i int) measureSet { return measuresOf(&e.specs[i]) }

func measuresOf(s *Spec) measureSet {
	n := int(numMeasures) + len(s.Distinct)
	if len(s.Aggs) > 0 {
		n = int(aggBase) + len(s.Aggs)
	}
	ms := measureSet{on: make([]bool, n), init: make([]int64, n), merge: make([]AggOp, n)}
	for _, m := range s.Measures {
		ms.on[m] = true
	}
	ms.init[MinStart], ms.merge[MinStart] = math.MaxInt64, AggMin
	ms.init[MaxEnd], ms.merge[MaxEnd] = math.MinInt64, AggMax
	for j := range s.Distinct {
		ms.on[Distinct(j)] = true
	}
	for j, a := range s.Aggs {
		m := AggMeasure(j)
		ms.on[m] = true
		switch a.Op {
		case AggMin:
			ms.init[m], ms.merge[m] = math.MaxInt64, AggMin
		case AggMax:
			ms.init[m], ms.merge[m] = math.MinInt64, AggMax
		}
	}
	return ms
}

// newTables returns empty tables for spec i: wide keys, narrow keys (nil when the key has no address),
// and the (group, value) pairs of each distinct field.
func (e *Engine) newTables(i int) (*table, *table, []*table) {
	s := &e.specs[i]
	ms := e.measured(i)
	t := newTable(e.layouts[i].w, ms, e.budget, s.Name)
	var nt *table
	if e.layouts[i].nw > 0 {
		nt = newTable(e.layouts[i].nw, ms, e.budget, s.Name)
		nt.narrow = true
	}
	var ds []*table
	for j := range s.Distinct {
		ds = append(ds, newTable(e.layouts[i].w+e.dlayouts[i][j].w, measureSet{}, e.budget, s.Name+" distinct "+flowlog.Fields[s.Distinct[j]].Name))
	}
	return t, nt, ds
}

// zoneCache gives the UTC offset of an instant, remembering the span over which it holds.
type zoneCache struct {
	loc    *time.Location
	utc    bool
	lo, hi int64
	off    int64
}

func newZoneCache(loc *time.Location) zoneCache {
	return zoneCache{loc: loc, utc: loc == time.UTC, lo: 1, hi: 0}
}

func (z *zoneCache) offset(v int64) int64 {
	if z.utc {
		return 0
	}
	if v >= z.lo && v < z.hi {
		return z.off
	}
	t := time.Unix(v, 0).In(z.loc)
	_, off := t.Zone()
	z.off = int64(off)
	s, e := t.ZoneBounds()
	z.lo, z.hi = math.MinInt64, math.MaxInt64
	if !s.IsZero() {
		z.lo = s.Unix()
	}
	if !e.IsZero() {
		z.hi = e.Unix()
	}
	return z.off
}

// hourStart is the start of v's hour in the zone, as Unix seconds. Zones change offset at whole local
// hours, so one offset holds for the whole hour.
func (z *zoneCache) hourStart(v int64) int64 {
	off := z.offset(v)
	l := v + off
	return l - floorMod(l, 3600) - off
}

// day is v's local date as days since 1970-01-01.
func (z *zoneCache) day(v int64) int64 {
	l := v + z.offset(v)
	return (l - floorMod(l, 86400)) / 86400
}

// Zone derives the engine's time keys from Unix seconds in a time zone, for the query layer: an
// expression over a time and a group key of it agree because they are the same code. A Zone serves
// one goroutine.
type Zone struct{ z zoneCache }

// NewZone returns a Zone for loc (UTC when nil).
func NewZone(loc *time.Location) *Zone {
	if loc == nil {
		loc = time.UTC
	}
	return &Zone{z: newZoneCache(loc)}
}

// Truncate returns key t of time v: Unix seconds for TruncNone, TruncMinute and TruncHour, days
// since 1970-01-01 for TruncDay, 0–23 for TruncHourOfDay, 1–7 for TruncDayOfWeek.
func (z *Zone) Truncate(t Trunc, v int64) int64 { return z.z.truncate(t, v) }

// truncate derives key t of time v in the zone.
func (z *zoneCache) truncate(t Trunc, v int64) int64 {
	switch t {
	case TruncHour:
		return z.hourStart(v)
	case TruncDay:
		return z.day(v)
	case TruncMinute:
		return v - floorMod(v, 60) // zone offsets are whole minutes
	case TruncHourOfDay:
		return floorMod(v+z.offset(v), 86400) / 3600
	case TruncDayOfWeek:
		// 1970-01-01 was a Thursday (4).
		return floorMod(z.day(v)+3, 7) + 1
	}
	return v
}

func floorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}
