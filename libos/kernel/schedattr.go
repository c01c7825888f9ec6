package kernel

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Scheduling attributes (sched_setattr, sched_getattr). The LibOS keeps
// what the guest chose and reports it back; the host threads keep running
// as normal threads, and SCHED_DEADLINE reservations get no admission
// control.

// Scheduling policies.
const (
	SchedOther    = 0
	SchedFIFO     = 1
	SchedRR       = 2
	SchedBatch    = 3
	SchedIdle     = 5
	SchedDeadline = 6
)

// sched_attr flags.
const (
	SchedFlagResetOnFork = 0x01
	schedFlagReclaim     = 0x02
	schedFlagDLOverrun   = 0x04
	SchedFlagKeepPolicy  = 0x08
	SchedFlagKeepParams  = 0x10
	SchedFlagUtilClamp   = 0x60
	schedFlagAll         = 0x7f
	schedFlagSugov       = 0x10000000
	schedDLFlags         = schedFlagReclaim | schedFlagDLOverrun | schedFlagSugov
)

// SchedParams are a thread's scheduling attributes beyond its policy and
// priority (Task.Policy, Task.Priority) and the process's nice value.
type SchedParams struct {
	ResetOnFork bool
	// Runtime, Deadline and Period are SCHED_DEADLINE's parameters (ns);
	// DLFlags its flags (reclaim, overrun).
	Runtime, Deadline, Period, DLFlags uint64
	// Slice is a fair thread's requested time slice (ns), 0 for the
	// default.
	Slice uint64
}

// SchedAttr is struct sched_attr as far as Linux knows it
// (SCHED_ATTR_SIZE_VER1, 56 bytes).
type SchedAttr struct {
	Size, Policy              uint32
	Flags                     uint64
	Nice                      int32
	Priority                  uint32
	Runtime, Deadline, Period uint64
	UtilMin, UtilMax          uint32
}

// SchedAttrSize is the size of SchedAttr; SchedAttrSizeVer0 that of the
// first published struct.
const (
	SchedAttrSize     = 56
	SchedAttrSizeVer0 = 48
)

func fairPolicy(p int) bool { return p == SchedOther || p == SchedBatch }
func rtPolicy(p int) bool   { return p == SchedFIFO || p == SchedRR }

// SchedAttr reports the thread's attributes as sched_getattr does.
func (t *Task) SchedAttr() SchedAttr {
	a := SchedAttr{Size: SchedAttrSize, Policy: uint32(t.Policy)}
	if t.Sched.ResetOnFork {
		a.Flags |= SchedFlagResetOnFork
	}
	switch {
	case t.Policy == SchedDeadline:
		a.Runtime, a.Deadline, a.Period = t.Sched.Runtime, t.Sched.Deadline, t.Sched.Period
		a.Flags |= t.Sched.DLFlags
	case rtPolicy(t.Policy):
		a.Priority = uint32(t.Priority)
	default:
		a.Nice = int32(t.P.Nice)
		a.Runtime = t.Sched.Slice
		if a.Runtime == 0 {
			a.Runtime = baseSlice(t.P)
		}
	}
	a.Flags &= schedFlagAll
	return a
}

// baseSlice is the time slice of a fair thread that asked for none: on
// kernels that report it (6.12 on), sysctl_sched_base_slice, 0.7 ms scaled
// by 1 + log2 of the CPUs (at most 8), else 0.
func baseSlice(p *Process) uint64 {
	major, minor := kernelVersion(p.Info.KernelRelease)
	if major < 6 || major == 6 && minor < 12 {
		return 0
	}
	factor := uint64(1)
	for n := min(max(p.Info.CPUCount, 1), 8); n > 1; n >>= 1 {
		factor++
	}
	return 700000 * factor
}

// kernelVersion parses "6.18.2-foo" into 6, 18.
func kernelVersion(release string) (int, int) {
	var v [2]int
	for i, part := range strings.SplitN(release, ".", 3) {
		if i < 2 {
			end := strings.IndexFunc(part, func(r rune) bool { return r < '0' || r > '9' })
			if end < 0 {
				end = len(part)
			}
			v[i], _ = strconv.Atoi(part[:end])
		}
	}
	return v[0], v[1]
}

// Caller is what a request made of another thread or process needs to know
// of the calling process's credentials for its permission checks.
type Caller struct {
	Pid            int
	Uid, Euid, Gid int
	Permitted      uint64
	CapNice        bool
	CapPtrace      bool
	CapSysAdmin    bool
}

// CallerOf describes process p as a caller.
func CallerOf(p *Process) Caller {
	c := p.Creds()
	return Caller{Pid: p.Pid, Uid: c.Uid, Euid: c.Euid, Gid: c.Gid, Permitted: c.Cap.Permitted,
		CapNice: c.Capable(unix.CAP_SYS_NICE), CapPtrace: c.Capable(unix.CAP_SYS_PTRACE),
		CapSysAdmin: c.Capable(unix.CAP_SYS_ADMIN)}
}

// checkParamDL checks SCHED_DEADLINE parameters as Linux's
// __checkparam_dl, with its default period bounds (100 µs to 4.19 s).
func checkParamDL(a *SchedAttr) bool {
	if a.Flags&schedFlagSugov != 0 {
		return true
	}
	if a.Deadline == 0 || a.Runtime < 1<<10 || a.Deadline&(1<<63) != 0 || a.Period&(1<<63) != 0 {
		return false
	}
	period := a.Period
	if period == 0 {
		period = a.Deadline
	}
	if period < a.Deadline || a.Deadline < a.Runtime {
		return false
	}
	return period >= 100*1000 && period <= (1<<22)*1000
}

// niceReduction reports whether the thread may lower its nice value to
// nice without privilege (RLIMIT_NICE).
func (t *Task) niceReduction(nice int) bool {
	return uint64(20-nice) <= t.P.Rlimit(unix.RLIMIT_NICE).Cur
}

// SetSchedAttr applies sched_setattr's attributes a to the thread for
// caller c, with Linux's checks (__sched_setscheduler); a.Policy is
// 0xffffffff to keep the policy (SCHED_FLAG_KEEP_POLICY), and the nice
// value is already clamped.
func (t *Task) SetSchedAttr(a SchedAttr, c Caller) error {
	if a.Flags&SchedFlagKeepParams != 0 {
		// The current parameters of the thread's class replace the
		// given ones (get_params); the others stay as given.
		switch {
		case t.Policy == SchedDeadline:
			a.Priority = uint32(t.Priority)
			a.Runtime, a.Deadline, a.Period = t.Sched.Runtime, t.Sched.Deadline, t.Sched.Period
			a.Flags = a.Flags&^schedDLFlags | t.Sched.DLFlags
		case rtPolicy(t.Policy):
			a.Priority = uint32(t.Priority)
		default:
			a.Nice, a.Runtime = int32(t.P.Nice), t.Sched.Slice
		}
	}
	keep := int32(a.Policy) < 0
	policy := int(a.Policy)
	var reset bool
	if keep {
		policy, reset = t.Policy, t.Sched.ResetOnFork
	} else {
		reset = a.Flags&SchedFlagResetOnFork != 0
		if !fairPolicy(policy) && !rtPolicy(policy) && policy != SchedIdle && policy != SchedDeadline {
			return unix.EINVAL
		}
	}
	if a.Flags&^(schedFlagAll|schedFlagSugov) != 0 || a.Priority > 99 {
		return unix.EINVAL
	}
	if policy == SchedDeadline && !checkParamDL(&a) || rtPolicy(policy) != (a.Priority != 0) {
		return unix.EINVAL
	}
	priv := false
	if fairPolicy(policy) && int(a.Nice) < t.P.Nice && !t.niceReduction(int(a.Nice)) {
		priv = true
	}
	if rtPolicy(policy) {
		rlim := t.P.Rlimit(unix.RLIMIT_RTPRIO).Cur
		if policy != t.Policy && rlim == 0 || uint64(a.Priority) > uint64(t.Priority) && uint64(a.Priority) > rlim {
			priv = true
		}
	}
	if policy == SchedDeadline {
		priv = true
	}
	if t.Policy == SchedIdle && policy != SchedIdle && !t.niceReduction(t.P.Nice) {
		priv = true
	}
	if tc := t.P.Creds(); c.Euid != tc.Euid && c.Euid != tc.Uid {
		priv = true
	}
	if t.Sched.ResetOnFork && !reset {
		priv = true
	}
	if priv && !c.CapNice {
		return unix.EPERM
	}
	if a.Flags&schedFlagSugov != 0 {
		return unix.EINVAL
	}
	if a.Flags&SchedFlagUtilClamp != 0 {
		return unix.EOPNOTSUPP // no utilization clamping (CONFIG_UCLAMP_TASK)
	}
	t.Sched.ResetOnFork = reset
	if a.Flags&SchedFlagKeepParams != 0 {
		return nil // the policy and its parameters stay as they are
	}
	t.Policy = policy
	switch {
	case policy == SchedDeadline:
		t.Sched.Runtime, t.Sched.Deadline, t.Sched.Period = a.Runtime, a.Deadline, a.Period
		if a.Period == 0 {
			t.Sched.Period = a.Deadline
		}
		t.Sched.DLFlags = a.Flags & schedDLFlags
	case fairPolicy(policy):
		t.P.Nice = int(a.Nice)
		t.Sched.Slice = 0
		if a.Runtime != 0 {
			t.Sched.Slice = min(max(a.Runtime, 100000), 100000000)
		}
	}
	t.Priority = int(a.Priority)
	return nil
}

// CheckSchedFork fails with EAGAIN when the thread may not create another:
// a SCHED_DEADLINE thread without SCHED_RESET_ON_FORK.
func (t *Task) CheckSchedFork() error {
	if t.Policy == SchedDeadline && !t.Sched.ResetOnFork {
		return unix.EAGAIN
	}
	return nil
}

// ForkSched is the policy and priority a thread or process made by t
// starts with, and the nice value of a new process: the creator's, or
// with SCHED_RESET_ON_FORK a normal policy with nice 0 for a real-time or
// deadline creator, a nice value of at least 0 for others.
func (t *Task) ForkSched() (policy, prio, nice int) {
	policy, prio, nice = t.Policy, t.Priority, t.P.Nice
	if t.Sched.ResetOnFork {
		if rtPolicy(policy) || policy == SchedDeadline {
			policy, prio, nice = SchedOther, 0, 0
		}
		nice = max(nice, 0)
	}
	return policy, prio, nice
}

// InheritThread gives a new thread n of the process what it inherits from
// its creator t: the scheduling policy (ForkSched's) and the I/O context
// (shared with CLONE_IO).
func (t *Task) InheritThread(n *Task, cloneIO bool) {
	n.Policy, n.Priority, _ = t.ForkSched()
	t.inheritIO(n, cloneIO)
}
