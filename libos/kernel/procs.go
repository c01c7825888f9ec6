package kernel

import (
	"time"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// A process's side of the process table: its ids, its link to the leader,
// and the children it may wait for.

// childState is a child as its parent sees it.
type childState struct {
	zombie bool
	status int // wait status
	times  pal.Times
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
		p.handleEvent(m)
	})
}

// call sends a request to the leader, or calls it directly in pid 1.
func (p *Process) call(m *Msg) (*Msg, error) {
	if p.leader == nil {
		return p.link.call(m)
	}
	l := p.leader
	r := &Msg{}
	switch m.Kind {
	case msgAllocPid:
		r.Pid = l.allocPid(p.Pid)
	case msgKill:
		r.Errno = int(l.kill(p.Pid, m.Target, &m.Info))
	case msgSetPgid:
		r.Errno = int(l.setPgid(p.Pid, m.Pid, m.Pgid))
	case msgGetPgid, msgGetSid:
		r.Pgid, r.Sid, r.Errno = l.getIDs(m.Pid)
	case msgSetSid:
		r.Sid, r.Errno = l.setSid(p.Pid)
	case msgList:
		r.Procs = l.list()
	}
	if r.Errno != 0 {
		return r, unix.Errno(r.Errno)
	}
	return r, nil
}

// post sends a notice that needs no reply.
func (p *Process) post(m *Msg) {
	if p.leader == nil {
		if p.link != nil {
			p.link.send(m)
		}
		return
	}
	switch m.Kind {
	case msgExit:
		p.leader.exited(p.Pid, m.Status, m.Times, false)
	case msgReaped:
		p.leader.reaped(m.Pid)
	case msgExec:
		p.leader.exec(p.Pid, m.Comm, m.Argv)
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

// AttachChild hands the leader the link of child pid.
func (p *Process) AttachChild(pid int, h pal.Handle) error {
	if p.leader != nil {
		p.leader.attach(pid, h)
		return nil
	}
	err := p.link.sendHandle(&Msg{Kind: msgAttach, Pid: pid}, h)
	p.Host.StreamClose(h)
	return err
}

// AddChild records a child just created.
func (p *Process) AddChild(pid int) {
	p.childMu.Lock()
	p.children[pid] = &childState{}
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
	_, err := p.call(&Msg{Kind: msgKill, Target: target, Info: *info})
	return err
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
		info := m.Info
		p.SignalProcess(&info)
	case msgChildExit:
		p.childExited(m.Pid, m.Status, m.Times)
	case msgAdopt:
		p.childMu.Lock()
		if p.children[m.Pid] == nil {
			p.children[m.Pid] = &childState{}
		}
		p.childMu.Unlock()
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

// childExited records a child's end, sends SIGCHLD and wakes waiters.
func (p *Process) childExited(pid, status int, times pal.Times) {
	act := p.SigAction(int(unix.SIGCHLD))
	autoReap := act.Handler == SigIgn || act.Flags&SaNocldwait != 0
	p.childMu.Lock()
	if autoReap {
		delete(p.children, pid)
	} else {
		p.children[pid] = &childState{zombie: true, status: status, times: times}
	}
	close(p.childEv)
	p.childEv = make(chan struct{})
	p.childMu.Unlock()
	if autoReap {
		p.post(&Msg{Kind: msgReaped, Pid: pid})
	}
	if act.Handler != SigIgn {
		info := NewSigInfo(int(unix.SIGCHLD), 0)
		code := int32(CldExited)
		st := status >> 8 & 0xff
		if sig := status & 0x7f; sig != 0 {
			code, st = CldKilled, sig
			if status&0x80 != 0 {
				code = CldDumped
			}
		}
		info.Code = code
		info.SetChild(pid, p.Creds().Uid, st, times)
		p.SignalProcess(info)
	}
}

// Wait options.
const (
	WNohang    = 1
	WUntraced  = 2
	WExited    = 4
	WContinued = 8
	WNowait    = 0x01000000
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
		matched := false
		for _, pid := range candidates {
			if !p.childMatches(pid, sel) {
				continue
			}
			matched = true
			p.childMu.Lock()
			c := p.children[pid]
			if c != nil && c.zombie {
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
