package sys

// Implementation of sched_setattr and sched_getattr, on the attributes
// the LibOS keeps (kernel/schedattr.go).

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/umem"
)

// schedAttrTarget runs get (and set, if any) on the thread pid names: one
// of the caller's process, or another guest process's first thread.
func schedAttrTarget(t *kernel.Task, pid uintptr, set *kernel.SchedAttr) (kernel.SchedAttr, error) {
	target, err := taskFor(t, pid)
	if err == nil {
		if set != nil {
			if err := target.SetSchedAttr(*set, kernel.CallerOf(t.P)); err != nil {
				return kernel.SchedAttr{}, err
			}
		}
		return target.SchedAttr(), nil
	}
	if err != unix.ESRCH {
		return kernel.SchedAttr{}, err
	}
	var a kernel.SchedAttr
	if set != nil {
		a = *set
	}
	return t.P.SchedAttrOf(int(int32(pid)), set != nil, a)
}

// SchedSetattr implements sched_setattr(2): struct sched_attr of any size
// the kernel ABI allows (a larger one must end in zeros; a wrong size
// gives E2BIG with the supported size written back).
func SchedSetattr(t *kernel.Task, a kernel.Args) (uintptr, error) {
	addr := a[1]
	if addr == 0 || int32(a[0]) < 0 || uint32(a[2]) != 0 {
		return 0, unix.EINVAL
	}
	var size uint32
	if err := kernel.CopyInObj(t, addr, &size); err != nil {
		return 0, err
	}
	if size == 0 {
		size = kernel.SchedAttrSizeVer0
	}
	tooBig := func() (uintptr, error) {
		v := uint32(kernel.SchedAttrSize)
		if err := kernel.CopyOutObj(t, addr, &v); err != nil {
			return 0, err
		}
		return 0, unix.E2BIG
	}
	if size < kernel.SchedAttrSizeVer0 || size > 4096 {
		return tooBig()
	}
	var attr kernel.SchedAttr
	buf := umem.StructBytes(&attr)
	n := min(int(size), len(buf))
	if err := t.CopyIn(addr, buf[:n]); err != nil {
		return 0, err
	}
	if int(size) > len(buf) {
		rest := make([]byte, int(size)-len(buf))
		if err := t.CopyIn(addr+uintptr(len(buf)), rest); err != nil {
			return 0, err
		}
		for _, b := range rest {
			if b != 0 {
				return tooBig()
			}
		}
	}
	attr.Size = size
	if attr.Flags&kernel.SchedFlagUtilClamp != 0 && size < kernel.SchedAttrSize {
		return 0, unix.EINVAL
	}
	attr.Nice = max(-20, min(19, attr.Nice))
	if int32(attr.Policy) < 0 {
		return 0, unix.EINVAL
	}
	if attr.Flags&kernel.SchedFlagKeepPolicy != 0 {
		attr.Policy = 0xffffffff
	}
	_, err := schedAttrTarget(t, a[0], &attr)
	return boolErr(err)
}

// SchedGetattr implements sched_getattr(2): at most size bytes of the
// attributes are written, and their size field says how many.
func SchedGetattr(t *kernel.Task, a kernel.Args) (uintptr, error) {
	size := uint32(a[2])
	if a[1] == 0 || int32(a[0]) < 0 || size > 4096 || size < kernel.SchedAttrSizeVer0 || uint32(a[3]) != 0 {
		return 0, unix.EINVAL
	}
	attr, err := schedAttrTarget(t, a[0], nil)
	if err != nil {
		return 0, err
	}
	attr.Size = min(size, kernel.SchedAttrSize)
	return boolErr(t.CopyOut(a[1], umem.StructBytes(&attr)[:attr.Size]))
}
