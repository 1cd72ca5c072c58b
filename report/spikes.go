package report

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
)

// Spikes: the hours of the report whose bytes (in all, per interface, per NAT gateway) exceed the
// mean of the same hour of the day on the preceding days by more than Sigma standard deviations.
//
// The baseline of an hour t is the bytes of the same local hour on each of the SpikeWindowDays days
// before it that the data read covers (the report's own period, the history read for it, and the
// compared period when it comes from the same sources); an hour of those days without records
// counts as 0 bytes, a day outside what was read is not in the baseline. An hour is judged when its
// baseline has at least Days days. With n days of baseline x1…xn, mean m = Σx/n and the sample
// standard deviation s = √(Σ(x−m)²/(n−1)); the hour is a spike when bytes > m + Sigma·s, unless
// the baseline is all zeros (traffic where there was none is new, which the comparison shows, not a
// spike).

// SpikeWindowDays is how far back a baseline looks: four weeks.
const SpikeWindowDays = 28

// Default spike parameters.
const (
	DefaultSpikeSigma = 3.0
	DefaultSpikeDays  = 7
)

// SpikeOptions ask for spikes.
type SpikeOptions struct {
	Sigma float64 // standard deviations above the mean (default 3)
	Days  int     // baseline days an hour needs to be judged (at least 2; default 7)
	// History is the days before the report read for the baseline (a run over HistorySpecs), when
	// asked for; nil otherwise.
	History *Period
	// CompareIsBaseline says that Options.Compare is the same sources' earlier period
	// (--compare-period), whose hours may serve as baseline too.
	CompareIsBaseline bool
}

// HistorySpecs are the group-bys a spike history run needs: bytes by interface and hour.
func HistorySpecs() []aggregate.Spec { return []aggregate.Spec{specIfaceHour} }

// The series of spikes.
const (
	SeriesTotal      = "total"
	SeriesInterface  = "interface"
	SeriesNATGateway = "nat_gateway"
)

// SpikesDoc lists the spikes of the report's hours.
type SpikesDoc struct {
	Sigma      float64 `json:"sigma"`
	MinDays    int     `json:"min_days"`
	WindowDays int     `json:"window_days"`
	// Baseline names the periods the baselines were drawn from.
	Baseline []string `json:"baseline"`
	// Hours are the report's hours; JudgedHours those with at least min_days days of baseline.
	Hours       int `json:"hours"`
	JudgedHours int `json:"judged_hours"`
	// Note says why no hour could be judged; left out otherwise.
	Note  string     `json:"note,omitempty"`
	Count int        `json:"count"` // spikes found; List holds the top N of them
	List  []SpikeDoc `json:"list"`
}

// SpikeDoc is one hour of one series that exceeds its baseline.
type SpikeDoc struct {
	Series         string   `json:"series"`       // total, interface or nat_gateway
	InterfaceID    *string  `json:"interface_id"` // null for the total
	Name           string   `json:"name,omitempty"`
	Hour           string   `json:"hour"`
	Bytes          int64    `json:"bytes"`
	BaselineDays   int      `json:"baseline_days"`
	BaselineMean   float64  `json:"baseline_mean"`
	BaselineStddev float64  `json:"baseline_stddev"`
	Threshold      float64  `json:"threshold"`    // mean + sigma × stddev
	Sigmas         *float64 `json:"sigmas"`       // (bytes − mean) / stddev; null when stddev is 0
	ExcessBytes    float64  `json:"excess_bytes"` // bytes − mean
}

// SpikeVerdict judges one value against its baseline: mean, sample standard deviation, and
// whether it is a spike at sigma. The baseline must hold at least 2 values.
func SpikeVerdict(x int64, baseline []int64, sigma float64) (mean, sd float64, spike bool) {
	n := float64(len(baseline))
	for _, v := range baseline {
		mean += float64(v)
	}
	mean /= n
	var ss float64
	for _, v := range baseline {
		d := float64(v) - mean
		ss += d * d
	}
	if len(baseline) > 1 {
		sd = math.Sqrt(ss / (n - 1))
	}
	if sd == 0 && mean == 0 {
		return mean, sd, false
	}
	return mean, sd, float64(x) > mean+sigma*sd
}

// hourSource is one run's bytes by hour, in all and per interface, over the hours it covers.
type hourSource struct {
	lo, hi int64 // covered hours: lo <= start < hi
	total  map[int64]int64
	iface  map[string]map[int64]int64
}

func (s *hourSource) covers(h int64) bool { return h >= s.lo && h < s.hi }

// readHours reads a run's interface × hour table over [from, to) (zero: the records' own first
// and last hour).
func readHours(res *aggregate.Result, from, to time.Time) *hourSource {
	s := &hourSource{total: map[int64]int64{}, iface: map[string]map[int64]int64{}, lo: math.MaxInt64, hi: math.MinInt64}
	t := res.Table(specIfaceHour.Name)
	if t == nil {
		return s
	}
	cID, cHour := t.Col(flowlog.FInterfaceID), t.Col(flowlog.FStart)
	for _, g := range t.Groups() {
		h := t.Key(g, cHour)
		if h.Null {
			continue
		}
		b := t.Value(g, aggregate.Bytes)
		s.total[h.Int] += b
		s.lo, s.hi = min(s.lo, h.Int), max(s.hi, h.Int+3600)
		if id := t.Key(g, cID); !id.Null {
			m := s.iface[id.Str]
			if m == nil {
				m = map[int64]int64{}
				s.iface[id.Str] = m
			}
			m[h.Int] += b
		}
	}
	if !from.IsZero() {
		s.lo = from.Unix()
	}
	if !to.IsZero() {
		s.hi = to.Unix()
	}
	return s
}

func buildSpikes(b *builder, so *SpikeOptions) {
	sigma, days := so.Sigma, so.Days
	if sigma <= 0 {
		sigma = DefaultSpikeSigma
	}
	if days < 2 {
		days = DefaultSpikeDays
	}
	doc := &SpikesDoc{Sigma: sigma, MinDays: days, WindowDays: SpikeWindowDays, Baseline: []string{"the report's period"}, List: []SpikeDoc{}}
	b.r.Spikes = doc
	cur := readHours(b.res, b.o.From, b.o.To)
	sources := []*hourSource{cur}
	if h := so.History; h != nil {
		if h.Err != "" || h.Result == nil {
			b.r.Unavailable = append(b.r.Unavailable, "spikes: the history was not read: "+h.Err)
		} else {
			sources = append(sources, readHours(h.Result, h.From, h.To))
			doc.Baseline = append(doc.Baseline, h.Label)
		}
	}
	if p := b.o.Compare; so.CompareIsBaseline && p != nil && p.Err == "" && p.Result != nil {
		sources = append(sources, readHours(p.Result, p.From, p.To))
		doc.Baseline = append(doc.Baseline, p.Label)
	}
	if cur.lo >= cur.hi {
		doc.Note = "no hour to judge: the report has no records with a start time"
		return
	}
	// The source of an hour: the first that covers it (the report, the history, the compared period).
	sourceOf := func(h int64) *hourSource {
		for _, s := range sources {
			if s.covers(h) {
				return s
			}
		}
		return nil
	}
	// The report's hours, and the baseline hours of each.
	loc := b.loc
	baselines := map[int64][]int64{}
	first := time.Unix(cur.lo, 0).In(loc)
	first = time.Date(first.Year(), first.Month(), first.Day(), first.Hour(), 0, 0, 0, loc)
	for t := first; t.Unix() < cur.hi; t = t.Add(time.Hour) {
		h := t.Unix()
		doc.Hours++
		var bl []int64
		for d := 1; d <= SpikeWindowDays; d++ {
			p := t.AddDate(0, 0, -d).Unix()
			if sourceOf(p) != nil {
				bl = append(bl, p)
			}
		}
		if len(bl) >= days {
			baselines[h] = bl
			doc.JudgedHours++
		}
	}
	if doc.JudgedHours == 0 {
		doc.Note = fmt.Sprintf("no hour could be judged: each needs the same hour on at least %d earlier days, and the data read covers fewer (read the days before --from with --spike-history, or report a longer period)", days)
		return
	}
	natNames := map[string]string{}
	if b.r.NAT != nil {
		for _, g := range b.r.NAT.NATGateways {
			natNames[g.InterfaceID] = gatewayLabel(g)
		}
	}
	var found []SpikeDoc
	judge := func(series string, id *string, name string, vals func(s *hourSource) map[int64]int64) {
		curVals := vals(cur)
		hours := make([]int64, 0, len(curVals))
		for h := range curVals {
			hours = append(hours, h)
		}
		sort.Slice(hours, func(i, j int) bool { return hours[i] < hours[j] })
		var bl []int64
		for _, h := range hours {
			x := curVals[h]
			bh, ok := baselines[h]
			if !ok || x <= 0 {
				continue
			}
			bl = bl[:0]
			for _, p := range bh {
				bl = append(bl, vals(sourceOf(p))[p])
			}
			mean, sd, spike := SpikeVerdict(x, bl, sigma)
			if !spike {
				continue
			}
			d := SpikeDoc{Series: series, InterfaceID: id, Name: name, Hour: time.Unix(h, 0).In(loc).Format(time.RFC3339), Bytes: x,
				BaselineDays: len(bl), BaselineMean: round2(mean), BaselineStddev: round2(sd), Threshold: round2(mean + sigma*sd), ExcessBytes: round2(float64(x) - mean)}
			if sd > 0 {
				d.Sigmas = fptr(round2((float64(x) - mean) / sd))
			}
			found = append(found, d)
		}
	}
	judge(SeriesTotal, nil, "", func(s *hourSource) map[int64]int64 { return s.total })
	ids := make([]string, 0, len(cur.iface))
	for id := range cur.iface {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		series := SeriesInterface
		name, isNAT := natNames[id]
		if isNAT {
			series = SeriesNATGateway
		} else {
			name = ""
		}
		judge(series, strp(id), name, func(s *hourSource) map[int64]int64 { return s.iface[id] })
	}
	rank := map[string]int{SeriesTotal: 0, SeriesNATGateway: 1, SeriesInterface: 2}
	sort.SliceStable(found, func(i, j int) bool {
		a, c := found[i], found[j]
		if a.ExcessBytes != c.ExcessBytes {
			return a.ExcessBytes > c.ExcessBytes
		}
		if a.Hour != c.Hour {
			return a.Hour < c.Hour
		}
		return rank[a.Series] < rank[c.Series]
	})
	doc.Count = len(found)
	if b.top > 0 && len(found) > b.top {
		found = found[:b.top]
	}
	if found != nil {
		doc.List = found
	}
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// spikeKey names a spike's series for people.
func spikeKey(s SpikeDoc) string {
	switch {
	case s.InterfaceID == nil:
		return "all traffic"
	case s.Name != "":
		return s.Name
	}
	return *s.InterfaceID
}

func sigmasText(s SpikeDoc) string {
	if s.Sigmas == nil {
		return "∞"
	}
	return fmt.Sprintf("%.1fσ", *s.Sigmas)
}

func textSpikes(r *Report, t *textOut) {
	s := r.Spikes
	if s == nil {
		return
	}
	t.flush()
	t.p("\nSPIKES  %d (hours above the same hour's mean + %gσ over ≥ %d of the %d days before; %d of %d hours judged)\n",
		s.Count, s.Sigma, s.MinDays, s.WindowDays, s.JudgedHours, s.Hours)
	if s.Note != "" {
		t.p("  %s\n", s.Note)
	}
	if len(s.List) == 0 {
		return
	}
	t.table("", "series\tkey\thour\tbytes\tbaseline mean\tstddev\tdays\tabove\t")
	for _, d := range s.List {
		t.row("%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t\n", d.Series, spikeKey(d), d.Hour, si(d.Bytes), si(int64(d.BaselineMean+0.5)), si(int64(d.BaselineStddev+0.5)), d.BaselineDays, sigmasText(d))
	}
}
