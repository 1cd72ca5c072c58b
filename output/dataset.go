package output

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/flowlens/flowlens/flowlog"
)

// hiveDefault is the partition value Hive, Athena and Spark use for a null.
const hiveDefault = "__HIVE_DEFAULT_PARTITION__"

// DatasetWriter writes decoded batches as a Hive-partitioned Parquet dataset that Athena's Parquet
// flow-log DDL, Spark, Trino and DuckDB read as it is:
//
//	DIR/[account_id=123456789012/][region=us-east-1/]year=2026/month=11/day=01/[hour=05/]part-20261207T031500Z-9c1e04ab-3f2a9c1e.parquet
//
// Rows go to the partition of their start time (UTC); a row without one to __HIVE_DEFAULT_PARTITION__.
// With By, the folders of the account and the region come first (see By for where their values
// come from); the files keep the account_id and region columns of their layout all the same.
// Each partition has one file per layout (the name carries a hash of the layout), written through a
// temporary file and renamed into place on Close, so a reader never sees half a file. Rows buffered in
// open row groups across partitions are bounded: past BufferRows the fullest partition ends its row
// group early.
type DatasetWriter struct {
	dir    string
	hourly bool
	opts   ParquetOptions
	files  map[string]*partFile
	order  []string
	parts  map[int64]string // hour start -> partition path
	sels   map[string][]int32
	// BufferRows bounds the rows held in unfinished row groups of all partitions together.
	BufferRows int64
	// RunID, when set, is part of every file name (part-RUNID-XXXXXXXX.parquet), so that each run
	// that appends to a dataset writes files of its own.
	RunID string
	// By lists the partition columns before the time's, in the order ParsePartitionBy gives:
	// PartitionAccount (account_id) and PartitionRegion (region). A row's value is its own column's
	// (account_id, region) where the layout has that column, else the object's key's, as
	// flowlog.StampPartition puts it on the batch (aws-account-id, aws-region), else
	// __HIVE_DEFAULT_PARTITION__: the value flowlens sql reads for that column.
	By    []string
	byIdx map[byKey]string // (account, region, hour start) -> partition path
}

// byKey is the partition of a row when the dataset is partitioned by account or region too.
type byKey struct {
	account, region string
	hour            int64
	valid           bool
}

// The partition columns a dataset may have before the time's, in their order in the path.
const (
	PartitionAccount = "account_id"
	PartitionRegion  = "region"
)

// ParsePartitionBy reads convert's --partition-by: a comma-separated list of account (or
// account_id) and region, in any order; the path always has the account first. "" is none.
func ParsePartitionBy(s string) ([]string, error) {
	var acct, region bool
	for _, p := range strings.Split(s, ",") {
		switch strings.TrimSpace(p) {
		case "":
		case "account", "account_id", "account-id":
			acct = true
		case "region":
			region = true
		default:
			return nil, fmt.Errorf("--partition-by %q: %q is not account or region", s, strings.TrimSpace(p))
		}
	}
	var out []string
	if acct {
		out = append(out, PartitionAccount)
	}
	if region {
		out = append(out, PartitionRegion)
	}
	return out, nil
}

// hiveEscape spells a partition value as a folder name: "" is __HIVE_DEFAULT_PARTITION__, and
// every byte but ASCII letters, digits, '-', '_' and '.' is %XX (as Hive escapes), so that no
// value makes a folder of its own ("/", "..") or a second NAME=VALUE.
func hiveEscape(v string) string {
	if v == "" {
		return hiveDefault
	}
	plain := v != "." && v != ".."
	for i := 0; i < len(v) && plain; i++ {
		c := v[i]
		plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
	}
	if plain {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

type partFile struct {
	path string
	f    *AtomicFile
	pw   *ParquetWriter
}

// NewDatasetWriter writes into dir, partitioned by day or (hourly) by hour.
func NewDatasetWriter(dir string, hourly bool, opts ParquetOptions) (*DatasetWriter, error) {
	if _, err := codec(opts.Compression); err != nil {
		return nil, err
	}
	return &DatasetWriter{dir: dir, hourly: hourly, opts: opts, files: map[string]*partFile{}, parts: map[int64]string{},
		sels: map[string][]int32{}, BufferRows: 4 * DefaultRowGroupRows, byIdx: map[byKey]string{}}, nil
}

func (d *DatasetWriter) partition(start int64, valid bool) string {
	if !valid {
		p := "year=" + hiveDefault + "/month=" + hiveDefault + "/day=" + hiveDefault
		if d.hourly {
			p += "/hour=" + hiveDefault
		}
		return p
	}
	h := start - start%3600
	if p, ok := d.parts[h]; ok {
		return p
	}
	t := time.Unix(h, 0).UTC()
	p := fmt.Sprintf("year=%04d/month=%02d/day=%02d", t.Year(), t.Month(), t.Day())
	if d.hourly {
		p += fmt.Sprintf("/hour=%02d", t.Hour())
	}
	d.parts[h] = p
	return p
}

// byPartition returns the path of a row's partition when the dataset is partitioned by account or
// region too.
func (d *DatasetWriter) byPartition(k byKey) string {
	if p, ok := d.byIdx[k]; ok {
		return p
	}
	var b strings.Builder
	for _, c := range d.By {
		v := k.account
		if c == PartitionRegion {
			v = k.region
		}
		b.WriteString(c + "=" + hiveEscape(v) + "/")
	}
	b.WriteString(d.partition(k.hour, k.valid))
	p := b.String()
	// The values point into the batch's buffers, which the decoder reuses: the map keeps copies.
	k.account, k.region = strings.Clone(k.account), strings.Clone(k.region)
	d.byIdx[k] = p
	return p
}

// stringColumn reads the text of column name of rec row by row: the column's value where the
// layout has it (null: ""), else the batch's partition value meta (flowlog.StampPartition), else "".
func stringColumn(rec arrow.RecordBatch, name, meta string) func(r int) string {
	if idx := rec.Schema().FieldIndices(name); len(idx) == 1 {
		switch c := rec.Column(idx[0]).(type) {
		case *array.Dictionary:
			dict, ok := c.Dictionary().(*array.String)
			if ok {
				return func(r int) string {
					if c.IsNull(r) {
						return ""
					}
					return dict.Value(c.GetValueIndex(r))
				}
			}
		case *array.String:
			return func(r int) string {
				if c.IsNull(r) {
					return ""
				}
				return c.Value(r)
			}
		}
		return func(int) string { return "" }
	}
	md := rec.Schema().Metadata()
	v := ""
	if i := md.FindKey(flowlog.PartitionMetaPrefix + meta); i >= 0 {
		v = md.Values()[i]
	}
	return func(int) string { return v }
}

// Write adds the rows of rec to their partitions.
func (d *DatasetWriter) Write(rec arrow.RecordBatch) error {
	var start *array.Int64
	if idx := rec.Schema().FieldIndices("start"); len(idx) == 1 {
		start, _ = rec.Column(idx[0]).(*array.Int64)
	}
	for k, s := range d.sels {
		d.sels[k] = s[:0]
	}
	noValue := func(int) string { return "" }
	account, region := noValue, noValue
	for _, c := range d.By {
		if c == PartitionAccount {
			account = stringColumn(rec, "account_id", "aws-account-id")
		} else {
			region = stringColumn(rec, "region", "aws-region")
		}
	}
	for r := 0; r < int(rec.NumRows()); r++ {
		var p string
		valid := start != nil && !start.IsNull(r)
		var h int64
		if valid {
			h = start.Value(r)
			h -= h % 3600
		}
		switch {
		case len(d.By) > 0:
			p = d.byPartition(byKey{account: account(r), region: region(r), hour: h, valid: valid})
		case !valid:
			p = d.partition(0, false)
		default:
			p = d.partition(h, true)
		}
		d.sels[p] = append(d.sels[p], int32(r))
	}
	var keys []string
	for p, s := range d.sels {
		if len(s) > 0 {
			keys = append(keys, p)
		}
	}
	sort.Strings(keys)
	layout := fieldNames(rec.Schema())
	for _, p := range keys {
		pf, err := d.file(p, layout)
		if err != nil {
			return err
		}
		if err := pf.pw.WriteRows(rec, d.sels[p]); err != nil {
			return fmt.Errorf("writing %s: %w", pf.path, err)
		}
	}
	return d.bound()
}

// bound ends the row group of the fullest partitions while too many rows are buffered.
func (d *DatasetWriter) bound() error {
	for {
		var total int64
		var fullest *partFile
		for _, pf := range d.files {
			total += pf.pw.Buffered
			if fullest == nil || pf.pw.Buffered > fullest.pw.Buffered {
				fullest = pf
			}
		}
		if total <= d.BufferRows || fullest == nil || fullest.pw.Buffered == 0 {
			return nil
		}
		if err := fullest.pw.Flush(); err != nil {
			return fmt.Errorf("writing %s: %w", fullest.path, err)
		}
	}
}

func (d *DatasetWriter) file(partition, layout string) (*partFile, error) {
	key := partition + "\x00" + layout
	if pf, ok := d.files[key]; ok {
		return pf, nil
	}
	h := fnv.New32a()
	h.Write([]byte(layout))
	dir := filepath.Join(d.dir, filepath.FromSlash(partition))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	name := fmt.Sprintf("part-%08x.parquet", h.Sum32())
	if d.RunID != "" {
		name = fmt.Sprintf("part-%s-%08x.parquet", d.RunID, h.Sum32())
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("%s exists: convert into an empty directory (or remove it)", path)
	}
	f, err := CreateAtomic(path)
	if err != nil {
		return nil, err
	}
	pw, err := NewParquetWriterOptions(f, d.opts)
	if err != nil {
		f.Abort()
		return nil, err
	}
	pf := &partFile{path: path, f: f, pw: pw}
	d.files[key] = pf
	d.order = append(d.order, key)
	return pf, nil
}

// Close finishes every file and renames it into place; it returns the paths written, in order.
func (d *DatasetWriter) Close() ([]string, error) {
	sort.Strings(d.order)
	var paths []string
	for _, k := range d.order {
		pf := d.files[k]
		if err := pf.pw.Close(); err != nil {
			d.Abort()
			return nil, fmt.Errorf("writing %s: %w", pf.path, err)
		}
	}
	for _, k := range d.order {
		pf := d.files[k]
		if err := pf.f.Commit(); err != nil {
			// The files in place already go too: a run's files are all in the dataset, or none.
			d.Abort()
			for _, p := range paths {
				os.Remove(p)
			}
			return nil, fmt.Errorf("writing %s: %w", pf.path, err)
		}
		paths = append(paths, pf.path)
	}
	return paths, nil
}

// Abort removes the files not yet in place.
func (d *DatasetWriter) Abort() {
	for _, pf := range d.files {
		pf.f.Abort()
	}
}
