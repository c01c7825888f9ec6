package sys

// Implementation of fcntl, dup, dup2, dup3, ioctl and flock.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/vfs"
	"gophene/pal"
)

// Dup implements dup(2).
func Dup(t *kernel.Task, a kernel.Args) (uintptr, error) {
	f, err := file(t, a[0])
	if err != nil {
		return 0, err
	}
	fd, err := t.P.FDs.Install(f, 0, false)
	if err != nil {
		f.DecRef()
		return 0, err
	}
	return uintptr(fd), nil
}

func dup3(t *kernel.Task, oldfd, newfd uintptr, cloexec bool) (uintptr, error) {
	f, err := file(t, oldfd)
	if err != nil {
		return 0, err
	}
	if err := t.P.FDs.InstallAt(int(int32(newfd)), f, cloexec); err != nil {
		f.DecRef()
		return 0, err
	}
	return uintptr(int32(newfd)), nil
}

// Dup2 implements dup2(2).
func Dup2(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if int32(a[0]) == int32(a[1]) {
		f, err := file(t, a[0])
		if err != nil {
			return 0, err
		}
		f.DecRef()
		return uintptr(int32(a[1])), nil
	}
	return dup3(t, a[0], a[1], false)
}

// Dup3 implements dup3(2).
func Dup3(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if a[2]&^unix.O_CLOEXEC != 0 || int32(a[0]) == int32(a[1]) {
		return 0, unix.EINVAL
	}
	return dup3(t, a[0], a[1], a[2]&unix.O_CLOEXEC != 0)
}

// Fcntl implements fcntl(2).
func Fcntl(t *kernel.Task, a kernel.Args) (uintptr, error) {
	fd := int(int32(a[0]))
	f, err := file(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	switch cmd := int(a[1]); cmd {
	case unix.F_DUPFD, unix.F_DUPFD_CLOEXEC:
		f.IncRef()
		n, err := t.P.FDs.Install(f, int(int32(a[2])), int(a[1]) == unix.F_DUPFD_CLOEXEC)
		if err != nil {
			f.DecRef()
			return 0, err
		}
		return uintptr(n), nil
	case unix.F_GETFD:
		on, err := t.P.FDs.Cloexec(fd)
		if err != nil {
			return 0, err
		}
		if on {
			return unix.FD_CLOEXEC, nil
		}
		return 0, nil
	case unix.F_SETFD:
		return boolErr(t.P.FDs.SetCloexec(fd, a[2]&unix.FD_CLOEXEC != 0))
	case unix.F_GETFL:
		fl := f.Flags()
		if fl&unix.O_PATH != 0 {
			fl = unix.O_PATH | fl&unix.O_DIRECTORY // Linux reports O_PATH alone
		}
		return uintptr(fl | unix.O_LARGEFILE | 0x8000), nil
	case unix.F_SETFL:
		if f.IsPath() {
			return 0, unix.EBADF
		}
		return boolErr(f.SetFlags(int(a[2])))
	case unix.F_GETLK, unix.F_OFD_GETLK:
		return 0, getLock(t, f, int(a[1]), a[2])
	case unix.F_SETLK, unix.F_SETLKW, unix.F_OFD_SETLK, unix.F_OFD_SETLKW:
		return 0, setLock(t, f, int(a[1]), a[2])
	case unix.F_GETOWN, unix.F_SETOWN, unix.F_GETOWN_EX, unix.F_SETOWN_EX, unix.F_GETSIG, unix.F_SETSIG:
		return fileOwner(t, f, cmd, a[2])
	case unix.F_GETPIPE_SZ, unix.F_SETPIPE_SZ, unix.F_GET_SEALS, unix.F_ADD_SEALS:
		// Pipes and memory files are the host's: ask it.
		h := f.Impl.Handle()
		if h == pal.NoHandle {
			if cmd == unix.F_GETPIPE_SZ || cmd == unix.F_SETPIPE_SZ {
				return 0, unix.EBADF
			}
			return 0, unix.EINVAL
		}
		n, err := t.P.Host.StreamControl(h, cmd, int(int32(a[2])))
		return uintptr(n), mapErr(err)
	case unix.F_SETLEASE:
		return setLease(t, f, int(int32(a[2])))
	case unix.F_GETLEASE:
		return getLease(t, f)
	case unix.F_NOTIFY:
		return 0, unix.EINVAL
	case fCreatedQuery:
		if c, ok := f.Impl.(interface{ Created() bool }); ok && c.Created() {
			return 1, nil
		}
		return 0, nil
	}
	return 0, unix.EINVAL
}

// fCreatedQuery is F_CREATED_QUERY (Linux 6.12): did the open that made
// this file create it?
const fCreatedQuery = 1024 + 4

// Owner types of F_SETOWN_EX.
const (
	ownerTid  = 0
	ownerPid  = 1
	ownerPgrp = 2
)

// fileOwner implements F_GETOWN, F_SETOWN, their _EX forms, F_GETSIG and
// F_SETSIG. The owner and signal are kept with the open file; the LibOS
// sends no SIGIO (O_ASYNC) to them.
func fileOwner(t *kernel.Task, f *vfs.File, cmd int, arg uintptr) (uintptr, error) {
	typ, id, sig := f.Owner()
	exists := func(typ, id int) error {
		if id == 0 {
			return nil
		}
		switch typ {
		case ownerTid:
			if _, err := taskFor(t, uintptr(id)); err == nil {
				return nil
			}
			fallthrough
		case ownerPid:
			_, _, err := t.P.IDsOf(id)
			return err
		}
		for _, pi := range t.P.ListProcs() {
			if pi.Pgid == id {
				return nil
			}
		}
		return unix.ESRCH
	}
	switch cmd {
	case unix.F_GETOWN:
		if typ == ownerPgrp {
			return uintptr(-id), nil
		}
		return uintptr(id), nil
	case unix.F_SETOWN:
		who := int(int32(arg))
		typ, id = ownerPid, who
		if who < 0 {
			typ, id = ownerPgrp, -who
		}
		if err := exists(typ, id); err != nil {
			return 0, err
		}
		f.SetOwner(typ, id)
		return 0, nil
	case unix.F_GETOWN_EX:
		v := [2]int32{int32(typ), int32(id)}
		return 0, kernel.CopyOutObj(t, arg, &v)
	case unix.F_SETOWN_EX:
		var v [2]int32
		if err := kernel.CopyInObj(t, arg, &v); err != nil {
			return 0, err
		}
		if v[0] < ownerTid || v[0] > ownerPgrp || v[1] < 0 {
			return 0, unix.EINVAL
		}
		if err := exists(int(v[0]), int(v[1])); err != nil {
			return 0, err
		}
		f.SetOwner(int(v[0]), int(v[1]))
		return 0, nil
	case unix.F_GETSIG:
		return uintptr(sig), nil
	}
	if arg > 64 { // F_SETSIG
		return 0, unix.EINVAL
	}
	f.SetSig(int(arg))
	return 0, nil
}

// Record locks and flock locks are the host's (pal StreamLock and
// StreamFlock) on files with a host handle, so they hold between guest
// processes, which are host processes, and against native ones. Files the
// LibOS makes up itself (/proc, devices) have no other process to meet;
// their locks always succeed.

// lockArg reads a struct flock and checks it as Linux does.
func lockArg(t *kernel.Task, f *vfs.File, addr uintptr) (pal.Lock, error) {
	var l pal.Lock
	if err := kernel.CopyInObj(t, addr, &l); err != nil {
		return l, err
	}
	switch l.Type {
	case unix.F_RDLCK:
		if !f.Readable() {
			return l, unix.EBADF
		}
	case unix.F_WRLCK:
		if !f.Writable() {
			return l, unix.EBADF
		}
	case unix.F_UNLCK:
	default:
		return l, unix.EINVAL
	}
	if l.Whence != unix.SEEK_SET && l.Whence != unix.SEEK_CUR && l.Whence != unix.SEEK_END {
		return l, unix.EINVAL
	}
	return l, nil
}

// getLock answers F_GETLK and F_OFD_GETLK.
func getLock(t *kernel.Task, f *vfs.File, cmd int, addr uintptr) error {
	l, err := lockArg(t, f, addr)
	if err != nil {
		return err
	}
	if h := f.Impl.Handle(); h == pal.NoHandle {
		l.Type = unix.F_UNLCK
	} else {
		if err := t.P.Host.StreamLock(h, cmd, &l); err != nil {
			return mapErr(err)
		}
		if l.Type != unix.F_UNLCK && cmd == unix.F_GETLK {
			l.Pid = int32(t.P.GuestPidOf(int(l.Pid)))
		}
	}
	return kernel.CopyOutObj(t, addr, &l)
}

// setLock answers F_SETLK, F_SETLKW and their F_OFD_ forms.
func setLock(t *kernel.Task, f *vfs.File, cmd int, addr uintptr) error {
	l, err := lockArg(t, f, addr)
	if err != nil {
		return err
	}
	h := f.Impl.Handle()
	if h == pal.NoHandle {
		return nil
	}
	if cmd == unix.F_SETLK || cmd == unix.F_SETLKW {
		t.P.FDs.NotePosixLock()
	}
	err = t.P.Host.StreamLock(h, cmd, &l)
	if err == pal.ErrInterrupted {
		return kernel.ErrRestartSys
	}
	return mapErr(err)
}

// Flock implements flock(2).
func Flock(t *kernel.Task, a kernel.Args) (uintptr, error) {
	f, err := file(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if f.IsPath() {
		return 0, unix.EBADF
	}
	how := int(a[1])
	switch how &^ unix.LOCK_NB {
	case unix.LOCK_SH, unix.LOCK_EX, unix.LOCK_UN:
	default:
		return 0, unix.EINVAL
	}
	h := f.Impl.Handle()
	if h == pal.NoHandle {
		return 0, nil
	}
	err = t.P.Host.StreamFlock(h, how)
	if err == pal.ErrInterrupted {
		return 0, kernel.ErrRestartSys
	}
	return 0, mapErr(err)
}

// ioctlSizes are the argument sizes of the terminal requests passed to the
// host: (bytes read from the guest, bytes written to the guest).
var ioctlSizes = map[uint][2]uintptr{
	unix.TCGETS: {0, 36}, unix.TCSETS: {36, 0}, unix.TCSETSW: {36, 0}, unix.TCSETSF: {36, 0},
	unix.TCGETS2: {0, 44}, unix.TCSETS2: {44, 0}, unix.TCSETSW2: {44, 0}, unix.TCSETSF2: {44, 0},
	unix.TIOCGWINSZ: {0, 8}, unix.TIOCSWINSZ: {8, 0}, 0x541b: {0, 4}, // FIONREAD
	unix.TIOCOUTQ: {0, 4}, unix.TIOCGPTN: {0, 4}, unix.TIOCSPTLCK: {4, 0},
	unix.TCFLSH: {}, unix.TCXONC: {}, unix.TCSBRK: {},
	unix.TCGETA: {0, 18}, unix.TCSETA: {18, 0}, unix.TCSETAW: {18, 0}, unix.TCSETAF: {18, 0}, // struct termio
}

// Ioctl implements ioctl(2): generic requests here, terminal requests on
// host terminals, and whatever a device file handles itself.
func Ioctl(t *kernel.Task, a kernel.Args) (uintptr, error) {
	fd := int(int32(a[0]))
	f, err := file(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if f.IsPath() {
		return 0, unix.EBADF
	}
	req, arg := uint(uint32(a[1])), a[2]
	switch req {
	case fioclex:
		return boolErr(t.P.FDs.SetCloexec(fd, true))
	case fionclex:
		return boolErr(t.P.FDs.SetCloexec(fd, false))
	case fionbio:
		var on int32
		if err := kernel.CopyInObj(t, arg, &on); err != nil {
			return 0, err
		}
		fl := f.Flags() &^ unix.O_NONBLOCK
		if on != 0 {
			fl |= unix.O_NONBLOCK
		}
		return boolErr(f.SetFlags(fl))
	case fioasync:
		return 0, nil
	case unix.TIOCGPGRP, unix.TIOCGSID, unix.TIOCSPGRP:
		return terminalGroup(t, f, req, arg)
	case unix.TIOCSCTTY, unix.TIOCNOTTY:
		return controllingTerminal(t, f, req)
	}
	if sz, ok := ioctlSizes[req]; ok {
		if sz[0] == 0 && sz[1] == 0 {
			r, err := f.Impl.Ioctl(req, arg)
			return r, vfs.Errno(err)
		}
		n := max(sz[0], sz[1])
		buf := make([]byte, n)
		if sz[0] > 0 {
			if err := t.CopyIn(arg, buf); err != nil {
				return 0, err
			}
		} else if !t.P.MM.Check(arg, n, 2) {
			return 0, unix.EFAULT
		}
		r, err := ioctlHost(t, f, req, buf)
		if err != nil {
			return 0, err
		}
		if sz[1] > 0 {
			if err := t.CopyOut(arg, buf); err != nil {
				return 0, err
			}
		}
		return r, nil
	}
	r, err := f.Impl.Ioctl(req, arg)
	return r, vfs.Errno(err)
}

// ioctlHost passes a terminal request with a LibOS-side buffer, so the host
// never writes to a guest address it has not been shown.
func ioctlHost(t *kernel.Task, f *vfs.File, req uint, buf []byte) (uintptr, error) {
	var p uintptr
	if len(buf) > 0 {
		p = kernel.BufAddr(buf)
	}
	r, err := f.Impl.Ioctl(req, p)
	return r, vfs.Errno(err)
}

// Generic file ioctl requests.
const (
	fionbio  = 0x5421
	fionclex = 0x5450
	fioclex  = 0x5451
	fioasync = 0x5452
)

// controllingTerminal implements TIOCSCTTY and TIOCNOTTY. Sessions are
// the LibOS's, not the host's (a guest session leader is no host session
// leader), so the host is only asked whether f is a terminal: a session
// leader may take it as its controlling terminal, anyone else gets EPERM.
// The terminal's own signals (^C, window changes) are not routed to the
// new session.
func controllingTerminal(t *kernel.Task, f *vfs.File, req uint) (uintptr, error) {
	var st [36]byte
	if _, err := ioctlHost(t, f, unix.TCGETS, st[:]); err != nil {
		return 0, err
	}
	if req == unix.TIOCSCTTY && t.P.Sid() != t.P.Pid {
		return 0, unix.EPERM
	}
	return 0, nil
}

// terminalGroup implements tcgetpgrp, tcsetpgrp and tcgetsid on a host
// terminal. The host's terminal is the controlling terminal of the first
// guest session; its foreground process group is kept by the LibOS, which
// routes the terminal's signals to it.
func terminalGroup(t *kernel.Task, f *vfs.File, req uint, arg uintptr) (uintptr, error) {
	var st [36]byte
	if _, err := ioctlHost(t, f, unix.TCGETS, st[:]); err != nil {
		return 0, err
	}
	switch req {
	case unix.TIOCSPGRP:
		var v int32
		if err := kernel.CopyInObj(t, arg, &v); err != nil {
			return 0, err
		}
		return 0, t.P.SetForeground(int(v))
	case unix.TIOCGSID:
		if t.P.Sid() != 1 {
			return 0, unix.ENOTTY
		}
		v := int32(1)
		return 0, kernel.CopyOutObj(t, arg, &v)
	}
	fg, err := t.P.Foreground()
	if err != nil {
		return 0, err
	}
	v := int32(fg)
	return 0, kernel.CopyOutObj(t, arg, &v)
}
