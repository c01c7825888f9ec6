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

// defaultIgnored are the signals whose default action is to do nothing.
func defaultIgnored(sig int) bool {
	switch unix.Signal(sig) {
	case unix.SIGCHLD, unix.SIGURG, unix.SIGWINCH, unix.SIGCONT:
		return true
	}
	return false
}

// sendSelf sends sig to the calling process. Without signal delivery to
// handlers yet, a caught signal is refused with ENOSYS rather than
// pretending it arrived.
func sendSelf(t *kernel.Task, sig int) error {
	if sig < 0 || sig > 64 {
		return unix.EINVAL
	}
	if sig == 0 {
		return nil
	}
	act := t.P.SigAction(sig)
	switch {
	case act.Handler == 1: // SIG_IGN
		return nil
	case act.Handler == 0: // SIG_DFL
		if defaultIgnored(sig) || sig == int(unix.SIGSTOP) || sig == int(unix.SIGTSTP) ||
			sig == int(unix.SIGTTIN) || sig == int(unix.SIGTTOU) {
			return nil
		}
		t.KillProcess(sig)
		return nil
	}
	t.P.Log.Warnf("signal %d has a handler; delivering signals to handlers is not supported yet", sig)
	return unix.ENOSYS
}

// Kill implements kill(2) for the calling process and its group.
func Kill(t *kernel.Task, a kernel.Args) (uintptr, error) {
	pid := int(int32(a[0]))
	if pid != t.P.Pid && pid != 0 && pid != -1 && pid != -t.P.Pgid {
		return 0, unix.ESRCH
	}
	return boolErr(sendSelf(t, int(a[1])))
}

// Tgkill implements tgkill(2) for the calling process's threads.
func Tgkill(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if int(int32(a[0])) <= 0 || int(int32(a[1])) <= 0 {
		return 0, unix.EINVAL
	}
	if int(int32(a[0])) != t.P.Pid || !isTask(t, int(int32(a[1]))) {
		return 0, unix.ESRCH
	}
	return boolErr(sendSelf(t, int(a[2])))
}

// Tkill implements tkill(2).
func Tkill(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if int(int32(a[0])) <= 0 {
		return 0, unix.EINVAL
	}
	if !isTask(t, int(int32(a[0]))) {
		return 0, unix.ESRCH
	}
	return boolErr(sendSelf(t, int(a[1])))
}

func isTask(t *kernel.Task, tid int) bool {
	for _, o := range t.P.Tasks() {
		if o.Tid == tid {
			return true
		}
	}
	return false
}
