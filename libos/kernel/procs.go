package kernel

import (
	"sort"
	"time"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// A process's side of the process table: its ids, its link to the leader,
// and the children it may wait for.

// childState is a child as its parent sees it.
type childState struct {
	exitSig int // signal sent when it ends (0: none)
	event   int // wait status of an unreported stop or continue (0: none)
	zombie  bool
	status  int // wait status
	times   pal.Times
}

// Ppid, Pgid and Sid are the process's parent, group and session.
func (p *Process) Ppid() int { p.mu.Lock(); defer p.mu.Unlock(); return p.ppid }

// Pgid is the process group.
func (p *Process) Pgid() int { p.mu.Lock(); defer p.mu.Unlock(); return p.pgid }

// Sid is the session.
func (p *Process) Sid() int { p.mu.Lock(); defer p.mu.Unlock(); return p.sid }

// SetIDs sets the parent, group and session (process start-up).
func (p *Process) SetIDs(ppid, pgid, sid int) {
	p.mu.Lock()
	p.ppid, p.pgid, p.sid = ppid, pgid, sid
	p.mu.Unlock()
}

// BecomeLeader makes p the first process, keeper of the process table.
func (p *Process) BecomeLeader() { p.leader = NewLeader(p) }

// ConnectLeader makes h p's link to the leader and starts serving it.
func (p *Process) ConnectLeader(h pal.Handle) {
	p.link = newLink(p.Host, h)
	go p.link.serve(func(m *Msg, _ pal.Handle) {
		if m == nil {
			// The leader is gone: the guest world has ended.
			p.killAll(int(unix.SIGKILL))
			return
		}
		if m.Kind == msgState {
			p.link.reply(m, &Msg{Status: int(p.State())})
			return
		}
		if m.Kind == msgProcOp {
			p.link.reply(m, p.serveProcOp(m))
			return
		}
		if m.Kind == msgMountChange || m.Kind == msgUTSChange {
			p.applyShared(m, m.H)
			p.link.reply(m, &Msg{})
			return
		}
		if m.Kind == msgSignal && m.ID != 0 {
			p.link.reply(m, &Msg{Errno: int(p.receiveSignal(m))})
			return
		}
		p.handleEvent(m)
		if m.ID != 0 {
			p.link.reply(m, &Msg{}) // the leader waits for this one
		}
	})
}

// call sends a request to the leader, or calls it directly in pid 1.
func (p *Process) call(m *Msg) (*Msg, error) {
	if p.leader == nil {
		return p.link.call(m)
	}
	r := p.leader.request(p.Pid, m)
	if r.Errno != 0 {
		return r, unix.Errno(r.Errno)
	}
	return r, nil
}

// post sends a notice that needs no reply.
func (p *Process) post(m *Msg) {
	if p.leader != nil {
		p.leader.notice(p.Pid, m)
	} else if p.link != nil {
		p.link.send(m)
	}
}

// AllocPid asks for a pid for a new child.
func (p *Process) AllocPid() (int, error) {
	r, err := p.call(&Msg{Kind: msgAllocPid})
	if err != nil {
		return 0, err
	}
	return r.Pid, nil
}

// SetSubreaper makes the process a child subreaper or not: orphaned
// descendants are reparented to it rather than to pid 1.
func (p *Process) SetSubreaper(on bool) error {
	p.Subreaper = on
	_, err := p.call(&Msg{Kind: msgSubreaper, Status: boolToInt(on)})
	return err
}

// LastPid reads, and with set changes, the last pid given out
// (/proc/sys/kernel/ns_last_pid): the next new process gets the first
// free pid above it.
func (p *Process) LastPid(set bool, v int) (int, error) {
	m := &Msg{Kind: msgLastPid, Status: -1}
	if set {
		m.Status = v
	}
	r, err := p.call(m)
	if err != nil {
		return 0, err
	}
	return r.Pid, nil
}

// AttachChild hands the leader the link of child pid, which runs as host
// process hostPid.
func (p *Process) AttachChild(pid int, h pal.Handle, hostPid int) error {
	if p.leader != nil {
		p.leader.attach(pid, h, hostPid)
		return nil
	}
	err := p.link.sendHandle(&Msg{Kind: msgAttach, Pid: pid, HostPid: hostPid}, h)
	p.Host.StreamClose(h)
	return err
}

// AddChild records a child just created, which sends exitSig when it
// ends.
func (p *Process) AddChild(pid, exitSig int) {
	p.childMu.Lock()
	p.children[pid] = &childState{exitSig: exitSig}
	p.childMu.Unlock()
}

// RegisterHostPid tells the process table which host process this one
// runs as, so that a host lock owner can be named by its guest pid.
func (p *Process) RegisterHostPid() {
	p.post(&Msg{Kind: msgHostPid, Pid: p.Info.ProcessID})
}

// GuestPidOf names the guest process running as host process hostPid, or
// 0 if none does (it is outside the guest, as Linux reports a process of
// another pid namespace).
func (p *Process) GuestPidOf(hostPid int) int {
	if hostPid == p.Info.ProcessID {
		return p.Pid
	}
	r, err := p.call(&Msg{Kind: msgGuestPid, Pid: hostPid})
	if err != nil {
		return 0
	}
	return r.Pid
}

// ForgetChild drops a child whose creation failed.
func (p *Process) ForgetChild(pid int) {
	p.childMu.Lock()
	delete(p.children, pid)
	p.childMu.Unlock()
}

// NotifyExit tells the leader the process ended with a wait status.
func (p *Process) NotifyExit(status int) {
	var t pal.Times
	p.Host.ThreadTimes(true, &t)
	p.post(&Msg{Kind: msgExit, Status: status, Times: t})
}

// NotifyExec tells the leader the process runs a new program.
func (p *Process) NotifyExec(comm string, argv []string) {
	p.post(&Msg{Kind: msgExec, Comm: comm, Argv: argv})
}

// Kill sends a signal to other processes: a pid, -pgid, or -1.
func (p *Process) Kill(target int, info *SigInfo) error {
	c := p.Creds()
	m := &Msg{Kind: msgKill, Target: target, Info: *info}
	m.setSender(c.Uid, c.Euid, p.Sid(), c.Capable(unix.CAP_KILL))
	_, err := p.call(m)
	return err
}

// setSender records in a kill request (and the msgSignal it becomes) who
// sends it, for the target's permission check (mayKill).
func (m *Msg) setSender(uid, euid, sid int, capKill bool) {
	m.Ppid, m.Pgid, m.Sid, m.Status = uid, euid, sid, 1|boolToInt(capKill)<<1
}

// mayKill applies Linux's kill permission check to a signal from another
// process: CAP_KILL, matching uids, or SIGCONT within the session.
// Signals the LibOS itself sends (job control, SIGCHLD) carry no sender.
func (p *Process) mayKill(m *Msg) bool {
	if m.Status&1 == 0 || m.Status&2 != 0 {
		return true
	}
	c := p.Creds()
	uid, euid := m.Ppid, m.Pgid
	if euid == c.Suid || euid == c.Uid || uid == c.Suid || uid == c.Uid {
		return true
	}
	return m.Info.Signo == int32(unix.SIGCONT) && m.Sid == p.Sid()
}

// receiveSignal takes a signal sent by another process, or refuses it
// with EPERM.
func (p *Process) receiveSignal(m *Msg) unix.Errno {
	if !p.mayKill(m) {
		return unix.EPERM
	}
	if m.Info.Signo != 0 {
		info := m.Info
		p.SignalProcess(&info)
	}
	return 0
}

// SetPgidOf implements setpgid(pid, pgid).
func (p *Process) SetPgidOf(pid, pgid int) error {
	_, err := p.call(&Msg{Kind: msgSetPgid, Pid: pid, Pgid: pgid})
	if err == nil && (pid == 0 || pid == p.Pid) {
		if pgid == 0 {
			pgid = p.Pid
		}
		p.mu.Lock()
		p.pgid = pgid
		p.mu.Unlock()
	}
	return err
}

// IDsOf returns the process group and session of pid.
func (p *Process) IDsOf(pid int) (int, int, error) {
	if pid == 0 || pid == p.Pid {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.pgid, p.sid, nil
	}
	r, err := p.call(&Msg{Kind: msgGetPgid, Pid: pid})
	if err != nil {
		return 0, 0, err
	}
	return r.Pgid, r.Sid, nil
}

// SetSid implements setsid().
func (p *Process) SetSid() (int, error) {
	r, err := p.call(&Msg{Kind: msgSetSid})
	if err != nil {
		return 0, err
	}
	p.mu.Lock()
	p.sid, p.pgid = r.Sid, r.Sid
	p.mu.Unlock()
	return r.Sid, nil
}

// ListProcs lists the guest's processes.
func (p *Process) ListProcs() []ProcInfo {
	r, err := p.call(&Msg{Kind: msgList})
	if err != nil {
		return nil
	}
	return r.Procs
}

// handleEvent acts on a notice from the leader.
func (p *Process) handleEvent(m *Msg) {
	switch m.Kind {
	case msgSignal:
		p.receiveSignal(m)
	case msgChildExit:
		p.childExited(m.Pid, m.Status, m.Times)
	case msgAdopt:
		p.childMu.Lock()
		if p.children[m.Pid] == nil {
			// An adopted orphan signals its new parent with SIGCHLD.
			p.children[m.Pid] = &childState{exitSig: int(unix.SIGCHLD)}
		}
		p.childMu.Unlock()
	case msgChildJob:
		p.childJobState(m.Pid, m.Status)
	case msgPidEnded:
		p.pidEnded(m.Pid)
	case msgReparent:
		p.mu.Lock()
		p.ppid = m.Ppid
		p.mu.Unlock()
	case msgPgid:
		p.mu.Lock()
		p.pgid, p.sid = m.Pgid, m.Sid
		p.mu.Unlock()
	}
}

// childExited records a child's end, signals the parent and wakes
// waiters. A child whose exit signal is SIGCHLD is reaped at once when
// SIGCHLD is ignored or has SA_NOCLDWAIT, as on Linux.
func (p *Process) childExited(pid, status int, times pal.Times) {
	act := p.SigAction(int(unix.SIGCHLD))
	p.childMu.Lock()
	c := p.children[pid]
	if c == nil {
		// Not a child (any more): its creation failed. Adopted orphans
		// are announced before their exit.
		p.childMu.Unlock()
		p.post(&Msg{Kind: msgReaped, Pid: pid})
		return
	}
	exitSig := c.exitSig
	autoReap := exitSig == int(unix.SIGCHLD) && (act.Handler == SigIgn || act.Flags&SaNocldwait != 0)
	if autoReap {
		delete(p.children, pid)
	} else {
		p.children[pid] = &childState{exitSig: exitSig, zombie: true, status: status, times: times}
	}
	// As on Linux, the zombie and the signal appear together: a wait that
	// returns the child finds the signal pending (its handler runs before
	// wait4 returns to the program), and a handler that calls waitpid
	// finds the child (waits take childMu, held until both are done).
	// SignalProcess takes no lock that is held while childMu is taken.
	// Legacy clone takes any byte as the exit signal; like Linux, one
	// that is not a signal number is never sent.
	if exitSig > 0 && exitSig <= NumSignals {
		info := ChildSigInfo(pid, p.Creds().Uid, status, times)
		info.Signo = int32(exitSig)
		p.SignalProcess(info)
	}
	p.childChangedLocked()
	p.childMu.Unlock()
	if autoReap {
		p.post(&Msg{Kind: msgReaped, Pid: pid})
	}
}

// childChangedLocked wakes the threads waiting for a child (childMu held).
func (p *Process) childChangedLocked() {
	close(p.childEv)
	p.childEv = make(chan struct{})
}

// ChildSigInfo is the SIGCHLD siginfo (also waitid's) for a child's wait
// status: exited, killed, dumped core, stopped or continued.
func ChildSigInfo(pid, uid, status int, times pal.Times) *SigInfo {
	code, st := int32(CldExited), status>>8&0xff
	switch {
	case status == statusContinued:
		code, st = CldContinued, int(unix.SIGCONT)
	case status&0xff == 0x7f:
		code = CldStopped
	case status&0x7f != 0:
		code, st = CldKilled, status&0x7f
		if status&0x80 != 0 {
			code = CldDumped
		}
	}
	return NewSigInfo(int(unix.SIGCHLD), code).SetChild(pid, uid, st, times)
}

// Wait options.
const (
	WNohang    = 1
	WUntraced  = 2
	WExited    = 4
	WContinued = 8
	WNowait    = 0x01000000
	WAll       = 0x40000000 // __WALL
	WClone     = 0x80000000 // __WCLONE
)

// WaitResult is a reaped (or, with WNOWAIT, seen) child.
type WaitResult struct {
	Pid, Status int
	Times       pal.Times
}

// WaitSel selects the children a wait is for.
type WaitSel struct {
	Any  bool
	Pid  int
	Pgid int
}

// WaitChild waits for a child matching sel. It returns Pid 0 with WNOHANG
// when none has ended, ECHILD when there is no such child.
func (t *Task) WaitChild(sel WaitSel, options int) (WaitResult, error) {
	p := t.P
	for {
		p.childMu.Lock()
		ev := p.childEv
		var candidates []int
		for pid := range p.children {
			candidates = append(candidates, pid)
		}
		p.childMu.Unlock()
		sort.Ints(candidates) // the oldest child first, as Linux looks
		matched := false
		for _, pid := range candidates {
			if !p.childMatches(pid, sel) {
				continue
			}
			p.childMu.Lock()
			c := p.children[pid]
			if c == nil || !cloneMatches(c, options) {
				p.childMu.Unlock()
				continue
			}
			matched = true
			if r, ok := jobEvent(pid, c, options); ok {
				p.childMu.Unlock()
				return r, nil
			}
			if c.zombie && options&WExited != 0 {
				if options&WNowait == 0 {
					delete(p.children, pid)
				}
				p.childMu.Unlock()
				if options&WNowait == 0 {
					p.post(&Msg{Kind: msgReaped, Pid: pid})
					p.mu.Lock()
					p.ChildTimes.User = addTime(p.ChildTimes.User, c.times.User)
					p.ChildTimes.System = addTime(p.ChildTimes.System, c.times.System)
					p.mu.Unlock()
				}
				return WaitResult{Pid: pid, Status: c.status, Times: c.times}, nil
			}
			p.childMu.Unlock()
		}
		if !matched {
			return WaitResult{}, unix.ECHILD
		}
		if options&WNohang != 0 {
			return WaitResult{}, nil
		}
		select {
		case <-ev:
		case <-t.Interrupted():
			if t.SignalPending() {
				return WaitResult{}, ErrRestartSys
			}
		case <-time.After(time.Second):
			// Belt and braces: look again now and then.
		}
	}
}

// jobEvent reports child c's unreported stop or continue if options ask
// for it (childMu held).
func jobEvent(pid int, c *childState, options int) (WaitResult, bool) {
	if c.zombie || c.event == 0 {
		return WaitResult{}, false
	}
	want := WUntraced
	if c.event == statusContinued {
		want = WContinued
	}
	if options&want == 0 {
		return WaitResult{}, false
	}
	r := WaitResult{Pid: pid, Status: c.event}
	if options&WNowait == 0 {
		c.event = 0
	}
	return r, true
}

// cloneMatches applies __WALL and __WCLONE: by default a wait sees only
// children that signal SIGCHLD when they end, with __WCLONE only the
// others, with __WALL all.
func cloneMatches(c *childState, options int) bool {
	if options&WAll != 0 {
		return true
	}
	return (c.exitSig != int(unix.SIGCHLD)) == (options&WClone != 0)
}

func (p *Process) childMatches(pid int, sel WaitSel) bool {
	switch {
	case sel.Any:
		return true
	case sel.Pid != 0:
		return pid == sel.Pid
	}
	pgid, _, err := p.IDsOf(pid)
	return err == nil && pgid == sel.Pgid
}

// HasChildren reports whether the process has any child left.
func (p *Process) HasChildren() bool {
	p.childMu.Lock()
	defer p.childMu.Unlock()
	return len(p.children) > 0
}

func addTime(a, b pal.Timespec) pal.Timespec {
	ns := a.Nano() + b.Nano()
	return pal.Timespec{Sec: ns / 1e9, Nsec: ns % 1e9}
}

// State is the process's state letter for /proc/<pid>/stat: that of its
// first thread, T when the process is stopped, R while the thread runs
// guest code, S while it is in a system call (Linux would say R for a
// call that is not waiting; the LibOS cannot tell).
func (p *Process) State() byte {
	p.sigMu.Lock()
	stopped := p.stopped
	p.sigMu.Unlock()
	if stopped {
		return 'T'
	}
	var first *Task
	for _, t := range p.Tasks() {
		if first == nil || t.Tid < first.Tid {
			first = t
		}
	}
	if first == nil || first.inGuest.Load() {
		return 'R'
	}
	return 'S'
}

// StateOf is the state letter of guest process pid (0 if it is unknown).
func (p *Process) StateOf(pid int) byte {
	if pid == p.Pid {
		return p.State()
	}
	r, err := p.call(&Msg{Kind: msgState, Pid: pid})
	if err != nil {
		return 0
	}
	return byte(r.Status)
}

// Scheduling requests one process makes of another (ProcOp).
const (
	ProcGetSched = iota + 1 // policy and priority of its first thread
	ProcSetSched            // set them (policy -1: keep the policy)
	ProcGetNice             // its nice value
	ProcSetNice             // set it
	ProcGetFd               // a duplicate of its descriptor Sig (FetchFile)
)

// ProcOp makes scheduling request op of guest process pid for the
// caller, whose effective uid and CAP_SYS_NICE decide what it may change:
// it returns the answer's two values (policy and priority, or nice).
func (p *Process) ProcOp(pid, op, a1, a2 int) (int, int, error) {
	c := p.Creds()
	m := &Msg{Kind: msgProcOp, Pid: pid, Status: op, Sig: a1, Target: a2, Pgid: c.Euid,
		Sid: boolToInt(c.Capable(unix.CAP_SYS_NICE))}
	var r *Msg
	if pid == p.Pid {
		r = p.serveProcOp(m)
	} else {
		var err error
		if r, err = p.call(m); r == nil {
			return 0, 0, err
		}
	}
	if r.Errno != 0 {
		return 0, 0, unix.Errno(r.Errno)
	}
	return r.Sig, r.Target, nil
}

// FetchFile returns a duplicate of process pid's descriptor fd, for
// pidfd_getfd: a host handle, its status flags, its path and the ID of
// its open file description (vfs.File.ID). Only files with a host handle
// can be fetched.
func (p *Process) FetchFile(pid, fd int) (pal.Handle, int, string, uint64, error) {
	c := p.Creds()
	m := &Msg{Kind: msgProcOp, Pid: pid, Status: ProcGetFd, Sig: fd, Pgid: c.Uid,
		Sid: boolToInt(c.Capable(unix.CAP_SYS_PTRACE))}
	r, err := p.call(m)
	if r == nil {
		return pal.NoHandle, 0, "", 0, err
	}
	if r.Errno != 0 {
		if r.HasHandle {
			p.Host.StreamClose(r.H)
		}
		return pal.NoHandle, 0, "", 0, unix.Errno(r.Errno)
	}
	if !r.HasHandle {
		return pal.NoHandle, 0, "", 0, unix.EBADF
	}
	return r.H, r.Status, r.Comm, uint64(r.Target), nil
}

// serveProcOp answers a ProcOp request for this process.
func (p *Process) serveProcOp(m *Msg) *Msg {
	var first *Task
	// A child that has just forked serves its link before its thread is
	// set up: wait for it (for Linux, the child exists once fork returns).
	for wait := 0; first == nil && wait < 2000; wait++ {
		for _, t := range p.Tasks() {
			if first == nil || t.Tid < first.Tid {
				first = t
			}
		}
		if first == nil {
			time.Sleep(time.Millisecond)
		}
	}
	if first == nil {
		return &Msg{Errno: int(unix.ESRCH)}
	}
	c := p.Creds()
	privileged := m.Sid != 0
	mayChange := privileged || m.Pgid == c.Uid || m.Pgid == c.Euid
	switch m.Status {
	case ProcGetSched:
		return &Msg{Sig: first.Policy, Target: first.Priority}
	case ProcSetSched:
		if !mayChange {
			return &Msg{Errno: int(unix.EPERM)}
		}
		if m.Sig >= 0 {
			first.Policy = m.Sig
		}
		first.Priority = m.Target
	case ProcGetNice:
		return &Msg{Target: p.Nice}
	case ProcGetFd:
		// Linux's PTRACE_MODE_ATTACH_REALCREDS: the caller's real uid
		// is all of the target's, or it has CAP_SYS_PTRACE (in Sid).
		if m.Sid == 0 && (m.Pgid != c.Uid || m.Pgid != c.Euid || m.Pgid != c.Suid) {
			return &Msg{Errno: int(unix.EPERM)}
		}
		f, err := p.FDs.Get(m.Sig)
		if err != nil {
			return &Msg{Errno: int(unix.EBADF)}
		}
		defer f.DecRef()
		h := f.Impl.Handle()
		if h == pal.NoHandle {
			return &Msg{Errno: int(unix.EOPNOTSUPP)} // a file the LibOS keeps itself
		}
		return &Msg{Status: f.Flags(), Comm: f.Path, HasHandle: true, H: h, Target: int(f.ID)}
	case ProcSetNice:
		if !mayChange {
			return &Msg{Errno: int(unix.EPERM)}
		}
		if m.Target < p.Nice && !privileged {
			return &Msg{Errno: int(unix.EACCES)}
		}
		p.Nice = m.Target
	default:
		return p.serveQuery(m, first) // procquery.go
	}
	return &Msg{}
}
