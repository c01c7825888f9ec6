package kernel

// Watching other processes' ends, for pidfds. A process that opens a
// pidfd gets a host event stream that the LibOS makes readable when the
// watched process ends, so poll, select and epoll see it as Linux's
// pidfd. The leader keeps, per process, who watches it, and tells each
// watcher when it ends; the watcher fires its streams.

import (
	"sync"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// PidWatch is one watch on a process's end: H becomes readable once the
// process has ended.
type PidWatch struct {
	Pid int
	H   pal.Handle
	p   *Process
}

// pidWatches are a process's watches, by watched pid.
type pidWatches struct {
	mu sync.Mutex
	m  map[int][]*PidWatch
}

// WatchPid starts watching process pid: ESRCH if there is no such
// process (one that has ended but is not yet reaped is there, and its
// watch fires at once).
func (p *Process) WatchPid(pid int) (*PidWatch, error) {
	h, err := p.Host.EventCreate(0, 0)
	if err != nil {
		return nil, unix.ENOMEM
	}
	w := &PidWatch{Pid: pid, H: h, p: p}
	// Registered before the leader hears of it, so that an end reported
	// at once finds it.
	p.watches.mu.Lock()
	if p.watches.m == nil {
		p.watches.m = map[int][]*PidWatch{}
	}
	p.watches.m[pid] = append(p.watches.m[pid], w)
	p.watches.mu.Unlock()
	r, err := p.call(&Msg{Kind: msgWatch, Pid: pid})
	if err != nil {
		w.Close()
		return nil, err
	}
	if r.Status != 0 {
		w.fire()
	}
	return w, nil
}

// WatchEnded returns a watch on a process known to have ended: its stream
// is readable from the start, and no one will fire it again.
func (p *Process) WatchEnded(pid int) (*PidWatch, error) {
	h, err := p.Host.EventCreate(1, 0)
	if err != nil {
		return nil, unix.ENOMEM
	}
	return &PidWatch{Pid: pid, H: h, p: p}, nil
}

// Close stops the watch and releases its stream.
func (w *PidWatch) Close() {
	ws := &w.p.watches
	ws.mu.Lock()
	list := ws.m[w.Pid]
	for i, o := range list {
		if o == w {
			ws.m[w.Pid] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(ws.m[w.Pid]) == 0 {
		delete(ws.m, w.Pid)
	}
	ws.mu.Unlock()
	w.p.Host.StreamClose(w.H)
}

func (w *PidWatch) fire() {
	one := []byte{1, 0, 0, 0, 0, 0, 0, 0}
	w.p.Host.StreamWrite(w.H, one)
}

// pidEnded fires the watches on pid (its end was reported).
func (p *Process) pidEnded(pid int) {
	p.watches.mu.Lock()
	for _, w := range p.watches.m[pid] {
		w.fire()
	}
	p.watches.mu.Unlock()
}

// watch records that process watcher watches pid, and reports whether pid
// has ended already (leader side).
func (l *Leader) watch(watcher, pid int) (ended bool, errno unix.Errno) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.procs[pid]
	if e == nil {
		return false, unix.ESRCH
	}
	if e.Zombie {
		return true, 0
	}
	for _, w := range e.watchers {
		if w == watcher {
			return false, 0
		}
	}
	e.watchers = append(e.watchers, watcher)
	return false, 0
}
