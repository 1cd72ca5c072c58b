package output

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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

// CreateAtomic starts writing path.
func CreateAtomic(path string) (*AtomicFile, error) {
	target := path
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if t, err := filepath.EvalSymlinks(path); err == nil {
			target = t
		}
	}
	a := &AtomicFile{path: target}
	if fi, err := os.Stat(target); err == nil {
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
	return os.Rename(a.File.Name(), a.path)
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

// removeStale removes the temporary files of processes that no longer run (killed before they
// could), once per directory and process. Those of a running process, which may still write them,
// are left alone.
func removeStale(dir string) {
	if _, done := swept.LoadOrStore(dir, true); done {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		i := strings.LastIndex(name, ".tmp-")
		if !strings.HasPrefix(name, ".") || i < 0 {
			continue
		}
		pidText, _, ok := strings.Cut(name[i+len(".tmp-"):], "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		os.Remove(filepath.Join(dir, name))
	}
}
