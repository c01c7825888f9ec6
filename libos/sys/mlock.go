package sys

// Implementation of mlock, mlock2, munlock, mlockall and munlockall.
// Locked memory is accounted against RLIMIT_MEMLOCK and shown in
// /proc/self/status (VmLck), but not pinned: guest memory is never swapped
// out by the LibOS anyway, and the host may page gophene as it likes.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/mm"
)

const (
	mlockOnfault = 1
	mclCurrent   = 1
	mclFuture    = 2
	mclOnfault   = 4
)

// mayLock applies Linux's can_do_mlock and the RLIMIT_MEMLOCK check for
// adding bytes more locked memory.
func mayLock(t *kernel.Task, more uintptr) error {
	c := t.P.Creds()
	if c.Capable(unix.CAP_IPC_LOCK) {
		return nil
	}
	limit := t.P.Rlimit(unix.RLIMIT_MEMLOCK).Cur
	if limit == 0 {
		return unix.EPERM
	}
	if limit != kernel.RlimInfinity && uint64(t.P.MM.LockedBytes(0, 0)+more) > limit {
		return unix.ENOMEM
	}
	return nil
}

// Mlock implements mlock(2).
func Mlock(t *kernel.Task, a kernel.Args) (uintptr, error) { return doMlock(t, a[0], a[1], 0) }

// Mlock2 implements mlock2(2).
func Mlock2(t *kernel.Task, a kernel.Args) (uintptr, error) { return doMlock(t, a[0], a[1], a[2]) }

func doMlock(t *kernel.Task, addr, length, flags uintptr) (uintptr, error) {
	if flags&^mlockOnfault != 0 {
		return 0, unix.EINVAL
	}
	start := addr &^ (mm.PageSize - 1)
	end := mm.PageAlign(addr + length)
	if end < start {
		return 0, unix.ENOMEM
	}
	if err := mayLock(t, end-start-t.P.MM.LockedBytes(start, end)); err != nil {
		return 0, err
	}
	if err := t.P.MM.SetLocked(addr, length, true); err != nil {
		return 0, mapErr(err)
	}
	if flags&mlockOnfault == 0 {
		t.P.MM.Populate(start, end-start)
	}
	return 0, nil
}

// Munlock implements munlock(2).
func Munlock(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(mapErr(t.P.MM.SetLocked(a[0], a[1], false)))
}

// Mlockall implements mlockall(2).
func Mlockall(t *kernel.Task, a kernel.Args) (uintptr, error) {
	flags := a[0]
	if flags == 0 || flags&^(mclCurrent|mclFuture|mclOnfault) != 0 || flags == mclOnfault {
		return 0, unix.EINVAL
	}
	var more uintptr
	if flags&mclCurrent != 0 {
		for _, ar := range t.P.MM.Areas() {
			if ar.Flags&(mm.Locked|mm.LibOS) == 0 {
				more += ar.End - ar.Start
			}
		}
	}
	if err := mayLock(t, more); err != nil {
		return 0, err
	}
	if flags&mclCurrent != 0 {
		t.P.MM.SetAllLocked(true)
	}
	t.P.MM.SetLockNew(flags&mclFuture != 0)
	return 0, nil
}

// Munlockall implements munlockall(2).
func Munlockall(t *kernel.Task, a kernel.Args) (uintptr, error) {
	t.P.MM.SetAllLocked(false)
	t.P.MM.SetLockNew(false)
	return 0, nil
}
