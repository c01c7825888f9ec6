package linux

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// ClockGet reads a host clock.
func (h *Host) ClockGet(clock int32, ts *pal.Timespec) error {
	var t unix.Timespec
	_, _, e := unix.RawSyscall(unix.SYS_CLOCK_GETTIME, uintptr(clock), uintptr(unsafe.Pointer(&t)), 0)
	if e != 0 {
		return errnoErr(e)
	}
	*ts = pal.Timespec{Sec: t.Sec, Nsec: t.Nsec}
	switch clock {
	case unix.CLOCK_PROCESS_CPUTIME_ID:
		*ts = pal.TimespecOf(ts.Nano() - h.cpuBase.clock)
	case unix.CLOCK_THREAD_CPUTIME_ID:
		if cb := runningCB(); cb != nil {
			*ts = pal.TimespecOf(ts.Nano() - cb.cpuBase)
		}
	}
	return nil
}

// ClockResolution reads a clock's resolution.
func (h *Host) ClockResolution(clock int32, ts *pal.Timespec) error {
	var t unix.Timespec
	_, _, e := unix.RawSyscall(unix.SYS_CLOCK_GETRES, uintptr(clock), uintptr(unsafe.Pointer(&t)), 0)
	if e != 0 {
		return errnoErr(e)
	}
	*ts = pal.Timespec{Sec: t.Sec, Nsec: t.Nsec}
	return nil
}

// RandomRead fills p from the kernel's random source.
func (h *Host) RandomRead(p []byte) error {
	// The system call itself: x/sys/unix would go through the runtime's
	// pointer to the vDSO's getrandom, which vdso.go cannot update.
	for len(p) > 0 {
		n, _, e := unix.Syscall(unix.SYS_GETRANDOM, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), 0)
		if e != 0 && e != unix.EINTR {
			return palErr(e)
		}
		if e == 0 {
			p = p[n:]
		}
	}
	return nil
}

// ProcessExit ends the host process; the first gophene process first ends
// and reaps every other (see stopZygote).
func (h *Host) ProcessExit(code int) {
	h.stopZygote()
	h.removeTmpBase()
	unix.Exit(code)
}

// DebugLog writes a log line to the host's standard error.
func (h *Host) DebugLog(msg []byte) {
	for len(msg) > 0 {
		n, err := unix.Write(2, msg)
		if err != nil && err != unix.EINTR {
			return
		}
		if n > 0 {
			msg = msg[n:]
		}
	}
}

// hostCaps reads this process's capability sets: effective, permitted,
// inheritable, bounding and ambient.
func hostCaps() (sets [5]uint64) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if unix.Capget(&hdr, &data[0]) == nil {
		for i, d := range data {
			sets[0] |= uint64(d.Effective) << (32 * i)
			sets[1] |= uint64(d.Permitted) << (32 * i)
			sets[2] |= uint64(d.Inheritable) << (32 * i)
		}
	}
	for c := uintptr(0); c < 64; c++ {
		r, _, e := unix.RawSyscall6(unix.SYS_PRCTL, unix.PR_CAPBSET_READ, c, 0, 0, 0, 0)
		if e != 0 {
			break
		}
		if r == 1 {
			sets[3] |= 1 << c
		}
		r, _, e = unix.RawSyscall6(unix.SYS_PRCTL, unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_IS_SET, c, 0, 0, 0)
		if e == 0 && r == 1 {
			sets[4] |= 1 << c
		}
	}
	return sets
}
