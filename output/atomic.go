package output

import (
	"os"
	"path/filepath"
)

// AtomicFile is an output file that appears under its name only when complete: it is written to a
// temporary file in the same directory and renamed on Commit.
type AtomicFile struct {
	*os.File
	path string
	done bool
}

// CreateAtomic starts writing path.
func CreateAtomic(path string) (*AtomicFile, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	return &AtomicFile{File: f, path: path}, nil
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
	if err := os.Chmod(a.File.Name(), 0o644); err != nil {
		os.Remove(a.File.Name())
		return err
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
