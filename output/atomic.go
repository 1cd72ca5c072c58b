package output

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// AtomicFile is an output file that appears under its name only when complete: it is written to a
// temporary file in the same directory and renamed on Commit.
//
// The file it replaces keeps its permissions; a new file gets those the umask allows (0666 less the
// umask), as a shell redirection would. A read-only file is not replaced, and a symbolic link is
// followed: the file it points to is replaced, the link stays. Temporary files are named
// .NAME.tmp-PID-RANDOM, so that a run killed before it could remove its own (SIGKILL) has them
// removed by the next run that writes into the same directory.
type AtomicFile struct {
	*os.File
	path string // the file replaced: the target of a symbolic link
	mode fs.FileMode
	keep bool // mode is that of the file replaced
	done bool
}

// CreateAtomic starts writing path, a regular file or one to be made: a device, a pipe or a
// directory is refused (output.Open writes those as they are).
func CreateAtomic(path string) (*AtomicFile, error) {
	target := path
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if t, err := filepath.EvalSymlinks(path); err == nil {
			target = t
		} else if l, err := os.Readlink(path); err == nil {
			// A link to a file not made yet: make that file, and the link stays.
			if !filepath.IsAbs(l) {
				l = filepath.Join(filepath.Dir(path), l)
			}
			target = l
		}
	}
	a := &AtomicFile{path: target}
	if fi, err := os.Stat(target); err == nil {
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is not a regular file: flowlens does not replace it", path)
		}
		if fi.Mode().Perm()&0o200 == 0 {
			return nil, fmt.Errorf("%s is read-only: flowlens does not replace it", path)
		}
		a.mode, a.keep = fi.Mode().Perm(), true
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	removeStale(dir)
	for range 10 {
		var r [6]byte
		rand.Read(r[:])
		tmp := filepath.Join(dir, "."+base+".tmp-"+strconv.Itoa(os.Getpid())+"-"+hex.EncodeToString(r[:]))
		// 0666 before the umask, as a new file made by a redirection; a replaced file's mode is
		// set on Commit.
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		a.File = f
		return a, nil
	}
	return nil, fmt.Errorf("cannot create a temporary file beside %s", target)
}

// Commit closes the file and renames it into place.
func (a *AtomicFile) Commit() error {
	if a.done {
		return nil
	}
	a.done = true
	// On disk before the rename, so that the name never points at a file a crash would leave
	// empty or short.
	if err := a.File.Sync(); err != nil {
		a.File.Close()
		os.Remove(a.File.Name())
		return err
	}
	if err := a.File.Close(); err != nil {
		os.Remove(a.File.Name())
		return err
	}
	if a.keep {
		if err := os.Chmod(a.File.Name(), a.mode); err != nil {
			os.Remove(a.File.Name())
			return err
		}
	}
	if err := os.Rename(a.File.Name(), a.path); err != nil {
		os.Remove(a.File.Name())
		return err
	}
	return nil
}

// Abort removes the temporary file; after Commit it does nothing.
func (a *AtomicFile) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.File.Close()
	os.Remove(a.File.Name())
}

// WriteFileAtomic writes data to path atomically.
func WriteFileAtomic(path string, data []byte) error {
	f, err := CreateAtomic(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// swept are the directories whose stale temporary files this process has removed already.
var swept sync.Map

// staleTemp is the name of an AtomicFile's temporary file: .NAME.tmp-PID-12 hex digits.
var staleTemp = regexp.MustCompile(`^\..+\.tmp-([0-9]+)-[0-9a-f]{12}$`)

// staleAge is how long a temporary file must have been left untouched before it is removed: a
// process id says nothing of another host's or container's processes, but a writer touches its
// file as it writes.
const staleAge = 6 * time.Hour

// removeStale removes the temporary files that processes which no longer run left behind (killed
// before they could remove them), once per directory and process: regular files named as
// CreateAtomic names them, of a process id not running here, untouched for staleAge. Nothing else
// is ever removed.
func removeStale(dir string) {
	if _, done := swept.LoadOrStore(dir, true); done {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		m := staleTemp.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || pid <= 0 || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		if fi, err := e.Info(); err != nil || time.Since(fi.ModTime()) < staleAge {
			continue
		}
		os.Remove(filepath.Join(dir, e.Name()))
	}
}
