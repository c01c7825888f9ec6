package kernel

import (
	"fmt"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// Task is one guest thread.
type Task struct {
	P   *Process
	CPU *pal.CPU
	Tid int

	// ClearChildTid is set_tid_address's address: zeroed and woken at exit.
	ClearChildTid uintptr
	// RobustList and RobustLen are set_robust_list's arguments.
	RobustList, RobustLen uintptr
	// Name is the thread's comm (prctl PR_SET_NAME), at most 15 bytes.
	Name string
	// SigMask is the blocked-signal mask (signals themselves come later).
	SigMask uint64
	// AltStack is sigaltstack's stack (ss_sp, ss_flags, ss_size).
	AltStack [3]uint64
	// Policy and Priority are the scheduling policy the guest chose.
	Policy, Priority int

	exited bool
}

// StartTask starts a new guest thread whose registers are set by init
// (called on the new thread before it first enters the guest).
func (p *Process) StartTask(init func(t *Task)) (*Task, error) {
	p.tasksMu.Lock()
	tid := p.nextTid
	p.nextTid++
	p.tasksMu.Unlock()
	t := &Task{P: p, Tid: tid}
	ready := make(chan struct{})
	err := p.Host.ThreadStart(func(cpu *pal.CPU) {
		t.CPU = cpu
		init(t)
		p.tasksMu.Lock()
		p.tasks[tid] = t
		p.tasksMu.Unlock()
		close(ready)
		t.run()
	})
	if err != nil {
		return nil, err
	}
	<-ready
	return t, nil
}

// run is the guest thread's loop: enter the guest, serve what made it
// leave, repeat.
func (t *Task) run() {
	host := t.P.Host
	for !t.exited {
		ev := host.Run(t.CPU)
		switch ev.Kind {
		case pal.EventSyscall:
			if ev.Compat {
				t.CPU.Rax = NegErrno(unix.ENOSYS)
				continue
			}
			if ev.Trapped && t.P.Patch != nil {
				t.P.Patch(t)
			}
			t.syscall()
		case pal.EventFault:
			t.fault(ev)
		}
	}
	p := t.P
	p.tasksMu.Lock()
	delete(p.tasks, t.Tid)
	p.tasksMu.Unlock()
}

// syscall dispatches the system call in the task's registers. This is the
// hot path: no allocation, no lock.
func (t *Task) syscall() {
	cpu := t.CPU
	nr := cpu.Rax
	a := Args{uintptr(cpu.Rdi), uintptr(cpu.Rsi), uintptr(cpu.Rdx), uintptr(cpu.R10), uintptr(cpu.R8), uintptr(cpu.R9)}
	table := t.P.Table
	var ret uintptr
	var err error
	if nr < uint64(len(table)) && table[nr].Fn != nil {
		ret, err = table[nr].Fn(t, a)
	} else {
		name := fmt.Sprintf("#%d", nr)
		if nr < uint64(len(table)) && table[nr].Name != "" {
			name = table[nr].Name
		}
		t.P.warnOnce(nr, name)
		err = unix.ENOSYS
	}
	if err != nil {
		ret = uintptr(NegErrno(errnoOf(err)))
	}
	if t.P.Log.Enabled(LogTrace) {
		t.trace(nr, a, ret)
	}
	if !t.exited {
		cpu.Rax = uint64(ret)
	}
}

// fault handles a guest fault. Guest signal handlers come with signal
// support; until then a fault kills the process like an unhandled signal.
func (t *Task) fault(ev pal.Event) {
	t.P.Log.Debugf("tid %d: signal %d (code %d) at rip %#x, address %#x", t.Tid, ev.Signo, ev.Code, t.CPU.Rip, ev.Addr)
	t.KillProcess(int(ev.Signo))
}

// Exit ends this thread; the process ends with its last thread.
func (t *Task) Exit(code int) {
	t.exited = true
	if t.ClearChildTid != 0 {
		var zero [4]byte
		if t.CopyOut(t.ClearChildTid, zero[:]) == nil {
			t.P.Host.FutexWake((*uint32)(t.ptr(t.ClearChildTid)), 1)
		}
	}
	p := t.P
	p.tasksMu.Lock()
	delete(p.tasks, t.Tid)
	last := len(p.tasks) == 0
	p.tasksMu.Unlock()
	if last {
		p.Exit((code & 0xff) << 8)
	}
}

// KillProcess ends the whole process as killed by signal sig.
func (t *Task) KillProcess(sig int) {
	t.exited = true
	t.P.Exit(sig)
}

// ExitGroup ends the whole process.
func (t *Task) ExitGroup(code int) {
	t.exited = true
	t.P.Exit((code & 0xff) << 8)
}

// NegErrno is -e as a register value.
func NegErrno(e unix.Errno) uint64 { return -uint64(e) }
