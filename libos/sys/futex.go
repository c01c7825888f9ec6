package sys

// Implementation of futex: WAIT, WAKE and their BITSET forms with the
// match-any bitset. Guest threads share this process's memory, so a futex
// word is waited on where it is, with the host's futex.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/umem"
	"gophene/pal"
)

const (
	futexWait          = 0
	futexWake          = 1
	futexWaitBitset    = 9
	futexWakeBitset    = 10
	futexPrivate       = 128
	futexClockRealtime = 256
	futexBitsetAny     = 0xffffffff
)

// Futex implements futex(2).
func Futex(t *kernel.Task, a kernel.Args) (uintptr, error) {
	addr, op, val := a[0], int(a[1]), uint32(a[2])
	cmd := op &^ (futexPrivate | futexClockRealtime)
	if addr%4 != 0 {
		return 0, unix.EINVAL
	}
	if !t.P.MM.Check(addr, 4, pal.ProtRead) {
		return 0, unix.EFAULT
	}
	word := (*uint32)(umem.Ptr(addr))
	switch cmd {
	case futexWait, futexWaitBitset:
		if cmd == futexWaitBitset && uint32(a[5]) != futexBitsetAny {
			if uint32(a[5]) == 0 {
				return 0, unix.EINVAL
			}
			return 0, unix.ENOSYS
		}
		timeout := int64(-1)
		if a[3] != 0 {
			ts, err := getTimespec(t, a[3])
			if err != nil {
				return 0, err
			}
			timeout = ts.Nano()
			if cmd == futexWaitBitset {
				clock := int32(unix.CLOCK_MONOTONIC)
				if op&futexClockRealtime != 0 {
					clock = unix.CLOCK_REALTIME
				}
				var now pal.Timespec
				t.P.Host.ClockGet(clock, &now)
				if timeout -= now.Nano(); timeout < 0 {
					return 0, unix.ETIMEDOUT
				}
			}
		}
		err := t.P.Host.FutexWait(word, val, timeout)
		if err == pal.ErrTryAgain {
			return 0, unix.EAGAIN
		}
		return 0, mapErr(err)
	case futexWake, futexWakeBitset:
		if cmd == futexWakeBitset && uint32(a[5]) != futexBitsetAny {
			if uint32(a[5]) == 0 {
				return 0, unix.EINVAL
			}
			return 0, unix.ENOSYS
		}
		n, err := t.P.Host.FutexWake(word, int(min(val, 1<<30)))
		return uintptr(n), mapErr(err)
	}
	return 0, unix.ENOSYS
}
