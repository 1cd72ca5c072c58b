//go:build unix

package output

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
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
	longAgo := time.Now().Add(-7 * time.Hour)
	file := func(name string, mtime time.Time) string {
		p := filepath.Join(sub, name)
		os.WriteFile(p, nil, 0o644)
		os.Chtimes(p, mtime, mtime)
		return p
	}
	staleName := file(".part-1.parquet.tmp-"+strconv.Itoa(dead)+"-abcdef012345", longAgo)
	recent := file(".part-3.parquet.tmp-"+strconv.Itoa(dead)+"-abcdef012345", time.Now())
	liveName := file(".part-2.parquet.tmp-"+strconv.Itoa(alive)+"-abcdef012345", longAgo)
	userFiles := []string{file(".backup.tmp-"+strconv.Itoa(dead)+"-mine", longAgo), file(".db.tmp-"+strconv.Itoa(dead)+"-final.sqlite", longAgo)}
	if err := write(filepath.Join(sub, "out.json"), "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(staleName); err == nil {
		t.Error("the old temporary file of a dead process was left")
	}
	for _, keep := range append([]string{recent, liveName}, userFiles...) {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("%s was removed", filepath.Base(keep))
		}
	}

	// A link to a file not made yet: the file is made, the link stays.
	dangling := filepath.Join(dir, "dangling.json")
	os.Symlink("later.json", dangling)
	if err := write(dangling, "made"); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(dangling); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("a dangling link was replaced by a file")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "later.json")); string(b) != "made" {
		t.Errorf("the link's target holds %q", b)
	}
	// A device is not a file to replace.
	if err := write(os.DevNull, "x"); err == nil {
		t.Errorf("%s replaced", os.DevNull)
	}
}
