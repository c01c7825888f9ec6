package sys

// Implementation of eventfd, eventfd2, timerfd_create, timerfd_settime,
// timerfd_gettime, epoll_create, epoll_create1, epoll_ctl, epoll_wait,
// epoll_pwait and epoll_pwait2. All of them are host streams (an eventfd,
// a timerfd, an epoll instance), so they work with poll, select and each
// other exactly as on Linux.

import (
	"slices"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/vfs"
	"gophene/pal"
)

// installHost wraps a new host handle as an open file and gives it an fd.
func installHost(t *kernel.Task, h pal.Handle, flags int, name string, cloexec bool) (uintptr, error) {
	f := vfs.NewFile(vfs.NewHostFile(t.P.Host, h), flags, name, nil)
	fd, err := t.P.FDs.Install(f, 0, cloexec)
	if err != nil {
		f.DecRef()
		return 0, err
	}
	return uintptr(fd), nil
}

// Eventfd2 implements eventfd2(2).
func Eventfd2(t *kernel.Task, a kernel.Args) (uintptr, error) {
	flags := int(a[1])
	if flags&^(unix.EFD_CLOEXEC|unix.EFD_NONBLOCK|unix.EFD_SEMAPHORE) != 0 {
		return 0, unix.EINVAL
	}
	h, err := t.P.Host.EventCreate(uint32(a[0]), flags)
	if err != nil {
		return 0, mapErr(err)
	}
	return installHost(t, h, unix.O_RDWR|flags&unix.O_NONBLOCK, "anon_inode:[eventfd]", flags&unix.EFD_CLOEXEC != 0)
}

// Eventfd implements eventfd(2).
func Eventfd(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return Eventfd2(t, kernel.Args{a[0], 0})
}

// TimerfdCreate implements timerfd_create(2).
func TimerfdCreate(t *kernel.Task, a kernel.Args) (uintptr, error) {
	clock, flags := int32(a[0]), int(a[1])
	switch clock {
	case unix.CLOCK_REALTIME, unix.CLOCK_MONOTONIC, unix.CLOCK_BOOTTIME, unix.CLOCK_REALTIME_ALARM, unix.CLOCK_BOOTTIME_ALARM:
	default:
		return 0, unix.EINVAL
	}
	if flags&^(unix.TFD_CLOEXEC|unix.TFD_NONBLOCK) != 0 {
		return 0, unix.EINVAL
	}
	h, err := t.P.Host.TimerCreate(clock, flags)
	if err != nil {
		return 0, mapErr(err)
	}
	return installHost(t, h, unix.O_RDWR|flags&unix.O_NONBLOCK, "anon_inode:[timerfd]", flags&unix.TFD_CLOEXEC != 0)
}

// timerFile returns the host handle of a timerfd.
func timerFile(t *kernel.Task, fd uintptr) (*vfs.File, error) {
	f, err := file(t, fd)
	if err != nil {
		return nil, err
	}
	if f.Path != "anon_inode:[timerfd]" {
		f.DecRef()
		return nil, unix.EINVAL
	}
	return f, nil
}

// readItimerspec reads a struct itimerspec ({interval, value}).
func readItimerspec(t *kernel.Task, addr uintptr) (*[2]pal.Timespec, error) {
	var v [2]pal.Timespec
	for i := range v {
		ts, err := getTimespec(t, addr+uintptr(16*i))
		if err != nil {
			return nil, err
		}
		v[i] = ts
	}
	return &v, nil
}

func putItimerspec(t *kernel.Task, addr uintptr, v *[2]pal.Timespec) error {
	for i := range v {
		if err := putTimespec(t, addr+uintptr(16*i), v[i]); err != nil {
			return err
		}
	}
	return nil
}

// TimerfdSettime implements timerfd_settime(2).
func TimerfdSettime(t *kernel.Task, a kernel.Args) (uintptr, error) {
	f, err := timerFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if a[1]&^uintptr(unix.TFD_TIMER_ABSTIME|unix.TFD_TIMER_CANCEL_ON_SET) != 0 {
		return 0, unix.EINVAL
	}
	v, err := readItimerspec(t, a[2])
	if err != nil {
		return 0, err
	}
	var old [2]pal.Timespec
	if err := t.P.Host.TimerSet(f.Impl.Handle(), int(a[1]), v, &old); err != nil {
		return 0, mapErr(err)
	}
	if a[3] != 0 {
		return 0, putItimerspec(t, a[3], &old)
	}
	return 0, nil
}

// TimerfdGettime implements timerfd_gettime(2).
func TimerfdGettime(t *kernel.Task, a kernel.Args) (uintptr, error) {
	f, err := timerFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	var cur [2]pal.Timespec
	if err := t.P.Host.TimerGet(f.Impl.Handle(), &cur); err != nil {
		return 0, mapErr(err)
	}
	return 0, putItimerspec(t, a[1], &cur)
}

// epollFile is an epoll instance; regs remembers what the guest
// registered in it, for kcmp(KCMP_EPOLL_TFD).
type epollFile struct {
	*vfs.HostFile
	regs *epollRegs
}

// epollRegs are the files registered in an epoll instance by this
// process, each with the descriptor it was added under. Registrations
// inherited from a parent are not known (the host holds them).
type epollRegs struct {
	mu   sync.Mutex
	list []epollReg
}

type epollReg struct {
	fd int
	f  *vfs.File // no reference is held: Released says it was closed
}

// update records a successful epoll_ctl: an ADD or a DEL of f under fd.
func (r *epollRegs) update(op, fd int, f *vfs.File) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prune()
	for i, e := range r.list {
		if e.fd == fd && e.f == f {
			if op == unix.EPOLL_CTL_DEL {
				r.list = append(r.list[:i], r.list[i+1:]...)
			}
			return
		}
	}
	if op == unix.EPOLL_CTL_ADD {
		r.list = append(r.list, epollReg{fd, f})
	}
}

// prune drops the files closed since (their registration ends with them).
func (r *epollRegs) prune() {
	live := r.list[:0]
	for _, e := range r.list {
		if !e.f.Released() {
			live = append(live, e)
		}
	}
	r.list = live
}

// target is the file registered under fd, the toff-th of them in the order
// of their IDs (Linux orders them by address).
func (r *epollRegs) target(fd, toff int) (uint64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prune()
	var ids []uint64
	for _, e := range r.list {
		if e.fd == fd {
			ids = append(ids, e.f.ID)
		}
	}
	if toff >= len(ids) {
		return 0, unix.ENOENT
	}
	slices.Sort(ids)
	return ids[toff], nil
}

func newEpollFile(host pal.Host, h pal.Handle) epollFile {
	return epollFile{vfs.NewHostFile(host, h), &epollRegs{}}
}

// EpollCreate1 implements epoll_create1(2).
func EpollCreate1(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if a[0]&^unix.EPOLL_CLOEXEC != 0 {
		return 0, unix.EINVAL
	}
	h, err := t.P.Host.PollSetCreate()
	if err != nil {
		return 0, mapErr(err)
	}
	f := vfs.NewFile(newEpollFile(t.P.Host, h), unix.O_RDWR, "anon_inode:[eventpoll]", nil)
	fd, err := t.P.FDs.Install(f, 0, a[0]&unix.EPOLL_CLOEXEC != 0)
	if err != nil {
		f.DecRef()
		return 0, err
	}
	return uintptr(fd), nil
}

// EpollCreate implements epoll_create(2).
func EpollCreate(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if int32(a[0]) <= 0 {
		return 0, unix.EINVAL
	}
	return EpollCreate1(t, kernel.Args{})
}

func epollOf(t *kernel.Task, fd uintptr) (*vfs.File, error) {
	f, err := file(t, fd)
	if err != nil {
		return nil, err
	}
	if _, ok := f.Impl.(epollFile); !ok {
		f.DecRef()
		return nil, unix.EINVAL
	}
	return f, nil
}

// EpollCtl implements epoll_ctl(2).
func EpollCtl(t *kernel.Task, a kernel.Args) (uintptr, error) {
	ep, err := epollOf(t, a[0])
	if err != nil {
		return 0, err
	}
	defer ep.DecRef()
	f, err := file(t, a[2])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if f.IsPath() {
		return 0, unix.EBADF // an O_PATH descriptor is not open for I/O
	}
	if f == ep {
		return 0, unix.EINVAL
	}
	h := f.Impl.Handle()
	if h == pal.NoHandle {
		return 0, unix.EPERM // like a regular file on Linux
	}
	op := int(a[1])
	var ev [12]byte
	if op != unix.EPOLL_CTL_DEL {
		if err := t.CopyIn(a[3], ev[:]); err != nil {
			return 0, err
		}
	}
	events := uint32(ev[0]) | uint32(ev[1])<<8 | uint32(ev[2])<<16 | uint32(ev[3])<<24
	var data uint64
	for i := 0; i < 8; i++ {
		data |= uint64(ev[4+i]) << (8 * i)
	}
	if err := t.P.Host.PollSetControl(ep.Impl.Handle(), op, h, events, data); err != nil {
		return 0, mapErr(err)
	}
	ep.Impl.(epollFile).regs.update(op, int(int32(a[2])), f)
	return 0, nil
}

// epollWait waits for events; timeout in nanoseconds (< 0: forever).
func epollWait(t *kernel.Task, epfd, addr, max uintptr, timeout int64) (uintptr, error) {
	if int32(max) <= 0 || max > (1<<31-1)/12 {
		return 0, unix.EINVAL
	}
	ep, err := epollOf(t, epfd)
	if err != nil {
		return 0, err
	}
	defer ep.DecRef()
	buf, err := t.GuestBytes(addr, 12*max, true)
	if err != nil {
		return 0, err
	}
	deadline := time.Now().Add(time.Duration(timeout))
	for {
		n, err := t.P.Host.PollSetWait(ep.Impl.Handle(), buf, timeout)
		if err != pal.ErrInterrupted {
			return uintptr(n), mapErr(err)
		}
		if t.SignalPending() {
			return 0, unix.EINTR // epoll_wait is never restarted
		}
		if timeout > 0 {
			timeout = max64(int64(time.Until(deadline)), 0)
		}
	}
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func msTimeout(ms uintptr) int64 {
	if int32(ms) < 0 {
		return -1
	}
	return int64(int32(ms)) * 1e6
}

// EpollWait implements epoll_wait(2).
func EpollWait(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return epollWait(t, a[0], a[1], a[2], msTimeout(a[3]))
}

// EpollPwait implements epoll_pwait(2).
func EpollPwait(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return withMask(t, a[4], a[5], func() (uintptr, error) { return epollWait(t, a[0], a[1], a[2], msTimeout(a[3])) })
}

// EpollPwait2 implements epoll_pwait2(2): the timeout is a timespec.
func EpollPwait2(t *kernel.Task, a kernel.Args) (uintptr, error) {
	timeout := int64(-1)
	if a[3] != 0 {
		ts, err := getTimespec(t, a[3])
		if err != nil {
			return 0, err
		}
		timeout = ts.Nano()
	}
	return withMask(t, a[4], a[5], func() (uintptr, error) { return epollWait(t, a[0], a[1], a[2], timeout) })
}

func init() {
	kernel.EpollTargetID = func(p *kernel.Process, efd, tfd, toff int) (uint64, error) {
		f, err := p.FDs.Get(efd)
		if err != nil {
			return 0, unix.EBADF
		}
		defer f.DecRef()
		ep, ok := f.Impl.(epollFile)
		if !ok {
			return 0, unix.EINVAL
		}
		return ep.regs.target(tfd, toff)
	}
	vfs.RegisterRestorer("anon_inode:[eventpoll]", func(host pal.Host, h pal.Handle, _ []byte, _ int) (vfs.FileImpl, error) {
		return newEpollFile(host, h), nil
	})
}
