package sys

// Implementation of rt_sigaction, rt_sigprocmask and sigaltstack: the
// process's dispositions, masks and alternate stacks are kept as Linux keeps
// them, ready for signal delivery.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
)

// sigaction is the kernel's struct sigaction.
type sigaction struct {
	Handler, Flags, Restorer, Mask uint64
}

// RtSigaction implements rt_sigaction(2).
func RtSigaction(t *kernel.Task, a kernel.Args) (uintptr, error) {
	sig := int(a[0])
	if a[3] != 8 || sig < 1 || sig > 64 {
		return 0, unix.EINVAL
	}
	var act sigaction
	if a[1] != 0 {
		if sig == int(unix.SIGKILL) || sig == int(unix.SIGSTOP) {
			return 0, unix.EINVAL
		}
		if err := kernel.CopyInObj(t, a[1], &act); err != nil {
			return 0, err
		}
	}
	old := t.P.SigAction(sig)
	if a[2] != 0 {
		o := sigaction{old.Handler, old.Flags, old.Restorer, old.Mask}
		if err := kernel.CopyOutObj(t, a[2], &o); err != nil {
			return 0, err
		}
	}
	if a[1] != 0 {
		act.Mask &^= 1<<(unix.SIGKILL-1) | 1<<(unix.SIGSTOP-1)
		t.P.SetSigAction(sig, kernel.SigAction{Handler: act.Handler, Flags: act.Flags, Restorer: act.Restorer, Mask: act.Mask})
	}
	return 0, nil
}

// RtSigprocmask implements rt_sigprocmask(2).
func RtSigprocmask(t *kernel.Task, a kernel.Args) (uintptr, error) {
	how := int(a[0])
	if a[3] != 8 {
		return 0, unix.EINVAL
	}
	old := t.SigMask
	if a[1] != 0 {
		var set uint64
		if err := kernel.CopyInObj(t, a[1], &set); err != nil {
			return 0, err
		}
		set &^= 1<<(unix.SIGKILL-1) | 1<<(unix.SIGSTOP-1)
		switch how {
		case unix.SIG_BLOCK:
			t.SigMask |= set
		case unix.SIG_UNBLOCK:
			t.SigMask &^= set
		case unix.SIG_SETMASK:
			t.SigMask = set
		default:
			return 0, unix.EINVAL
		}
	}
	if a[2] != 0 {
		if err := kernel.CopyOutObj(t, a[2], &old); err != nil {
			t.SigMask = old
			return 0, err
		}
	}
	return 0, nil
}

// stackT is stack_t.
type stackT struct {
	Sp    uint64
	Flags int32
	_     int32
	Size  uint64
}

// Sigaltstack implements sigaltstack(2).
func Sigaltstack(t *kernel.Task, a kernel.Args) (uintptr, error) {
	old := stackT{Sp: t.AltStack[0], Flags: int32(t.AltStack[1]), Size: t.AltStack[2]}
	if old.Size == 0 {
		old.Flags = ssDisable
	}
	if a[0] != 0 {
		var ss stackT
		if err := kernel.CopyInObj(t, a[0], &ss); err != nil {
			return 0, err
		}
		switch {
		case ss.Flags&^(ssDisable|ssAutodisarm) != 0:
			return 0, unix.EINVAL
		case ss.Flags&ssDisable != 0:
			t.AltStack = [3]uint64{}
		case ss.Size < uint64(t.P.Info.MinSigStkSz) || ss.Size < 2048:
			return 0, unix.ENOMEM
		default:
			t.AltStack = [3]uint64{ss.Sp, uint64(ss.Flags), ss.Size}
		}
	}
	if a[1] != 0 {
		if err := kernel.CopyOutObj(t, a[1], &old); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// sigaltstack flags.
const (
	ssDisable    = 2
	ssAutodisarm = -1 << 31
)
