package report

import (
	"time"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/enrich"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/nat"
	"github.com/flowlens/flowlens/output"
)

// SchemaVersion is the version of the JSON report's schema; it changes only when a field changes
// meaning or goes away (new fields may appear within a version). See docs/report-json.md.
const SchemaVersion = 1

// Input is what the run read, for the report's input section.
type Input struct {
	Stats   *flowlog.Stats
	Failed  []flowlog.ObjectError
	Skipped int // objects left out by their key's time range
}

// Options shape the report.
type Options struct {
	Top      int
	From, To time.Time
	Location *time.Location
	// NAT configures the NAT gateway section; nil leaves it out (and its group-bys).
	NAT *nat.Config
	// Compare, when set, is the period to set the report beside (its run over Specs of these
	// options, with its own range): the comparison section.
	Compare *Period
	// Spikes, when set, asks for the spikes section.
	Spikes *SpikeOptions
	// Enrich, when set, names interfaces and addresses from its inventory (--enrich): the
	// interfaces, sources, destinations and conversations carry names and types, and the
	// enrichment section says when the inventory was taken and what it did not hold.
	Enrich *enrich.Deriver
	// ByTag, with Enrich, adds the by_tag section: traffic and NAT cost per value of this tag.
	ByTag string
	// Transfer, when set, adds the transfer section (report --transfer): the data-transfer bill
	// beside the NAT's, with these prices and ranges.
	Transfer *nat.Config
}

// Report is the standard report; its JSON form is the documented contract (schema_version 1,
// docs/report-json.md). Each section of the report fills its own fields (section_*.go).
type Report struct {
	SchemaVersion int            `json:"schema_version"`
	Generator     string         `json:"generator"`
	TimeZone      string         `json:"timezone"`
	Range         RangeDoc       `json:"range"`
	Notes         []string       `json:"notes"`
	Input         InputDoc       `json:"input"`
	Totals        TotalsDoc      `json:"totals"`
	Interfaces    []InterfaceDoc `json:"interfaces"`
	Sources       []SourceDoc    `json:"sources"`
	Destinations  []DestDoc      `json:"destinations"`
	Conversations []ConvDoc      `json:"conversations"`
	Hourly        []HourDoc      `json:"hourly"`
	BusiestHours  []HourDoc      `json:"busiest_hours"`
	HourOfDay     []HourOfDayDoc `json:"hour_of_day"`
	Rejects       RejectsDoc     `json:"rejects"`
	Ports         []PortDoc      `json:"ports"`
	Protocols     []ProtocolDoc  `json:"protocols"`
	Unavailable   []string       `json:"unavailable"`
	// NAT is the NAT gateway cost review (as flowlens cost writes it), when gateways were given or
	// found in the records; absent otherwise.
	NAT *nat.Review `json:"nat,omitempty"`
	// Transfer is the data-transfer bill (--transfer): inter-AZ, inter-region, internet egress,
	// transit gateway, NAT public IPv4, beside the NAT review's hours and bytes.
	Transfer *nat.TransferDoc `json:"transfer,omitempty"`
	// Comparison sets the report beside another period (--compare-to, --compare-period); absent
	// unless asked for.
	Comparison *ComparisonDoc `json:"comparison,omitempty"`
	// Spikes are the hours above their baseline (--spike-*); absent unless asked for.
	Spikes *SpikesDoc `json:"spikes,omitempty"`
	// Enrichment says what the inventory held and did not (--enrich); absent without one.
	Enrichment *EnrichmentDoc `json:"enrichment,omitempty"`
	// ByTag is the traffic per tag value (--by-tag); absent unless asked for.
	ByTag *ByTagDoc `json:"by_tag,omitempty"`
}

// RangeDoc is the time range asked for; null ends are open.
type RangeDoc struct {
	From *string `json:"from"`
	To   *string `json:"to"`
}

// Report notes, stated in every report because they decide how to read its numbers.
const (
	NoteHour     = "A flow is counted in the hour of its start time."
	NotePerENI   = "Flows are counted per network interface as logged: a flow seen on two interfaces is two observations."
	NoteRecords  = "Traffic totals count records with log-status OK; NODATA and SKIPDATA lines are counted in input only."
	NoteAccepted = "accepted_flows are the flows whose action is not REJECT."
)

// A section is one part of the report: the group-bys it reads (a group-by two sections share is
// one Spec value, run once), how it fills its fields of the document, and its text. Sections are
// built and written in the order of sections.
type section struct {
	name  string
	specs func(o Options) []aggregate.Spec
	build func(b *builder) error
	text  func(r *Report, t *textOut)
	// csv gives its tables for spreadsheets (report --format csv), one file each.
	csv func(r *Report) []output.CSVTable
}

// sections is the report, in order.
var sections = []section{
	inputSection,
	totalsSection,
	interfacesSection,
	conversationsSection,
	hoursSection,
	rejectsSection,
	portsSection,
	natSection,
	transferSection,
	ownersSection,
}

// Specs returns the group-bys the report needs, each once.
func Specs(o Options) []aggregate.Spec {
	var out []aggregate.Spec
	seen := map[string]bool{}
	for _, s := range sections {
		if s.specs == nil {
			continue
		}
		for _, sp := range s.specs(o) {
			if !seen[sp.Name] {
				seen[sp.Name] = true
				out = append(out, sp)
			}
		}
	}
	return out
}

// builder is what the sections build from: the run's result and what they share.
type builder struct {
	r       *Report
	res     *aggregate.Result
	in      Input
	o       Options
	loc     *time.Location
	top     int
	rollups map[string]*aggregate.Table
}

// rollup returns the table spec rolled up by the fields keep, under name; made once per report.
func (b *builder) rollup(spec aggregate.Spec, name string, keep ...flowlog.FieldID) *aggregate.Table {
	if t, ok := b.rollups[name]; ok {
		return t
	}
	t := b.res.Table(spec.Name).RollupBy(name, keep...)
	b.rollups[name] = t
	return t
}

// Build turns a run's merged result (of a run over Specs(opts)) into the report; with
// opts.Compare, the comparison with that period; with opts.Spikes, the spikes.
func Build(res *aggregate.Result, in Input, opts Options) (*Report, error) {
	r, b, err := build(res, in, opts)
	if err != nil {
		return r, err
	}
	if opts.Compare != nil {
		if err := buildComparison(b, opts.Compare); err != nil {
			return r, err
		}
	}
	if opts.Spikes != nil {
		buildSpikes(b, opts.Spikes)
	}
	return r, nil
}

// build makes the report's sections, and returns the builder for a comparison to read.
func build(res *aggregate.Result, in Input, opts Options) (*Report, *builder, error) {
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	r := &Report{
		SchemaVersion: SchemaVersion,
		Generator:     "flowlens report",
		TimeZone:      loc.String(),
		Notes:         []string{NoteHour, NotePerENI, NoteRecords, NoteAccepted},
		Unavailable:   []string{},
	}
	if !opts.From.IsZero() {
		r.Range.From = strp(opts.From.In(loc).Format(time.RFC3339))
	}
	if !opts.To.IsZero() {
		r.Range.To = strp(opts.To.In(loc).Format(time.RFC3339))
	}
	b := &builder{r: r, res: res, in: in, o: opts, loc: loc, top: opts.Top, rollups: map[string]*aggregate.Table{}}
	for _, s := range sections {
		if err := s.build(b); err != nil {
			return r, b, err
		}
	}
	return r, b, nil
}

// Tables are the report as tables for spreadsheets, one per list, in the order of the sections:
// what report --format csv writes, a CSV file each.
func (r *Report) Tables() []output.CSVTable {
	var out []output.CSVTable
	for _, s := range sections {
		if s.csv != nil {
			out = append(out, s.csv(r)...)
		}
	}
	return out
}

func strp(s string) *string { return &s }

func valueStr(v aggregate.Value) *string {
	if v.Null {
		return nil
	}
	return strp(v.String())
}

func valueInt(v aggregate.Value) *int64 {
	if v.Null {
		return nil
	}
	x := v.Int
	return &x
}

// unixTime formats a MinStart/MaxEnd measure; nil when no record had the field.
func unixTime(m aggregate.Measure, v int64, loc *time.Location) *string {
	if aggregate.Unset(m, v) {
		return nil
	}
	return strp(time.Unix(v, 0).In(loc).Format(time.RFC3339))
}
