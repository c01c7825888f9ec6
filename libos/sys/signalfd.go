package sys

// Implementation of signalfd and signalfd4. A signalfd is LibOS state (the
// signals are); a host eventfd stands beside it as its readiness
// indicator, non-zero while a signal of its mask is pending, so that poll,
// select and epoll see it like any other stream.

import (
	"encoding/binary"
	"sync"

	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/vfs"
	"gophene/pal"
)

// signalFile is an open signalfd.
type signalFile struct {
	vfs.BaseFile
	host  pal.Host
	p     *kernel.Process
	owner *kernel.Task // nil: the process's first thread
	ev    pal.Handle

	mu    sync.Mutex
	mask  uint64
	ready bool
}

// signalFiles are the live signalfds of each process.
type signalFiles struct {
	mu    sync.Mutex
	files map[*signalFile]bool
}

var sfByProcess sync.Map // *kernel.Process → *signalFiles

func signalFilesOf(p *kernel.Process) *signalFiles {
	if v, ok := sfByProcess.Load(p); ok {
		return v.(*signalFiles)
	}
	set := &signalFiles{files: map[*signalFile]bool{}}
	if v, loaded := sfByProcess.LoadOrStore(p, set); loaded {
		return v.(*signalFiles)
	}
	p.OnSignal = set.update
	return set
}

// update brings every indicator in line with the pending signals.
func (s *signalFiles) update() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for f := range s.files {
		f.update()
	}
}

func (f *signalFile) update() {
	f.mu.Lock()
	defer f.mu.Unlock()
	owner := f.owner
	if owner == nil {
		if ts := f.p.Tasks(); len(ts) > 0 {
			owner = ts[0]
		}
	}
	ready := false
	if owner != nil {
		ready = owner.Pending()&f.mask != 0
	}
	if ready == f.ready {
		return
	}
	var b [8]byte
	if ready {
		binary.LittleEndian.PutUint64(b[:], 1)
		f.host.StreamWrite(f.ev, b[:])
	} else {
		f.host.StreamRead(f.ev, b[:])
	}
	f.ready = ready
}

func (f *signalFile) Stat(st *pal.Stat) error {
	*st = pal.Stat{Mode: 0o600, Nlink: 1, Blksize: 4096}
	return nil
}

func (f *signalFile) Handle() pal.Handle { return f.ev }

func (f *signalFile) Close() error {
	if v, ok := sfByProcess.Load(f.p); ok {
		s := v.(*signalFiles)
		s.mu.Lock()
		delete(s.files, f)
		s.mu.Unlock()
	}
	return vfs.Errno(f.host.StreamClose(f.ev))
}

// signalfdSiginfo is struct signalfd_siginfo (128 bytes).
func signalfdSiginfo(info *kernel.SigInfo) []byte {
	b := make([]byte, 128)
	le := binary.LittleEndian
	le.PutUint32(b[0:], uint32(info.Signo))
	le.PutUint32(b[4:], uint32(info.Errno))
	le.PutUint32(b[8:], uint32(info.Code))
	fl := info.Fields[:]
	switch {
	case info.Code == kernel.SiTimer:
		le.PutUint32(b[24:], le.Uint32(fl[0:])) // ssi_tid: the timer id
		le.PutUint32(b[32:], le.Uint32(fl[4:])) // ssi_overrun
		le.PutUint32(b[44:], le.Uint32(fl[8:])) // ssi_int
		le.PutUint64(b[48:], le.Uint64(fl[8:])) // ssi_ptr
	case info.Signo == int32(unix.SIGSEGV) || info.Signo == int32(unix.SIGBUS) ||
		info.Signo == int32(unix.SIGILL) || info.Signo == int32(unix.SIGFPE) || info.Signo == int32(unix.SIGTRAP):
		if info.Code > 0 {
			le.PutUint64(b[72:], le.Uint64(fl[0:])) // ssi_addr
			break
		}
		fallthrough
	default:
		le.PutUint32(b[12:], le.Uint32(fl[0:])) // ssi_pid
		le.PutUint32(b[16:], le.Uint32(fl[4:])) // ssi_uid
		if info.Signo == int32(unix.SIGCHLD) {
			le.PutUint32(b[40:], le.Uint32(fl[8:])) // ssi_status
			le.PutUint64(b[56:], le.Uint64(fl[16:]))
			le.PutUint64(b[64:], le.Uint64(fl[24:]))
		} else {
			le.PutUint32(b[44:], le.Uint32(fl[8:])) // ssi_int
			le.PutUint64(b[48:], le.Uint64(fl[8:])) // ssi_ptr
		}
	}
	return b
}

// ReadTask reads pending signals of the mask for the reading thread.
func (f *signalFile) ReadTask(t *kernel.Task, p []byte, nonblock bool) (int, error) {
	if len(p) < 128 {
		return 0, unix.EINVAL
	}
	n := 0
	for {
		f.mu.Lock()
		mask := f.mask
		f.mu.Unlock()
		for n+128 <= len(p) {
			info, ok := t.TakeSignal(mask)
			if !ok {
				break
			}
			copy(p[n:], signalfdSiginfo(&info))
			n += 128
		}
		if n > 0 {
			return n, nil
		}
		if nonblock {
			return 0, unix.EAGAIN
		}
		fds := []pal.PollFd{{H: f.ev, Events: unix.POLLIN}}
		if _, err := f.host.StreamWait(fds, -1); err == pal.ErrInterrupted && t.SignalPending() {
			return 0, kernel.ErrRestartSys
		}
	}
}

// taskReader is a file whose reads depend on the reading thread.
type taskReader interface {
	ReadTask(t *kernel.Task, p []byte, nonblock bool) (int, error)
}

func doSignalfd(t *kernel.Task, fd int, maskAddr, size uintptr, flags int) (uintptr, error) {
	if size != 8 || flags&^(unix.SFD_CLOEXEC|unix.SFD_NONBLOCK) != 0 {
		return 0, unix.EINVAL
	}
	var mask uint64
	if err := kernel.CopyInObj(t, maskAddr, &mask); err != nil {
		return 0, err
	}
	mask &^= unblockable
	set := signalFilesOf(t.P)
	if fd != -1 {
		f, err := t.P.FDs.Get(fd)
		if err != nil {
			return 0, err
		}
		defer f.DecRef()
		sf, ok := f.Impl.(*signalFile)
		if !ok {
			return 0, unix.EINVAL
		}
		sf.mu.Lock()
		sf.mask = mask
		sf.mu.Unlock()
		sf.update()
		return uintptr(fd), nil
	}
	ev, err := t.P.Host.EventCreate(0, unix.EFD_NONBLOCK)
	if err != nil {
		return 0, mapErr(err)
	}
	sf := &signalFile{host: t.P.Host, p: t.P, owner: t, ev: ev, mask: mask}
	set.mu.Lock()
	set.files[sf] = true
	set.mu.Unlock()
	sf.update()
	file := vfs.NewFile(sf, unix.O_RDWR|flags&unix.O_NONBLOCK, "anon_inode:[signalfd]", nil)
	nfd, err := t.P.FDs.Install(file, 0, flags&unix.SFD_CLOEXEC != 0)
	if err != nil {
		file.DecRef()
		return 0, err
	}
	return uintptr(nfd), nil
}

// Signalfd4 implements signalfd4(2).
func Signalfd4(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return doSignalfd(t, int(int32(a[0])), a[1], a[2], int(a[3]))
}

// Signalfd implements signalfd(2).
func Signalfd(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return doSignalfd(t, int(int32(a[0])), a[1], a[2], 0)
}

// SaveState hands the mask to a child process.
func (f *signalFile) SaveState() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return binary.LittleEndian.AppendUint64(nil, f.mask)
}

// RestoreSignalfd rebuilds a signalfd in a child process; until its
// first thread exists it watches only process-directed signals.
func RestoreSignalfd(p *kernel.Process, state []byte) (vfs.FileImpl, error) {
	if len(state) != 8 {
		return nil, unix.EINVAL
	}
	ev, err := p.Host.EventCreate(0, unix.EFD_NONBLOCK)
	if err != nil {
		return nil, mapErr(err)
	}
	sf := &signalFile{host: p.Host, p: p, ev: ev, mask: binary.LittleEndian.Uint64(state)}
	set := signalFilesOf(p)
	set.mu.Lock()
	set.files[sf] = true
	set.mu.Unlock()
	sf.update()
	return sf, nil
}
