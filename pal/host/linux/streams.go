package linux

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// Streams are host file descriptors. Calls that may block (read, write,
// poll) go through blocking(), which releases the Go scheduler's P and which
// ThreadInterrupt cuts short; the rest use RawSyscall.

func (h *Host) fd(hd pal.Handle) (int, error) {
	if !h.handles.valid(hd) {
		return -1, pal.ErrBadHandle
	}
	return int(hd), nil
}

func bufPtr(p []byte) uintptr {
	if len(p) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&p[0]))
}

func (h *Host) rw(hd pal.Handle, nr uintptr, p []byte, off int64, at bool) (int, error) {
	fd, err := h.fd(hd)
	if err != nil {
		return 0, err
	}
	r, err := blocking(nr, uintptr(fd), bufPtr(p), uintptr(len(p)), uintptr(off), 0, 0)
	return int(r), err
}

// StreamRead reads at the stream's position.
func (h *Host) StreamRead(hd pal.Handle, p []byte) (int, error) {
	return h.rw(hd, unix.SYS_READ, p, 0, false)
}

// StreamWrite writes at the stream's position.
func (h *Host) StreamWrite(hd pal.Handle, p []byte) (int, error) {
	return h.rw(hd, unix.SYS_WRITE, p, 0, false)
}

// StreamPread reads at off.
func (h *Host) StreamPread(hd pal.Handle, p []byte, off int64) (int, error) {
	return h.rw(hd, unix.SYS_PREAD64, p, off, true)
}

// StreamPwrite writes at off.
func (h *Host) StreamPwrite(hd pal.Handle, p []byte, off int64) (int, error) {
	return h.rw(hd, unix.SYS_PWRITE64, p, off, true)
}

// StreamSeek moves the stream's position.
func (h *Host) StreamSeek(hd pal.Handle, off int64, whence int) (int64, error) {
	fd, err := h.fd(hd)
	if err != nil {
		return 0, err
	}
	r, _, e := unix.RawSyscall(unix.SYS_LSEEK, uintptr(fd), uintptr(off), uintptr(whence))
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int64(r), nil
}

// StreamStat describes the open stream.
func (h *Host) StreamStat(hd pal.Handle, st *pal.Stat) error {
	fd, err := h.fd(hd)
	if err != nil {
		return err
	}
	var sx unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, statxMask, &sx); err != nil {
		return palErr(err)
	}
	fillStat(st, &sx)
	return nil
}

// StreamReaddir reads directory entries.
func (h *Host) StreamReaddir(hd pal.Handle, p []byte) (int, error) {
	return h.rw(hd, unix.SYS_GETDENTS64, p, 0, false)
}

// StreamTruncate sets a file's length.
func (h *Host) StreamTruncate(hd pal.Handle, size int64) error {
	fd, err := h.fd(hd)
	if err != nil {
		return err
	}
	return palErr(unix.Ftruncate(fd, size))
}

// StreamSync flushes a file.
func (h *Host) StreamSync(hd pal.Handle, dataOnly bool) error {
	fd, err := h.fd(hd)
	if err != nil {
		return err
	}
	if dataOnly {
		return palErr(unix.Fdatasync(fd))
	}
	return palErr(unix.Fsync(fd))
}

// StreamAllocate preallocates file space.
func (h *Host) StreamAllocate(hd pal.Handle, mode uint32, off, size int64) error {
	fd, err := h.fd(hd)
	if err != nil {
		return err
	}
	return palErr(unix.Fallocate(fd, mode, off, size))
}

// StreamAdvise passes a posix_fadvise hint.
func (h *Host) StreamAdvise(hd pal.Handle, off, size int64, advice int) error {
	fd, err := h.fd(hd)
	if err != nil {
		return err
	}
	return palErr(unix.Fadvise(fd, off, size, advice))
}

// StreamChmod changes an open file's mode.
func (h *Host) StreamChmod(hd pal.Handle, mode uint32) error {
	fd, err := h.fd(hd)
	if err != nil {
		return err
	}
	return palErr(unix.Fchmod(fd, mode))
}

// StreamChown changes an open file's owners.
func (h *Host) StreamChown(hd pal.Handle, uid, gid int) error {
	fd, err := h.fd(hd)
	if err != nil {
		return err
	}
	return palErr(unix.Fchownat(fd, "", uid, gid, unix.AT_EMPTY_PATH))
}

// StreamUtimes sets an open file's times.
func (h *Host) StreamUtimes(hd pal.Handle, times *[2]pal.Timespec) error {
	fd, err := h.fd(hd)
	if err != nil {
		return err
	}
	ts := toUnixTimes(times)
	_, _, e := unix.RawSyscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	return errnoErr(e)
}

// StreamSetFlags changes O_APPEND and O_NONBLOCK.
func (h *Host) StreamSetFlags(hd pal.Handle, flags int) error {
	fd, err := h.fd(hd)
	if err != nil {
		return err
	}
	_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags&(unix.O_APPEND|unix.O_NONBLOCK|unix.O_ASYNC|unix.O_DIRECT|unix.O_NOATIME))
	return palErr(err)
}

// terminalRequests are the ioctl requests StreamTerminal passes through.
var terminalRequests = map[uint]bool{
	unix.TCGETS: true, unix.TCSETS: true, unix.TCSETSW: true, unix.TCSETSF: true,
	unix.TIOCGWINSZ: true, unix.TIOCSWINSZ: true, unix.TIOCGPGRP: true, unix.TIOCSPGRP: true,
	0x541b: true, unix.TCFLSH: true, unix.TIOCOUTQ: true, unix.TCXONC: true,
	unix.TCSBRK: true, unix.TIOCGSID: true, unix.TIOCSCTTY: true, unix.TIOCNOTTY: true,
	unix.TIOCGPTN: true, unix.TIOCSPTLCK: true, unix.TCGETS2: true, unix.TCSETS2: true,
	unix.TCSETSW2: true, unix.TCSETSF2: true,
	unix.TCGETA: true, unix.TCSETA: true, unix.TCSETAW: true, unix.TCSETAF: true,
}

// StreamTerminal performs a terminal control request.
func (h *Host) StreamTerminal(hd pal.Handle, req uint, arg uintptr) (int, error) {
	fd, err := h.fd(hd)
	if err != nil {
		return 0, err
	}
	if !terminalRequests[req] {
		return 0, pal.ErrNotTerminal
	}
	r, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), arg)
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(r), nil
}

// StreamWait polls streams; timeout is in nanoseconds, < 0 for none.
func (h *Host) StreamWait(fds []pal.PollFd, timeout int64) (int, error) {
	pfds := make([]unix.PollFd, len(fds))
	for i, f := range fds {
		if !h.handles.valid(f.H) {
			pfds[i] = unix.PollFd{Fd: -1}
			continue
		}
		pfds[i] = unix.PollFd{Fd: int32(f.H), Events: f.Events}
	}
	var ts *unix.Timespec
	if timeout >= 0 {
		t := unix.NsecToTimespec(timeout)
		ts = &t
	}
	var p uintptr
	if len(pfds) > 0 {
		p = uintptr(unsafe.Pointer(&pfds[0]))
	}
	r, err := blocking(unix.SYS_PPOLL, p, uintptr(len(pfds)), uintptr(unsafe.Pointer(ts)), 0, 0, 0)
	if err != nil {
		return 0, err
	}
	for i := range fds {
		fds[i].Revents = pfds[i].Revents
	}
	return int(r), nil
}

// StreamClose releases a handle.
func (h *Host) StreamClose(hd pal.Handle) error {
	fd, err := h.fd(hd)
	if err != nil {
		return err
	}
	h.handles.remove(hd)
	return palErr(unix.Close(fd))
}

// PipeCreate makes an anonymous pipe.
func (h *Host) PipeCreate(flags int) (pal.Handle, pal.Handle, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], flags&(unix.O_NONBLOCK|unix.O_DIRECT)|unix.O_CLOEXEC); err != nil {
		return pal.NoHandle, pal.NoHandle, palErr(err)
	}
	return h.handles.add(p[0]), h.handles.add(p[1]), nil
}

// StdHandles returns duplicates of the host's standard streams, so that a
// guest closing its fd 2 never closes the host's log.
func (h *Host) StdHandles() [3]pal.Handle {
	var out [3]pal.Handle
	for i := range out {
		fd, err := unix.FcntlInt(uintptr(i), unix.F_DUPFD_CLOEXEC, 10)
		if err != nil {
			out[i] = pal.NoHandle
			continue
		}
		out[i] = h.handles.add(fd)
	}
	return out
}

// DeviceOpen opens a host device; only the controlling terminal is offered.
func (h *Host) DeviceOpen(name string, flags int) (pal.Handle, error) {
	if name != "tty" && name != "ptmx" {
		return pal.NoHandle, pal.ErrNotExist
	}
	fd, err := unix.Open("/dev/"+name, flags|unix.O_CLOEXEC, 0)
	if err != nil {
		return pal.NoHandle, palErr(err)
	}
	return h.handles.add(fd), nil
}

// StreamLock places, removes or tests a record lock with fcntl.
func (h *Host) StreamLock(hd pal.Handle, cmd int, l *pal.Lock) error {
	fd, err := h.fd(hd)
	if err != nil {
		return err
	}
	fl := unix.Flock_t{Type: l.Type, Whence: l.Whence, Start: l.Start, Len: l.Len, Pid: l.Pid}
	arg := uintptr(unsafe.Pointer(&fl))
	if cmd == unix.F_SETLKW || cmd == unix.F_OFD_SETLKW {
		_, err = blocking(unix.SYS_FCNTL, uintptr(fd), uintptr(cmd), arg, 0, 0, 0)
	} else {
		_, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), uintptr(cmd), arg)
		err = errnoErr(e)
	}
	*l = pal.Lock{Type: fl.Type, Whence: fl.Whence, Start: fl.Start, Len: fl.Len, Pid: fl.Pid}
	return err
}

// StreamFlock applies flock(2).
func (h *Host) StreamFlock(hd pal.Handle, how int) error {
	fd, err := h.fd(hd)
	if err != nil {
		return err
	}
	if how&unix.LOCK_NB != 0 || how&^unix.LOCK_NB == unix.LOCK_UN {
		_, _, e := unix.Syscall(unix.SYS_FLOCK, uintptr(fd), uintptr(how), 0)
		return errnoErr(e)
	}
	_, err = blocking(unix.SYS_FLOCK, uintptr(fd), uintptr(how), 0, 0, 0, 0)
	return err
}

// StreamControl performs the fcntl requests the LibOS passes through.
func (h *Host) StreamControl(hd pal.Handle, cmd int, arg int) (int, error) {
	switch cmd {
	case unix.F_GETPIPE_SZ, unix.F_SETPIPE_SZ, unix.F_GET_SEALS, unix.F_ADD_SEALS, unix.F_SETLEASE, unix.F_GETLEASE:
	default:
		return 0, pal.ErrNotSupported
	}
	fd, err := h.fd(hd)
	if err != nil {
		return 0, err
	}
	r, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), uintptr(cmd), uintptr(arg))
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(r), nil
}
