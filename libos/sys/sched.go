package sys

// Implementation of sched_setaffinity, sched_getaffinity, sched_yield,
// sched_getscheduler, sched_setscheduler, sched_getparam, sched_setparam,
// sched_get_priority_max, sched_get_priority_min, sched_rr_get_interval,
// getpriority and setpriority.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/pal"
)

// taskFor finds the thread a scheduling call names: 0 is the caller.
func taskFor(t *kernel.Task, pid uintptr) (*kernel.Task, error) {
	id := int(int32(pid))
	if id == 0 || id == t.Tid {
		return t, nil
	}
	if id < 0 {
		return nil, unix.EINVAL
	}
	for _, o := range t.P.Tasks() {
		if o.Tid == id {
			return o, nil
		}
	}
	return nil, unix.ESRCH
}

// affinityTarget is taskFor for the affinity calls, which have no check
// for a negative pid: one finds no thread (ESRCH).
func affinityTarget(t *kernel.Task, pid uintptr) (*kernel.Task, error) {
	if int32(pid) < 0 {
		return nil, unix.ESRCH
	}
	return taskFor(t, pid)
}

// SchedSetaffinity implements sched_setaffinity(2) through the PAL's
// thread-affinity call: the host thread running the guest thread is pinned
// for real.
func SchedSetaffinity(t *kernel.Task, a kernel.Args) (uintptr, error) {
	target, err := affinityTarget(t, a[0])
	if err != nil {
		return 0, err
	}
	n := min(a[1], 8192)
	mask := make([]byte, n)
	if err := t.CopyIn(a[2], mask); err != nil {
		return 0, err
	}
	return boolErr(mapErr(t.P.Host.ThreadSetAffinity(target.CPU, mask)))
}

// SchedGetaffinity implements sched_getaffinity(2). It returns the size of
// the mask it wrote, which must be a multiple of 8 as on Linux.
func SchedGetaffinity(t *kernel.Task, a kernel.Args) (uintptr, error) {
	target, err := affinityTarget(t, a[0])
	if err != nil {
		return 0, err
	}
	if a[1]%8 != 0 {
		return 0, unix.EINVAL
	}
	mask := make([]byte, min(a[1], 8192))
	n, err := t.P.Host.ThreadGetAffinity(target.CPU, mask)
	if err != nil {
		return 0, mapErr(err)
	}
	if err := t.CopyOut(a[2], mask[:n]); err != nil {
		return 0, err
	}
	return uintptr(n), nil
}

// SchedYield implements sched_yield(2).
func SchedYield(t *kernel.Task, a kernel.Args) (uintptr, error) {
	t.P.Host.ThreadYield()
	return 0, nil
}

// Scheduling policies.
const (
	schedOther    = 0
	schedFIFO     = 1
	schedRR       = 2
	schedBatch    = 3
	schedIdle     = 5
	schedDeadline = 6
	// schedResetOnFork is SCHED_RESET_ON_FORK, or'ed into a policy.
	schedResetOnFork = 0x40000000
)

func priorityRange(policy int) (int, int, error) {
	switch policy {
	case schedFIFO, schedRR:
		return 1, 99, nil
	case schedOther, schedBatch, schedIdle:
		return 0, 0, nil
	case schedDeadline:
		return 0, 0, nil
	}
	return 0, 0, unix.EINVAL
}

// schedTarget is the thread a scheduling call names: one of this
// process's, or the first thread of another guest process, reached
// through the leader.
type schedTarget struct {
	policy, prio int
	set          func(policy, prio int) error // policy -1: keep it
}

func schedOf(t *kernel.Task, pid uintptr) (schedTarget, error) {
	target, err := taskFor(t, pid)
	if err == nil {
		policy := target.Policy
		if target.Sched.ResetOnFork {
			policy |= schedResetOnFork
		}
		return schedTarget{policy, target.Priority, func(policy, prio int) error {
			if policy >= 0 {
				target.Policy = policy &^ schedResetOnFork
				target.Sched.ResetOnFork = policy&schedResetOnFork != 0
			}
			target.Priority = prio
			return nil
		}}, nil
	}
	if err != unix.ESRCH {
		return schedTarget{}, err
	}
	id := int(int32(pid))
	policy, prio, err := t.P.ProcOp(id, kernel.ProcGetSched, 0, 0)
	if err != nil {
		return schedTarget{}, err
	}
	return schedTarget{policy, prio, func(policy, prio int) error {
		if policy >= 0 {
			policy &^= schedResetOnFork // not kept for another process
		}
		_, _, err := t.P.ProcOp(id, kernel.ProcSetSched, policy, prio)
		return err
	}}, nil
}

// SchedGetscheduler implements sched_getscheduler(2).
func SchedGetscheduler(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if int32(a[0]) < 0 {
		return 0, unix.EINVAL
	}
	target, err := schedOf(t, a[0])
	if err != nil {
		return 0, err
	}
	return uintptr(target.policy), nil
}

// SchedSetscheduler implements sched_setscheduler(2): the policy is kept
// for the guest; the host thread keeps running as a normal thread.
func SchedSetscheduler(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if int32(a[0]) < 0 || a[2] == 0 {
		return 0, unix.EINVAL
	}
	target, err := schedOf(t, a[0])
	if err != nil {
		return 0, err
	}
	policy := int(int32(a[1])) &^ schedResetOnFork
	var prio int32
	if err := kernel.CopyInObj(t, a[2], &prio); err != nil {
		return 0, err
	}
	lo, hi, err := priorityRange(policy)
	if err != nil || policy == schedDeadline || int(prio) < lo || int(prio) > hi {
		return 0, unix.EINVAL
	}
	if c := t.P.Creds(); (policy == schedFIFO || policy == schedRR) && !c.Capable(unix.CAP_SYS_NICE) {
		return 0, unix.EPERM
	}
	return 0, target.set(policy|int(int32(a[1]))&schedResetOnFork, int(prio))
}

// SchedGetparam implements sched_getparam(2).
func SchedGetparam(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if int32(a[0]) < 0 || a[1] == 0 {
		return 0, unix.EINVAL
	}
	target, err := schedOf(t, a[0])
	if err != nil {
		return 0, err
	}
	prio := int32(target.prio)
	return boolErr(kernel.CopyOutObj(t, a[1], &prio))
}

// SchedSetparam implements sched_setparam(2).
func SchedSetparam(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if int32(a[0]) < 0 || a[1] == 0 {
		return 0, unix.EINVAL
	}
	target, err := schedOf(t, a[0])
	if err != nil {
		return 0, err
	}
	var prio int32
	if err := kernel.CopyInObj(t, a[1], &prio); err != nil {
		return 0, err
	}
	lo, hi, _ := priorityRange(target.policy &^ schedResetOnFork)
	if int(prio) < lo || int(prio) > hi {
		return 0, unix.EINVAL
	}
	return 0, target.set(-1, int(prio))
}

// SchedGetPriorityMax implements sched_get_priority_max(2).
func SchedGetPriorityMax(t *kernel.Task, a kernel.Args) (uintptr, error) {
	_, hi, err := priorityRange(int(int32(a[0])))
	return uintptr(hi), err
}

// SchedGetPriorityMin implements sched_get_priority_min(2).
func SchedGetPriorityMin(t *kernel.Task, a kernel.Args) (uintptr, error) {
	lo, _, err := priorityRange(int(int32(a[0])))
	return uintptr(lo), err
}

// SchedRrGetInterval implements sched_rr_get_interval(2): 100 ms, Linux's
// default round-robin slice.
func SchedRrGetInterval(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if int32(a[0]) < 0 {
		return 0, unix.EINVAL
	}
	if _, err := taskFor(t, a[0]); err != nil {
		return 0, err
	}
	return boolErr(putTimespec(t, a[1], pal.Timespec{Nsec: 100e6}))
}

// Getpriority implements getpriority(2) for the calling process; like the
// raw system call it returns 20 - nice.
func Getpriority(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if pid, ok := otherProcess(t, a[0], a[1]); ok {
		_, nice, err := t.P.ProcOp(pid, kernel.ProcGetNice, 0, 0)
		return uintptr(20 - nice), err
	}
	if err := priorityTarget(t, a[0], a[1]); err != nil {
		return 0, err
	}
	return uintptr(20 - t.P.Nice), nil
}

// otherProcess reports whether a PRIO_PROCESS request names another guest
// process than the caller (not a thread of its own).
func otherProcess(t *kernel.Task, which, who uintptr) (int, bool) {
	id := int(int32(who))
	if int32(which) != unix.PRIO_PROCESS || id <= 0 || id == t.P.Pid {
		return 0, false
	}
	_, err := taskFor(t, who)
	return id, err == unix.ESRCH
}

// Setpriority implements setpriority(2); lowering nice needs root.
func Setpriority(t *kernel.Task, a kernel.Args) (uintptr, error) {
	nice := max(-20, min(19, int(int32(a[2]))))
	if pid, ok := otherProcess(t, a[0], a[1]); ok {
		_, _, err := t.P.ProcOp(pid, kernel.ProcSetNice, 0, nice)
		return 0, err
	}
	if err := priorityTarget(t, a[0], a[1]); err != nil {
		return 0, err
	}
	if c := t.P.Creds(); nice < t.P.Nice && !c.Capable(unix.CAP_SYS_NICE) {
		return 0, unix.EACCES
	}
	t.P.Nice = nice
	return 0, nil
}

func priorityTarget(t *kernel.Task, which, who uintptr) error {
	id := int(int32(who))
	switch int32(which) {
	case unix.PRIO_PROCESS:
		if id != 0 && id != t.P.Pid {
			for _, o := range t.P.Tasks() {
				if o.Tid == id {
					return nil
				}
			}
			return unix.ESRCH
		}
	case unix.PRIO_PGRP:
		if id != 0 && id != t.P.Pgid() {
			return unix.ESRCH
		}
	case unix.PRIO_USER:
		if id != 0 && id != t.P.Creds().Uid {
			return unix.ESRCH
		}
	default:
		return unix.EINVAL
	}
	return nil
}
