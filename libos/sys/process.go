package sys

// Implementation of fork, vfork, clone (new processes), execve, execveat,
// wait4 and waitid. The machinery is in libos/fork.go (new processes),
// libos/kernel/exec.go and libos/kernel/procs.go.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/vfs"
	"gophene/pal"
)

// newProcess forks t's process with clone's options.
func newProcess(t *kernel.Task, c cloneArgs) (uintptr, error) {
	if t.P.Fork == nil {
		return 0, unix.ENOSYS
	}
	f := c.flags
	opt := kernel.ForkOptions{Stack: uintptr(c.stack), ExitSignal: int(c.exitSignal), Vfork: f&cloneVfork != 0}
	if f&cloneSettls != 0 {
		opt.TLS, opt.SetTLS = uintptr(c.tls), true
	}
	if f&cloneChildSettid != 0 {
		opt.ChildTid = uintptr(c.childTid)
	}
	if f&cloneChildCleartid != 0 {
		opt.ClearChildTid = uintptr(c.childTid)
	}
	pid, err := t.P.Fork(t, opt)
	if err != nil {
		return 0, err
	}
	if f&cloneParentSettid != 0 {
		v := uint32(pid)
		kernel.CopyOutObj(t, uintptr(c.parentTid), &v)
	}
	if f&clonePidfd != 0 {
		// The child runs already; a failure here cannot undo it, as a
		// failure of Linux's own copy-out after the fork cannot.
		fd, err := openPidfd(t, pid, 0)
		if err != nil {
			return 0, err
		}
		v := int32(fd)
		if err := kernel.CopyOutObj(t, uintptr(c.pidfd), &v); err != nil {
			return 0, err
		}
	}
	return uintptr(pid), nil
}

// Fork implements fork(2).
func Fork(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return newProcess(t, cloneArgs{exitSignal: uint64(unix.SIGCHLD)})
}

// Vfork implements vfork(2): the parent waits until the child execs or
// exits. The child gets a copy of the memory rather than the parent's own,
// which no correct vfork child can tell apart.
func Vfork(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return newProcess(t, cloneArgs{flags: cloneVfork | cloneVM, exitSignal: uint64(unix.SIGCHLD)})
}

// waitSelect turns wait4's pid into WaitChild's selector.
func waitSelect(t *kernel.Task, pid int) kernel.WaitSel {
	switch {
	case pid > 0:
		return kernel.WaitSel{Pid: pid}
	case pid == -1:
		return kernel.WaitSel{Any: true}
	case pid == 0:
		return kernel.WaitSel{Pgid: t.P.Pgid()}
	}
	return kernel.WaitSel{Pgid: -pid}
}

const waitAll = 0x40000000 | 0x80000000 | 0x20000000 // __WALL, __WCLONE, __WNOTHREAD

// waitEagain marks a waitid on a non-blocking pidfd (a bit no option uses).
const waitEagain = 1 << 28

// Wait4 implements wait4(2).
func Wait4(t *kernel.Task, a kernel.Args) (uintptr, error) {
	options := int(a[2])
	if options&^(kernel.WNohang|kernel.WUntraced|kernel.WContinued|waitAll) != 0 {
		return 0, unix.EINVAL
	}
	if int32(a[0]) == -1<<31 {
		return 0, unix.ESRCH // Linux cannot negate INT_MIN into a group
	}
	r, err := t.WaitChild(waitSelect(t, int(int32(a[0]))), options|kernel.WExited)
	if err != nil || r.Pid == 0 {
		return 0, err
	}
	if a[1] != 0 {
		st := int32(r.Status)
		if err := kernel.CopyOutObj(t, a[1], &st); err != nil {
			return 0, err
		}
	}
	if a[3] != 0 {
		ru := unix.Rusage{Utime: unix.NsecToTimeval(r.Times.User.Nano()), Stime: unix.NsecToTimeval(r.Times.System.Nano()),
			Maxrss: r.Times.MaxRSS}
		if err := kernel.CopyOutObj(t, a[3], &ru); err != nil {
			return 0, err
		}
	}
	return uintptr(r.Pid), nil
}

// Waitid implements waitid(2).
func Waitid(t *kernel.Task, a kernel.Args) (uintptr, error) {
	idtype, id, options := int(a[0]), int(int32(a[1])), int(a[3])
	if options&^(kernel.WNohang|kernel.WUntraced|kernel.WExited|kernel.WContinued|kernel.WNowait|waitAll) != 0 ||
		options&(kernel.WExited|kernel.WUntraced|kernel.WContinued) == 0 {
		return 0, unix.EINVAL
	}
	var sel kernel.WaitSel
	switch idtype {
	case unix.P_ALL:
		sel.Any = true
	case unix.P_PID:
		if id <= 0 {
			return 0, unix.EINVAL
		}
		sel.Pid = id
	case unix.P_PGID:
		if id < 0 {
			return 0, unix.EINVAL
		}
		if id == 0 {
			id = t.P.Pgid()
		}
		sel.Pgid = id
	case pPidfd:
		pid, f, err := pidfdOf(t, uintptr(id))
		if err != nil {
			return 0, err
		}
		// A non-blocking pidfd makes the wait fail with EAGAIN rather
		// than block.
		if f.Flags()&unix.O_NONBLOCK != 0 && options&kernel.WNohang == 0 {
			options |= kernel.WNohang | waitEagain
		}
		f.DecRef()
		sel.Pid = pid
	default:
		return 0, unix.EINVAL
	}
	r, err := t.WaitChild(sel, options&^waitEagain)
	if err != nil {
		return 0, err
	}
	if r.Pid == 0 && options&waitEagain != 0 {
		return 0, unix.EAGAIN
	}
	if a[2] != 0 {
		info := kernel.NewSigInfo(0, 0)
		if r.Pid != 0 {
			info = kernel.ChildSigInfo(r.Pid, t.P.Creds().Uid, r.Status, r.Times)
		}
		if err := kernel.CopyOutObj(t, a[2], info); err != nil {
			return 0, err
		}
	}
	if a[4] != 0 {
		ru := unix.Rusage{Utime: unix.NsecToTimeval(r.Times.User.Nano()), Stime: unix.NsecToTimeval(r.Times.System.Nano())}
		if err := kernel.CopyOutObj(t, a[4], &ru); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func doExecve(t *kernel.Task, dirfd, pathAddr, argvAddr, envpAddr uintptr, flags int) (uintptr, error) {
	if flags&^(unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW) != 0 {
		return 0, unix.EINVAL
	}
	path, err := t.Path(pathAddr)
	if err != nil {
		return 0, err
	}
	switch {
	case path == "" && flags&unix.AT_EMPTY_PATH != 0:
		f, err := file(t, dirfd)
		if err != nil {
			return 0, err
		}
		path = f.Path
		f.DecRef()
	case path == "":
		return 0, unix.ENOENT
	case path[0] != '/':
		base, err := dirBase(t, dirfd)
		if err != nil {
			return 0, err
		}
		if base != "/" {
			path = base + "/" + path
		} else {
			path = "/" + path
		}
	}
	if flags&unix.AT_SYMLINK_NOFOLLOW != 0 && isLink(t, path) {
		return 0, unix.ELOOP
	}
	argv, err := t.StringArray(argvAddr)
	if err != nil {
		return 0, err
	}
	if len(argv) == 0 {
		argv = []string{""} // as Linux 5.18+: a program never sees argc 0
	}
	envp, err := t.StringArray(envpAddr)
	if err != nil {
		return 0, err
	}
	if err := t.P.CheckExec(path); err != nil {
		return 0, err
	}
	if err := t.Exec(path, argv, envp); err != nil {
		return 0, err
	}
	return 0, nil
}

// isLink reports whether path names a symbolic link.
func isLink(t *kernel.Task, path string) bool {
	loc, err := t.P.NS.Resolve("/", path, false)
	if err != nil {
		return false
	}
	var st pal.Stat
	return t.P.NS.Stat(loc, &st) == nil && vfs.IsSymlink(st.Mode)
}

// Execve implements execve(2).
func Execve(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return doExecve(t, atFDCWD, a[0], a[1], a[2], 0)
}

// Execveat implements execveat(2).
func Execveat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return doExecve(t, a[0], a[1], a[2], a[3], int(a[4]))
}
