package sys

// Implementation of alarm, setitimer, getitimer, timer_create,
// timer_settime, timer_gettime, timer_getoverrun and timer_delete (the
// timers themselves are in libos/kernel/timer.go).

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/pal"
)

func nsOf(ts pal.Timespec) int64 { return ts.Nano() }

func tsOf(ns int64) pal.Timespec { return pal.Timespec{Sec: ns / 1e9, Nsec: ns % 1e9} }

// itimerval is struct itimerval: {interval, value} as timevals.
type itimerval struct{ IntSec, IntUsec, ValSec, ValUsec int64 }

func toTimeval(ns int64) (int64, int64) {
	// Linux rounds a remaining time up to the next microsecond.
	us := (ns + 999) / 1000
	return us / 1e6, us % 1e6
}

// Setitimer implements setitimer(2).
func Setitimer(t *kernel.Task, a kernel.Args) (uintptr, error) {
	which := int(int32(a[0]))
	if which < 0 || which > 2 {
		return 0, unix.EINVAL
	}
	var nv itimerval
	if a[1] != 0 {
		if err := kernel.CopyInObj(t, a[1], &nv); err != nil {
			return 0, err
		}
		if nv.IntUsec < 0 || nv.IntUsec >= 1e6 || nv.ValUsec < 0 || nv.ValUsec >= 1e6 || nv.IntSec < 0 || nv.ValSec < 0 {
			return 0, unix.EINVAL
		}
	}
	tm := t.P.ITimer(which)
	var left, interval int64
	if a[1] != 0 {
		left, interval = tm.Set(nv.ValSec*1e9+nv.ValUsec*1e3, nv.IntSec*1e9+nv.IntUsec*1e3, false)
	} else {
		left, interval = tm.Get()
	}
	if a[2] != 0 {
		var ov itimerval
		ov.IntSec, ov.IntUsec = toTimeval(interval)
		ov.ValSec, ov.ValUsec = toTimeval(left)
		if err := kernel.CopyOutObj(t, a[2], &ov); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// Getitimer implements getitimer(2).
func Getitimer(t *kernel.Task, a kernel.Args) (uintptr, error) {
	which := int(int32(a[0]))
	if which < 0 || which > 2 {
		return 0, unix.EINVAL
	}
	left, interval := t.P.ITimer(which).Get()
	var v itimerval
	v.IntSec, v.IntUsec = toTimeval(interval)
	v.ValSec, v.ValUsec = toTimeval(left)
	return 0, kernel.CopyOutObj(t, a[1], &v)
}

// Alarm implements alarm(2): it returns the seconds left of the previous
// alarm, rounded as Linux rounds them.
func Alarm(t *kernel.Task, a kernel.Args) (uintptr, error) {
	left, _ := t.P.ITimer(0).Set(int64(uint32(a[0]))*1e9, 0, false)
	secs := left / 1e9
	if left%1e9 >= 5e8 || (secs == 0 && left > 0) {
		secs++
	}
	return uintptr(secs), nil
}

// sigevent is struct sigevent.
type sigevent struct {
	Value  uint64
	Signo  int32
	Notify int32
	Tid    int32
	_      [44]byte
}

// sigevThread is SIGEV_THREAD.
const sigevThread = 2

// TimerCreate implements timer_create(2).
func TimerCreate(t *kernel.Task, a kernel.Args) (uintptr, error) {
	clock := int32(a[0])
	switch clock {
	case unix.CLOCK_REALTIME, unix.CLOCK_MONOTONIC, unix.CLOCK_BOOTTIME, unix.CLOCK_TAI,
		unix.CLOCK_REALTIME_ALARM, unix.CLOCK_BOOTTIME_ALARM, unix.CLOCK_PROCESS_CPUTIME_ID, unix.CLOCK_THREAD_CPUTIME_ID:
	default:
		return 0, unix.EINVAL
	}
	if clock == unix.CLOCK_REALTIME_ALARM || clock == unix.CLOCK_BOOTTIME_ALARM {
		// Alarm timers need the host's real-time clock device (without
		// one, reading the clock fails: EOPNOTSUPP, as Linux) and
		// CAP_WAKE_ALARM.
		var ts pal.Timespec
		if t.P.Host.ClockGet(clock, &ts) != nil {
			return 0, unix.EOPNOTSUPP
		}
		if c := t.P.Creds(); !c.Capable(unix.CAP_WAKE_ALARM) {
			return 0, unix.EPERM
		}
	}
	ev := sigevent{Signo: int32(unix.SIGALRM), Notify: kernel.SigevSignal}
	var target *kernel.Task
	if a[1] != 0 {
		if err := kernel.CopyInObj(t, a[1], &ev); err != nil {
			return 0, err
		}
		if ev.Notify == sigevThread {
			// SIGEV_THREAD is the C library's: the kernel sees a signal
			// (glibc's helper thread waits for it).
			ev.Notify = kernel.SigevSignal
		}
		switch ev.Notify {
		case kernel.SigevNone:
		case kernel.SigevSignal, kernel.SigevThreadID:
			if ev.Signo <= 0 || ev.Signo > kernel.NumSignals {
				return 0, unix.EINVAL
			}
			if ev.Notify == kernel.SigevThreadID {
				o, err := findTask(t, t.P.Pid, int(ev.Tid))
				if err != nil {
					return 0, unix.EINVAL
				}
				target = o
			}
		default:
			return 0, unix.EINVAL
		}
	}
	if clock == unix.CLOCK_THREAD_CPUTIME_ID {
		target = t
	}
	tm := t.P.NewTimer(clock, int(ev.Notify), int(ev.Signo), ev.Value, target)
	id := t.P.AddTimer(tm)
	if a[1] == 0 {
		tm.SetValue(uint64(id)) // the default sigev_value is the timer id
	}
	v := int32(id)
	if err := kernel.CopyOutObj(t, a[2], &v); err != nil {
		t.P.DeleteTimer(id)
		return 0, err
	}
	return 0, nil
}

func timerOf(t *kernel.Task, id uintptr) (*kernel.Timer, error) {
	tm := t.P.Timer(int(int32(id)))
	if tm == nil {
		return nil, unix.EINVAL
	}
	return tm, nil
}

// TimerSettime implements timer_settime(2).
func TimerSettime(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if a[2] == 0 {
		return 0, unix.EINVAL
	}
	tm, err := timerOf(t, a[0])
	if err != nil {
		return 0, err
	}
	if a[1]&^unix.TIMER_ABSTIME != 0 {
		return 0, unix.EINVAL
	}
	v, err := readItimerspec(t, a[2])
	if err != nil {
		return 0, err
	}
	left, interval := tm.Set(nsOf(v[1]), nsOf(v[0]), a[1]&unix.TIMER_ABSTIME != 0)
	if a[3] != 0 {
		return 0, putItimerspec(t, a[3], &[2]pal.Timespec{tsOf(interval), tsOf(left)})
	}
	return 0, nil
}

// TimerGettime implements timer_gettime(2).
func TimerGettime(t *kernel.Task, a kernel.Args) (uintptr, error) {
	tm, err := timerOf(t, a[0])
	if err != nil {
		return 0, err
	}
	left, interval := tm.Get()
	return 0, putItimerspec(t, a[1], &[2]pal.Timespec{tsOf(interval), tsOf(left)})
}

// TimerGetoverrun implements timer_getoverrun(2).
func TimerGetoverrun(t *kernel.Task, a kernel.Args) (uintptr, error) {
	tm, err := timerOf(t, a[0])
	if err != nil {
		return 0, err
	}
	return uintptr(tm.Overrun()), nil
}

// TimerDelete implements timer_delete(2).
func TimerDelete(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if !t.P.DeleteTimer(int(int32(a[0]))) {
		return 0, unix.EINVAL
	}
	return 0, nil
}
