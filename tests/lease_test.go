package tests

import (
	"strings"
	"testing"

	"gophene/internal/testenv"
)

// File leases through the host: conflicts, the holder's SIGIO or
// F_SETSIG signal when another process opens the file, the opener waiting
// until the lease is given up, non-owners refused (tests/guests/lease.c).
func TestLeases(t *testing.T) {
	r := sameAsNative(t, guest(t, "lease", testenv.Dynamic))
	if !strings.Contains(r.Stdout, "child: open for writing: ok") || !strings.Contains(r.Stdout, "lease by a non-owner: -1 EACCES") {
		t.Errorf("unexpected: %v", r)
	}
}
