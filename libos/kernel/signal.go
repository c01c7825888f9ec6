package kernel

import (
	"encoding/binary"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// Signals, as Linux does them: dispositions are per process, masks and
// alternate stacks per thread, and pending signals are queued either for a
// thread (tgkill, faults) or for the process (kill, timers), from where any
// thread that does not block them takes them. A signal is acted on when its
// thread is about to return to guest code: ignored, the default action
// (terminate the process, or nothing), or a handler run on a frame the
// architecture code builds on the guest stack.

// Signal numbers and masks.
const (
	NumSignals = 64
	sigKill    = int(unix.SIGKILL)
	sigStop    = int(unix.SIGSTOP)
	// unblockable are the signals no mask can hold back.
	unblockable = 1<<(sigKill-1) | 1<<(sigStop-1)
	// synchronous are taken first, as Linux does.
	synchronous = 1<<(unix.SIGSEGV-1) | 1<<(unix.SIGBUS-1) | 1<<(unix.SIGILL-1) |
		1<<(unix.SIGTRAP-1) | 1<<(unix.SIGFPE-1) | 1<<(unix.SIGSYS-1)
	sigRTMin = 32
)

// SigBit is the mask bit of signal sig.
func SigBit(sig int) uint64 { return 1 << (sig - 1) }

// Dispositions and flags.
const (
	SigDfl = 0
	SigIgn = 1

	SaNocldstop = 0x1
	SaNocldwait = 0x2
	SaSiginfo   = 0x4
	SaRestorer  = 0x04000000
	SaOnstack   = 0x08000000
	SaRestart   = 0x10000000
	SaNodefer   = 0x40000000
	SaResethand = 0x80000000
)

// siginfo si_code values.
const (
	SiUser    = 0
	SiKernel  = 0x80
	SiQueue   = -1
	SiTimer   = -2
	SiTkill   = -6
	CldExited = 1
	CldKilled = 2
	CldDumped = 3
	// CldStopped and CldContinued report job-control state changes.
	CldStopped   = 5
	CldContinued = 6
)

// SigInfo is a siginfo_t, laid out as Linux's.
type SigInfo struct {
	Signo, Errno, Code int32
	_                  int32
	Fields             [112]byte
}

// NewSigInfo makes a siginfo for sig with code.
func NewSigInfo(sig int, code int32) *SigInfo {
	return &SigInfo{Signo: int32(sig), Code: code}
}

// SetSender fills the kill/sigqueue/tgkill fields: si_pid, si_uid.
func (s *SigInfo) SetSender(pid, uid int) *SigInfo {
	binary.LittleEndian.PutUint32(s.Fields[0:], uint32(pid))
	binary.LittleEndian.PutUint32(s.Fields[4:], uint32(uid))
	return s
}

// SetAddr fills si_addr (faults).
func (s *SigInfo) SetAddr(addr uint64) *SigInfo {
	binary.LittleEndian.PutUint64(s.Fields[0:], addr)
	return s
}

// SetTimer fills the POSIX-timer fields: si_tid, si_overrun, si_value.
func (s *SigInfo) SetTimer(id, overrun int, value uint64) *SigInfo {
	binary.LittleEndian.PutUint32(s.Fields[0:], uint32(id))
	binary.LittleEndian.PutUint32(s.Fields[4:], uint32(overrun))
	binary.LittleEndian.PutUint64(s.Fields[8:], value)
	return s
}

// SetChild fills the SIGCHLD fields: si_pid, si_uid, si_status, si_utime,
// si_stime (in clock ticks).
func (s *SigInfo) SetChild(pid, uid, status int, t pal.Times) *SigInfo {
	s.SetSender(pid, uid)
	binary.LittleEndian.PutUint32(s.Fields[8:], uint32(status))
	binary.LittleEndian.PutUint64(s.Fields[16:], uint64(t.User.Nano()/1e7))
	binary.LittleEndian.PutUint64(s.Fields[24:], uint64(t.System.Nano()/1e7))
	return s
}

// SetPoll fills the SIGIO fields: si_band and si_fd.
func (s *SigInfo) SetPoll(band int64, fd int) *SigInfo {
	binary.LittleEndian.PutUint64(s.Fields[0:], uint64(band))
	binary.LittleEndian.PutUint32(s.Fields[8:], uint32(fd))
	return s
}

// Pid is si_pid.
func (s *SigInfo) Pid() int { return int(int32(binary.LittleEndian.Uint32(s.Fields[0:]))) }

// Overrun is si_overrun of a timer signal.
func (s *SigInfo) Overrun() int { return int(int32(binary.LittleEndian.Uint32(s.Fields[4:]))) }

// defaultAction is what SIG_DFL does with a signal.
type defaultAction int

const (
	actTerminate defaultAction = iota
	actCore
	actIgnore
	actStop
	actContinue
)

func defaultActionOf(sig int) defaultAction {
	switch unix.Signal(sig) {
	case unix.SIGCHLD, unix.SIGURG, unix.SIGWINCH:
		return actIgnore
	case unix.SIGCONT:
		return actContinue
	case unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU:
		return actStop
	case unix.SIGQUIT, unix.SIGILL, unix.SIGTRAP, unix.SIGABRT, unix.SIGBUS, unix.SIGFPE,
		unix.SIGSEGV, unix.SIGXCPU, unix.SIGXFSZ, unix.SIGSYS:
		return actCore
	}
	return actTerminate
}

// sigQueue is a set of pending signals with their siginfo. mirror holds a
// copy of pending that can be read without the lock, so that a thread with
// nothing pending returns to the guest without taking it.
type sigQueue struct {
	pending uint64
	infos   []SigInfo
	mirror  atomic.Uint64
}

// add queues info. A standard signal already pending is not queued twice;
// real-time signals queue up to limit.
func (q *sigQueue) add(info *SigInfo, limit int) bool {
	sig := int(info.Signo)
	if sig < sigRTMin && q.pending&SigBit(sig) != 0 {
		return false
	}
	if sig >= sigRTMin && len(q.infos) >= limit {
		return false
	}
	q.infos = append(q.infos, *info)
	q.pending |= SigBit(sig)
	q.mirror.Store(q.pending)
	return true
}

// next returns the signal take would dequeue from the set allowed, or 0.
func (q *sigQueue) next(allowed uint64) int {
	set := q.pending & allowed
	if set == 0 {
		return 0
	}
	if s := set & synchronous; s != 0 {
		set = s
	}
	for sig := 1; sig <= NumSignals; sig++ {
		if set&SigBit(sig) != 0 {
			return sig
		}
	}
	return 0
}

// take removes the oldest queued instance of sig.
func (q *sigQueue) take(sig int) SigInfo {
	var info SigInfo
	found, more := false, false
	out := q.infos[:0]
	for _, in := range q.infos {
		if int(in.Signo) == sig {
			if !found {
				info, found = in, true
				continue
			}
			more = true
		}
		out = append(out, in)
	}
	q.infos = out
	if !more {
		q.pending &^= SigBit(sig)
		q.mirror.Store(q.pending)
	}
	return info
}

// drop removes every queued instance of the signals in set.
func (q *sigQueue) drop(set uint64) {
	out := q.infos[:0]
	for _, in := range q.infos {
		if set&SigBit(int(in.Signo)) == 0 {
			out = append(out, in)
		}
	}
	q.infos = out
	q.pending &^= set
	q.mirror.Store(q.pending)
}

// ignored reports whether sig would be thrown away on arrival: its
// disposition ignores it. Call with sigMu held.
func (p *Process) ignoredLocked(sig int) bool {
	a := p.actions[sig]
	return a.Handler == SigIgn || (a.Handler == SigDfl && defaultActionOf(sig) == actIgnore)
}

// SignalProcess sends a process-directed signal (kill, timers, the host's
// SIGINT): any thread that does not block it may take it.
func (p *Process) SignalProcess(info *SigInfo) {
	sig := int(info.Signo)
	if sig == sigKill {
		p.killAll(sigKill)
		return
	}
	p.sigMu.Lock()
	if p.jobControlLocked(sig) {
		defer p.post(&Msg{Kind: msgJobState, Status: statusContinued})
	}
	if p.ignoredLocked(sig) && !p.allBlockLocked(sig) {
		p.sigMu.Unlock()
		return
	}
	p.shared.add(info, p.sigQueueLimit())
	target := p.pickTargetLocked(sig)
	p.sigMu.Unlock()
	p.notifySignal()
	if target != nil {
		target.Interrupt()
	}
}

// SignalTask sends a thread-directed signal (tgkill, faults).
func (t *Task) SignalTask(info *SigInfo) {
	p := t.P
	sig := int(info.Signo)
	if sig == sigKill {
		p.killAll(sigKill)
		return
	}
	p.sigMu.Lock()
	if p.jobControlLocked(sig) {
		defer p.post(&Msg{Kind: msgJobState, Status: statusContinued})
	}
	if p.ignoredLocked(sig) && (t.sigMask|t.realMask)&SigBit(sig) == 0 {
		p.sigMu.Unlock()
		return
	}
	t.pending.add(info, p.sigQueueLimit())
	wake := t.sigMask&SigBit(sig) == 0
	p.sigMu.Unlock()
	p.notifySignal()
	if wake {
		t.Interrupt()
	}
}

func (p *Process) sigQueueLimit() int {
	return int(min(p.Rlimit(unix.RLIMIT_SIGPENDING).Cur, 1<<16))
}

// allBlockLocked reports whether every thread blocks sig.
func (p *Process) allBlockLocked(sig int) bool {
	p.tasksMu.Lock()
	defer p.tasksMu.Unlock()
	for _, t := range p.tasks {
		if (t.sigMask|t.realMask)&SigBit(sig) == 0 {
			return false
		}
	}
	return len(p.tasks) > 0
}

// pickTargetLocked chooses the thread to wake for a process-directed
// signal: the lowest-numbered thread that does not block it.
func (p *Process) pickTargetLocked(sig int) *Task {
	p.tasksMu.Lock()
	defer p.tasksMu.Unlock()
	var best *Task
	for _, t := range p.tasks {
		if t.sigMask&SigBit(sig) == 0 && !t.exiting && (best == nil || t.Tid < best.Tid) {
			best = t
		}
	}
	return best
}

// killAll ends the process as killed by sig: every thread stops.
func (p *Process) killAll(sig int) {
	p.Exit(sig)
	for _, o := range p.Tasks() {
		o.kill()
	}
}

// notifySignal tells signalfd readers that the pending set changed.
func (p *Process) notifySignal() {
	if f := p.OnSignal; f != nil {
		f()
	}
}

// SigMask returns the thread's blocked set.
func (t *Task) SigMask() uint64 {
	t.P.sigMu.Lock()
	defer t.P.sigMu.Unlock()
	return t.sigMask
}

// SetSigMask replaces the blocked set (SIGKILL and SIGSTOP cannot be
// blocked). Signals it unblocks are delivered on the way back to the guest.
func (t *Task) SetSigMask(mask uint64) {
	t.P.sigMu.Lock()
	t.sigMask = mask &^ unblockable
	t.P.sigMu.Unlock()
}

// SigWaitBegin unblocks set for a sigtimedwait and returns the mask to
// give back to SigWaitEnd. Until then the old mask still counts as
// blocking for whether a signal is ignored (Linux's real_blocked): an
// ignored signal that arrives during the wait is kept for it.
func (t *Task) SigWaitBegin(set uint64) uint64 {
	t.P.sigMu.Lock()
	defer t.P.sigMu.Unlock()
	old := t.sigMask
	t.realMask = old
	t.sigMask = old &^ set
	return old
}

// SigWaitEnd ends a wait SigWaitBegin started.
func (t *Task) SigWaitEnd(old uint64) {
	t.P.sigMu.Lock()
	t.sigMask, t.realMask = old&^unblockable, 0
	t.P.sigMu.Unlock()
}

// SetSavedMask makes the thread run with mask until the next signal handler
// starts, then restore the current mask when the handler returns (pselect,
// ppoll, sigsuspend, epoll_pwait).
func (t *Task) SetSavedMask(mask uint64) {
	t.P.sigMu.Lock()
	if !t.haveSaved {
		t.savedMask, t.haveSaved = t.sigMask, true
	}
	t.sigMask = mask &^ unblockable
	t.P.sigMu.Unlock()
}

// RestoreSavedMask undoes SetSavedMask when no handler ran.
func (t *Task) RestoreSavedMask() {
	t.P.sigMu.Lock()
	if t.haveSaved {
		t.sigMask, t.haveSaved = t.savedMask, false
	}
	t.P.sigMu.Unlock()
}

// PendingSets returns the signals pending for the thread alone and for the
// whole process (/proc's SigPnd and ShdPnd).
func (t *Task) PendingSets() (thread, shared uint64) {
	t.P.sigMu.Lock()
	defer t.P.sigMu.Unlock()
	return t.pending.pending, t.P.shared.pending
}

// Pending is the set of signals pending for the thread or its process.
func (t *Task) Pending() uint64 {
	t.P.sigMu.Lock()
	defer t.P.sigMu.Unlock()
	return t.pending.pending | t.P.shared.pending
}

// SignalPending reports whether a signal is pending that the thread does
// not block: an interruptible wait must give up.
func (t *Task) SignalPending() bool {
	if t.killed.Load() {
		return true
	}
	t.P.sigMu.Lock()
	defer t.P.sigMu.Unlock()
	return (t.pending.pending|t.P.shared.pending)&^t.sigMask != 0
}

// TakeSignal dequeues a pending signal from set (sigtimedwait, signalfd),
// thread-directed ones first.
func (t *Task) TakeSignal(set uint64) (SigInfo, bool) {
	p := t.P
	p.sigMu.Lock()
	var info SigInfo
	ok := true
	if sig := t.pending.next(set); sig != 0 {
		info = t.pending.take(sig)
	} else if sig := p.shared.next(set); sig != 0 {
		info = p.shared.take(sig)
	} else {
		ok = false
	}
	p.sigMu.Unlock()
	if ok {
		p.notifySignal()
	}
	return info, ok
}

// dequeueLocked takes the next signal to act on: not blocked, and not one
// whose arrival is to be ignored by now.
func (t *Task) dequeueLocked() (SigInfo, SigAction, bool) {
	p := t.P
	for {
		allowed := ^t.sigMask
		var info SigInfo
		if sig := t.pending.next(allowed); sig != 0 {
			info = t.pending.take(sig)
		} else if sig := p.shared.next(allowed); sig != 0 {
			info = p.shared.take(sig)
		} else {
			return SigInfo{}, SigAction{}, false
		}
		sig := int(info.Signo)
		act := p.actions[sig]
		if act.Handler == SigIgn {
			continue
		}
		if act.Handler == SigDfl {
			switch defaultActionOf(sig) {
			case actIgnore, actContinue:
				continue
			}
		}
		return info, act, true
	}
}

// Restart codes a handler returns when a signal cut it short. They never
// reach the guest: delivery turns them into EINTR or a restart.
const (
	ErrRestartSys    = unix.Errno(512) // restart if the handler has SA_RESTART
	ErrRestartNoIntr = unix.Errno(513) // always restart
	ErrRestartNoHand = unix.Errno(514) // restart unless a handler runs
	ErrRestartBlock  = unix.Errno(516) // restart through restart_syscall
)

func isRestart(e unix.Errno) bool { return e >= 512 && e <= 516 }

// SigFrames builds and unwinds signal frames for one architecture.
type SigFrames interface {
	// Setup builds a frame for info on the guest stack and points the
	// registers at the handler. oldMask is the mask to restore on return.
	Setup(t *Task, info *SigInfo, act SigAction, oldMask uint64) error
}

// deliverSignals acts on pending signals before the thread returns to the
// guest. restart is the restart code the system call just returned (0 if
// none); the result register is fixed up according to the first signal
// acted on.
func (t *Task) deliverSignals(restart unix.Errno) {
	p := t.P
	// The common case, nothing to do, takes no lock.
	if restart == 0 && t.pending.mirror.Load()|p.shared.mirror.Load() == 0 && !t.haveSaved && !t.killed.Load() && !p.stopFlag.Load() {
		return
	}
	for !t.exited {
		if t.killed.Load() {
			t.exitNow()
			return
		}
		if p.stopFlag.Load() {
			t.waitWhileStopped()
			continue
		}
		p.sigMu.Lock()
		info, act, ok := t.dequeueLocked()
		if !ok {
			if t.haveSaved {
				t.sigMask, t.haveSaved = t.savedMask, false
			}
			p.sigMu.Unlock()
			break
		}
		sig := int(info.Signo)
		if act.Handler == SigDfl && defaultActionOf(sig) == actStop {
			started := p.stopLocked()
			p.sigMu.Unlock()
			p.notifySignal()
			if started {
				t.groupStop(sig)
			}
			continue
		}
		if act.Handler == SigDfl {
			p.sigMu.Unlock()
			p.notifySignal()
			status := sig
			if defaultActionOf(sig) == actCore && p.Rlimit(unix.RLIMIT_CORE).Cur > 0 {
				status |= 0x80
			}
			p.killAll(status)
			t.exitNow()
			return
		}
		oldMask := t.sigMask
		if t.haveSaved {
			oldMask, t.haveSaved = t.savedMask, false
		}
		newMask := t.sigMask | act.Mask
		if act.Flags&SaNodefer == 0 {
			newMask |= SigBit(sig)
		}
		if act.Flags&SaResethand != 0 && sig != sigKill && sig != sigStop {
			// Only the handler goes back to the default: Linux keeps
			// the flags and mask (sigaction then reports them).
			p.actions[sig].Handler = SigDfl
		}
		p.sigMu.Unlock()
		p.notifySignal()
		if restart != 0 {
			t.fixRestart(restart, true, act.Flags&SaRestart != 0)
			restart = 0
		}
		if err := p.Frames.Setup(t, &info, act, oldMask); err != nil {
			// The frame could not be written. As Linux's force_sigsegv:
			// a SIGSEGV whose own frame fails kills the process; any
			// other signal turns into a SIGSEGV, with the default action
			// if the guest blocks or ignores it, delivered next.
			p.Log.Debugf("tid %d: cannot deliver signal %d: %v", t.Tid, sig, err)
			if sig == int(unix.SIGSEGV) {
				p.killAll(int(unix.SIGSEGV))
				t.exitNow()
				return
			}
			p.sigMu.Lock()
			segv := SigBit(int(unix.SIGSEGV))
			if t.sigMask&segv != 0 || p.ignoredLocked(int(unix.SIGSEGV)) {
				p.actions[unix.SIGSEGV] = SigAction{}
				t.sigMask &^= segv
			}
			t.pending.add(NewSigInfo(int(unix.SIGSEGV), SiKernel), p.sigQueueLimit())
			p.sigMu.Unlock()
			continue
		}
		t.SetSigMask(newMask)
	}
	if restart != 0 {
		t.fixRestart(restart, false, false)
	}
}

// fixRestart applies a restart code to the registers: the system call
// either runs again when the thread returns to the guest, or fails with
// EINTR. handler says whether a signal handler is about to run, and
// saRestart whether it has SA_RESTART.
func (t *Task) fixRestart(code unix.Errno, handler, saRestart bool) {
	cpu := t.CPU
	again := true
	if handler {
		switch code {
		case ErrRestartSys:
			again = saRestart
		case ErrRestartNoHand, ErrRestartBlock:
			again = false
		}
	}
	if !again {
		cpu.Rax = NegErrno(unix.EINTR)
		return
	}
	cpu.Rip -= 2
	cpu.Rax = t.origRax
	if code == ErrRestartBlock {
		cpu.Rax = unix.SYS_RESTART_SYSCALL
	}
}
