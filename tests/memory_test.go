package tests

import (
	"strings"
	"testing"

	"gophene/internal/testenv"
)

// Memory and signal calls in corner cases: mmap's descriptor check first,
// mprotect of read-only shared mappings, msync and madvise on locked
// memory, pages made resident by mlock, MAP_LOCKED and MAP_POPULATE,
// SA_RESETHAND keeping the flags, tgkill's tgid, SIGEV_THREAD timers
// (tests/guests/memerrs.c).
func TestMemoryCornerCases(t *testing.T) {
	for _, mode := range []testenv.Mode{testenv.Static, testenv.Dynamic} {
		r := sameAsNative(t, guest(t, "memerrs", mode))
		if !strings.Contains(r.Stdout, "mlock 3 pages: 0, resident 3, VmLck 12 kB") {
			t.Errorf("unexpected: %v", r)
		}
	}
}

// I/O corner cases: preadv2/pwritev2 flags, positioned I/O on a pipe
// (ESPIPE before EBADF), the termio ioctls, execve with an empty argv
// (tests/guests/ioerrs.c).
func TestIOCornerCases(t *testing.T) {
	r := sameAsNative(t, guest(t, "ioerrs", testenv.Dynamic), "x")
	if !strings.Contains(r.Stdout, "exec with empty argv: argc 1") {
		t.Errorf("unexpected: %v", r)
	}
}

// MAP_GROWSDOWN: an access below the area grows it, one into the guard
// gap above another mapping is a SIGSEGV (tests/guests/growsdown.c).
func TestGrowsDown(t *testing.T) {
	r := sameAsNative(t, guest(t, "growsdown", testenv.Dynamic))
	if !strings.Contains(r.Stdout, "plain access below grew it: 1") || !strings.Contains(r.Stdout, "killed by SEGV") {
		t.Errorf("unexpected: %v", r)
	}
}
