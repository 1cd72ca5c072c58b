//go:build unix

package output

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// TestAtomicFileModes: a new file honours the umask, a replaced file keeps its mode, a read-only
// file is refused, a symbolic link stays and its target is replaced, and the temporary files of a
// dead process are removed while those of a live one stay.
func TestAtomicFileModes(t *testing.T) {
	dir := t.TempDir()
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)

	write := func(path, data string) error { return WriteFileAtomic(path, []byte(data)) }
	mode := func(path string) os.FileMode {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	fresh := filepath.Join(dir, "new.json")
	if err := write(fresh, "1"); err != nil || mode(fresh) != 0o600 {
		t.Errorf("new file under umask 077: %v, %v", mode(fresh), err)
	}
	kept := filepath.Join(dir, "kept.json")
	os.WriteFile(kept, []byte("0"), 0o640)
	os.Chmod(kept, 0o640)
	if err := write(kept, "1"); err != nil || mode(kept) != 0o640 {
		t.Errorf("replaced file: %v, %v", mode(kept), err)
	}
	ro := filepath.Join(dir, "ro.json")
	os.WriteFile(ro, []byte("keep me"), 0o444)
	if err := write(ro, "1"); err == nil {
		t.Error("a read-only file was replaced")
	}
	if b, _ := os.ReadFile(ro); string(b) != "keep me" {
		t.Errorf("read-only file now %q", b)
	}
	target := filepath.Join(dir, "target.json")
	os.WriteFile(target, []byte("0"), 0o644)
	link := filepath.Join(dir, "link.json")
	os.Symlink(target, link)
	if err := write(link, "new"); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the link was replaced by a file")
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("target %q", b)
	}

	// A process that has ended, and this one's parent, which runs.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip(err)
	}
	dead, alive := cmd.Process.Pid, os.Getppid()
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	staleName := filepath.Join(sub, ".part-1.parquet.tmp-"+strconv.Itoa(dead)+"-abcdef")
	liveName := filepath.Join(sub, ".part-2.parquet.tmp-"+strconv.Itoa(alive)+"-abcdef")
	os.WriteFile(staleName, nil, 0o644)
	os.WriteFile(liveName, nil, 0o644)
	if err := write(filepath.Join(sub, "out.json"), "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(staleName); err == nil {
		t.Error("the temporary file of a dead process was left")
	}
	if _, err := os.Stat(liveName); err != nil {
		t.Error("the temporary file of a live process was removed")
	}
}
