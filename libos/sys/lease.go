package sys

// File leases (fcntl F_SETLEASE, F_GETLEASE). A lease is the host's, on
// the file's host descriptor: the host kernel finds conflicts with other
// opens (other guest processes are host processes), makes an opener wait
// until the lease is given up or lease-break-time passes, and tells the
// lease holder's host process with SIGIO. The LibOS then finds the leases
// being broken (F_GETLEASE reports the type a lease is being broken to)
// and sends the guest's lease owner its signal: SIGIO, or the F_SETSIG
// signal with si_fd set, as Linux does.

import (
	"sync"

	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/vfs"
	"gophene/pal"
)

// leases maps the open files holding a lease to the lease's type and
// whether its break has been reported.
var leases sync.Map // *vfs.File → *leaseState

type leaseState struct {
	typ      int
	reported bool
}

// Linux's SIGIO reason for a lease break (POLL_MSG) and its band.
const (
	pollMsg  = 3
	bandMsg  = unix.POLLIN | pollRdnorm | 0x400 // POLLIN | POLLRDNORM | POLLMSG
	capLease = 28                               // CAP_LEASE
)

// setLease implements F_SETLEASE.
func setLease(t *kernel.Task, f *vfs.File, typ int) (uintptr, error) {
	switch typ {
	case unix.F_RDLCK, unix.F_WRLCK, unix.F_UNLCK:
	default:
		return 0, unix.EINVAL
	}
	h := f.Impl.Handle()
	var st pal.Stat
	if h == pal.NoHandle || f.IsPath() || f.Impl.Stat(&st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return 0, unix.EINVAL
	}
	if c := t.P.Creds(); c.Fsuid != int(st.Uid) && !c.Capable(capLease) {
		return 0, unix.EACCES
	}
	if _, err := t.P.Host.StreamControl(h, unix.F_SETLEASE, typ); err != nil {
		return 0, mapErr(err)
	}
	if typ == unix.F_UNLCK {
		leases.Delete(f)
		return 0, nil
	}
	leases.Store(f, &leaseState{typ: typ})
	// As on Linux, taking a lease makes the caller's process the file's
	// owner, who gets the break's signal.
	f.SetOwner(ownerPid, t.P.Pid)
	return 0, nil
}

// getLease implements F_GETLEASE.
func getLease(t *kernel.Task, f *vfs.File) (uintptr, error) {
	h := f.Impl.Handle()
	if h == pal.NoHandle || f.IsPath() {
		return unix.F_UNLCK, nil
	}
	n, err := t.P.Host.StreamControl(h, unix.F_GETLEASE, 0)
	return uintptr(n), mapErr(err)
}

// LeaseBreak reacts to the host's SIGIO: for every lease of p's open
// files whose break has begun, the lease owner gets the lease signal.
func LeaseBreak(p *kernel.Process) {
	p.FDs.Each(func(fd int, f *vfs.File) {
		v, ok := leases.Load(f)
		if !ok {
			return
		}
		ls := v.(*leaseState)
		now, err := p.Host.StreamControl(f.Impl.Handle(), unix.F_GETLEASE, 0)
		if err != nil || now == ls.typ {
			ls.reported = false
			return
		}
		if ls.reported {
			return
		}
		ls.reported = true
		typ, id, sig := f.Owner()
		info := kernel.NewSigInfo(int(unix.SIGIO), kernel.SiKernel)
		if sig != 0 {
			info = kernel.NewSigInfo(sig, pollMsg).SetPoll(bandMsg, fd)
		}
		switch {
		case id == 0 || (typ != ownerPgrp && id == p.Pid):
			p.SignalProcess(info)
		case typ == ownerPgrp:
			p.Kill(-id, info)
		default:
			p.Kill(id, info)
		}
	})
}
