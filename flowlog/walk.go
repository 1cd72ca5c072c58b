package flowlog

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Object is an object that a Lister found: its key (slash-separated, from the listing's root) and
// its size.
type Object struct {
	Key  string
	Size int64
	// Version tells one content of the object from another: the S3 ETag, or a local file's
	// modification time (empty when unknown). Appending conversions use it to find changed objects.
	Version string
}

// Lister lists a store by key prefix, as S3 does: a folder is a prefix that ends in "/".
type Lister interface {
	// Dir returns the folders right below prefix, and appends the objects right in it.
	Dir(ctx context.Context, prefix string, out *[]Object) ([]string, error)
	// All appends every object below prefix.
	All(ctx context.Context, prefix string, out *[]Object) error
}

// Selection is what a job reads: records that start in [From, To) (zero: unbounded), from objects
// written up to Late after To, of the accounts and regions named (none: all).
type Selection struct {
	From, To time.Time
	Late     time.Duration
	Accounts []string
	Regions  []string
}

// Walk lists the flow-log objects below prefix that sel can need, in key order, and counts those
// listed whose keys ruled them out. Below an AWSLogs/ folder it walks accounts, services and regions
// one level at a time (keeping those sel names), then lists one prefix per day of the range
// ({region}/2026/11/01/ or …/aws-region={region}/year=2026/month=11/day=01/) from the day of From to
// the day of To+Late. Of a prefix with an AWSLogs/ folder right below it, the objects right in it and
// that folder are read, not its other folders; a prefix that matches no layout is listed whole. The same walk serves S3 and local
// directories, so both read, and skip, the same objects.
func Walk(ctx context.Context, l Lister, prefix string, sel Selection) ([]Object, int, error) {
	var all []Object
	if err := walk(ctx, l, prefix, sel, &all); err != nil {
		return nil, 0, err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Key < all[j].Key })
	var kept []Object
	skipped := 0
	for _, o := range all {
		if !IsLogName(o.Key) {
			continue
		}
		k := ParseObjectKey(o.Key)
		if !k.MayHold(sel.From, sel.To, sel.Late) || !named(sel.Accounts, k.Account) || !named(sel.Regions, k.Region) {
			skipped++
			continue
		}
		kept = append(kept, o)
	}
	return kept, skipped, nil
}

// named reports whether v is one of list (any v when list is empty; an unknown v passes).
func named(list []string, v string) bool {
	if len(list) == 0 || v == "" {
		return true
	}
	for _, x := range list {
		if strings.TrimSpace(x) == v {
			return true
		}
	}
	return false
}

func walk(ctx context.Context, l Lister, prefix string, sel Selection, out *[]Object) error {
	segs := strings.Split(prefix, "/")
	at := -1
	for i, s := range segs {
		if s == "AWSLogs" {
			at = i
		}
	}
	if at < 0 {
		// Above the layout: is there an AWSLogs/ folder right here?
		if prefix == "" || strings.HasSuffix(prefix, "/") {
			var here []Object
			dirs, err := l.Dir(ctx, prefix, &here)
			if err != nil {
				return err
			}
			for _, d := range dirs {
				if d == prefix+"AWSLogs/" {
					// Flow logs live below AWSLogs/: the folders beside it hold other data (CloudTrail,
					// query results), the objects right here are read.
					*out = append(*out, here...)
					return walkLevel(ctx, l, d, 0, sel, out)
				}
			}
		}
		return l.All(ctx, prefix, out)
	}
	rest := segs[at+1:]
	if len(rest) > 0 && rest[len(rest)-1] != "" {
		return l.All(ctx, prefix, out) // ends inside a folder name: as given
	}
	if len(rest) > 0 {
		rest = rest[:len(rest)-1]
	}
	base := strings.Join(segs[:at+1], "/") + "/"
	if len(rest) > 0 {
		base += strings.Join(rest, "/") + "/"
	}
	if len(rest) > 3 {
		return l.All(ctx, base, out)
	}
	return walkLevel(ctx, l, base, len(rest), sel, out)
}

// walkLevel descends from dir, `level` folders below AWSLogs/: 0 accounts, 1 services, 2 regions,
// 3 dates.
func walkLevel(ctx context.Context, l Lister, dir string, level int, sel Selection, out *[]Object) error {
	if level == 3 {
		if sel.From.IsZero() {
			return l.All(ctx, dir, out)
		}
		for _, p := range DayPrefixes(dir, sel.From, sel.To, sel.Late) {
			if err := l.All(ctx, p, out); err != nil {
				return err
			}
		}
		return nil
	}
	dirs, err := l.Dir(ctx, dir, out)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		name := strings.TrimSuffix(strings.TrimPrefix(d, dir), "/")
		if level == 0 && !named(sel.Accounts, strings.TrimPrefix(name, "aws-account-id=")) {
			continue
		}
		if level == 2 && !named(sel.Regions, strings.TrimPrefix(name, "aws-region=")) {
			continue
		}
		if err := walkLevel(ctx, l, d, level+1, sel, out); err != nil {
			return err
		}
	}
	return nil
}

// DayPrefixes returns the day folders below a region folder (…/vpcflowlogs/{region}/ or
// …/aws-region={region}/) that can hold objects written from the day of from to the day of to+late
// (today when to is zero), in UTC as AWS writes them.
func DayPrefixes(region string, from, to time.Time, late time.Duration) []string {
	if to.IsZero() {
		to = time.Now()
	}
	trimmed := strings.TrimSuffix(region, "/")
	hive := strings.HasPrefix(trimmed[strings.LastIndex(trimmed, "/")+1:], "aws-region=")
	last := to.Add(late).UTC()
	f := from.UTC()
	var out []string
	for d := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, time.UTC); !d.After(last); d = d.AddDate(0, 0, 1) {
		if hive {
			out = append(out, fmt.Sprintf("%syear=%04d/month=%02d/day=%02d/", region, d.Year(), d.Month(), d.Day()))
		} else {
			out = append(out, fmt.Sprintf("%s%04d/%02d/%02d/", region, d.Year(), d.Month(), d.Day()))
		}
	}
	return out
}

// dirLister lists a local directory as a store: keys are slash paths below root. Hidden files and
// folders (names starting with '.') are left out.
type dirLister struct{ root string }

func (d dirLister) path(prefix string) string {
	return filepath.Join(d.root, filepath.FromSlash(strings.TrimSuffix(prefix, "/")))
}

func (d dirLister) Dir(_ context.Context, prefix string, out *[]Object) ([]string, error) {
	entries, err := os.ReadDir(d.path(prefix))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var dirs []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if e.IsDir() {
			dirs = append(dirs, prefix+e.Name()+"/")
			continue
		}
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, err
		}
		*out = append(*out, Object{Key: prefix + e.Name(), Size: info.Size(), Version: fileVersion(info)})
	}
	return dirs, nil
}

func (d dirLister) All(_ context.Context, prefix string, out *[]Object) error {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		// A key prefix that ends inside a name: the entries of its folder that start with it.
		dir, part := "", prefix
		if i := strings.LastIndex(prefix, "/"); i >= 0 {
			dir, part = prefix[:i+1], prefix[i+1:]
		}
		var here []Object
		dirs, err := d.Dir(context.Background(), dir, &here)
		if err != nil {
			return err
		}
		for _, o := range here {
			if strings.HasPrefix(o.Key[len(dir):], part) {
				*out = append(*out, o)
			}
		}
		for _, sub := range dirs {
			if strings.HasPrefix(sub[len(dir):], part) {
				if err := d.All(context.Background(), sub, out); err != nil {
					return err
				}
			}
		}
		return nil
	}
	root := d.path(prefix)
	if _, err := os.Stat(root); os.IsNotExist(err) {
		return nil
	}
	return filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(e.Name(), ".") && path != root {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if e.IsDir() || !e.Type().IsRegular() {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(d.root, path)
		*out = append(*out, Object{Key: filepath.ToSlash(rel), Size: info.Size(), Version: fileVersion(info)})
		return nil
	})
}

// DirLister returns the Lister of a local directory: keys are slash paths below root; hidden files
// and folders are left out.
func DirLister(root string) Lister { return dirLister{root: root} }

// fileVersion is a local file's Object.Version: its modification time.
func fileVersion(fi fs.FileInfo) string {
	return "mtime:" + fi.ModTime().UTC().Format(time.RFC3339Nano)
}
