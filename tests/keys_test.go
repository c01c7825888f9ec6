package tests

import (
	"strings"
	"testing"

	"gophene/internal/testenv"
)

// Kernel keyrings (add_key, request_key, keyctl), kept by the leader:
// payload and description limits, special keyrings, links, searches,
// permissions and possession, timeouts, revocation, negative keys,
// restrictions, and what fork, execve, threads and setuid do to a
// process's keyrings (tests/guests/keys.c).
func TestKeyrings(t *testing.T) {
	for _, mode := range []testenv.Mode{testenv.Dynamic, testenv.Static} {
		r := sameAsNative(t, guest(t, "keys", mode))
		for _, want := range []string{"add k1 again updates it: 1", "child: same session keyring: 1",
			"parent: session replaced by the child's: 1", "nobody: session to parent, parent is root: EPERM", "done\n"} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("%s: no %q in %v", mode, want, r)
			}
		}
	}
}
