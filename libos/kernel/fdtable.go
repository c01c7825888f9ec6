package kernel

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"gophene/libos/vfs"
)

// FDTable maps a process's file descriptors to open files.
type FDTable struct {
	mu  sync.Mutex
	fds []fdEntry
	max int
	// posixLocks is set once the process has taken a POSIX record lock.
	posixLocks atomic.Bool
}

type fdEntry struct {
	f       *vfs.File
	cloexec bool
}

// NewFDTable makes an empty table.
func NewFDTable() *FDTable { return &FDTable{max: 1024} }

// NotePosixLock records that the process has taken a POSIX record lock
// (F_SETLK), from then on every close releases the process's locks on the
// closed file.
func (t *FDTable) NotePosixLock() { t.posixLocks.Store(true) }

// drop releases a descriptor's reference to f. Linux releases a process's
// POSIX locks on a file when any of its descriptors for it is closed, not
// only the last; the host does that only when its own descriptor closes,
// which a file still held by another descriptor (dup) keeps open.
func (t *FDTable) drop(f *vfs.File) error {
	if t.posixLocks.Load() {
		f.ReleasePosixLocks()
	}
	return f.DecRef()
}

// SetMax sets RLIMIT_NOFILE.
func (t *FDTable) SetMax(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.max = n
}

// Get returns the file for fd with a new reference; release it with DecRef.
func (t *FDTable) Get(fd int) (*vfs.File, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd < 0 || fd >= len(t.fds) || t.fds[fd].f == nil {
		return nil, unix.EBADF
	}
	f := t.fds[fd].f
	f.IncRef()
	return f, nil
}

// Install puts f at the lowest free fd >= min; the table takes over the
// caller's reference.
func (t *FDTable) Install(f *vfs.File, min int, cloexec bool) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if min < 0 {
		return -1, unix.EINVAL
	}
	for fd := min; fd < t.max; fd++ {
		if fd >= len(t.fds) {
			t.grow(fd + 1)
		}
		if t.fds[fd].f == nil {
			t.fds[fd] = fdEntry{f, cloexec}
			return fd, nil
		}
	}
	if min >= t.max {
		return -1, unix.EINVAL
	}
	return -1, unix.EMFILE
}

func (t *FDTable) grow(n int) {
	if n <= len(t.fds) {
		return
	}
	c := max(n, 2*len(t.fds), 16)
	nf := make([]fdEntry, n, c)
	copy(nf, t.fds)
	t.fds = nf
}

// InstallAt puts f at fd (dup2), closing what was there. The table takes
// over the caller's reference.
func (t *FDTable) InstallAt(fd int, f *vfs.File, cloexec bool) error {
	t.mu.Lock()
	if fd < 0 || fd >= t.max {
		t.mu.Unlock()
		return unix.EBADF
	}
	t.grow(fd + 1)
	old := t.fds[fd].f
	t.fds[fd] = fdEntry{f, cloexec}
	t.mu.Unlock()
	if old != nil {
		t.drop(old)
	}
	return nil
}

// Close removes fd.
func (t *FDTable) Close(fd int) error {
	t.mu.Lock()
	if fd < 0 || fd >= len(t.fds) || t.fds[fd].f == nil {
		t.mu.Unlock()
		return unix.EBADF
	}
	f := t.fds[fd].f
	t.fds[fd] = fdEntry{}
	t.mu.Unlock()
	return t.drop(f)
}

// Cloexec reports fd's close-on-exec flag.
func (t *FDTable) Cloexec(fd int) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd < 0 || fd >= len(t.fds) || t.fds[fd].f == nil {
		return false, unix.EBADF
	}
	return t.fds[fd].cloexec, nil
}

// SetCloexec sets fd's close-on-exec flag.
func (t *FDTable) SetCloexec(fd int, on bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd < 0 || fd >= len(t.fds) || t.fds[fd].f == nil {
		return unix.EBADF
	}
	t.fds[fd].cloexec = on
	return nil
}

// CloseOnExec closes every close-on-exec descriptor.
func (t *FDTable) CloseOnExec() {
	t.mu.Lock()
	var drop []*vfs.File
	for i := range t.fds {
		if t.fds[i].f != nil && t.fds[i].cloexec {
			drop = append(drop, t.fds[i].f)
			t.fds[i] = fdEntry{}
		}
	}
	t.mu.Unlock()
	for _, f := range drop {
		t.drop(f)
	}
}

// CloseRange closes [first, last], or marks them close-on-exec.
func (t *FDTable) CloseRange(first, last int, cloexec bool) {
	t.mu.Lock()
	var drop []*vfs.File
	for fd := first; fd <= last && fd < len(t.fds); fd++ {
		if t.fds[fd].f == nil {
			continue
		}
		if cloexec {
			t.fds[fd].cloexec = true
		} else {
			drop = append(drop, t.fds[fd].f)
			t.fds[fd] = fdEntry{}
		}
	}
	t.mu.Unlock()
	for _, f := range drop {
		t.drop(f)
	}
}

// Each calls fn for every open fd, in order.
func (t *FDTable) Each(fn func(fd int, f *vfs.File)) {
	t.mu.Lock()
	type pair struct {
		fd int
		f  *vfs.File
	}
	var ps []pair
	for i, e := range t.fds {
		if e.f != nil {
			e.f.IncRef()
			ps = append(ps, pair{i, e.f})
		}
	}
	t.mu.Unlock()
	for _, p := range ps {
		fn(p.fd, p.f)
		p.f.DecRef()
	}
}
