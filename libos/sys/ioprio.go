package sys

// Implementation of ioprio_get and ioprio_set: the priorities are kept
// per thread by the LibOS (kernel/ioprio.go) and reported back; the host
// schedules the LibOS's I/O as it likes.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
)

// ioprio_get and ioprio_set's which.
const (
	ioprioWhoProcess = 1
	ioprioWhoPgrp    = 2
	ioprioWhoUser    = 3
)

// checkIOPrio validates an I/O priority as Linux's ioprio_check_cap: the
// class and its level (the hint bits between them are free), CAP_SYS_NICE
// or CAP_SYS_ADMIN for the real-time class.
func checkIOPrio(t *kernel.Task, v int) error {
	level := v & 7
	switch kernel.IOPrioClass(v) {
	case kernel.IOPrioClassRT:
		if c := t.P.Creds(); !c.Capable(unix.CAP_SYS_ADMIN) && !c.Capable(unix.CAP_SYS_NICE) {
			return unix.EPERM
		}
	case kernel.IOPrioClassBE, kernel.IOPrioClassIdle:
	case kernel.IOPrioClassNone:
		if level != 0 {
			return unix.EINVAL
		}
	default:
		return unix.EINVAL
	}
	return nil
}

// ioprioProcesses lists the guest processes a process group or user
// request visits: those of group pgid (0: any), the caller first.
func ioprioProcesses(t *kernel.Task, pgid int) []int {
	pids := []int{t.P.Pid}
	for _, pi := range t.P.ListProcs() {
		if pi.Pid != t.P.Pid && !pi.Zombie && (pgid == 0 || pi.Pgid == pgid) {
			pids = append(pids, pi.Pid)
		}
	}
	if pgid != 0 && t.P.Pgid() != pgid {
		pids = pids[1:]
	}
	return pids
}

// ioprioRequest applies q to the processes of a which/who pair and
// returns how many matched and the best priority seen.
func ioprioRequest(t *kernel.Task, which, who int, q kernel.IOPrioQuery) (int, int, error) {
	caller := kernel.CallerOf(t.P)
	var pids []int
	switch which {
	case ioprioWhoProcess:
		if who == 0 || who == t.Tid {
			return t.P.IOPrioRequest(t, q, caller)
		}
		if who < 0 {
			return 0, 0, unix.ESRCH
		}
		for _, o := range t.P.Tasks() {
			if o.Tid == who {
				return t.P.IOPrioRequest(o, q, caller)
			}
		}
		return t.P.IOPrioOf(who, q)
	case ioprioWhoPgrp:
		if who == 0 {
			who = t.P.Pgid()
		}
		if who < 0 {
			return 0, 0, unix.ESRCH
		}
		q.All, q.Uid = true, -1
		pids = ioprioProcesses(t, who)
	case ioprioWhoUser:
		q.All, q.Uid = true, who
		pids = ioprioProcesses(t, 0)
	default:
		return 0, 0, unix.EINVAL
	}
	matched, best := 0, 0
	for _, pid := range pids {
		var m, v int
		var err error
		if pid == t.P.Pid {
			m, v, err = t.P.IOPrioRequest(t, q, caller)
		} else {
			m, v, err = t.P.IOPrioOf(pid, q)
		}
		if err == unix.ESRCH {
			continue // it ended meanwhile
		}
		if err != nil {
			return matched, 0, err
		}
		if m != 0 {
			if matched == 0 || v < best {
				best = v
			}
			matched++
		}
	}
	return matched, best, nil
}

// IoprioGet implements ioprio_get(2): a thread's own priority, or the
// best of a process group's or a user's threads.
func IoprioGet(t *kernel.Task, a kernel.Args) (uintptr, error) {
	which, who := int(int32(a[0])), int(int32(a[1]))
	if which == ioprioWhoUser && who == 0 {
		who = t.P.Creds().Uid
	}
	matched, v, err := ioprioRequest(t, which, who, kernel.IOPrioQuery{})
	if err != nil {
		return 0, err
	}
	if matched == 0 {
		return 0, unix.ESRCH
	}
	return uintptr(v), nil
}

// IoprioSet implements ioprio_set(2).
func IoprioSet(t *kernel.Task, a kernel.Args) (uintptr, error) {
	which, who, v := int(int32(a[0])), int(int32(a[1])), int(int32(a[2]))
	if err := checkIOPrio(t, v); err != nil {
		return 0, err
	}
	matched, _, err := ioprioRequest(t, which, who, kernel.IOPrioQuery{Set: true, Value: v})
	if err != nil {
		return 0, err
	}
	if matched == 0 {
		return 0, unix.ESRCH
	}
	return 0, nil
}
