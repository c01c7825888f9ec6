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
	clock := int32(a[0])
	if !validClock(clock) {
		return 0, unix.EINVAL
	}
	var ts pal.Timespec
	if err := t.P.Host.ClockGet(clock, &ts); err != nil {
		return 0, mapErr(err)
	}
	return boolErr(putTimespec(t, a[1], ts))
}

// ClockGetres implements clock_getres(2).
func ClockGetres(t *kernel.Task, a kernel.Args) (uintptr, error) {
	clock := int32(a[0])
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

// sleepFor sleeps and reports what is left (always zero without signals).
func sleepFor(t *kernel.Task, ns int64) error {
	if ns <= 0 {
		return nil
	}
	return mapErr(t.P.Host.Sleep(ns))
}

// Nanosleep implements nanosleep(2).
func Nanosleep(t *kernel.Task, a kernel.Args) (uintptr, error) {
	req, err := getTimespec(t, a[0])
	if err != nil {
		return 0, err
	}
	return boolErr(sleepFor(t, req.Nano()))
}

// ClockNanosleep implements clock_nanosleep(2), relative and absolute.
func ClockNanosleep(t *kernel.Task, a kernel.Args) (uintptr, error) {
	clock, flags := int32(a[0]), a[1]
	switch clock {
	case unix.CLOCK_REALTIME, unix.CLOCK_MONOTONIC, unix.CLOCK_BOOTTIME, unix.CLOCK_TAI,
		unix.CLOCK_REALTIME_ALARM, unix.CLOCK_BOOTTIME_ALARM:
	case unix.CLOCK_THREAD_CPUTIME_ID:
		return 0, unix.EINVAL
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
	ns := req.Nano()
	if flags&unix.TIMER_ABSTIME != 0 {
		var now pal.Timespec
		if err := t.P.Host.ClockGet(clock, &now); err != nil {
			return 0, mapErr(err)
		}
		ns -= now.Nano()
	}
	return boolErr(sleepFor(t, ns))
}

// clockTicks is sysconf(_SC_CLK_TCK).
const clockTicks = 100

// cpuTime is the process's CPU time so far.
func cpuTime(t *kernel.Task, clock int32) pal.Timespec {
	var ts pal.Timespec
	t.P.Host.ClockGet(clock, &ts)
	return ts
}

// Times implements times(2). CPU time is reported as user time.
func Times(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if a[0] != 0 {
		cpu := cpuTime(t, unix.CLOCK_PROCESS_CPUTIME_ID)
		tms := [4]int64{cpu.Nano() / (1e9 / clockTicks)}
		if err := kernel.CopyOutObj(t, a[0], &tms); err != nil {
			return 0, err
		}
	}
	var now pal.Timespec
	t.P.Host.ClockGet(unix.CLOCK_MONOTONIC, &now)
	return uintptr(now.Nano() / (1e9 / clockTicks)), nil
}

// Getrusage implements getrusage(2). CPU time is reported as user time.
func Getrusage(t *kernel.Task, a kernel.Args) (uintptr, error) {
	var ru unix.Rusage
	switch int32(a[0]) {
	case unix.RUSAGE_SELF:
		cpu := cpuTime(t, unix.CLOCK_PROCESS_CPUTIME_ID)
		ru.Utime = unix.NsecToTimeval(cpu.Nano())
	case unix.RUSAGE_THREAD:
		cpu := cpuTime(t, unix.CLOCK_THREAD_CPUTIME_ID)
		ru.Utime = unix.NsecToTimeval(cpu.Nano())
	case unix.RUSAGE_CHILDREN:
	default:
		return 0, unix.EINVAL
	}
	return boolErr(kernel.CopyOutObj(t, a[1], &ru))
}
