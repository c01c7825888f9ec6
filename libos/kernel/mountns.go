package kernel

// Mount and UTS namespaces shared between processes. Each guest process has its
// own mount table (vfs.Namespace, copied at fork), but, as on Linux, a
// mount or umount made by one process is seen by every process of its
// mount namespace: the leader numbers the namespaces (a child is in its
// parent's; unshare(CLONE_NEWNS) and chroot give a process one of its
// own) and passes each change on to the other members, which apply it to
// their tables before the call that made it returns. Host and domain
// names (sethostname, setdomainname) are shared the same way within a UTS
// namespace.

import (
	"time"

	"golang.org/x/sys/unix"

	"gophene/libos/vfs"
	"gophene/pal"
)

// Mount table changes passed on (MountChange.Op).
const (
	MountPush     = iota + 1 // a new mount of a host directory at Path (the handle)
	MountRemove              // umount of Path
	MountReadOnly            // remount of Path, read-only or not
	MountMove                // the mount at Path moves to NewPath
)

// MountChange is one change to a mount table.
type MountChange struct {
	Op            int
	Path, NewPath string
	Type, Source  string
	ReadOnly      bool
	H             pal.Handle // MountPush: the root, a host directory
}

// ShareMountChange passes a change the process has made to its own table
// on to the other processes of its mount namespace, and returns once they
// have it (or two seconds have passed for one that does not answer).
func (p *Process) ShareMountChange(c MountChange) error {
	m := &Msg{Kind: msgMountChange, Status: c.Op, Comm: c.Path, Argv: []string{c.NewPath, c.Type, c.Source},
		Pgid: boolToInt(c.ReadOnly)}
	if c.Op == MountPush {
		m.HasHandle, m.H = true, c.H
	}
	return p.shareChange(m)
}

// shareChange sends a change (msgMountChange, msgUTSChange) to the other
// members of the process's namespace and returns once they have it.
func (p *Process) shareChange(m *Msg) error {
	if p.leader != nil {
		p.leader.share(p.Pid, m)
		return nil
	}
	_, err := p.link.call(m)
	return err
}

// LeaveMountNamespace gives the process a mount namespace of its own
// (unshare(CLONE_NEWNS), chroot): changes are no longer shared.
func (p *Process) LeaveMountNamespace() error {
	_, err := p.call(&Msg{Kind: msgMountNS})
	return err
}

// applyMountChange applies a change another process made (m as
// ShareMountChange sends it).
func (p *Process) applyMountChange(m *Msg, h pal.Handle) {
	path := m.Comm
	switch m.Status {
	case MountPush:
		if h == pal.NoHandle {
			return
		}
		p.NS.Push(&vfs.Mount{Path: path, FS: vfs.NewHostFSFromHandle(p.Host, h), Type: m.Argv[1],
			Source: m.Argv[2], ReadOnly: m.Pgid != 0})
	case MountRemove:
		p.NS.Remove(path)
	case MountReadOnly, MountMove:
		for _, mt := range p.NS.Mounts() {
			if mt.Path != path {
				continue
			}
			if m.Status == MountReadOnly {
				mt.ReadOnly = m.Pgid != 0
				continue
			}
			p.NS.Remove(path)
			moved := *mt
			moved.Path, moved.ID = m.Argv[0], 0
			p.NS.Push(&moved)
		}
	}
}

// share passes change m of process from on to the other processes of its
// namespace (mount or UTS, as m's kind says), and waits for each to have
// applied it (two seconds at most for one that does not answer).
func (l *Leader) share(from int, m *Msg) {
	ns := func(e *procEntry) int { return e.mountNS }
	if m.Kind == msgUTSChange {
		ns = func(e *procEntry) int { return e.utsNS }
	}
	l.mu.Lock()
	mine := 0
	if e := l.procs[from]; e != nil {
		mine = ns(e)
	}
	var to []*procEntry
	for _, e := range l.procs {
		if e.Pid != from && !e.Zombie && ns(e) == mine {
			to = append(to, e)
		}
	}
	l.mu.Unlock()
	for _, e := range to {
		fwd := *m
		fwd.ID = 0
		if e.Pid == 1 {
			h := pal.NoHandle
			if fwd.HasHandle {
				h = l.local.dupHandle(fwd.H) // pid 1 keeps a handle of its own
			}
			l.local.applyShared(&fwd, h)
			continue
		}
		l.mu.Lock()
		link := e.link
		l.mu.Unlock()
		if link == nil {
			continue
		}
		ch, err := link.start(&fwd)
		if err != nil {
			continue
		}
		select {
		case <-ch:
		case <-time.After(2 * time.Second):
		}
	}
}

// applyShared applies a change another process made; h is the process's
// own handle of a new mount's root.
func (p *Process) applyShared(m *Msg, h pal.Handle) {
	switch m.Kind {
	case msgMountChange:
		p.applyMountChange(m, h)
	case msgUTSChange:
		p.SetUTS(UTS{Hostname: m.Comm, Domainname: m.Argv[0]})
	}
}

// shareUTS passes the process's new host and domain names on to the other
// processes of its UTS namespace.
func (p *Process) shareUTS() error {
	u := p.UTS()
	return p.shareChange(&Msg{Kind: msgUTSChange, Comm: u.Hostname, Argv: []string{u.Domainname}})
}

// LeaveUTSNamespace gives the process a UTS namespace of its own
// (unshare(CLONE_NEWUTS)): its names are no longer shared.
func (p *Process) LeaveUTSNamespace() error {
	_, err := p.call(&Msg{Kind: msgUTSNS})
	return err
}

// dupHandle makes a handle of the process's own for the object h names,
// by reopening it (a mount root, opened with O_PATH).
func (p *Process) dupHandle(h pal.Handle) pal.Handle {
	nh, err := p.Host.FileOpen(h, "", unix.O_PATH, 0)
	if err != nil {
		return pal.NoHandle
	}
	return nh
}
