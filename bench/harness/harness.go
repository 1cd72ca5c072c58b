// Package harness holds what the end-to-end benchmarks share: the cached generated data sets, child
// processes timed with their peak RSS, and medians.
package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/flowlens/flowlens/bench/gen"
	"github.com/flowlens/flowlens/flowlog"
)

// Layouts are the data sets by name.
var Layouts = map[string]*flowlog.Layout{"v2": flowlog.DefaultLayout, "v5": flowlog.V5Layout}

// DataSet is a cached generated data set: objects × records of one layout in one day.
type DataSet struct {
	Name    string
	Dir     string
	Files   []string
	Records int64
	Bytes   int64 // gzip bytes of all objects
}

// Ensure generates the data set under data unless it is there already.
func Ensure(data, name string, records int64, objects int) (*DataSet, error) {
	l := Layouts[name]
	if l == nil {
		return nil, fmt.Errorf("unknown data set %q (v2, v5)", name)
	}
	dir := filepath.Join(data, fmt.Sprintf("%s-%d-%d", name, records, objects))
	files, _ := filepath.Glob(filepath.Join(dir, "*.log.gz"))
	if len(files) != objects {
		fmt.Fprintf(os.Stderr, "generating %s (once)\n", dir)
		os.RemoveAll(dir)
		if _, err := gen.Generate(gen.Config{Dir: dir, Seed: 1, Records: records, Objects: objects, Fields: l,
			Layout: "flat", Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: true, NATInstanceCopies: true}); err != nil {
			return nil, err
		}
		files, _ = filepath.Glob(filepath.Join(dir, "*.log.gz"))
	}
	ds := &DataSet{Name: name, Dir: dir, Files: files, Records: records}
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return nil, err
		}
		ds.Bytes += fi.Size()
	}
	return ds, nil
}

// Run is one timed child process.
type Run struct {
	Seconds float64
	RSS     int64 // peak resident set, bytes
	Stdout  []byte
}

// Exec runs bin with args (and env, when not nil) and times it; a failure is an error with stderr.
func Exec(env []string, bin string, args ...string) (Run, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	began := time.Now()
	if err := cmd.Run(); err != nil {
		return Run{}, fmt.Errorf("%s %v: %v: %s", bin, args, err, errb.String())
	}
	r := Run{Seconds: time.Since(began).Seconds(), Stdout: out.Bytes()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.RSS = ru.Maxrss << 10 // KiB on Linux
	}
	return r, nil
}

// Median returns the median of v.
func Median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// MedianInt returns the median of v.
func MedianInt(v []int64) int64 {
	s := append([]int64(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
