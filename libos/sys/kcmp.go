package sys

// Implementation of kcmp.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
)

// kcmpSide is one of the two processes kcmp compares: a thread of the
// caller's process, or another guest process reached through the leader.
type kcmpSide struct {
	task *kernel.Task // nil for another process
	pid  int
}

func kcmpTarget(t *kernel.Task, pid uintptr) (kcmpSide, error) {
	id := int(int32(pid))
	if id <= 0 {
		return kcmpSide{}, unix.ESRCH
	}
	for _, o := range t.P.Tasks() {
		if o.Tid == id {
			return kcmpSide{task: o}, nil
		}
	}
	return kcmpSide{pid: id}, t.P.KcmpCheck(id)
}

func (s kcmpSide) key(t *kernel.Task, typ int, idx uint64, slot [3]uint32) (uint64, error) {
	if s.task != nil {
		return s.task.KcmpKey(kernel.CallerOf(t.P), typ, idx, slot)
	}
	return t.P.KcmpOf(s.pid, typ, idx, slot)
}

// Kcmp implements kcmp(2) for the guest's processes. Each resource has an
// identity (kernel.Task.KcmpKey): open file descriptions keep theirs in a
// forked child, so a descriptor inherited at fork compares equal to the
// parent's, while two guest processes never share memory, a file table, a
// file-system context or signal handlers. Unequal identities are ordered
// consistently: 1 when the first is below the second, 2 when above.
func Kcmp(t *kernel.Task, a kernel.Args) (uintptr, error) {
	s1, err := kcmpTarget(t, a[0])
	if err != nil {
		return 0, err
	}
	s2, err := kcmpTarget(t, a[1])
	if err != nil {
		return 0, err
	}
	typ := int(int32(a[2]))
	var k1, k2 uint64
	switch typ {
	case kernel.KcmpFile:
		if k1, err = s1.key(t, typ, uint64(a[3]), [3]uint32{}); err == nil {
			k2, err = s2.key(t, typ, uint64(a[4]), [3]uint32{})
		}
	case kernel.KcmpEpollTFD:
		var slot [3]uint32 // efd, tfd, toff
		if err = kernel.CopyInObj(t, a[4], &slot); err != nil {
			return 0, err
		}
		if k1, err = s1.key(t, kernel.KcmpFile, uint64(a[3]), [3]uint32{}); err == nil {
			k2, err = s2.key(t, typ, 0, slot)
		}
	case kernel.KcmpVM, kernel.KcmpFiles, kernel.KcmpFS, kernel.KcmpSighand, kernel.KcmpIO, kernel.KcmpSysvsem:
		if k1, err = s1.key(t, typ, 0, [3]uint32{}); err == nil {
			k2, err = s2.key(t, typ, 0, [3]uint32{})
		}
	default:
		return 0, unix.EINVAL
	}
	switch {
	case err != nil:
		return 0, err
	case k1 == k2:
		return 0, nil
	case k1 < k2:
		return 1, nil
	}
	return 2, nil
}
