package sys

// Implementation of pidfd_open, pidfd_send_signal, pidfd_getfd, CLONE_PIDFD
// and waitid(P_PIDFD). A pidfd names a process by its guest pid; it is
// readable once the process has ended, through a host event stream that
// the LibOS fires when the leader reports the end (kernel.WatchPid).
// A guest process's pid is never reused while a pidfd could name it
// with a different meaning: pids are not recycled before they wrap.

import (
	"encoding/binary"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/vfs"
	"gophene/pal"
)

const (
	pidfdNonblock = unix.O_NONBLOCK
	pidfdThread   = unix.O_EXCL
	pidfdName     = "anon_inode:[pidfd]"
	pPidfd        = 3 // waitid's P_PIDFD
)

// pidFile is an open pidfd.
type pidFile struct {
	vfs.BaseFile
	pid int
	w   *kernel.PidWatch
}

func (f *pidFile) Handle() pal.Handle { return f.w.H }

func (f *pidFile) Close() error {
	f.w.Close()
	return nil
}

func (f *pidFile) Stat(st *pal.Stat) error {
	*st = pal.Stat{Mode: unix.S_IFREG | 0o600, Blksize: 4096}
	return nil
}

// SaveState hands the pid to a child process (RestoreProcessFile).
func (f *pidFile) SaveState() []byte { return binary.LittleEndian.AppendUint64(nil, uint64(f.pid)) }

// openPidfd makes a pidfd for process pid and installs it.
func openPidfd(t *kernel.Task, pid int, flags int) (int, error) {
	w, err := t.P.WatchPid(pid)
	if err != nil {
		return 0, err
	}
	f := vfs.NewFile(&pidFile{pid: pid, w: w}, unix.O_RDWR|flags&pidfdNonblock, pidfdName, nil)
	fd, err := t.P.FDs.Install(f, 0, true)
	if err != nil {
		f.DecRef()
		return 0, err
	}
	return fd, nil
}

// PidfdOpen implements pidfd_open(2).
func PidfdOpen(t *kernel.Task, a kernel.Args) (uintptr, error) {
	pid, flags := int(int32(a[0])), int(a[1])
	if flags&^(pidfdNonblock|pidfdThread) != 0 || pid <= 0 {
		return 0, unix.EINVAL
	}
	if pid != t.P.Pid {
		// A thread of this process other than its first one is not a
		// process: Linux wants PIDFD_THREAD for it.
		for _, o := range t.P.Tasks() {
			if o.Tid == pid && flags&pidfdThread == 0 {
				return 0, unix.ENOENT
			}
		}
	}
	fd, err := openPidfd(t, pid, flags)
	return uintptr(fd), err
}

// pidfdOf returns the pid a pidfd names (EBADF if fd is not one).
func pidfdOf(t *kernel.Task, fd uintptr) (int, *vfs.File, error) {
	f, err := file(t, fd)
	if err != nil {
		return 0, nil, err
	}
	pf, ok := f.Impl.(*pidFile)
	if !ok {
		f.DecRef()
		return 0, nil, unix.EBADF
	}
	return pf.pid, f, nil
}

// procPidOf returns the pid of a /proc/<pid> directory open as f, which
// pidfd_send_signal takes as a pidfd, or 0.
func procPidOf(f *vfs.File) int {
	if f.Mount == nil || f.Mount.Type != "proc" {
		return 0
	}
	rest, ok := strings.CutPrefix(f.Path, f.Mount.Path+"/")
	if !ok {
		return 0
	}
	pid, err := strconv.Atoi(rest)
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// pidfd_send_signal's flags: whom the signal is for.
const (
	pidfdSignalThread       = 1 << 0
	pidfdSignalThreadGroup  = 1 << 1
	pidfdSignalProcessGroup = 1 << 2
)

// PidfdSendSignal implements pidfd_send_signal(2). The descriptor is a
// pidfd or an open /proc/<pid> directory. PIDFD_SIGNAL_THREAD reaches the
// named thread of the caller's own process; for another process it is
// delivered to the process.
func PidfdSendSignal(t *kernel.Task, a kernel.Args) (uintptr, error) {
	sig, flags := int(int32(a[1])), a[3]
	switch flags {
	case 0, pidfdSignalThread, pidfdSignalThreadGroup, pidfdSignalProcessGroup:
	default:
		return 0, unix.EINVAL
	}
	f, err := file(t, a[0])
	if err != nil {
		return 0, err
	}
	pid := procPidOf(f)
	if pf, ok := f.Impl.(*pidFile); ok {
		pid = pf.pid
	}
	f.DecRef()
	if pid == 0 {
		return 0, unix.EBADF
	}
	if err := checkSig(sig); err != nil {
		return 0, err
	}
	p := t.P
	info := kernel.NewSigInfo(sig, kernel.SiUser).SetSender(p.Pid, p.Creds().Uid)
	if a[2] != 0 {
		var signo int32
		if err := kernel.CopyInObj(t, a[2], &signo); err != nil {
			return 0, err
		}
		if int(signo) != sig {
			return 0, unix.EINVAL
		}
		if info, err = queuedInfo(t, sig, a[2], pid == p.Pid); err != nil {
			return 0, err
		}
	}
	switch {
	case flags == pidfdSignalProcessGroup:
		pgid, _, err := p.IDsOf(pid)
		if err != nil {
			return 0, err
		}
		if pgid == p.Pgid() && sig != 0 {
			p.SignalProcess(info)
		}
		if err := p.Kill(-pgid, info); err != nil && !(err == unix.ESRCH && pgid == p.Pgid()) {
			return 0, err
		}
		return 0, nil
	case flags == pidfdSignalThread && pid != p.Pid:
		if target, err := findTask(t, p.Pid, pid); err == nil {
			return 0, sendTo(t, target, sig, info)
		}
	case pid == p.Pid:
		if sig != 0 {
			p.SignalProcess(info)
		}
		return 0, nil
	}
	return 0, p.Kill(pid, info)
}

// PidfdGetfd implements pidfd_getfd(2): a duplicate of another process's
// descriptor, close-on-exec. The caller needs CAP_SYS_PTRACE or the
// target's uids (Linux's PTRACE_MODE_ATTACH_REALCREDS).
func PidfdGetfd(t *kernel.Task, a kernel.Args) (uintptr, error) {
	pid, pf, err := pidfdOf(t, a[0])
	if err != nil {
		return 0, err
	}
	pf.DecRef()
	if a[2] != 0 {
		return 0, unix.EINVAL
	}
	target := int(int32(a[1]))
	var f *vfs.File
	if pid == t.P.Pid {
		if f, err = t.P.FDs.Get(target); err != nil {
			return 0, err
		}
	} else {
		h, flags, path, id, err := t.P.FetchFile(pid, target)
		if err != nil {
			return 0, err
		}
		f = vfs.NewFile(vfs.NewHostFile(t.P.Host, h), flags, path, nil)
		f.ID = id // the same open file description (kcmp)
	}
	fd, err := t.P.FDs.Install(f, 0, true)
	if err != nil {
		f.DecRef()
		return 0, err
	}
	return uintptr(fd), nil
}

// RestoreProcessFile rebuilds, in a child process, a file whose state
// belongs to the process that holds it (a signalfd, a pidfd); handled is
// false for any other file.
func RestoreProcessFile(p *kernel.Process, path string, state []byte) (impl vfs.FileImpl, handled bool, err error) {
	switch path {
	case "anon_inode:[signalfd]":
		impl, err = RestoreSignalfd(p, state)
		return impl, true, err
	case pidfdName:
		if len(state) != 8 {
			return nil, true, unix.EINVAL
		}
		pid := int(binary.LittleEndian.Uint64(state))
		w, err := p.WatchPid(pid)
		if err == unix.ESRCH {
			w, err = p.WatchEnded(pid)
		}
		if err != nil {
			return nil, true, err
		}
		return &pidFile{pid: pid, w: w}, true, nil
	}
	return nil, false, nil
}
