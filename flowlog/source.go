package flowlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Source is one object to read: a local file, standard input, or (with Opener) a remote object.
type Source struct {
	Name string // as shown in messages: the path, "-" for stdin, or an s3:// URI
	Path string // the local path; empty for stdin and remote objects
	Size int64  // -1 when unknown
	// Version tells one content of the object from another (Object.Version); empty when unknown.
	Version string
	// Opener opens a remote object (nil for local files and stdin).
	Opener func() (io.ReadCloser, error)
	// Partition, when set, holds partition values of the object (PartitionValues): the readers
	// of package aggregate stamp them on its batches (StampPartition), where a query reads them as
	// columns.
	Partition map[string]string
}

// PartitionMetaPrefix starts the schema metadata keys under which StampPartition puts an object's
// partition values: flowlens.partition.year, flowlens.partition.aws-region, …
const PartitionMetaPrefix = "flowlens.partition."

// StampPartition returns emit with s's partition values added to each batch's schema metadata
// (the columns are the batch's own, not copied); emit itself when s has none.
func StampPartition(s Source, emit Emit) Emit {
	if len(s.Partition) == 0 {
		return emit
	}
	var keys, vals []string
	for k, v := range s.Partition {
		keys = append(keys, PartitionMetaPrefix+k)
		vals = append(vals, v)
	}
	var base, stamped *arrow.Schema
	return func(b arrow.RecordBatch) error {
		if b.Schema() != base {
			base = b.Schema()
			md := base.Metadata()
			ks, vs := append(append([]string(nil), md.Keys()...), keys...), append(append([]string(nil), md.Values()...), vals...)
			meta := arrow.NewMetadata(ks, vs)
			stamped = arrow.NewSchema(base.Fields(), &meta)
		}
		r := array.NewRecordBatch(stamped, b.Columns(), b.NumRows())
		defer r.Release()
		return emit(r)
	}
}

// IsLogName reports whether a file name looks like a flow-log object: .log, .log.gz, .gz, .txt or
// .parquet.
func IsLogName(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".log") || strings.HasSuffix(n, ".gz") || strings.HasSuffix(n, ".txt") || strings.HasSuffix(n, ".parquet")
}

// ExpandLocal turns command-line arguments into sources: "-" is stdin, a directory is walked
// recursively for flow-log objects (in key order), a pattern with * ? or [ is a glob, anything else a
// file. An argument that names nothing is an error.
func ExpandLocal(args []string) ([]Source, error) {
	srcs, _, err := ExpandLocalSelect(context.Background(), args, Selection{})
	return srcs, err
}

// ExpandLocalSelect is ExpandLocal for a job that reads sel: directories are walked as Walk walks a
// store (one folder per day of the range below an AWS key layout), and files whose keys rule them
// out are dropped. It returns how many objects it dropped.
func ExpandLocalSelect(ctx context.Context, args []string, sel Selection) ([]Source, int, error) {
	var out []Source
	skipped := 0
	for _, a := range args {
		if a == "-" {
			out = append(out, Source{Name: "-", Size: -1})
			continue
		}
		paths := []string{a}
		if strings.ContainsAny(a, "*?[") {
			m, err := filepath.Glob(a)
			if err != nil {
				return nil, 0, fmt.Errorf("bad pattern %q: %w", a, err)
			}
			if len(m) == 0 {
				return nil, 0, fmt.Errorf("%s: no file matches", a)
			}
			paths = m
		}
		for _, p := range paths {
			fi, err := os.Stat(p)
			if err != nil {
				return nil, 0, fmt.Errorf("cannot open %s: %w", p, unwrapPathError(err))
			}
			if !fi.IsDir() {
				k := ParseObjectKey(p)
				if !k.MayHold(sel.From, sel.To, sel.Late) || !named(sel.Accounts, k.Account) || !named(sel.Regions, k.Region) {
					skipped++
					continue
				}
				out = append(out, Source{Name: p, Path: p, Size: fi.Size(), Version: fileVersion(fi)})
				continue
			}
			// WalkDir does not follow a symbolic link, not even the root: list what it points to
			// and name the files under the argument as given.
			root := p
			if real, err := filepath.EvalSymlinks(p); err == nil {
				root = real
			}
			objs, n, err := Walk(ctx, dirLister{root: root}, "", sel)
			if err != nil {
				return nil, 0, fmt.Errorf("cannot list %s: %w", p, err)
			}
			skipped += n
			for _, o := range objs {
				path := filepath.Join(p, filepath.FromSlash(o.Key))
				out = append(out, Source{Name: path, Path: path, Size: o.Size, Version: o.Version})
			}
		}
	}
	return out, skipped, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// Open opens the source for reading.
func (s Source) Open() (io.ReadCloser, error) {
	if s.Opener != nil {
		return s.Opener()
	}
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
	if opts.Derive != nil {
		fields := opts.Derive.Fields()
		if opts.Need != nil {
			need := append([]FieldID(nil), opts.Need...)
			for _, f := range fields {
				in, _ := opts.Derive.Inputs(f)
				need = append(need, in...)
			}
			opts.Need = need
		}
		derive, plain := opts.Derive.New(fields), emit
		emit = func(rec arrow.RecordBatch) error {
			d, err := derive(rec)
			if err != nil {
				return err
			}
			defer d.Release()
			return plain(d)
		}
	}
	total := &Stats{}
	var failed []ObjectError
	for _, s := range sources {
		// A run that was stopped (SIGINT) stops here: the objects not read are not failures, and
		// a read that the stop broke is not a broken object.
		if err := ctx.Err(); err != nil {
			return total, failed, err
		}
		rc, err := s.Open()
		if err != nil {
			if ctx.Err() != nil {
				return total, failed, ctx.Err()
			}
			total.Objects++
			total.ObjectsFailed++
			failed = append(failed, ObjectError{Object: s.Name, Err: err})
			continue
		}
		st, err := DecodeObject(ctx, s, rc, opts, emit)
		rc.Close()
		total.Add(st)
		if err != nil && ctx.Err() != nil {
			return total, failed, ctx.Err()
		}
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
		key := s.Path
		if s.Opener != nil {
			key = s.Name
		}
		if key != "" && !ParseObjectKey(key).MayHold(from, to, late) {
			skipped++
			continue
		}
		kept = append(kept, s)
	}
	return kept, skipped
}
