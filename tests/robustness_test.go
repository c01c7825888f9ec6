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
