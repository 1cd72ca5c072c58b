// Package harness holds what the end-to-end benchmarks share: the cached generated data sets, child
// processes timed with their peak RSS, and medians.
package harness

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
)

// Layouts are the data sets by name: the generator's skewed population in the default (v2) and
// AWS's version 5 example layout, and v2-random, its random spread (every interface alike, random
// private peers: about 1.8 M conversations per 4 M records, the many-groups case).
var Layouts = map[string]*flowlog.Layout{"v2": flowlog.DefaultLayout, "v5": flowlog.V5Layout, "v2-random": flowlog.DefaultLayout}

// spreads are the generator spreads of the data sets that are not skewed.
var spreads = map[string]string{"v2-random": "random"}

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
		return nil, fmt.Errorf("unknown data set %q (v2, v5, v2-random)", name)
	}
	dir := filepath.Join(data, fmt.Sprintf("%s-%d-%d", name, records, objects))
	files, _ := filepath.Glob(filepath.Join(dir, "*.log.gz"))
	if len(files) != objects {
		fmt.Fprintf(os.Stderr, "generating %s (once)\n", dir)
		os.RemoveAll(dir)
		if _, err := synth.Generate(synth.Config{Dir: dir, Seed: 1, Records: records, Objects: objects, Fields: l,
			Layout: "flat", Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: true, NATInstanceCopies: true, Spread: spreads[name]}); err != nil {
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

// Parquet is the Parquet conversion of a data set.
type Parquet struct {
	Dir   string
	Bytes int64 // bytes of all .parquet files
}

// EnsureParquet converts the data set once to a Parquet dataset beside it (`flowlens convert
// --partition day`, with the binary bin), unless a complete conversion is there already; a marker
// file .complete says that it is.
func EnsureParquet(bin string, ds *DataSet) (*Parquet, error) {
	pq := ds.Dir + "-parquet"
	if _, err := os.Stat(filepath.Join(pq, ".complete")); err != nil {
		fmt.Fprintf(os.Stderr, "converting %s to Parquet (once)\n", ds.Dir)
		os.RemoveAll(pq)
		if _, err := Exec(nil, bin, "convert", "--quiet", "--partition", "day", "-o", pq, ds.Dir); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(pq, ".complete"), nil, 0o644); err != nil {
			return nil, fmt.Errorf("marking the conversion %s complete: %w", pq, err)
		}
	}
	p := &Parquet{Dir: pq}
	err := filepath.Walk(pq, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, ".parquet") {
			p.Bytes += fi.Size()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sizing the Parquet dataset %s: %w", pq, err)
	}
	return p, nil
}

// Gunzip decompresses every file with klauspost/compress on n goroutines, one file each at a time,
// discarding the text, and returns the seconds it took and the CPU seconds it used: the floor of any
// engine that reads gzip.
func Gunzip(files []string, n int) (wall, cpu float64, err error) {
	began := time.Now()
	cpu0 := CPUSeconds(syscall.RUSAGE_SELF)
	next := make(chan string, len(files))
	for _, f := range files {
		next <- f
	}
	close(next)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1<<20)
			var zr *gzip.Reader
			for f := range next {
				fh, err := os.Open(f)
				if err != nil {
					errs <- err
					return
				}
				if zr == nil {
					zr, err = gzip.NewReader(fh)
				} else {
					err = zr.Reset(fh)
				}
				if err == nil {
					_, err = io.CopyBuffer(io.Discard, zr, buf)
				}
				fh.Close()
				if err != nil {
					errs <- fmt.Errorf("gunzip %s: %w", f, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, 0, err
	}
	return time.Since(began).Seconds(), CPUSeconds(syscall.RUSAGE_SELF) - cpu0, nil
}

// WriteFileAtomic writes data to a temporary file beside path and renames it to path, so that path
// holds either its old content or all of the new.
func WriteFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// Run is one timed child process.
type Run struct {
	Seconds float64
	CPU     float64 // user + system seconds of the child: what other processes on the machine disturb least
	RSS     int64   // peak resident set, bytes
	Stdout  []byte
}

// Exec runs bin with args (and env, when not nil) and times it; a failure is an error with stderr.
//
// The child's peak RSS is its rusage from wait4. Linux starts a child's peak at the peak of the
// memory it had before exec, which, as Go starts children with vfork, is the harness's own: a peak
// below HarnessPeakRSS cannot be told from it, so the harness keeps its own memory small (outputs of
// children it does not check go to /dev/null).
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
	r.CPU = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	return r, nil
}

// CPUSeconds is the user and system time of this process (RUSAGE_SELF) or of its waited-for
// children (RUSAGE_CHILDREN), for CPU time around work done in process or by children.
func CPUSeconds(who int) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// HarnessPeakRSS is this process's own peak resident set, bytes: the least peak RSS Exec can report.
func HarnessPeakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss << 10
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
