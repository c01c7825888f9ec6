package linux

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// EventCreate makes a host eventfd.
func (h *Host) EventCreate(initval uint32, flags int) (pal.Handle, error) {
	fd, err := unix.Eventfd(uint(initval), flags&(unix.EFD_NONBLOCK|unix.EFD_SEMAPHORE)|unix.EFD_CLOEXEC)
	if err != nil {
		return pal.NoHandle, palErr(err)
	}
	return h.handles.add(fd), nil
}

// TimerCreate makes a host timerfd.
func (h *Host) TimerCreate(clock int32, flags int) (pal.Handle, error) {
	fd, err := unix.TimerfdCreate(int(clock), flags&unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return pal.NoHandle, palErr(err)
	}
	return h.handles.add(fd), nil
}

func toItimerspec(v *[2]pal.Timespec) unix.ItimerSpec {
	return unix.ItimerSpec{
		Interval: unix.Timespec{Sec: v[0].Sec, Nsec: v[0].Nsec},
		Value:    unix.Timespec{Sec: v[1].Sec, Nsec: v[1].Nsec},
	}
}

func fromItimerspec(s *unix.ItimerSpec, v *[2]pal.Timespec) {
	*v = [2]pal.Timespec{{Sec: s.Interval.Sec, Nsec: s.Interval.Nsec}, {Sec: s.Value.Sec, Nsec: s.Value.Nsec}}
}

// TimerSet arms or disarms a timerfd.
func (h *Host) TimerSet(hd pal.Handle, flags int, value *[2]pal.Timespec, old *[2]pal.Timespec) error {
	fd, err := h.fd(hd)
	if err != nil {
		return err
	}
	nv := toItimerspec(value)
	var ov unix.ItimerSpec
	if err := unix.TimerfdSettime(fd, flags, &nv, &ov); err != nil {
		return palErr(err)
	}
	if old != nil {
		fromItimerspec(&ov, old)
	}
	return nil
}

// TimerGet reads a timerfd's setting.
func (h *Host) TimerGet(hd pal.Handle, cur *[2]pal.Timespec) error {
	fd, err := h.fd(hd)
	if err != nil {
		return err
	}
	var v unix.ItimerSpec
	if err := unix.TimerfdGettime(fd, &v); err != nil {
		return palErr(err)
	}
	fromItimerspec(&v, cur)
	return nil
}

// PollSetCreate makes a host epoll instance.
func (h *Host) PollSetCreate() (pal.Handle, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return pal.NoHandle, palErr(err)
	}
	return h.handles.add(fd), nil
}

// PollSetControl changes an epoll instance.
func (h *Host) PollSetControl(set pal.Handle, op int, hd pal.Handle, events uint32, data uint64) error {
	efd, err := h.fd(set)
	if err != nil {
		return err
	}
	fd, err := h.fd(hd)
	if err != nil {
		return err
	}
	var ev [12]byte
	*(*uint32)(unsafe.Pointer(&ev[0])) = events
	*(*uint64)(unsafe.Pointer(&ev[4])) = data
	_, _, e := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(efd), uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(&ev[0])), 0, 0)
	return errnoErr(e)
}

// PollSetWait waits on an epoll instance.
func (h *Host) PollSetWait(set pal.Handle, buf []byte, timeout int64) (int, error) {
	efd, err := h.fd(set)
	if err != nil {
		return 0, err
	}
	ms := -1
	if timeout >= 0 {
		ms = int((timeout + 999999) / 1000000)
	}
	n, err := blocking(unix.SYS_EPOLL_PWAIT, uintptr(efd), bufPtr(buf), uintptr(len(buf)/12), uintptr(ms), 0, 0)
	return int(n), err
}
