package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/enrich"
	"github.com/flowlens/flowlens/flowlog"
)

// Scale-out: --shard I/N reads the objects whose key hashes to shard I of N, so that N processes
// that never talk to each other split a listing between them; --partial writes the run's exact
// aggregation state instead of its answer; `flowlens merge` combines the states of every shard into
// the answer one process over all of the objects would have written.

// scaleFlags are --shard and --partial, of the commands whose answer merges (report, cost).
type scaleFlags struct {
	on      bool // the command takes them
	shard   string
	partial bool
	i, n    int // shard i of n, 1-based; n is 0 without --shard
}

func (s *scaleFlags) add(fs *pflag.FlagSet) {
	s.on = true
	fs.StringVar(&s.shard, "shard", "", "read only shard I of N of the objects (I/N, e.g. 3/8): a hash of each object's name decides, the same in every process")
	fs.BoolVar(&s.partial, "partial", false, "write the run's mergeable aggregation state to -o FILE instead of its answer; 'flowlens merge' combines the shards' states")
}

// parse checks the flags; a non-zero code is a usage error already printed.
func (s *scaleFlags) parse(name, out string) int {
	if s.shard != "" {
		a, b, ok := strings.Cut(s.shard, "/")
		i, err1 := strconv.Atoi(a)
		n, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
			return usageError(name, "--shard %q: want I/N with 1 ≤ I ≤ N, e.g. 3/8", s.shard)
		}
		s.i, s.n = i, n
	}
	if s.partial && (out == "" || out == "-") {
		return usageError(name, "--partial writes a state file: give -o FILE")
	}
	return exitOK
}

// keep returns the sources of this shard and their positions in the whole listing: the objects
// whose name hashes to the shard (flowlog.ShardOf), or, when there are fewer objects than shards
// and they are all Parquet, every object, whose row groups opts.RowGroupShard then splits.
func (s *scaleFlags) keep(sources []flowlog.Source, opts *flowlog.Options) ([]flowlog.Source, []int) {
	var out []flowlog.Source
	var idx []int
	rowGroups := s.n > 1 && len(sources) > 0 && len(sources) < s.n
	for _, src := range sources {
		rowGroups = rowGroups && flowlog.IsParquetName(src.Name)
	}
	if rowGroups {
		opts.RowGroupShard = &flowlog.RowGroupShard{I: s.i, N: s.n}
	}
	for k, src := range sources {
		if s.n == 0 || rowGroups || flowlog.ShardOf(src.Name, s.n) == s.i-1 {
			out = append(out, src)
			idx = append(idx, k)
		}
	}
	return out, idx
}

// partialVersion is the version of partialMeta.
const partialVersion = 1

// partialMeta is what a state file says of its run, beside the aggregation state: the question (the
// command and the flags that shape its answer), the shard, and the accounting of each object read.
type partialMeta struct {
	Version     int          `json:"version"`
	Command     string       `json:"command"`
	Args        []string     `json:"args"`
	Fingerprint string       `json:"fingerprint"`
	Shard       int          `json:"shard"`
	Shards      int          `json:"shards"`
	Listed      int          `json:"listed"`  // objects in the whole listing, every shard's
	Skipped     int          `json:"skipped"` // objects the keys left out of the range (shard 1 counts them)
	Objects     []partObject `json:"objects"`
	Query       string       `json:"query,omitempty"` // sql's query, its argument
	// Enrich is the shard's enrichment accounting (--enrich): rows enriched and not found.
	Enrich *enrichCounts `json:"enrich,omitempty"`
}

// enrichCounts are enrich.Counts as numbers, for a state file.
type enrichCounts struct {
	InterfaceRows, InterfaceMissing, SrcRows, SrcMissing, DstRows, DstMissing int64
}

// noteEnrich keeps the enrichment accounting of the run in the state's description.
func (p *partialOut) noteEnrich(opts flowlog.Options) {
	if d, ok := opts.Derive.(*enrich.Deriver); ok {
		c := d.Counts()
		p.meta.Enrich = &enrichCounts{c.InterfaceRows.Load(), c.InterfaceMissing.Load(), c.SrcRows.Load(), c.SrcMissing.Load(), c.DstRows.Load(), c.DstMissing.Load()}
	}
}

// addEnrich adds the shards' enrichment accounting to the merge's deriver, which read nothing.
func (m *mergeIn) addEnrich(opts flowlog.Options) {
	if d, ok := opts.Derive.(*enrich.Deriver); ok {
		c := d.Counts()
		c.InterfaceRows.Add(m.enrich.InterfaceRows)
		c.InterfaceMissing.Add(m.enrich.InterfaceMissing)
		c.SrcRows.Add(m.enrich.SrcRows)
		c.SrcMissing.Add(m.enrich.SrcMissing)
		c.DstRows.Add(m.enrich.DstRows)
		c.DstMissing.Add(m.enrich.DstMissing)
	}
}

// partObject is one object a shard read: its place in the listing, its accounting, its failure.
type partObject struct {
	Index int            `json:"index"`
	Name  string         `json:"name"`
	Stats *flowlog.Stats `json:"stats,omitempty"`
	Error string         `json:"error,omitempty"`
}

const partialMetaKey = "flowlens.partial"

// question writes the command line of the question, for messages.
func (pm *partialMeta) question() string {
	q := ""
	if pm.Query != "" {
		q = " " + strconv.Quote(pm.Query)
	}
	return strings.TrimSpace("flowlens "+pm.Command+" "+strings.Join(pm.Args, " ")) + q
}

func fingerprint(command string, args []string, query string) string {
	h := sha256.Sum256([]byte(command + "\x00" + strings.Join(args, "\x00") + "\x00" + query))
	return hex.EncodeToString(h[:12])
}

// notQuestion are the flags that do not change an answer: how to read, where to write, how fast.
var notQuestion = map[string]bool{"explain": true, "output": true, "format": true, "section": true, "workers": true, "quiet": true,
	"cpuprofile": true, "memprofile": true, "memory-limit": true, "shard": true, "partial": true, "profile": true,
	"endpoint-url": true, "no-sign-request": true, "bucket-region": true, "s3-connect-timeout": true,
	"s3-header-timeout": true, "s3-idle-timeout": true}

// questionArgs writes the flags given to the command that shape its answer, as --name=value; the
// times of --from and --to as read (a relative "-24h" means another time when merged later).
func (f *readFlags) questionArgs(rf runFlags) []string {
	var out []string
	f.fs.Visit(func(fl *pflag.Flag) {
		switch {
		case notQuestion[fl.Name]:
		case fl.Name == "from":
			out = append(out, "--from="+rf.from.Format(time.RFC3339Nano))
		case fl.Name == "to":
			out = append(out, "--to="+rf.to.Format(time.RFC3339Nano))
		default:
			if sv, ok := fl.Value.(pflag.SliceValue); ok {
				for _, v := range sv.GetSlice() {
					out = append(out, "--"+fl.Name+"="+v)
				}
				return
			}
			out = append(out, "--"+fl.Name+"="+fl.Value.String())
		}
	})
	return out
}

// partialOut is where a --partial run writes its state, and what it says of the run.
type partialOut struct {
	w     io.Writer
	meta  partialMeta
	index map[string]int // per object of the shard: its position in the whole listing
}

// partialDone is the outcome of a --partial run that wrote its state: not an error, but the end of
// the command's read before its answer is made.
type partialDone struct {
	stats  *flowlog.Stats
	failed []flowlog.ObjectError
}

func (p *partialDone) Error() string { return "partial state written" }

// write writes the state of res (a run with aggregate.Config.Partial) with the run's accounting.
func (p *partialOut) write(res *aggregate.Result, failed []flowlog.ObjectError) error {
	errs := map[string]string{}
	for _, fo := range failed {
		errs[fo.Object] = fo.Err.Error()
	}
	p.meta.Objects = nil
	for _, o := range res.Objects {
		i, ok := p.index[o.Name]
		if !ok {
			return fmt.Errorf("BUG: object %s read but not in the shard's listing", o.Name)
		}
		p.meta.Objects = append(p.meta.Objects, partObject{Index: i, Name: o.Name, Stats: o.Stats, Error: errs[o.Name]})
	}
	js, err := json.Marshal(p.meta)
	if err != nil {
		return err
	}
	if err := res.WriteState(p.w, map[string]string{partialMetaKey: string(js)}); err != nil {
		return err
	}
	return nil
}

// merging, when set, is the merge that the command run by `flowlens merge` reads instead of
// sources: its runEngine loads and merges the states.
var merging *mergeIn

type mergeIn struct {
	paths   []string
	stats   *flowlog.Stats
	failed  []flowlog.ObjectError
	skipped int
	enrich  enrichCounts
}

// merge loads every state into e and merges them.
func (m *mergeIn) merge(e *aggregate.Engine) (*aggregate.Result, error) {
	var ws []*aggregate.Worker
	for _, p := range m.paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		w, _, err := e.LoadState(f)
		f.Close()
		if err != nil {
			for _, w := range ws {
				w.Release()
			}
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		ws = append(ws, w)
	}
	var blobs [][]byte
	for _, w := range ws {
		blobs = append(blobs, w.Blobs...)
	}
	res, err := e.Merge(ws)
	if err != nil {
		return nil, err
	}
	res.Blobs = blobs
	return res, nil
}

// readPartialMeta reads the description of the run that wrote a state file.
func readPartialMeta(path string) (*partialMeta, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd, err := ipc.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: not a flowlens state file (written by --partial): %w", path, err)
	}
	defer rd.Release()
	md := rd.Schema().Metadata()
	i := md.FindKey(partialMetaKey)
	if i < 0 {
		return nil, fmt.Errorf("%s: not a flowlens state file (written by --partial)", path)
	}
	var pm partialMeta
	if err := json.Unmarshal([]byte(md.Values()[i]), &pm); err != nil {
		return nil, fmt.Errorf("%s: reading its description: %w", path, err)
	}
	if pm.Version != partialVersion {
		return nil, fmt.Errorf("%s: state version %d, this flowlens reads %d", path, pm.Version, partialVersion)
	}
	if fingerprint(pm.Command, pm.Args, pm.Query) != pm.Fingerprint {
		return nil, fmt.Errorf("%s: its question does not match its fingerprint", path)
	}
	return &pm, nil
}

var mergeCmd = &command{
	name:  "merge",
	usage: "[flags] STATE…",
	short: "combine the states of shards (--shard I/N --partial) into one answer",
	long: `Reads the state files that 'report' or 'cost' wrote with --shard I/N --partial -o FILE, one per shard,
checks that they answer the same question (the same command and flags, by a fingerprint) and that every
shard from 1 to N is there once, merges them and writes the answer: the same output, byte for byte, as
one process over all of the objects. Its memory is that of the groups, not of the records. The input
accounting is the shards' together; an object a shard could not read is named and the exit status is 1,
as in one run. Files the question names (--pricing, --nat-gateways, --ip-ranges) are read again from
their paths.

Examples:
  flowlens report --shard 1/3 --partial -o s1.state s3://logs/AWSLogs/   # and 2/3, 3/3, anywhere
  flowlens merge -o report.json s1.state s2.state s3.state
  flowlens merge --format table shards/*.state`,
	completions: map[string][]string{"format": {"auto", "table", "json", "csv"}},
	flags: func(fs *pflag.FlagSet) func(context.Context, []string) int {
		out := fs.StringP("output", "o", "", "write the answer to FILE (atomically) instead of stdout")
		format := fs.String("format", "", "the answer's format (as the command's --format; default: the command's)")
		section := fs.String("section", "", "with --format csv: write only this table")
		quiet := fs.BoolP("quiet", "q", false, "no diagnostics but errors")
		memLimit := fs.String("memory-limit", "", "memory for the merged state, e.g. 4GiB (default: half of the machine's)")
		return func(ctx context.Context, args []string) int {
			if len(args) == 0 {
				return usageError("merge", "give the state files of every shard")
			}
			var metas []*partialMeta
			for _, p := range args {
				pm, err := readPartialMeta(p)
				if err != nil {
					return fail("merge", err)
				}
				metas = append(metas, pm)
			}
			first := metas[0]
			seen := map[int]string{}
			for k, pm := range metas {
				if pm.Command != first.Command || pm.Fingerprint != first.Fingerprint {
					return fail("merge", fmt.Errorf("%s answers another question than %s: '%s' against '%s'",
						args[k], args[0], pm.question(), first.question()))
				}
				if pm.Shards != first.Shards || pm.Listed != first.Listed {
					return fail("merge", fmt.Errorf("%s is shard %d/%d of a listing of %d objects, %s shard %d/%d of %d: not the same split",
						args[k], pm.Shard, pm.Shards, pm.Listed, args[0], first.Shard, first.Shards, first.Listed))
				}
				if prev, ok := seen[pm.Shard]; ok {
					return fail("merge", fmt.Errorf("shard %d/%d given twice: %s and %s", pm.Shard, pm.Shards, prev, args[k]))
				}
				seen[pm.Shard] = args[k]
			}
			var missing []string
			for i := 1; i <= first.Shards; i++ {
				if _, ok := seen[i]; !ok {
					missing = append(missing, fmt.Sprintf("%d/%d", i, first.Shards))
				}
			}
			if len(missing) > 0 {
				return fail("merge", fmt.Errorf("no state of shard %s: a merge of the others would be a partial answer (rerun the shard, or give its file)", strings.Join(missing, ", ")))
			}
			// The accounting adds up object by object in the order of the listing, as one run's.
			var objs []partObject
			m := &mergeIn{paths: args, stats: &flowlog.Stats{}}
			for _, pm := range metas {
				objs = append(objs, pm.Objects...)
				m.skipped += pm.Skipped
				if c := pm.Enrich; c != nil {
					m.enrich.InterfaceRows += c.InterfaceRows
					m.enrich.InterfaceMissing += c.InterfaceMissing
					m.enrich.SrcRows += c.SrcRows
					m.enrich.SrcMissing += c.SrcMissing
					m.enrich.DstRows += c.DstRows
					m.enrich.DstMissing += c.DstMissing
				}
			}
			sort.SliceStable(objs, func(a, b int) bool { return objs[a].Index < objs[b].Index })
			for k := 0; k < len(objs); {
				// The shards of one object's row groups (Parquet, fewer objects than shards) each
				// count their rows; the object is failed once, with its first error.
				j, st, msg := k, &flowlog.Stats{}, ""
				for ; j < len(objs) && objs[j].Index == objs[k].Index; j++ {
					if objs[j].Stats != nil {
						st.Add(objs[j].Stats)
					}
					msg = cmp.Or(msg, objs[j].Error)
				}
				st.ObjectsFailed = min(st.ObjectsFailed, 1)
				m.stats.Add(st)
				if msg != "" {
					m.failed = append(m.failed, flowlog.ObjectError{Object: objs[k].Name, Err: errors.New(msg)})
				}
				k = j
			}
			argv := append([]string{first.Command}, first.Args...)
			if first.Command == "sql" {
				argv = append(argv, first.Query)
			}
			for _, f := range []struct{ name, v string }{{"--output", *out}, {"--format", *format}, {"--section", *section}, {"--memory-limit", *memLimit}} {
				if f.v != "" {
					argv = append(argv, f.name+"="+f.v)
				}
			}
			if *quiet {
				argv = append(argv, "--quiet")
			}
			merging = m
			defer func() { merging = nil }()
			return run(ctx, slices.Clip(argv))
		}
	},
}
