package tests

import (
	"strings"
	"testing"

	"gophene/internal/testenv"
)

// The SysV limits and next ids of /proc/sys/kernel (msgmni, shmmax,
// shmall, sem, msg_next_id, ...), read, written and applied by the
// leader (tests/guests/ipclimits.c).
func TestSysVIPCLimits(t *testing.T) {
	r := sameAsNative(t, guest(t, "ipclimits", testenv.Dynamic))
	if !strings.Contains(r.Stdout, "queues made: 3, then -1 ENOSPC") || !strings.Contains(r.Stdout, "next queue id 1234: 1") {
		t.Errorf("unexpected: %v", r)
	}
}
