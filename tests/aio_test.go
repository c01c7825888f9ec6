package tests

import "testing"

// Linux native AIO through the raw system calls (tests/guests/aio.c):
// reads, writes, vectors, syncs and polls, an eventfd signalled at
// completion up to its overflow, io_getevents' waits, timeouts and
// signals, io_pgetevents' mask, io_cancel, io_destroy waking a waiting
// thread, a forked child and execve, and the errors of every call.
func TestLinuxAIO(t *testing.T) {
	suiteSameAsNative(t, "aio")
}
