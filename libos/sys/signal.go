package sys

// Implementation of rt_sigaction, rt_sigprocmask, sigaltstack, kill, tkill,
// tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo, rt_sigpending, pause,
// rt_sigsuspend, rt_sigtimedwait and restart_syscall. Delivery itself is in
// libos/kernel/signal.go, frames in libos/arch/amd64/signal.go.

import (
	"time"

	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
)

// sigaction is the kernel's struct sigaction.
type sigaction struct {
	Handler, Flags, Restorer, Mask uint64
}

const unblockable = 1<<(unix.SIGKILL-1) | 1<<(unix.SIGSTOP-1)

// RtSigaction implements rt_sigaction(2).
func RtSigaction(t *kernel.Task, a kernel.Args) (uintptr, error) {
	sig := int(a[0])
	if a[3] != 8 || sig < 1 || sig > kernel.NumSignals {
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
	if a[2] != 0 {
		old := t.P.SigAction(sig)
		o := sigaction{old.Handler, old.Flags, old.Restorer, old.Mask}
		if err := kernel.CopyOutObj(t, a[2], &o); err != nil {
			return 0, err
		}
	}
	if a[1] != 0 {
		t.P.SetSigAction(sig, kernel.SigAction{Handler: act.Handler, Flags: act.Flags, Restorer: act.Restorer,
			Mask: act.Mask &^ unblockable})
	}
	return 0, nil
}

// RtSigprocmask implements rt_sigprocmask(2).
func RtSigprocmask(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if a[3] != 8 {
		return 0, unix.EINVAL
	}
	old := t.SigMask()
	if a[1] != 0 {
		var set uint64
		if err := kernel.CopyInObj(t, a[1], &set); err != nil {
			return 0, err
		}
		var mask uint64
		switch int(a[0]) {
		case unix.SIG_BLOCK:
			mask = old | set
		case unix.SIG_UNBLOCK:
			mask = old &^ set
		case unix.SIG_SETMASK:
			mask = set
		default:
			return 0, unix.EINVAL
		}
		t.SetSigMask(mask)
	}
	if a[2] != 0 {
		if err := kernel.CopyOutObj(t, a[2], &old); err != nil {
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

// sigaltstack flags.
const (
	ssOnstack    = 1
	ssDisable    = 2
	ssAutodisarm = -1 << 31
)

// Sigaltstack implements sigaltstack(2).
func Sigaltstack(t *kernel.Task, a kernel.Args) (uintptr, error) {
	sp := t.CPU.Rsp
	base, size := t.AltStack[0], t.AltStack[2]
	on := size != 0 && sp > base && sp-base <= size
	old := stackT{Sp: base, Flags: int32(t.AltStack[1]), Size: size}
	switch {
	case size == 0:
		old.Flags = ssDisable
	case on:
		old.Flags |= ssOnstack
	}
	if a[0] != 0 {
		var ss stackT
		if err := kernel.CopyInObj(t, a[0], &ss); err != nil {
			return 0, err
		}
		if on {
			return 0, unix.EPERM
		}
		switch mode := ss.Flags &^ ssAutodisarm; {
		case mode != 0 && mode != ssDisable && mode != ssOnstack:
			return 0, unix.EINVAL
		case mode == ssDisable:
			t.AltStack = [3]uint64{}
		case ss.Size < uint64(t.P.Info.MinSigStkSz) || ss.Size < 2048:
			return 0, unix.ENOMEM
		default:
			t.AltStack = [3]uint64{ss.Sp, uint64(uint32(ss.Flags & ssAutodisarm)), ss.Size}
		}
	}
	if a[1] != 0 {
		if err := kernel.CopyOutObj(t, a[1], &old); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func checkSig(sig int) error {
	if sig < 0 || sig > kernel.NumSignals {
		return unix.EINVAL
	}
	return nil
}

// Kill implements kill(2): a pid, the caller's group (0), a group (-pgid)
// or every process but pid 1 and the caller (-1). The caller's own share
// is delivered before kill returns, as POSIX asks.
func Kill(t *kernel.Task, a kernel.Args) (uintptr, error) {
	pid, sig := int(int32(a[0])), int(int32(a[1]))
	if err := checkSig(sig); err != nil {
		return 0, err
	}
	p := t.P
	info := kernel.NewSigInfo(sig, kernel.SiUser).SetSender(p.Pid, p.Creds().Uid)
	if pid == 0 {
		pid = -p.Pgid()
	}
	if pid == p.Pid {
		if sig != 0 {
			p.SignalProcess(info)
		}
		return 0, nil
	}
	self := pid < -1 && -pid == p.Pgid()
	if self && sig != 0 {
		p.SignalProcess(info)
	}
	err := p.Kill(pid, info)
	if self && err == unix.ESRCH {
		err = nil // we were the only member
	}
	return 0, err
}

// findTask finds thread tid of this process (and, if tgid > 0, checks it).
func findTask(t *kernel.Task, tgid, tid int) (*kernel.Task, error) {
	if tid <= 0 || tgid == 0 || tgid < -1 {
		return nil, unix.EINVAL
	}
	if tgid > 0 && tgid != t.P.Pid {
		return nil, unix.ESRCH
	}
	for _, o := range t.P.Tasks() {
		if o.Tid == tid {
			return o, nil
		}
	}
	return nil, unix.ESRCH
}

func sendTo(t *kernel.Task, target *kernel.Task, sig int, info *kernel.SigInfo) error {
	if err := checkSig(sig); err != nil {
		return err
	}
	if sig != 0 {
		target.SignalTask(info)
	}
	return nil
}

// Tgkill implements tgkill(2).
func Tgkill(t *kernel.Task, a kernel.Args) (uintptr, error) {
	sig := int(int32(a[2]))
	if err := checkSig(sig); err != nil {
		return 0, err
	}
	if int32(a[0]) <= 0 {
		return 0, unix.EINVAL
	}
	target, err := findTask(t, int(int32(a[0])), int(int32(a[1])))
	if err != nil {
		return 0, err
	}
	return 0, sendTo(t, target, sig, kernel.NewSigInfo(sig, kernel.SiTkill).SetSender(t.P.Pid, t.P.Creds().Uid))
}

// Tkill implements tkill(2).
func Tkill(t *kernel.Task, a kernel.Args) (uintptr, error) {
	sig := int(int32(a[1]))
	if err := checkSig(sig); err != nil {
		return 0, err
	}
	target, err := findTask(t, -1, int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	return 0, sendTo(t, target, sig, kernel.NewSigInfo(sig, kernel.SiTkill).SetSender(t.P.Pid, t.P.Creds().Uid))
}

// queuedInfo reads the siginfo of rt_sigqueueinfo and friends. Only a
// process signalling itself may forge kernel or tkill codes (si_code >= 0
// or SI_TKILL); others get EPERM, as on Linux.
func queuedInfo(t *kernel.Task, sig int, addr uintptr, self bool) (*kernel.SigInfo, error) {
	var info kernel.SigInfo
	if err := kernel.CopyInObj(t, addr, &info); err != nil {
		return nil, err
	}
	if !self && (info.Code >= 0 || info.Code == siTkill) {
		return nil, unix.EPERM
	}
	info.Signo = int32(sig)
	return &info, nil
}

// siTkill is SI_TKILL, the si_code of tkill and tgkill.
const siTkill = -6

// RtSigqueueinfo implements rt_sigqueueinfo(2).
func RtSigqueueinfo(t *kernel.Task, a kernel.Args) (uintptr, error) {
	pid, sig := int(int32(a[0])), int(int32(a[1]))
	if err := checkSig(sig); err != nil {
		return 0, err
	}
	info, err := queuedInfo(t, sig, a[2], pid == t.P.Pid)
	if err != nil {
		return 0, err
	}
	if pid <= 0 {
		return 0, unix.ESRCH // a process, not a group
	}
	if pid != t.P.Pid {
		return 0, t.P.Kill(pid, info) // another process: through the leader
	}
	if sig != 0 {
		t.P.SignalProcess(info)
	}
	return 0, nil
}

// RtTgsigqueueinfo implements rt_tgsigqueueinfo(2).
func RtTgsigqueueinfo(t *kernel.Task, a kernel.Args) (uintptr, error) {
	sig := int(int32(a[2]))
	if err := checkSig(sig); err != nil {
		return 0, err
	}
	info, err := queuedInfo(t, sig, a[3], int(int32(a[1])) == t.Tid)
	if err != nil {
		return 0, err
	}
	target, err := findTask(t, int(int32(a[0])), int(int32(a[1])))
	if err != nil {
		return 0, err
	}
	return 0, sendTo(t, target, sig, info)
}

// RtSigpending implements rt_sigpending(2): pending signals that are
// blocked.
func RtSigpending(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if a[1] > 8 {
		return 0, unix.EINVAL
	}
	set := t.Pending() & t.SigMask()
	b := umemBytes(&set)[:a[1]]
	return 0, t.CopyOut(a[0], b)
}

// waitForSignal blocks until a signal the thread does not block is pending,
// or until deadline (zero: none); it reports whether the time ran out.
func waitForSignal(t *kernel.Task, deadline time.Time) bool {
	var timer <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			return true
		}
		tm := time.NewTimer(d)
		defer tm.Stop()
		timer = tm.C
	}
	for !t.SignalPending() {
		select {
		case <-t.Interrupted():
		case <-timer:
			return true
		}
	}
	return false
}

// Pause implements pause(2).
func Pause(t *kernel.Task, a kernel.Args) (uintptr, error) {
	waitForSignal(t, time.Time{})
	return 0, kernel.ErrRestartNoHand
}

// RtSigsuspend implements rt_sigsuspend(2): wait with a temporary mask
// until a handler runs; the old mask comes back when it returns.
func RtSigsuspend(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if a[1] != 8 {
		return 0, unix.EINVAL
	}
	var mask uint64
	if err := kernel.CopyInObj(t, a[0], &mask); err != nil {
		return 0, err
	}
	t.SetSavedMask(mask)
	waitForSignal(t, time.Time{})
	return 0, kernel.ErrRestartNoHand
}

// RtSigtimedwait implements rt_sigtimedwait(2).
func RtSigtimedwait(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if a[3] != 8 {
		return 0, unix.EINVAL
	}
	var set uint64
	if err := kernel.CopyInObj(t, a[0], &set); err != nil {
		return 0, err
	}
	set &^= unblockable
	var deadline time.Time
	if a[2] != 0 {
		ts, err := getTimespec(t, a[2])
		if err != nil {
			return 0, err
		}
		deadline = time.Now().Add(time.Duration(ts.Nano()))
	}
	// Signals in set are taken while they are blocked; unblocking them for
	// the wait lets their arrival wake the thread, as Linux does.
	old := t.SigWaitBegin(set)
	defer t.SigWaitEnd(old)
	for {
		if info, ok := t.TakeSignal(set); ok {
			if a[1] != 0 {
				if err := kernel.CopyOutObj(t, a[1], &info); err != nil {
					return 0, err
				}
			}
			return uintptr(info.Signo), nil
		}
		if t.SignalPending() {
			return 0, unix.EINTR
		}
		if waitForSignal(t, deadline) {
			if info, ok := t.TakeSignal(set); ok {
				if a[1] != 0 {
					if err := kernel.CopyOutObj(t, a[1], &info); err != nil {
						return 0, err
					}
				}
				return uintptr(info.Signo), nil
			}
			return 0, unix.EAGAIN
		}
	}
}

// RestartSyscall implements restart_syscall(2): it resumes the call a
// signal interrupted.
func RestartSyscall(t *kernel.Task, a kernel.Args) (uintptr, error) {
	fn := t.RestartFn
	t.RestartFn = nil
	if fn == nil {
		return 0, unix.EINTR
	}
	return fn(t, a)
}
