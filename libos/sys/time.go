package sys

// Implementation of clock_gettime, clock_getres, gettimeofday, time,
// nanosleep, clock_nanosleep, times and getrusage.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/pal"
)

// validClock reports whether clock is one Linux offers to any process
// through clock_gettime.
func validClock(clock int32) bool {
	switch clock {
	case unix.CLOCK_REALTIME, unix.CLOCK_MONOTONIC, unix.CLOCK_PROCESS_CPUTIME_ID, unix.CLOCK_THREAD_CPUTIME_ID,
		unix.CLOCK_MONOTONIC_RAW, unix.CLOCK_REALTIME_COARSE, unix.CLOCK_MONOTONIC_COARSE, unix.CLOCK_BOOTTIME,
		unix.CLOCK_REALTIME_ALARM, unix.CLOCK_BOOTTIME_ALARM, unix.CLOCK_TAI:
		return true
	}
	return false
}

func putTimespec(t *kernel.Task, addr uintptr, ts pal.Timespec) error {
	u := unix.Timespec{Sec: ts.Sec, Nsec: ts.Nsec}
	return kernel.CopyOutObj(t, addr, &u)
}

func getTimespec(t *kernel.Task, addr uintptr) (pal.Timespec, error) {
	var u unix.Timespec
	if err := kernel.CopyInObj(t, addr, &u); err != nil {
		return pal.Timespec{}, err
	}
	if u.Sec < 0 || u.Nsec < 0 || u.Nsec >= 1e9 {
		return pal.Timespec{}, unix.EINVAL
	}
	return pal.Timespec{Sec: u.Sec, Nsec: u.Nsec}, nil
}

// ClockGettime implements clock_gettime(2).
func ClockGettime(t *kernel.Task, a kernel.Args) (uintptr, error) {
	var ts pal.Timespec
	if err := readClock(t, int32(a[0]), &ts); err != nil {
		return 0, err
	}
	return boolErr(putTimespec(t, a[1], ts))
}

// readClock reads a clock, including the CPU-time clocks of a given thread
// or process, whose ids encode the thread or process (glibc's
// pthread_getcpuclockid and clock_getcpuclockid): ^id << 3, then bit 2
// for a thread and the clock kind (profiling, virtual, scheduler) in bits
// 0-1.
func readClock(t *kernel.Task, clock int32, ts *pal.Timespec) error {
	if clock >= 0 {
		if !validClock(clock) {
			return unix.EINVAL
		}
		return mapErr(t.P.Host.ClockGet(clock, ts))
	}
	id := int(^(clock >> 3))
	if clock&3 == 3 {
		return unix.EINVAL
	}
	if clock&4 != 0 {
		o, err := findTask(t, -1, id)
		if err != nil {
			return unix.EINVAL
		}
		if o == t {
			return mapErr(t.P.Host.ClockGet(unix.CLOCK_THREAD_CPUTIME_ID, ts))
		}
		return mapErr(t.P.Host.ThreadClock(o.CPU, ts))
	}
	if id != 0 && id != t.P.Pid {
		return unix.EINVAL // other processes' CPU clocks are not offered
	}
	return mapErr(t.P.Host.ClockGet(unix.CLOCK_PROCESS_CPUTIME_ID, ts))
}

// ClockSettime implements clock_settime(2): the guest may not set the
// host's clock, as in a container without CAP_SYS_TIME; clocks that
// cannot be set at all are EINVAL.
func ClockSettime(t *kernel.Task, a kernel.Args) (uintptr, error) {
	clock := int32(a[0])
	if clock != unix.CLOCK_REALTIME {
		return 0, unix.EINVAL
	}
	if _, err := getTimespec(t, a[1]); err != nil {
		return 0, err
	}
	return 0, unix.EPERM
}

// Settimeofday implements settimeofday(2), which, like clock_settime, is
// not the guest's to do.
func Settimeofday(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if a[0] != 0 {
		var tv unix.Timeval
		if err := kernel.CopyInObj(t, a[0], &tv); err != nil {
			return 0, err
		}
		if tv.Usec < 0 || tv.Usec >= 1e6 || tv.Sec < 0 {
			return 0, unix.EINVAL
		}
	}
	if a[0] == 0 && a[1] == 0 {
		return 0, nil
	}
	return 0, unix.EPERM
}

// ClockGetres implements clock_getres(2).
func ClockGetres(t *kernel.Task, a kernel.Args) (uintptr, error) {
	clock := int32(a[0])
	if clock < 0 {
		// A thread's or process's CPU clock: check it exists.
		var now pal.Timespec
		if err := readClock(t, clock, &now); err != nil {
			return 0, err
		}
		if a[1] == 0 {
			return 0, nil
		}
		return boolErr(putTimespec(t, a[1], pal.Timespec{Nsec: 1}))
	}
	if !validClock(clock) {
		return 0, unix.EINVAL
	}
	if a[1] == 0 {
		return 0, nil
	}
	var ts pal.Timespec
	if err := t.P.Host.ClockResolution(clock, &ts); err != nil {
		return 0, mapErr(err)
	}
	return boolErr(putTimespec(t, a[1], ts))
}

// Gettimeofday implements gettimeofday(2).
func Gettimeofday(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if a[0] != 0 {
		var ts pal.Timespec
		if err := t.P.Host.ClockGet(unix.CLOCK_REALTIME, &ts); err != nil {
			return 0, mapErr(err)
		}
		tv := unix.Timeval{Sec: ts.Sec, Usec: ts.Nsec / 1000}
		if err := kernel.CopyOutObj(t, a[0], &tv); err != nil {
			return 0, err
		}
	}
	if a[1] != 0 {
		var tz [2]int32 // minutes west, DST: always UTC here as on most hosts
		if err := kernel.CopyOutObj(t, a[1], &tz); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// Time implements time(2).
func Time(t *kernel.Task, a kernel.Args) (uintptr, error) {
	var ts pal.Timespec
	if err := t.P.Host.ClockGet(unix.CLOCK_REALTIME, &ts); err != nil {
		return 0, mapErr(err)
	}
	if a[0] != 0 {
		v := ts.Sec
		if err := kernel.CopyOutObj(t, a[0], &v); err != nil {
			return 0, err
		}
	}
	return uintptr(ts.Sec), nil
}

// sleepUntil sleeps until deadline on clock. It reports whether a signal
// to deliver cut the sleep short; interrupts without one are absorbed.
func sleepUntil(t *kernel.Task, clock int32, deadline pal.Timespec) (bool, error) {
	for {
		err := t.P.Host.Sleep(clock, deadline)
		if err != pal.ErrInterrupted {
			return false, mapErr(err)
		}
		if t.SignalPending() {
			return true, nil
		}
	}
}

// remaining is the time left until deadline on clock (never negative).
func remaining(t *kernel.Task, clock int32, deadline pal.Timespec) pal.Timespec {
	var now pal.Timespec
	t.P.Host.ClockGet(clock, &now)
	ns := max(deadline.Nano()-now.Nano(), 0)
	return pal.Timespec{Sec: ns / 1e9, Nsec: ns % 1e9}
}

// sleepRelative sleeps until deadline; a signal gives EINTR with the time
// left in rem (if set), or a restart through restart_syscall.
func sleepRelative(t *kernel.Task, clock int32, deadline pal.Timespec, rem uintptr) (uintptr, error) {
	cut, err := sleepUntil(t, clock, deadline)
	if err != nil || !cut {
		return 0, err
	}
	if rem != 0 {
		if err := putTimespec(t, rem, remaining(t, clock, deadline)); err != nil {
			return 0, err
		}
	}
	t.RestartFn = func(t *kernel.Task, _ kernel.Args) (uintptr, error) {
		return sleepRelative(t, clock, deadline, rem)
	}
	return 0, kernel.ErrRestartBlock
}

// Nanosleep implements nanosleep(2).
func Nanosleep(t *kernel.Task, a kernel.Args) (uintptr, error) {
	req, err := getTimespec(t, a[0])
	if err != nil {
		return 0, err
	}
	return sleepRelative(t, unix.CLOCK_MONOTONIC, addNow(t, unix.CLOCK_MONOTONIC, req), a[1])
}

// ClockNanosleep implements clock_nanosleep(2), relative and absolute.
func ClockNanosleep(t *kernel.Task, a kernel.Args) (uintptr, error) {
	clock, flags := int32(a[0]), a[1]
	switch clock {
	case unix.CLOCK_REALTIME, unix.CLOCK_MONOTONIC, unix.CLOCK_BOOTTIME, unix.CLOCK_TAI,
		unix.CLOCK_REALTIME_ALARM, unix.CLOCK_BOOTTIME_ALARM, unix.CLOCK_PROCESS_CPUTIME_ID:
	case unix.CLOCK_THREAD_CPUTIME_ID:
		return 0, unix.EOPNOTSUPP // glibc's wrapper says EINVAL itself
	default:
		if !validClock(clock) {
			return 0, unix.EINVAL
		}
		return 0, unix.EOPNOTSUPP
	}
	req, err := getTimespec(t, a[2])
	if err != nil {
		return 0, err
	}
	if flags&unix.TIMER_ABSTIME == 0 {
		return sleepRelative(t, clock, addNow(t, clock, req), a[3])
	}
	cut, err := sleepUntil(t, clock, req)
	if cut {
		return 0, kernel.ErrRestartNoHand
	}
	return 0, err
}

// clockTicks is sysconf(_SC_CLK_TCK).
const clockTicks = 100

// cpuTimes reports the CPU time of the process or the calling thread.
func cpuTimes(t *kernel.Task, process bool) pal.Times {
	var tm pal.Times
	t.P.Host.ThreadTimes(process, &tm)
	return tm
}

// Times implements times(2).
func Times(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if a[0] != 0 {
		tm := cpuTimes(t, true)
		tick := int64(1e9 / clockTicks)
		tms := [4]int64{tm.User.Nano() / tick, tm.System.Nano() / tick, t.P.ChildTimes.User.Nano() / tick,
			t.P.ChildTimes.System.Nano() / tick}
		if err := kernel.CopyOutObj(t, a[0], &tms); err != nil {
			return 0, err
		}
	}
	var now pal.Timespec
	t.P.Host.ClockGet(unix.CLOCK_MONOTONIC, &now)
	return uintptr(now.Nano() / (1e9 / clockTicks)), nil
}

// Getrusage implements getrusage(2).
func Getrusage(t *kernel.Task, a kernel.Args) (uintptr, error) {
	var tm pal.Times
	switch int32(a[0]) {
	case unix.RUSAGE_SELF:
		tm = cpuTimes(t, true)
	case unix.RUSAGE_THREAD:
		tm = cpuTimes(t, false)
	case unix.RUSAGE_CHILDREN:
		tm = t.P.ChildTimes
	default:
		return 0, unix.EINVAL
	}
	ru := unix.Rusage{
		Utime: unix.NsecToTimeval(tm.User.Nano()), Stime: unix.NsecToTimeval(tm.System.Nano()),
		Maxrss: tm.MaxRSS, Minflt: tm.MinorFaults, Majflt: tm.MajorFaults,
		Nvcsw: tm.VolSwitches, Nivcsw: tm.InvolSwitches,
	}
	return boolErr(kernel.CopyOutObj(t, a[1], &ru))
}
