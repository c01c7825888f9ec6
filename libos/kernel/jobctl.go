package kernel

// Job control: stopping and continuing processes (SIGSTOP, SIGTSTP,
// SIGTTIN, SIGTTOU and SIGCONT), telling the parent about it (SIGCHLD with
// CLD_STOPPED or CLD_CONTINUED, wait's WUNTRACED and WCONTINUED), and the
// terminal's foreground process group, which receives the signals the
// terminal generates (Ctrl-C, Ctrl-\, Ctrl-Z, window changes, hangup).
//
// A stop is a group stop, as on Linux: the thread that takes the stop
// signal marks the process stopped and interrupts the others, and every
// thread waits at its next return to the guest until SIGCONT or SIGKILL.

import (
	"golang.org/x/sys/unix"

	"gophene/pal"
)

// statusContinued is the wait status of a continued child.
const statusContinued = 0xffff

// stopSignals are the signals whose default action stops the process.
var stopSignals = SigBit(int(unix.SIGSTOP)) | SigBit(int(unix.SIGTSTP)) | SigBit(int(unix.SIGTTIN)) | SigBit(int(unix.SIGTTOU))

// jobControlLocked applies what sending sig does before it is queued: a
// stop signal discards a pending SIGCONT, and SIGCONT discards pending stop
// signals and resumes a stopped process, even when SIGCONT itself is
// blocked or ignored. It reports whether the process resumed. Call with
// sigMu held.
func (p *Process) jobControlLocked(sig int) bool {
	switch {
	case SigBit(sig)&stopSignals != 0:
		p.dropPendingLocked(SigBit(int(unix.SIGCONT)))
	case sig == int(unix.SIGCONT):
		p.dropPendingLocked(stopSignals)
		if p.stopped {
			p.stopped = false
			p.stopFlag.Store(false)
			close(p.resume)
			return true
		}
	}
	return false
}

// dropPendingLocked discards the pending signals in set, process-wide and
// in every thread.
func (p *Process) dropPendingLocked(set uint64) {
	p.shared.drop(set)
	p.tasksMu.Lock()
	for _, t := range p.tasks {
		t.pending.drop(set)
	}
	p.tasksMu.Unlock()
}

// stopLocked marks the process stopped; it reports false if it already
// was. Call with sigMu held.
func (p *Process) stopLocked() bool {
	if p.stopped {
		return false
	}
	p.stopped = true
	p.resume = make(chan struct{})
	p.stopFlag.Store(true)
	return true
}

// groupStop completes the stop t started for sig: the parent hears of it
// and the other threads are made to stop too.
func (t *Task) groupStop(sig int) {
	p := t.P
	p.post(&Msg{Kind: msgJobState, Status: sig<<8 | 0x7f})
	for _, o := range p.Tasks() {
		if o != t {
			o.Interrupt()
		}
	}
}

// waitWhileStopped holds the thread while its process is stopped; SIGKILL
// (which kills the thread) also ends the wait.
func (t *Task) waitWhileStopped() {
	p := t.P
	for !t.killed.Load() {
		p.sigMu.Lock()
		if !p.stopped {
			p.sigMu.Unlock()
			return
		}
		ch := p.resume
		p.sigMu.Unlock()
		select {
		case <-ch:
		case <-t.intr:
		}
	}
}

// childJobState records that child pid stopped or continued (a wait
// status) and tells this process with SIGCHLD unless SA_NOCLDSTOP is set.
func (p *Process) childJobState(pid, status int) {
	nocldstop := p.SigAction(int(unix.SIGCHLD)).Flags&SaNocldstop != 0
	p.childMu.Lock()
	defer p.childMu.Unlock()
	c := p.children[pid]
	if c == nil || c.zombie {
		return
	}
	// The event and the signal appear together (see childExited).
	c.event = status
	if !nocldstop {
		p.SignalProcess(ChildSigInfo(pid, p.Creds().Uid, status, pal.Times{}))
	}
	p.childChangedLocked()
}

// IsTerminalSignal reports whether the terminal generates sig for its
// foreground process group (or its session), as opposed to a kill aimed
// at one process.
func IsTerminalSignal(sig int) bool {
	switch unix.Signal(sig) {
	case unix.SIGINT, unix.SIGQUIT, unix.SIGTSTP, unix.SIGWINCH, unix.SIGHUP, unix.SIGCONT:
		return true
	}
	return false
}

// TerminalSignal delivers a signal the host's terminal generated to the
// guest's foreground process group. Only the leader does this: every
// gophene process receives the host's signal, and the others drop it.
func (p *Process) TerminalSignal(sig int) {
	if l := p.leader; l != nil {
		l.signalGroup(l.foreground(), NewSigInfo(sig, SiKernel))
	}
}

// Foreground returns the terminal's foreground process group, or ENOTTY
// when the terminal is not the caller's controlling terminal (it left the
// first session).
func (p *Process) Foreground() (int, error) {
	r, err := p.call(&Msg{Kind: msgGetFg})
	if err != nil {
		return 0, err
	}
	return r.Pgid, nil
}

// SetForeground makes pgid the terminal's foreground process group
// (tcsetpgrp).
func (p *Process) SetForeground(pgid int) error {
	_, err := p.call(&Msg{Kind: msgSetFg, Pgid: pgid})
	return err
}

// terminalSession is the session whose controlling terminal is the host's:
// the one pid 1 starts in.
const terminalSession = 1

// foreground is the terminal's foreground group.
func (l *Leader) foreground() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fg
}

// getForeground answers tcgetpgrp from caller.
func (l *Leader) getForeground(caller int) (int, unix.Errno) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.procs[caller]; e == nil || e.Sid != terminalSession {
		return 0, unix.ENOTTY
	}
	return l.fg, 0
}

// setForeground answers tcsetpgrp from caller.
func (l *Leader) setForeground(caller, pgid int) unix.Errno {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.procs[caller]; e == nil || e.Sid != terminalSession {
		return unix.ENOTTY
	}
	if pgid < 0 {
		return unix.EINVAL
	}
	for _, e := range l.procs {
		if e.Pgid == pgid && e.Sid == terminalSession && !e.Zombie {
			l.fg = pgid
			return 0
		}
	}
	return unix.EPERM
}

// signalGroup sends info to every live member of process group pgid.
func (l *Leader) signalGroup(pgid int, info *SigInfo) {
	l.mu.Lock()
	var to []*procEntry
	for _, e := range l.procs {
		if e.Pgid == pgid && !e.Zombie {
			to = append(to, e)
		}
	}
	l.mu.Unlock()
	for _, e := range to {
		l.deliver(e, &Msg{Kind: msgSignal, Pid: e.Pid, Info: *info})
	}
}

// jobState records that pid stopped or continued and tells its parent.
func (l *Leader) jobState(pid, status int) {
	l.mu.Lock()
	e := l.procs[pid]
	if e == nil || e.Zombie {
		l.mu.Unlock()
		return
	}
	e.Stopped = status != statusContinued
	parent := l.procs[e.Ppid]
	l.mu.Unlock()
	if parent != nil {
		l.deliver(parent, &Msg{Kind: msgChildJob, Pid: pid, Status: status})
	}
}
