package kernel

import (
	"sort"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// Leader is the process table, kept by the first guest process.
type Leader struct {
	host  pal.Host
	local *Process // pid 1

	mu      sync.Mutex
	nextPid int
	procs   map[int]*procEntry
	fg      int // the terminal's foreground process group

	sysv *sysvIPC // the guest's SysV IPC objects
	// lastNS is the last namespace number given (mount, UTS).
	lastNS int
	keys   *keyStore // the guest's keys and keyrings (keys.go)
}

type procEntry struct {
	ProcInfo
	link    *Link // nil for pid 1
	hostPid int   // the host process it runs as
	execed  bool
	status  int
	times   pal.Times
	// watchers are the processes holding a pidfd on this one, told of
	// its end.
	watchers []int
	// subreaper: orphans of its descendants come to it
	// (PR_SET_CHILD_SUBREAPER).
	subreaper bool
	// mountNS and utsNS number its mount and UTS namespaces (mountns.go).
	mountNS, utsNS int
}

// NewLeader makes the leader for p, which becomes pid 1.
func NewLeader(p *Process) *Leader {
	l := &Leader{host: p.Host, local: p, nextPid: 2, procs: map[int]*procEntry{}, fg: 1, sysv: newSysvIPC(p.Host)}
	l.procs[1] = &procEntry{ProcInfo: ProcInfo{Pid: 1, Pgid: 1, Sid: 1}}
	l.keys = newKeyStore()
	return l
}

// allocPid registers a new process forked by parent.
func (l *Leader) allocPid(parent int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.procs[l.nextPid] != nil {
		l.nextPid++
	}
	pid := l.nextPid
	l.nextPid++
	pe := l.procs[parent]
	e := &procEntry{ProcInfo: ProcInfo{Pid: pid, Ppid: parent}}
	if pe != nil {
		e.Pgid, e.Sid, e.Comm, e.Argv = pe.Pgid, pe.Sid, pe.Comm, pe.Argv
		e.mountNS, e.utsNS = pe.mountNS, pe.utsNS
	}
	l.procs[pid] = e
	return pid
}

// attach connects the link of a new process, which runs as host process
// hostPid.
func (l *Leader) attach(pid int, h pal.Handle, hostPid int) {
	link := newLink(l.host, h)
	l.mu.Lock()
	if e := l.procs[pid]; e != nil {
		e.link, e.hostPid = link, hostPid
	}
	l.mu.Unlock()
	go link.serve(func(m *Msg, hd pal.Handle) { l.handle(pid, link, m, hd) })
}

// handle serves one message from process pid (nil: the link closed).
func (l *Leader) handle(pid int, link *Link, m *Msg, hd pal.Handle) {
	switch {
	case m == nil:
		l.exited(pid, int(unix.SIGKILL), pal.Times{}, true)
	case m.Kind == msgAttach:
		l.attach(m.Pid, hd, m.HostPid)
	case m.Kind == msgSysV || m.Kind == msgSysVWait || m.Kind == msgSysVCount:
		l.sysvRequest(link, m)
	case m.Kind == msgMountChange || m.Kind == msgUTSChange:
		// Waits for the other members' answers: off this link's reader.
		go func() {
			l.share(pid, m)
			link.reply(m, &Msg{})
			if m.HasHandle {
				l.host.StreamClose(m.H)
			}
		}()
	case m.Kind == msgKill || m.Kind == msgState || m.Kind == msgProcOp:
		// These wait for another process's answer, which comes on that
		// process's link: this link's serve must go on reading meanwhile,
		// or two processes signalling each other wait for each other.
		go func() {
			r := l.request(pid, m)
			link.reply(m, r)
			if r.HasHandle && m.Pid != 1 {
				l.host.StreamClose(r.H) // the copy received from the target
			}
		}()
	case !l.notice(pid, m):
		link.reply(m, l.request(pid, m))
	case m.Kind == msgExit:
		// Its last word: closing our end lets the process's own serve
		// end, so that its host process can be reused.
		link.close()
	}
}

// notice acts on a message that needs no reply, and reports whether m was
// one.
func (l *Leader) notice(pid int, m *Msg) bool {
	switch m.Kind {
	case msgExit:
		l.exited(pid, m.Status, m.Times, false)
	case msgReaped:
		l.reaped(m.Pid)
	case msgExec:
		l.exec(pid, m.Comm, m.Argv)
	case msgJobState:
		l.jobState(pid, m.Status)
	case msgHostPid:
		l.mu.Lock()
		if e := l.procs[pid]; e != nil {
			e.hostPid = m.Pid
		}
		l.mu.Unlock()
	default:
		return false
	}
	return true
}

// request answers a request from process pid.
func (l *Leader) request(pid int, m *Msg) *Msg {
	r := &Msg{}
	var errno unix.Errno
	switch m.Kind {
	case msgAllocPid:
		r.Pid = l.allocPid(pid)
		l.keys.fork(pid, r.Pid)
	case msgKill:
		errno = l.kill(pid, m)
	case msgSetPgid:
		errno = l.setPgid(pid, m.Pid, m.Pgid)
	case msgGetPgid, msgGetSid:
		r.Pgid, r.Sid, r.Errno = l.getIDs(m.Pid)
	case msgSetSid:
		r.Sid, r.Errno = l.setSid(pid)
	case msgList:
		r.Procs = l.list()
	case msgState:
		r.Status = int(l.state(m.Pid))
	case msgProcOp:
		r = l.procOp(m)
	case msgKeys:
		r = l.keysRequest(pid, m)
	case msgMountNS, msgUTSNS:
		l.mu.Lock()
		l.lastNS++
		if e := l.procs[pid]; e != nil {
			if m.Kind == msgMountNS {
				e.mountNS = l.lastNS
			} else {
				e.utsNS = l.lastNS
			}
		}
		l.mu.Unlock()
	case msgSubreaper:
		l.mu.Lock()
		if e := l.procs[pid]; e != nil {
			e.subreaper = m.Status != 0
		}
		l.mu.Unlock()
	case msgLastPid:
		l.mu.Lock()
		if m.Status >= 0 {
			l.nextPid = m.Status + 1
		}
		r.Pid = l.nextPid - 1
		l.mu.Unlock()
	case msgWatch:
		ended := false
		ended, errno = l.watch(pid, m.Pid)
		r.Status = boolToInt(ended)
	case msgGetFg:
		r.Pgid, errno = l.getForeground(pid)
	case msgSetFg:
		errno = l.setForeground(pid, m.Pgid)
	case msgGuestPid:
		l.mu.Lock()
		for _, e := range l.procs {
			if e.hostPid == m.Pid && !e.Zombie {
				r.Pid = e.Pid
			}
		}
		l.mu.Unlock()
	default:
		errno = unix.ENOSYS
	}
	if errno != 0 {
		r.Errno = int(errno)
	}
	return r
}

// deliver sends a message to process pid (local calls for pid 1).
func (l *Leader) deliver(e *procEntry, m *Msg) {
	if e.Pid == 1 {
		go l.local.handleEvent(m)
		return
	}
	if e.link != nil {
		e.link.send(m)
	}
}

// signal delivers a signal to process e and returns once e has it
// pending, as kill(2) does on Linux: a signal sent before, say, a write to
// a pipe is seen before the reader's read returns. l.mu must not be held.
func (l *Leader) signal(e *procEntry, req *Msg) unix.Errno {
	m := &Msg{Kind: msgSignal, Pid: e.Pid, Info: req.Info}
	m.Ppid, m.Pgid, m.Sid, m.Status = req.Ppid, req.Pgid, req.Sid, req.Status
	if e.Pid == 1 {
		return l.local.receiveSignal(m)
	}
	l.mu.Lock()
	link := e.link
	l.mu.Unlock()
	if link == nil {
		return 0
	}
	// A process that is ending may not answer; its signal is sent anyway.
	ch, err := link.start(m)
	if err != nil {
		return 0
	}
	select {
	case r, ok := <-ch:
		if ok {
			return unix.Errno(r.Errno)
		}
	case <-time.After(2 * time.Second):
	}
	return 0
}

// procOp passes a scheduling request on to its target process.
func (l *Leader) procOp(m *Msg) *Msg {
	if m.Pid == 1 {
		return l.local.serveProcOp(m)
	}
	l.mu.Lock()
	e := l.procs[m.Pid]
	var link *Link
	if e != nil && !e.Zombie {
		link = e.link
	}
	l.mu.Unlock()
	if link == nil {
		return &Msg{Errno: int(unix.ESRCH)}
	}
	fwd := *m
	r, err := link.call(&fwd)
	if r == nil {
		if err == nil {
			err = unix.ESRCH
		}
		return &Msg{Errno: int(unix.ESRCH)}
	}
	// A handle in the answer (ProcGetFd) goes on to the caller; the
	// leader's copy is closed once it has been sent (see handle).
	return &Msg{Errno: r.Errno, Sig: r.Sig, Target: r.Target, Status: r.Status, Comm: r.Comm, HasHandle: r.HasHandle, H: r.H, Data: r.Data}
}

// state asks process pid for its state letter.
func (l *Leader) state(pid int) byte {
	if pid == 1 {
		return l.local.State()
	}
	l.mu.Lock()
	e := l.procs[pid]
	var link *Link
	if e != nil && !e.Zombie {
		link = e.link
	}
	l.mu.Unlock()
	if link == nil {
		return 0
	}
	r, err := link.call(&Msg{Kind: msgState})
	if err != nil {
		return 0
	}
	return byte(r.Status)
}

// exited records that pid ended with a wait status and tells its parent.
func (l *Leader) exited(pid, status int, times pal.Times, linkClosed bool) {
	l.sysv.exited(pid)
	l.keys.exited(pid)
	l.mu.Lock()
	e := l.procs[pid]
	if e == nil || e.Zombie {
		l.mu.Unlock()
		return
	}
	e.Zombie, e.status, e.times = true, status, times
	e.link = nil
	var notify []*procEntry
	var msgs []*Msg
	// Orphans go to the nearest living ancestor that is a child
	// subreaper (PR_SET_CHILD_SUBREAPER), else to pid 1, which adopts
	// them (and their exit, if they have already ended).
	reaper := l.procs[1]
	for a := l.procs[e.Ppid]; a != nil && a.Pid != 1; a = l.procs[a.Ppid] {
		if a.subreaper && !a.Zombie {
			reaper = a
			break
		}
	}
	for _, c := range l.procs {
		if c.Ppid != pid {
			continue
		}
		c.Ppid = reaper.Pid
		notify = append(notify, c, reaper)
		msgs = append(msgs, &Msg{Kind: msgReparent, Pid: c.Pid, Ppid: reaper.Pid}, &Msg{Kind: msgAdopt, Pid: c.Pid})
		if c.Zombie {
			notify = append(notify, reaper)
			msgs = append(msgs, &Msg{Kind: msgChildExit, Pid: c.Pid, Status: c.status, Times: c.times})
		}
	}
	if p := l.procs[e.Ppid]; p != nil {
		notify = append(notify, p)
		msgs = append(msgs, &Msg{Kind: msgChildExit, Pid: pid, Status: status, Times: times})
	}
	for _, w := range e.watchers {
		if we := l.procs[w]; we != nil && !we.Zombie {
			notify = append(notify, we)
			msgs = append(msgs, &Msg{Kind: msgPidEnded, Pid: pid})
		}
	}
	e.watchers = nil
	l.mu.Unlock()
	for i, n := range notify {
		if n.Pid == 1 {
			// Straight to pid 1 (no lock is held here): its wait4 is
			// what a fork loop waits for.
			l.local.handleEvent(msgs[i])
			continue
		}
		l.deliver(n, msgs[i])
	}
}

func (l *Leader) reaped(pid int) {
	l.mu.Lock()
	if e := l.procs[pid]; e != nil && e.Zombie {
		delete(l.procs, pid)
	}
	l.mu.Unlock()
}

// kill routes a signal from sender to target (a pid, -pgid, 0 is not
// seen here: the sender turns it into -its pgid, and -1 means everyone
// but pid 1 and the sender).
func (l *Leader) kill(sender int, m *Msg) unix.Errno {
	target := m.Target
	l.mu.Lock()
	var to []*procEntry
	for _, e := range l.procs {
		switch {
		case target > 0 && e.Pid == target,
			target < -1 && e.Pgid == -target && e.Pid != sender,
			target == -1 && e.Pid != 1 && e.Pid != sender:
			to = append(to, e)
		}
	}
	l.mu.Unlock()
	if len(to) == 0 {
		return unix.ESRCH
	}
	// Each target checks the sender's permission (a signal 0 only
	// that). As on Linux, a group or everyone succeeds if one target
	// took the signal, and kill(-1) never reports EPERM.
	var errno unix.Errno
	sent := false
	for _, e := range to {
		if e.Zombie {
			sent = true
			continue
		}
		if err := l.signal(e, m); err == 0 {
			sent = true
		} else {
			errno = err
		}
	}
	if sent || target == -1 {
		return 0
	}
	return errno
}

func (l *Leader) getIDs(pid int) (int, int, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.procs[pid]; e != nil {
		return e.Pgid, e.Sid, 0
	}
	return 0, 0, int(unix.ESRCH)
}

// setPgid implements setpgid for caller on pid (0: the caller).
func (l *Leader) setPgid(caller, pid, pgid int) unix.Errno {
	l.mu.Lock()
	if pid == 0 {
		pid = caller
	}
	if pgid == 0 {
		pgid = pid
	}
	e, c := l.procs[pid], l.procs[caller]
	switch {
	case e == nil || c == nil || (pid != caller && e.Ppid != caller):
		l.mu.Unlock()
		return unix.ESRCH
	case pid != caller && e.execed:
		l.mu.Unlock()
		return unix.EACCES
	case e.Sid != c.Sid:
		l.mu.Unlock()
		return unix.EPERM
	case e.Sid == e.Pid:
		l.mu.Unlock()
		return unix.EPERM // a session leader
	}
	if pgid != pid {
		found := false
		for _, o := range l.procs {
			if o.Pgid == pgid && o.Sid == e.Sid && !o.Zombie {
				found = true
				break
			}
		}
		if !found {
			l.mu.Unlock()
			return unix.EPERM
		}
	}
	e.Pgid = pgid
	m := &Msg{Kind: msgPgid, Pid: pid, Pgid: e.Pgid, Sid: e.Sid}
	link := e.link
	l.mu.Unlock()
	if pid != caller && link != nil {
		// Another process's group changes: it must know before setpgid
		// returns, or a getpgrp right after could still see the old one.
		link.call(m)
		return 0
	}
	l.deliver(e, m)
	return 0
}

func (l *Leader) setSid(pid int) (int, int) {
	l.mu.Lock()
	e := l.procs[pid]
	if e == nil {
		l.mu.Unlock()
		return 0, int(unix.ESRCH)
	}
	for _, o := range l.procs {
		if o.Pgid == pid && !o.Zombie {
			l.mu.Unlock()
			return 0, int(unix.EPERM) // already a group leader
		}
	}
	e.Sid, e.Pgid = pid, pid
	l.mu.Unlock()
	return pid, 0
}

func (l *Leader) exec(pid int, comm string, argv []string) {
	l.keys.exec(pid)
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.procs[pid]; e != nil {
		e.Comm, e.Argv, e.execed = comm, argv, true
	}
}

func (l *Leader) list() []ProcInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]ProcInfo, 0, len(l.procs))
	for _, e := range l.procs {
		out = append(out, e.ProcInfo)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pid < out[j].Pid })
	return out
}
