package tests

import (
	"path/filepath"
	"strings"
	"testing"

	"gophene/internal/testenv"
)

// inotify through the host's instances: the events of a watched directory
// and file, IN_ONESHOT, IN_MASK_ADD, IN_MASK_CREATE, rm_watch's
// IN_IGNORED, readiness, a blocking read, fork, fdinfo, pseudo files and
// the errors (tests/guests/inotify.c).
func TestInotify(t *testing.T) {
	suiteSameAsNative(t, "inotify")
}

// Python's ctypes use of inotify, as inotify_simple does it
// (tests/guests/inotify.py).
func TestInotifyPython(t *testing.T) {
	r := sameAsNative(t, "/usr/bin/python3", filepath.Join(testenv.Root(), "tests", "guests", "inotify.py"))
	if !strings.Contains(r.Stdout, "move cookies equal: True") {
		t.Errorf("unexpected: %v", r)
	}
}

// tail -f learns of appended lines through inotify: with a 100-second
// polling interval it could not print them before the timeout otherwise.
func TestInotifyTail(t *testing.T) {
	script := `f=$(mktemp)
(sleep 0.5; echo hello >> $f; sleep 0.5; echo world >> $f) &
timeout 3 tail -s 100 -f $f
echo "status $?"
wait
rm -f $f`
	r := sameAsNative(t, "/bin/sh", "-c", script)
	if r.Stdout != "hello\nworld\nstatus 124\n" {
		t.Errorf("unexpected: %v", r)
	}
}
