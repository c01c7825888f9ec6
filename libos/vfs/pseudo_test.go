package vfs

import (
	"encoding/binary"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// readNames reads one batch of directory entries with a buffer of size
// bytes and returns their names.
func readNames(t *testing.T, f FileImpl, size int) []string {
	t.Helper()
	buf := make([]byte, size)
	n, err := f.Readdir(buf)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for off := 0; off < n; {
		reclen := int(binary.LittleEndian.Uint16(buf[off+16:]))
		name := buf[off+19 : off+reclen]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		names = append(names, string(name))
		off += reclen
	}
	return names
}

// Entries removed while a directory is being read (fds closed while
// /proc/self/fd is listed) make no other entry go missing.
func TestPseudoReaddirStableAcrossRemoval(t *testing.T) {
	live := map[int]bool{}
	for i := 0; i < 20; i++ {
		live[i] = true
	}
	dir := Dir(map[string]*Node{"info": RegularFile(nil)})
	dir.List = func() []string {
		var names []string
		for i := 0; i < 20; i++ {
			if live[i] {
				names = append(names, strconv.Itoa(i))
			}
		}
		return names
	}
	dir.Lookup = func(name string) *Node {
		if n, err := strconv.Atoi(name); err == nil && live[n] {
			return RegularFile(nil)
		}
		return nil
	}
	fs := &PseudoFS{Root: Dir(map[string]*Node{"fd": dir})}
	f, err := fs.Open("fd", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	first := readNames(t, f, 24*6) // ".", "..", "info", "0", "1", "2"
	for _, n := range first {
		seen[n] = true
	}
	for i := 3; i < 10; i++ {
		delete(live, i) // closed meanwhile
	}
	for {
		names := readNames(t, f, 24*4)
		if len(names) == 0 {
			break
		}
		for _, n := range names {
			if seen[n] {
				t.Errorf("%s listed twice", n)
			}
			seen[n] = true
		}
	}
	for i := 10; i < 20; i++ {
		if !seen[strconv.Itoa(i)] {
			t.Errorf("entry %d was skipped (seen %v)", i, seen)
		}
	}
	if !seen["info"] || !seen["."] || !seen[".."] {
		t.Errorf("named entries missing: %v", seen)
	}
}
