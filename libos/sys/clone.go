package sys

// Implementation of clone and clone3 for threads (CLONE_VM|CLONE_THREAD):
// a new locked goroutine on a new host thread runs a copy of the caller's
// registers. Child processes come with process support.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/umem"
)

const (
	cloneVM            = 0x00000100
	cloneFS            = 0x00000200
	cloneFiles         = 0x00000400
	cloneSighand       = 0x00000800
	clonePidfd         = 0x00001000
	cloneVfork         = 0x00004000
	cloneParent        = 0x00008000
	cloneThread        = 0x00010000
	cloneNewns         = 0x00020000
	cloneNewuser       = 0x10000000
	cloneFs            = 0x00000200
	cloneSysvsem       = 0x00040000
	cloneSettls        = 0x00080000
	cloneParentSettid  = 0x00100000
	cloneChildCleartid = 0x00200000
	cloneDetached      = 0x00400000
	cloneChildSettid   = 0x01000000
	cloneIO            = 0x80000000
	cloneNamespaces    = 0x7e020080 | cloneNewns // NEWCGROUP, UTS, IPC, USER, PID, NET, TIME
)

// cloneArgs are clone's arguments, from either entry point.
type cloneArgs struct {
	flags               uint64
	stack               uint64 // the child's stack pointer (0: the parent's)
	parentTid, childTid uint64
	tls                 uint64
	exitSignal          uint64
	pidfd               uint64 // where CLONE_PIDFD stores the pidfd
}

// Clone implements clone(2): clone(flags, stack, parent_tid, child_tid, tls).
func Clone(t *kernel.Task, a kernel.Args) (uintptr, error) {
	flags := uint64(a[0]) &^ 0xff
	if flags&clonePidfd != 0 && flags&cloneParentSettid != 0 {
		return 0, unix.EINVAL // both would be stored through parent_tid
	}
	return doClone(t, cloneArgs{flags: flags, stack: uint64(a[1]), parentTid: uint64(a[2]),
		childTid: uint64(a[3]), tls: uint64(a[4]), exitSignal: uint64(a[0]) & 0xff, pidfd: uint64(a[2])})
}

// Clone3 implements clone3(2).
func Clone3(t *kernel.Task, a kernel.Args) (uintptr, error) {
	size := a[1]
	if size < 64 || size > 4096 {
		return 0, unix.EINVAL
	}
	var ca [11]uint64 // flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup
	buf := umem.StructBytes(&ca)
	n := min(size, uintptr(len(buf)))
	if err := t.CopyIn(a[0], buf[:n]); err != nil {
		return 0, err
	}
	if size > uintptr(len(buf)) {
		// Unknown trailing fields must be zero.
		rest := make([]byte, size-uintptr(len(buf)))
		if err := t.CopyIn(a[0]+uintptr(len(buf)), rest); err != nil {
			return 0, err
		}
		for _, b := range rest {
			if b != 0 {
				return 0, unix.E2BIG
			}
		}
	}
	if ca[4] > 64 || ca[9] != 0 || ca[10] != 0 || (ca[5] == 0) != (ca[6] == 0) {
		return 0, unix.EINVAL
	}
	stack := ca[5]
	if stack != 0 {
		stack += ca[6] // stacks grow down from the top of the area
	}
	return doClone(t, cloneArgs{flags: ca[0], stack: stack, parentTid: ca[3], childTid: ca[2], tls: ca[7],
		exitSignal: ca[4], pidfd: ca[1]})
}

func doClone(t *kernel.Task, c cloneArgs) (uintptr, error) {
	f := c.flags
	switch {
	case f&cloneThread != 0 && f&cloneSighand == 0,
		f&cloneSighand != 0 && f&cloneVM == 0,
		f&cloneThread != 0 && f&clonePidfd != 0:
		return 0, unix.EINVAL
	case f&(cloneNewns|cloneNewuser) != 0 && f&cloneFs != 0:
		return 0, unix.EINVAL // a new mount or user namespace with a shared fs context
	case f&cloneNamespaces != 0:
		return 0, unix.EPERM
	}
	if f&clonePidfd != 0 {
		// Where the pidfd goes must be writable before there is a child
		// (Linux fails the whole clone, and no child runs).
		var zero int32
		if err := kernel.CopyOutObj(t, uintptr(c.pidfd), &zero); err != nil {
			return 0, err
		}
	}
	if err := t.CheckSchedFork(); err != nil {
		return 0, err // a SCHED_DEADLINE thread
	}
	if f&cloneSysvsem != 0 {
		// Sharing the SysV undo list gives the process one, as
		// Linux's copy_semundo does (kcmp KCMP_SYSVSEM sees it).
		t.P.SemUndo.Store(true)
	}
	if f&cloneThread == 0 {
		// A new process. CLONE_VM without CLONE_THREAD (posix_spawn,
		// vfork) gets a copy of the memory, like fork.
		return newProcess(t, c)
	}
	parent := t.CPU
	mask := t.SigMask()
	child, err := t.P.StartTask(func(n *kernel.Task) {
		cpu := n.CPU
		fp := cpu.FP
		fpSize := cpu.FPSize
		*cpu = *parent
		cpu.FP, cpu.FPSize = fp, fpSize
		copy(cpu.FPState(), parent.FPState())
		cpu.Rax = 0
		if c.stack != 0 {
			cpu.Rsp = c.stack
		}
		if f&cloneSettls != 0 {
			cpu.FSBase = c.tls
		}
		n.SetSigMask(mask)
		n.Name = t.Name
		t.InheritThread(n, f&cloneIO != 0)
		t.KeysNewThread(n)
		tid := uint32(n.Tid)
		// Both ids are written before the child runs, as Linux does: the
		// child may look at them at once.
		if f&cloneParentSettid != 0 {
			kernel.CopyOutObj(n, uintptr(c.parentTid), &tid)
		}
		if f&cloneChildSettid != 0 {
			kernel.CopyOutObj(n, uintptr(c.childTid), &tid)
		}
		if f&cloneChildCleartid != 0 {
			n.ClearChildTid = uintptr(c.childTid)
		}
	})
	if err != nil {
		return 0, mapErr(err)
	}
	return uintptr(child.Tid), nil
}
