package tests

import (
	"strings"
	"testing"

	"gophene/internal/testenv"
)

// Single system calls whose arguments once crashed the whole LibOS (an
// exit signal that is no signal, NUMA masks of huge or wrapping size,
// EFLAGS.AC set by the guest): each gets Linux's answer and the guest runs
// on (tests/guests/badinput.c).
func TestBadInputDoesNotCrash(t *testing.T) {
	for _, mode := range []testenv.Mode{testenv.Static, testenv.Dynamic} {
		r := sameAsNative(t, guest(t, "badinput", mode))
		if !strings.Contains(r.Stdout, "getpid with EFLAGS.AC set: same 1, AC kept 1") {
			t.Errorf("unexpected: %v", r)
		}
	}
}

// Device nodes a privileged guest makes on a host mount: the harmless
// memory devices open, one that would hand it a host device does not
// (tests/guests/devnodes.c). Natively root opens them all, so this is
// checked against what Gophene promises, not against a native run.
func TestHostDeviceNodes(t *testing.T) {
	r := underGophene(t, nil, guest(t, "devnodes", testenv.Dynamic))
	want := "mknod null: ok, open: ok\nmknod zero: ok, open: ok\nmknod kmsg: ok, open: -1 EACCES\nmknod loop: ok, open: -1 EACCES\n"
	if r.Stdout != want || r.Code != 0 {
		t.Errorf("got %v\nwant %q", r, want)
	}
}
