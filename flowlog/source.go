package flowlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Source is one object to read: a local file or standard input.
type Source struct {
	Name string // as shown in messages: the path, or "-" for stdin
	Path string // empty for stdin
	Size int64  // -1 when unknown
}

// IsLogName reports whether a file name looks like a flow-log object: .log, .log.gz, .gz or .txt.
func IsLogName(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".log") || strings.HasSuffix(n, ".gz") || strings.HasSuffix(n, ".txt")
}

// ExpandLocal turns command-line arguments into sources: "-" is stdin, a directory is walked
// recursively for flow-log objects (sorted by path), a pattern with * ? or [ is a glob, anything else a
// file. An argument that names nothing is an error.
func ExpandLocal(args []string) ([]Source, error) {
	var out []Source
	for _, a := range args {
		if a == "-" {
			out = append(out, Source{Name: "-", Size: -1})
			continue
		}
		paths := []string{a}
		if strings.ContainsAny(a, "*?[") {
			m, err := filepath.Glob(a)
			if err != nil {
				return nil, fmt.Errorf("bad pattern %q: %w", a, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("%s: no file matches", a)
			}
			paths = m
		}
		for _, p := range paths {
			fi, err := os.Stat(p)
			if err != nil {
				return nil, fmt.Errorf("cannot open %s: %w", p, unwrapPathError(err))
			}
			if !fi.IsDir() {
				out = append(out, Source{Name: p, Path: p, Size: fi.Size()})
				continue
			}
			var found []Source
			// WalkDir does not follow a symbolic link, not even the root: walk what it points to and
			// name the files under the argument as given.
			root := p
			if real, err := filepath.EvalSymlinks(p); err == nil && real != filepath.Clean(p) {
				root = real
			}
			err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if d.IsDir() {
					if path != root && strings.HasPrefix(d.Name(), ".") {
						return filepath.SkipDir
					}
					return nil
				}
				if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".") || !IsLogName(d.Name()) {
					return nil
				}
				info, err := d.Info()
				if err != nil {
					return err
				}
				if root != p {
					rel, _ := filepath.Rel(root, path)
					path = filepath.Join(p, rel)
				}
				found = append(found, Source{Name: path, Path: path, Size: info.Size()})
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("cannot list %s: %w", p, err)
			}
			sort.Slice(found, func(i, j int) bool { return found[i].Path < found[j].Path })
			out = append(out, found...)
		}
	}
	return out, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// Open opens the source for reading.
func (s Source) Open() (io.ReadCloser, error) {
	if s.Path == "" {
		return io.NopCloser(os.Stdin), nil
	}
	f, err := os.Open(s.Path)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w", s.Name, unwrapPathError(err))
	}
	return f, nil
}

// ObjectError is an object that failed, with why.
type ObjectError struct {
	Object string
	Err    error
}

// DecodeSources decodes the sources one after another (each with opts.Workers decoding goroutines),
// calling emit with every batch in input order. An object that cannot be read is recorded in the
// returned list and the others are still read; a strict-mode parse error, an emit error or a
// cancelled ctx stops the run and is returned.
func DecodeSources(ctx context.Context, sources []Source, opts Options, emit Emit) (*Stats, []ObjectError, error) {
	total := &Stats{}
	var failed []ObjectError
	for _, s := range sources {
		rc, err := s.Open()
		if err != nil {
			total.Objects++
			total.ObjectsFailed++
			failed = append(failed, ObjectError{Object: s.Name, Err: err})
			continue
		}
		st, err := DecodeStream(ctx, rc, s.Name, opts, emit)
		rc.Close()
		total.Add(st)
		if err != nil {
			var se *StreamError
			if errors.As(err, &se) {
				failed = append(failed, ObjectError{Object: s.Name, Err: err})
				continue
			}
			return total, failed, err
		}
	}
	return total, failed, nil
}

// PruneByKey drops the sources whose path says (by its S3 key layout or AWS file name) that they
// cannot hold records starting in [from, to), allowing late for late delivery; see KeyInfo.MayHold.
// Sources whose path says nothing about time, and stdin, are kept.
func PruneByKey(sources []Source, from, to time.Time, late time.Duration) (kept []Source, skipped int) {
	if from.IsZero() && to.IsZero() {
		return sources, 0
	}
	for _, s := range sources {
		if s.Path != "" && !ParseObjectKey(s.Path).MayHold(from, to, late) {
			skipped++
			continue
		}
		kept = append(kept, s)
	}
	return kept, skipped
}
