package output

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The files flowlens keeps at the root of a dataset. Athena, Hive, Spark and Trino skip files whose
// names begin with "_", and a read_parquet('DIR/**/*.parquet') glob never matches them.
const (
	ManifestName = "_flowlens_manifest.json"
	LockName     = "_flowlens.lock"
)

// Manifest records what a dataset holds: the layout it was written with and each source object
// converted into it, so that appending the same day again converts nothing twice.
type Manifest struct {
	Version   int    `json:"version"`
	Partition string `json:"partition"` // day or hour
	// PartitionBy lists the partition columns before the time's (account_id, region); none when
	// absent, as in the datasets written before there were any.
	PartitionBy []string         `json:"partition_by,omitempty"`
	Compression string           `json:"compression"`
	Objects     []ManifestObject `json:"objects"`
	Runs        []ManifestRun    `json:"runs"`
	index       map[string]int   // object name -> position in Objects
}

// ManifestObject is one source object converted into the dataset.
type ManifestObject struct {
	Object  string `json:"object"`
	Version string `json:"version,omitempty"` // S3 ETag or local modification time
	Size    int64  `json:"size"`
	Rows    int64  `json:"rows"`    // rows written (records, NODATA and SKIPDATA lines)
	Partial bool   `json:"partial"` // it could not be read to its end: only the rows before the fault are in
	Run     string `json:"run"`
}

// ManifestRun is one convert run: when, and the files it wrote (paths relative to the dataset).
type ManifestRun struct {
	ID    string   `json:"id"`
	At    string   `json:"at"`
	Files []string `json:"files"`
}

// Dataset modes: what convert does with a directory that already holds files.
const (
	ModeError     = "error"     // refuse
	ModeOverwrite = "overwrite" // replace the dataset flowlens wrote there
	ModeAppend    = "append"    // add the objects not converted yet
)

// Dataset is a dataset directory opened for one convert run: locked against other writers, with
// its manifest. Close releases the lock.
type Dataset struct {
	Dir      string
	Manifest *Manifest
	RunID    string
	old      []string // files of earlier runs, removed by Commit in overwrite mode
	mode     string
	lock     string
}

// OpenDataset locks dir for one writer and reads its manifest. mode says what to do when dir
// already holds files: ModeError refuses, ModeOverwrite replaces what flowlens wrote (after the new
// files are in place), ModeAppend adds to it. A dataset written with another partitioning or
// compression, or by other columns (partitionBy), cannot be appended to. A directory with files but no manifest is not flowlens's: only
// ModeError's message names it, the others refuse to touch it.
func OpenDataset(dir, mode, partition string, partitionBy []string, compression string) (*Dataset, error) {
	if mode != ModeError && mode != ModeOverwrite && mode != ModeAppend {
		return nil, fmt.Errorf("--mode %q: want error, overwrite or append", mode)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	lock := filepath.Join(dir, LockName)
	lf, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		held, _ := os.ReadFile(lock)
		return nil, fmt.Errorf("%s is being written by another convert (%s: %s); if none runs, remove the lock file",
			dir, lock, strings.TrimSpace(string(held)))
	}
	if err != nil {
		return nil, fmt.Errorf("cannot lock %s: %w", dir, err)
	}
	host, _ := os.Hostname()
	fmt.Fprintf(lf, "pid %d on %s since %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	lf.Close()
	d := &Dataset{Dir: dir, mode: mode, lock: lock, RunID: newRunID()}
	ok := false
	defer func() {
		if !ok {
			os.Remove(lock)
		}
	}()
	m, err := readManifest(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, err
	}
	others, err := filesBesides(dir)
	if err != nil {
		return nil, err
	}
	switch {
	case m == nil && others > 0:
		return nil, fmt.Errorf("%s holds files that flowlens did not write (no %s): convert into an empty or new directory", dir, ManifestName)
	case m != nil && mode == ModeError:
		return nil, fmt.Errorf("%s already holds a dataset: give --mode append to add the objects not converted yet, or --mode overwrite to replace it", dir)
	case m != nil && mode == ModeAppend && (m.Partition != partition || m.Compression != compression || !slices.Equal(m.PartitionBy, partitionBy)):
		by := "none"
		if len(m.PartitionBy) > 0 {
			by = strings.Join(m.PartitionBy, ",")
		}
		return nil, fmt.Errorf("%s was written with --partition %s --partition-by %s --compression %s: append with the same (or --mode overwrite)", dir, m.Partition, by, m.Compression)
	}
	if m == nil || mode == ModeOverwrite {
		if m != nil {
			for _, r := range m.Runs {
				d.old = append(d.old, r.Files...)
			}
		}
		m = &Manifest{Version: 1, Partition: partition, PartitionBy: partitionBy, Compression: compression}
	}
	m.reindex()
	d.Manifest = m
	ok = true
	return d, nil
}

func newRunID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// filesBesides counts the files under dir other than flowlens's own.
func filesBesides(dir string) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() && e.Name() != ManifestName && e.Name() != LockName {
			n++
		}
		return nil
	})
	return n, err
}

func readManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil || m.Version < 1 {
		return nil, fmt.Errorf("%s is not a flowlens dataset manifest: %v", path, err)
	}
	if m.Version > 1 {
		return nil, fmt.Errorf("%s is of a newer flowlens (manifest version %d)", path, m.Version)
	}
	return &m, nil
}

func (m *Manifest) reindex() {
	m.index = map[string]int{}
	for i, o := range m.Objects {
		m.index[o.Object] = i
	}
}

// Converted says whether the object named, of this version and size, is in the dataset already;
// an error when an object of that name is in it with other contents, or only in part, since
// converting it again would hold some of its rows twice.
func (m *Manifest) Converted(name, version string, size int64) (bool, error) {
	i, ok := m.index[name]
	if !ok {
		return false, nil
	}
	o := m.Objects[i]
	switch {
	case o.Partial:
		return true, fmt.Errorf("%s was converted in part (%d rows, run %s; it could not be read to its end): its rows are in the dataset; to convert it whole, --mode overwrite", name, o.Rows, o.Run)
	case o.Size != size || (o.Version != "" && version != "" && o.Version != version):
		return true, fmt.Errorf("%s has changed since run %s converted it (size %d, version %s; now %d, %s): --mode overwrite converts it again", name, o.Run, o.Size, o.Version, size, version)
	}
	return true, nil
}

// Add records an object converted by this run.
func (d *Dataset) Add(o ManifestObject) {
	o.Run = d.RunID
	d.Manifest.index[o.Object] = len(d.Manifest.Objects)
	d.Manifest.Objects = append(d.Manifest.Objects, o)
}

// Commit records the run's files (in place already) in the manifest, written atomically, and in
// overwrite mode then removes the files of the earlier runs. A reader sees the old dataset or the
// new one plus, for the moments between the two steps of an overwrite, the old files too.
func (d *Dataset) Commit(files []string) error {
	rel := make([]string, 0, len(files))
	for _, f := range files {
		r, err := filepath.Rel(d.Dir, f)
		if err != nil {
			return err
		}
		rel = append(rel, filepath.ToSlash(r))
	}
	d.Manifest.Runs = append(d.Manifest.Runs, ManifestRun{ID: d.RunID, At: time.Now().UTC().Format(time.RFC3339), Files: rel})
	b, err := json.MarshalIndent(d.Manifest, "", "  ")
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(filepath.Join(d.Dir, ManifestName), append(b, '\n')); err != nil {
		return err
	}
	for _, f := range d.old {
		if err := os.Remove(filepath.Join(d.Dir, filepath.FromSlash(f))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing %s of the dataset replaced: %w", f, err)
		}
	}
	return nil
}

// Close releases the lock.
func (d *Dataset) Close() error { return os.Remove(d.lock) }
