package sys

// Implementation of futex: WAIT, WAKE, their BITSET forms, REQUEUE,
// CMP_REQUEUE and WAKE_OP, private and shared, with timeouts on both
// clocks. Guest threads share this process's memory, so the host's futex
// does the waiting and waking on the guest's own words; the LibOS checks the
// addresses and turns interruptions into restarts.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/umem"
	"gophene/pal"
)

const (
	futexWait          = 0
	futexWake          = 1
	futexRequeue       = 3
	futexCmpRequeue    = 4
	futexWakeOp        = 5
	futexWaitBitset    = 9
	futexWakeBitset    = 10
	futexPrivate       = 128
	futexClockRealtime = 256
	futexBitsetAny     = 0xffffffff
)

// futexWord checks a futex address and returns the word.
func futexWord(t *kernel.Task, addr uintptr) (*uint32, error) {
	if addr%4 != 0 {
		return nil, unix.EINVAL
	}
	if !t.P.MM.Check(addr, 4, pal.ProtRead) {
		return nil, unix.EFAULT
	}
	return (*uint32)(umem.Ptr(addr)), nil
}

// Futex implements futex(2).
func Futex(t *kernel.Task, a kernel.Args) (uintptr, error) {
	op := int(a[1])
	cmd := op &^ (futexPrivate | futexClockRealtime)
	shared := op&futexPrivate == 0
	if op&futexClockRealtime != 0 && cmd != futexWait && cmd != futexWaitBitset {
		return 0, unix.ENOSYS
	}
	word, err := futexWord(t, a[0])
	if err != nil {
		return 0, err
	}
	host := t.P.Host
	switch cmd {
	case futexWait, futexWaitBitset:
		bitset := uint32(futexBitsetAny)
		if cmd == futexWaitBitset {
			if bitset = uint32(a[5]); bitset == 0 {
				return 0, unix.EINVAL
			}
		}
		clock := int32(unix.CLOCK_MONOTONIC)
		if op&futexClockRealtime != 0 {
			clock = unix.CLOCK_REALTIME
		}
		var deadline *pal.Timespec
		if a[3] != 0 {
			ts, err := getTimespec(t, a[3])
			if err != nil {
				return 0, err
			}
			if cmd == futexWait { // relative
				ts = addNow(t, clock, ts)
			}
			deadline = &ts
		}
		return futexWaitLoop(t, word, uint32(a[2]), bitset, shared, clock, deadline)
	case futexWake, futexWakeBitset:
		bitset := uint32(futexBitsetAny)
		if cmd == futexWakeBitset {
			if bitset = uint32(a[5]); bitset == 0 {
				return 0, unix.EINVAL
			}
		}
		n, err := host.FutexWake(word, int(min(uint32(a[2]), 1<<30)), bitset, shared)
		return uintptr(n), mapErr(err)
	case futexRequeue, futexCmpRequeue:
		word2, err := futexWord(t, a[4])
		if err != nil {
			return 0, err
		}
		if int32(a[2]) < 0 || int32(a[3]) < 0 {
			return 0, unix.EINVAL
		}
		var cmp *uint32
		if cmd == futexCmpRequeue {
			v := uint32(a[5])
			cmp = &v
		}
		n, err := host.FutexRequeue(word, int(int32(a[2])), word2, int(int32(a[3])), cmp, shared)
		return uintptr(n), mapErr(err)
	case futexWakeOp:
		word2, err := futexWord(t, a[4])
		if err != nil {
			return 0, err
		}
		if !t.P.MM.Check(a[4], 4, pal.ProtWrite) {
			return 0, unix.EFAULT
		}
		n, err := host.FutexWakeOp(word, int(int32(a[2])), word2, int(int32(a[3])), uint32(a[5]), shared)
		return uintptr(n), mapErr(err)
	}
	return 0, unix.ENOSYS
}

// addNow turns a relative time into a deadline on clock.
func addNow(t *kernel.Task, clock int32, rel pal.Timespec) pal.Timespec {
	var now pal.Timespec
	t.P.Host.ClockGet(clock, &now)
	ns := now.Nano() + rel.Nano()
	return pal.Timespec{Sec: ns / 1e9, Nsec: ns % 1e9}
}

// futexWaitLoop waits, absorbing interrupts that bring no signal. A signal
// restarts the wait (with the same deadline, through restart_syscall when
// there is one), as Linux does.
func futexWaitLoop(t *kernel.Task, word *uint32, val, bitset uint32, shared bool, clock int32, deadline *pal.Timespec) (uintptr, error) {
	for {
		err := t.P.Host.FutexWait(word, val, bitset, shared, clock, deadline)
		switch err {
		case nil:
			return 0, nil
		case pal.ErrInterrupted:
			if !t.SignalPending() {
				continue
			}
			if deadline == nil {
				return 0, kernel.ErrRestartSys
			}
			d := *deadline
			t.RestartFn = func(t *kernel.Task, _ kernel.Args) (uintptr, error) {
				return futexWaitLoop(t, word, val, bitset, shared, clock, &d)
			}
			return 0, kernel.ErrRestartBlock
		}
		return 0, mapErr(err)
	}
}
