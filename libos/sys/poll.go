package sys

// Implementation of poll, ppoll, select and pselect6. Files backed by host
// streams are polled by the host; other files (pseudo files, devices) are
// always ready, as regular files are on Linux.

import (
	"encoding/binary"
	"time"

	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/vfs"
	"gophene/pal"
)

// pollFds polls fds (events in, revents out) for up to timeout ns (< 0:
// forever) and returns how many have events.
func pollFds(t *kernel.Task, fds []unix.PollFd, timeout int64) (int, error) {
	host := make([]pal.PollFd, 0, len(fds))
	index := make([]int, 0, len(fds))
	files := make([]*vfs.File, 0, len(fds))
	defer func() {
		for _, f := range files {
			f.DecRef()
		}
	}()
	ready := 0
	for i := range fds {
		fds[i].Revents = 0
		if fds[i].Fd < 0 {
			continue
		}
		f, err := t.P.FDs.Get(int(fds[i].Fd))
		if err != nil {
			fds[i].Revents = unix.POLLNVAL
			ready++
			continue
		}
		files = append(files, f)
		if h := f.Impl.Handle(); h != pal.NoHandle && !f.IsPath() {
			host = append(host, pal.PollFd{H: h, Events: fds[i].Events})
			index = append(index, i)
			continue
		}
		if ev := fds[i].Events & (unix.POLLIN | unix.POLLOUT | pollRdnorm | pollWrnorm); ev != 0 {
			fds[i].Revents = ev
			ready++
		}
	}
	if ready > 0 {
		timeout = 0
	}
	if len(host) == 0 {
		if ready == 0 && timeout != 0 {
			if timeout < 0 {
				waitForSignal(t, time.Time{})
				return 0, kernel.ErrRestartNoHand
			}
			cut, err := sleepUntil(t, unix.CLOCK_MONOTONIC, addNow(t, unix.CLOCK_MONOTONIC, pal.Timespec{Nsec: timeout}))
			if cut {
				return 0, kernel.ErrRestartNoHand
			}
			return 0, err
		}
		return ready, nil
	}
	deadline := time.Now().Add(time.Duration(timeout))
	for {
		_, err := t.P.Host.StreamWait(host, timeout)
		if err != pal.ErrInterrupted {
			if err != nil {
				return 0, mapErr(err)
			}
			break
		}
		if t.SignalPending() {
			return 0, kernel.ErrRestartNoHand
		}
		if timeout > 0 {
			timeout = max(int64(time.Until(deadline)), 0)
		}
	}
	for j, h := range host {
		if h.Revents != 0 {
			fds[index[j]].Revents = h.Revents
			ready++
		}
	}
	return ready, nil
}

func doPoll(t *kernel.Task, addr uintptr, n uintptr, timeout int64) (uintptr, error) {
	if n > uintptr(t.P.Rlimit(unix.RLIMIT_NOFILE).Cur) {
		return 0, unix.EINVAL
	}
	fds := make([]unix.PollFd, n)
	raw := make([]byte, 8*n)
	if err := t.CopyIn(addr, raw); err != nil {
		return 0, err
	}
	for i := range fds {
		fds[i] = unix.PollFd{Fd: int32(binary.LittleEndian.Uint32(raw[8*i:])), Events: int16(binary.LittleEndian.Uint16(raw[8*i+4:]))}
	}
	r, err := pollFds(t, fds, timeout)
	if err != nil {
		return 0, err
	}
	for i := range fds {
		binary.LittleEndian.PutUint16(raw[8*i+6:], uint16(fds[i].Revents))
	}
	return uintptr(r), t.CopyOut(addr, raw)
}

// Poll implements poll(2).
func Poll(t *kernel.Task, a kernel.Args) (uintptr, error) {
	ms := int64(int32(a[2]))
	timeout := int64(-1)
	if ms >= 0 {
		timeout = ms * 1e6
	}
	return doPoll(t, a[0], a[1], timeout)
}

// withMask runs a wait with the signal mask at maskAddr (if any) in force;
// the old mask comes back when the call returns, or when the handler of the
// signal that ended the wait returns.
func withMask(t *kernel.Task, maskAddr, size uintptr, wait func() (uintptr, error)) (uintptr, error) {
	if maskAddr == 0 {
		return wait()
	}
	if size != 8 {
		return 0, unix.EINVAL
	}
	var mask uint64
	if err := kernel.CopyInObj(t, maskAddr, &mask); err != nil {
		return 0, err
	}
	t.SetSavedMask(mask)
	r, err := wait()
	if err != kernel.ErrRestartNoHand && err != unix.EINTR {
		t.RestoreSavedMask()
	}
	return r, err
}

// Ppoll implements ppoll(2).
func Ppoll(t *kernel.Task, a kernel.Args) (uintptr, error) {
	timeout := int64(-1)
	if a[2] != 0 {
		ts, err := getTimespec(t, a[2])
		if err != nil {
			return 0, err
		}
		timeout = ts.Nano()
	}
	return withMask(t, a[3], a[4], func() (uintptr, error) { return doPoll(t, a[0], a[1], timeout) })
}

// doSelect implements select over fd_set bitmaps.
func doSelect(t *kernel.Task, n int, rAddr, wAddr, eAddr uintptr, timeout int64) (uintptr, error) {
	if n < 0 || n > 1<<20 {
		return 0, unix.EINVAL
	}
	words := (n + 63) / 64
	sets := [3][]uint64{}
	for i, addr := range []uintptr{rAddr, wAddr, eAddr} {
		if addr == 0 {
			continue
		}
		sets[i] = make([]uint64, words)
		raw := make([]byte, 8*words)
		if err := t.CopyIn(addr, raw); err != nil {
			return 0, err
		}
		for w := range sets[i] {
			sets[i][w] = binary.LittleEndian.Uint64(raw[8*w:])
		}
	}
	var fds []unix.PollFd
	for fd := 0; fd < n; fd++ {
		var ev int16
		bit := uint64(1) << (fd % 64)
		if sets[0] != nil && sets[0][fd/64]&bit != 0 {
			ev |= unix.POLLIN
		}
		if sets[1] != nil && sets[1][fd/64]&bit != 0 {
			ev |= unix.POLLOUT
		}
		if sets[2] != nil && sets[2][fd/64]&bit != 0 {
			ev |= unix.POLLPRI
		}
		if ev != 0 {
			fds = append(fds, unix.PollFd{Fd: int32(fd), Events: ev})
		}
	}
	if _, err := pollFds(t, fds, timeout); err != nil {
		return 0, err
	}
	for _, s := range sets {
		clear(s)
	}
	count := 0
	for _, p := range fds {
		if p.Revents&unix.POLLNVAL != 0 {
			return 0, unix.EBADF
		}
		fd := int(p.Fd)
		bit := uint64(1) << (fd % 64)
		mark := func(i int, on bool) {
			if on && sets[i] != nil {
				sets[i][fd/64] |= bit
				count++
			}
		}
		mark(0, p.Events&unix.POLLIN != 0 && p.Revents&(unix.POLLIN|unix.POLLHUP|unix.POLLERR) != 0)
		mark(1, p.Events&unix.POLLOUT != 0 && p.Revents&(unix.POLLOUT|unix.POLLERR) != 0)
		mark(2, p.Events&unix.POLLPRI != 0 && p.Revents&unix.POLLPRI != 0)
	}
	for i, addr := range []uintptr{rAddr, wAddr, eAddr} {
		if addr == 0 {
			continue
		}
		raw := make([]byte, 8*words)
		for w, v := range sets[i] {
			binary.LittleEndian.PutUint64(raw[8*w:], v)
		}
		if err := t.CopyOut(addr, raw); err != nil {
			return 0, err
		}
	}
	return uintptr(count), nil
}

// Select implements select(2).
func Select(t *kernel.Task, a kernel.Args) (uintptr, error) {
	timeout := int64(-1)
	if a[4] != 0 {
		var tv unix.Timeval
		if err := kernel.CopyInObj(t, a[4], &tv); err != nil {
			return 0, err
		}
		if tv.Sec < 0 || tv.Usec < 0 || tv.Usec >= 1e6 {
			return 0, unix.EINVAL
		}
		timeout = tv.Sec*1e9 + tv.Usec*1e3
	}
	return doSelect(t, int(int32(a[0])), a[1], a[2], a[3], timeout)
}

// Pselect6 implements pselect6(2); its sixth argument points at
// {sigset pointer, size}.
func Pselect6(t *kernel.Task, a kernel.Args) (uintptr, error) {
	timeout := int64(-1)
	if a[4] != 0 {
		ts, err := getTimespec(t, a[4])
		if err != nil {
			return 0, err
		}
		timeout = ts.Nano()
	}
	var ms [2]uint64
	if a[5] != 0 {
		if err := kernel.CopyInObj(t, a[5], &ms); err != nil {
			return 0, err
		}
	}
	return withMask(t, uintptr(ms[0]), uintptr(ms[1]), func() (uintptr, error) {
		return doSelect(t, int(int32(a[0])), a[1], a[2], a[3], timeout)
	})
}

// poll event bits x/sys/unix does not name.
const (
	pollRdnorm = 0x40
	pollWrnorm = 0x100
)
