package linux

import (
	"os"
	"os/signal"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// Futex operations. Guest threads share this process's memory, so a guest
// futex word is used by the host's futex where it is.
const (
	futexWakeOp        = 5
	futexRequeue       = 3
	futexCmpRequeue    = 4
	futexWaitBitset    = 9
	futexWakeBitset    = 10
	futexPrivate       = 128
	futexClockRealtime = 256
)

func futexFlags(shared bool) uintptr {
	if shared {
		return 0
	}
	return futexPrivate
}

// FutexWait sleeps on addr until woken, the deadline or an interrupt.
func (h *Host) FutexWait(addr *uint32, val, bitset uint32, shared bool, clock int32, deadline *pal.Timespec) error {
	op := futexWaitBitset | futexFlags(shared)
	var ts *unix.Timespec
	if deadline != nil {
		ts = &unix.Timespec{Sec: deadline.Sec, Nsec: deadline.Nsec}
		if clock == unix.CLOCK_REALTIME {
			op |= futexClockRealtime
		}
	}
	_, err := blocking(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), op, uintptr(val),
		uintptr(unsafe.Pointer(ts)), 0, uintptr(bitset))
	return err
}

// FutexWake wakes sleepers on addr.
func (h *Host) FutexWake(addr *uint32, n int, bitset uint32, shared bool) (int, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWakeBitset|futexFlags(shared),
		uintptr(n), 0, 0, uintptr(bitset))
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(r), nil
}

// FutexRequeue wakes sleepers on addr and moves others to addr2.
func (h *Host) FutexRequeue(addr *uint32, n int, addr2 *uint32, n2 int, cmp *uint32, shared bool) (int, error) {
	op, val3 := uintptr(futexRequeue), uintptr(0)
	if cmp != nil {
		op, val3 = futexCmpRequeue, uintptr(*cmp)
	}
	r, _, e := unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), op|futexFlags(shared),
		uintptr(n), uintptr(n2), uintptr(unsafe.Pointer(addr2)), val3)
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(r), nil
}

// FutexWakeOp implements FUTEX_WAKE_OP.
func (h *Host) FutexWakeOp(addr *uint32, n int, addr2 *uint32, n2 int, op uint32, shared bool) (int, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWakeOp|futexFlags(shared),
		uintptr(n), uintptr(n2), uintptr(unsafe.Pointer(addr2)), uintptr(op))
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(r), nil
}

// Sleep waits until deadline on clock.
func (h *Host) Sleep(clock int32, deadline pal.Timespec) error {
	ts := unix.Timespec{Sec: deadline.Sec, Nsec: deadline.Nsec}
	_, err := blocking(unix.SYS_CLOCK_NANOSLEEP, uintptr(clock), unix.TIMER_ABSTIME,
		uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
	return err
}

// ThreadClock reads a guest thread's CPU clock (Linux encodes another
// thread's CPU clock id from its tid).
func (h *Host) ThreadClock(cpu *pal.CPU, ts *pal.Timespec) error {
	cb := (*controlBlock)(unsafe.Pointer(cpu))
	clock := int32(^cb.tid)<<3 | 6 // CPUCLOCK_SCHED | CPUCLOCK_PERTHREAD
	if err := h.ClockGet(clock, ts); err != nil {
		return err
	}
	*ts = pal.TimespecOf(ts.Nano() - cb.cpuBase)
	return nil
}

// ThreadTimes reports CPU time of the calling thread or the process.
func (h *Host) ThreadTimes(process bool, t *pal.Times) error {
	who := unix.RUSAGE_THREAD
	if process {
		who = unix.RUSAGE_SELF
	}
	var ru unix.Rusage
	if err := unix.Getrusage(who, &ru); err != nil {
		return palErr(err)
	}
	tv := func(v unix.Timeval) pal.Timespec { return pal.Timespec{Sec: v.Sec, Nsec: v.Usec * 1000} }
	user, sys := tv(ru.Utime), tv(ru.Stime)
	if process {
		user = pal.TimespecOf(user.Nano() - h.cpuBase.user)
		sys = pal.TimespecOf(sys.Nano() - h.cpuBase.sys)
	} else if cb := runningCB(); cb != nil {
		user = pal.TimespecOf(user.Nano() - cb.userBase)
		sys = pal.TimespecOf(sys.Nano() - cb.sysBase)
	}
	*t = pal.Times{User: user, System: sys, MaxRSS: ru.Maxrss,
		MinorFaults: ru.Minflt, MajorFaults: ru.Majflt, VolSwitches: ru.Nvcsw, InvolSwitches: ru.Nivcsw}
	return nil
}

// forwardedSignals are the host signals the guest receives, and SIGIO,
// which the host sends when a lease of the process's is being broken.
var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGWINCH, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGCONT, syscall.SIGTSTP,
	syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGIO}

// HostSignals forwards host signals to fn. The Go runtime receives them on
// its own threads (guest threads block them) and hands them over here.
// A later call replaces fn (a reused host process runs a new guest
// process).
func (h *Host) HostSignals(fn func(sig int)) {
	h.signalFn.Store(&fn)
	h.signalOnce.Do(func() {
		c := make(chan os.Signal, 64)
		signal.Notify(c, forwardedSignals...)
		go func() {
			for s := range c {
				(*h.signalFn.Load())(int(s.(syscall.Signal)))
			}
		}()
	})
}
