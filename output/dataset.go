package output

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// hiveDefault is the partition value Hive, Athena and Spark use for a null.
const hiveDefault = "__HIVE_DEFAULT_PARTITION__"

// DatasetWriter writes decoded batches as a Hive-partitioned Parquet dataset that Athena's Parquet
// flow-log DDL, Spark, Trino and DuckDB read as it is:
//
//	DIR/year=2026/month=11/day=01/[hour=05/]part-20261207T031500Z-9c1e04ab-3f2a9c1e.parquet
//
// Rows go to the partition of their start time (UTC); a row without one to __HIVE_DEFAULT_PARTITION__.
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
		sels: map[string][]int32{}, BufferRows: 4 * DefaultRowGroupRows}, nil
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

// Write adds the rows of rec to their partitions.
func (d *DatasetWriter) Write(rec arrow.RecordBatch) error {
	var start *array.Int64
	if idx := rec.Schema().FieldIndices("start"); len(idx) == 1 {
		start, _ = rec.Column(idx[0]).(*array.Int64)
	}
	for k, s := range d.sels {
		d.sels[k] = s[:0]
	}
	for r := 0; r < int(rec.NumRows()); r++ {
		var p string
		if start == nil || start.IsNull(r) {
			p = d.partition(0, false)
		} else {
			p = d.partition(start.Value(r), true)
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
