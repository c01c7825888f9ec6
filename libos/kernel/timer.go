package kernel

import (
	"math"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// Timers: POSIX timers (timer_create) and interval timers (setitimer,
// alarm) share one implementation. Clocks that advance with time are
// driven by Go timers; CPU-time clocks are sampled every millisecond while
// such a timer is armed, which is about the resolution Linux gives them.

// How a timer notifies (sigevent's sigev_notify).
const (
	SigevSignal   = 0
	SigevNone     = 1
	SigevThreadID = 4
)

// Timer is one timer of a process.
type Timer struct {
	p      *Process
	ID     int
	clock  int32
	notify int
	sig    int
	value  uint64 // sigev_value
	target *Task  // SIGEV_THREAD_ID
	code   int32  // si_code of its signals (SI_TIMER, or SI_KERNEL for itimers)

	mu       sync.Mutex
	next     int64 // expiry on the timer's clock, ns; 0 when disarmed
	interval int64
	gen      int // bumped on every Set, so stale callbacks do nothing
	overrun  int // expiries while the last signal was still pending
	lastOver int // overrun reported with the last signal
	goTimer  *time.Timer
	sampling bool
}

// cpuClock reports whether clock measures CPU time.
func cpuClock(clock int32) bool {
	return clock == unix.CLOCK_PROCESS_CPUTIME_ID || clock == unix.CLOCK_THREAD_CPUTIME_ID ||
		clock == clockVirtual || clock == clockProf
}

// Clocks of ITIMER_VIRTUAL and ITIMER_PROF (not Linux clock ids: process
// user time, and user plus system time).
const (
	clockVirtual = -1000
	clockProf    = -1001
)

// now reads the timer's clock in nanoseconds.
func (tm *Timer) now() int64 {
	host := tm.p.Host
	switch tm.clock {
	case clockVirtual, clockProf, unix.CLOCK_PROCESS_CPUTIME_ID:
		var t pal.Times
		host.ThreadTimes(true, &t)
		if tm.clock == clockVirtual {
			return t.User.Nano()
		}
		return t.User.Nano() + t.System.Nano()
	case unix.CLOCK_THREAD_CPUTIME_ID:
		var ts pal.Timespec
		if tm.target != nil {
			host.ThreadClock(tm.target.CPU, &ts)
		}
		return ts.Nano()
	}
	var ts pal.Timespec
	host.ClockGet(tm.clock, &ts)
	return ts.Nano()
}

// NewTimer makes a disarmed timer.
func (p *Process) NewTimer(clock int32, notify, sig int, value uint64, target *Task) *Timer {
	return &Timer{p: p, clock: clock, notify: notify, sig: sig, value: value, target: target, code: SiTimer}
}

// Set arms the timer to expire at value (absolute on its clock if abs,
// else from now) and then every interval; a zero value disarms it. It
// returns the previous time left and interval.
func (tm *Timer) Set(value, interval int64, abs bool) (oldLeft, oldInterval int64) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	now := tm.now()
	if tm.next != 0 {
		oldLeft = max(tm.next-now, 1)
	}
	oldInterval = tm.interval
	tm.gen++
	if tm.goTimer != nil {
		tm.goTimer.Stop()
		tm.goTimer = nil
	}
	tm.next, tm.interval, tm.overrun = 0, interval, 0
	if value == 0 {
		return
	}
	if abs {
		tm.next = value
	} else {
		tm.next = now + value
	}
	tm.scheduleLocked(now)
	return
}

// Get returns the time left and the interval.
func (tm *Timer) Get() (left, interval int64) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if tm.next != 0 {
		left = max(tm.next-tm.now(), 1)
	}
	return left, tm.interval
}

// Overrun is the overrun count of the timer's last signal.
func (tm *Timer) Overrun() int {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.lastOver
}

// Delete disarms the timer for good.
func (tm *Timer) Delete() { tm.Set(0, 0, false) }

func (tm *Timer) scheduleLocked(now int64) {
	gen := tm.gen
	if cpuClock(tm.clock) {
		if !tm.sampling {
			tm.sampling = true
			go tm.sample()
		}
		return
	}
	tm.goTimer = time.AfterFunc(time.Duration(max(tm.next-now, 0)), func() { tm.fire(gen) })
}

// sample drives a CPU-time timer.
func (tm *Timer) sample() {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-tm.p.Exited():
			return
		}
		tm.mu.Lock()
		if tm.next == 0 {
			tm.sampling = false
			tm.mu.Unlock()
			return
		}
		gen := tm.gen
		due := tm.now() >= tm.next
		tm.mu.Unlock()
		if due {
			tm.fire(gen)
		}
	}
}

// fire expires the timer: it queues the signal (or counts an overrun if
// the last one is still pending) and rearms a periodic timer.
func (tm *Timer) fire(gen int) {
	tm.mu.Lock()
	if gen != tm.gen || tm.next == 0 {
		tm.mu.Unlock()
		return
	}
	now := tm.now()
	if tm.interval > 0 {
		// Every period that also ended by now is an overrun; a tiny
		// interval long past makes billions of them, so count them
		// arithmetically.
		tm.next += tm.interval
		if tm.next <= now {
			missed := (now-tm.next)/tm.interval + 1
			tm.next += missed * tm.interval
			tm.overrun += int(missed)
		}
		tm.scheduleLocked(now)
	} else {
		tm.next = 0
	}
	send := tm.notify != SigevNone && !tm.signalPending()
	if !send && tm.notify != SigevNone {
		tm.overrun++
	}
	over := min(tm.overrun, math.MaxInt32) // Linux caps it (DELAYTIMER_MAX)
	if send {
		tm.lastOver, tm.overrun = over, 0
	}
	tm.mu.Unlock()
	if !send {
		return
	}
	info := NewSigInfo(tm.sig, tm.code)
	if tm.code == SiTimer {
		info.SetTimer(tm.ID, over, tm.value)
	}
	if tm.notify == SigevThreadID && tm.target != nil {
		tm.target.SignalTask(info)
	} else {
		tm.p.SignalProcess(info)
	}
}

// signalPending reports whether a signal of this timer is still queued.
func (tm *Timer) signalPending() bool {
	p := tm.p
	p.sigMu.Lock()
	defer p.sigMu.Unlock()
	q := &p.shared
	if tm.notify == SigevThreadID && tm.target != nil {
		q = &tm.target.pending
	}
	for _, in := range q.infos {
		if int(in.Signo) == tm.sig && (tm.code != SiTimer || in.Code == SiTimer) {
			if tm.code != SiTimer || int(int32(uint32(in.Fields[0])|uint32(in.Fields[1])<<8|uint32(in.Fields[2])<<16|uint32(in.Fields[3])<<24)) == tm.ID {
				return true
			}
		}
	}
	return false
}

// ITimer returns interval timer which (ITIMER_REAL, _VIRTUAL, _PROF).
func (p *Process) ITimer(which int) *Timer {
	p.timersMu.Lock()
	defer p.timersMu.Unlock()
	if p.itimers[which] == nil {
		clock := []int32{unix.CLOCK_MONOTONIC, clockVirtual, clockProf}[which]
		sig := []unix.Signal{unix.SIGALRM, unix.SIGVTALRM, unix.SIGPROF}[which]
		tm := p.NewTimer(clock, SigevSignal, int(sig), 0, nil)
		tm.code = SiKernel
		p.itimers[which] = tm
	}
	return p.itimers[which]
}

// AddTimer registers a POSIX timer and gives it an id.
func (p *Process) AddTimer(tm *Timer) int {
	p.timersMu.Lock()
	defer p.timersMu.Unlock()
	if p.timers == nil {
		p.timers = map[int]*Timer{}
	}
	id := 0
	for p.timers[id] != nil {
		id++
	}
	tm.ID = id
	p.timers[id] = tm
	return id
}

// Timer finds a POSIX timer.
func (p *Process) Timer(id int) *Timer {
	p.timersMu.Lock()
	defer p.timersMu.Unlock()
	return p.timers[id]
}

// DeleteTimer removes a POSIX timer.
func (p *Process) DeleteTimer(id int) bool {
	p.timersMu.Lock()
	tm := p.timers[id]
	delete(p.timers, id)
	p.timersMu.Unlock()
	if tm != nil {
		tm.Delete()
	}
	return tm != nil
}

// SetValue sets the sigev_value the timer's signals carry.
func (tm *Timer) SetValue(v uint64) {
	tm.mu.Lock()
	tm.value = v
	tm.mu.Unlock()
}

// DeleteTimers removes every POSIX timer (execve).
func (p *Process) DeleteTimers() {
	p.timersMu.Lock()
	ts := p.timers
	p.timers = nil
	p.timersMu.Unlock()
	for _, tm := range ts {
		tm.Delete()
	}
}
