package kernel

import (
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"gophene/libos/umem"
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
	// TimerSlack is prctl PR_SET_TIMERSLACK's value (0: the default).
	TimerSlack uint64
	// inGuest is set while the thread runs guest code, so that
	// /proc/<pid>/stat can tell running from sleeping in a system call.
	inGuest atomic.Bool
	// AltStack is sigaltstack's stack (ss_sp, ss_flags, ss_size).
	AltStack [3]uint64
	// Policy and Priority are the scheduling policy the guest chose.
	Policy, Priority int
	// Sched is the rest of what sched_setattr sets (schedattr.go).
	Sched SchedParams
	// io is the thread's I/O context (ioprio.go), nil until it has one.
	io atomic.Pointer[IOContext]
	// RestartFn continues a call restart_syscall resumes.
	RestartFn Handler
	// Fault describes the fault being delivered as a signal (for the
	// frame's trapno, err and cr2).
	Fault pal.Event

	// Signal state, guarded by P.sigMu.
	sigMask   uint64
	realMask  uint64 // during sigtimedwait: the mask before the wait (real_blocked)
	pending   sigQueue
	savedMask uint64
	haveSaved bool

	origRax uint64 // the system call being served, for restarts

	intr    chan struct{} // wakes LibOS-level waits on Interrupt
	aliveMu sync.Mutex
	alive   bool // the host thread (and CPU) still exist
	killed  atomic.Bool
	exiting bool // guarded by P.tasksMu: leaving, takes no more signals
	exited  bool // the run loop is over (task goroutine only)
	done    chan struct{}
}

// StartTask starts a new guest thread whose registers and state are set
// by init, which runs on the new thread before it first enters the guest.
func (p *Process) StartTask(init func(t *Task)) (*Task, error) {
	t := &Task{P: p, Tid: p.allocTid(), intr: make(chan struct{}, 1), done: make(chan struct{})}
	return t, p.launch(t, init)
}

// RunMainTask runs the first thread of a process, whose tid is the
// process id, on the calling goroutine; it returns when that thread ends
// (the process may go on with others: wait for it with Release).
func (p *Process) RunMainTask(init func(t *Task)) error {
	p.tasksMu.Lock()
	p.nextTid = p.Pid + 1
	p.tasksMu.Unlock()
	t := &Task{P: p, Tid: p.Pid, intr: make(chan struct{}, 1), done: make(chan struct{})}
	return p.Host.ThreadRun(p.taskBody(t, init, nil))
}

// allocTid hands out thread ids.
func (p *Process) allocTid() int {
	p.tasksMu.Lock()
	defer p.tasksMu.Unlock()
	tid := p.nextTid
	p.nextTid++
	return tid
}

// launch runs t on a new host thread.
func (p *Process) launch(t *Task, init func(t *Task)) error {
	ready := make(chan struct{})
	if err := p.Host.ThreadStart(p.taskBody(t, init, ready)); err != nil {
		return err
	}
	<-ready
	return nil
}

// taskBody is the life of task t on its host thread: init sets it up, it
// joins the process (then ready, if any, is closed), and it runs.
func (p *Process) taskBody(t *Task, init func(t *Task), ready chan struct{}) func(cpu *pal.CPU) {
	return func(cpu *pal.CPU) {
		t.CPU = cpu
		init(t)
		t.aliveMu.Lock()
		t.alive = true
		t.aliveMu.Unlock()
		p.tasksMu.Lock()
		p.tasks[t.Tid] = t
		p.tasksMu.Unlock()
		select {
		case <-p.exited:
			// Killed before it joined: killAll ended the process, then
			// looked for tasks, before this one was in the list.
			t.kill()
		default:
		}
		if ready != nil {
			close(ready)
		}
		t.run()
	}
}

// run is the guest thread's loop: enter the guest, serve what made it
// leave, deliver signals, repeat.
func (t *Task) run() {
	host := t.P.Host
	for !t.exited {
		t.inGuest.Store(true)
		ev := host.Run(t.CPU)
		t.inGuest.Store(false)
		var restart unix.Errno
		switch ev.Kind {
		case pal.EventSyscall:
			if ev.Compat {
				t.CPU.Rax = NegErrno(unix.ENOSYS)
				break
			}
			if ev.Trapped && t.P.Patch != nil {
				t.P.Patch(t)
			}
			restart = t.syscall()
		case pal.EventFault:
			t.fault(ev)
		}
		if !t.exited {
			t.deliverSignals(restart)
		}
	}
	t.finish()
}

// syscall dispatches the system call in the task's registers and returns
// a restart code if the call was cut short by a signal. This is the hot
// path: no allocation, no lock.
func (t *Task) syscall() unix.Errno {
	cpu := t.CPU
	nr := cpu.Rax
	t.origRax = nr
	a := Args{uintptr(cpu.Rdi), uintptr(cpu.Rsi), uintptr(cpu.Rdx), uintptr(cpu.R10), uintptr(cpu.R8), uintptr(cpu.R9)}
	table := t.P.Table
	var ret uintptr
	var err error
	if nr < uint64(len(table)) && table[nr].Fn != nil {
		ret, err = table[nr].Fn(t, a)
	} else {
		t.unsupported(nr)
		err = unix.ENOSYS
	}
	var restart unix.Errno
	if err != nil {
		e := errnoOf(err)
		if isRestart(e) {
			restart = e
		}
		ret = uintptr(NegErrno(e))
	}
	if t.P.Log.Enabled(LogTrace) {
		t.trace(nr, a, ret)
	}
	if !t.exited {
		cpu.Rax = uint64(ret)
	}
	return restart
}

func (t *Task) unsupported(nr uint64) {
	table := t.P.Table
	name := fmt.Sprintf("#%d", nr)
	if nr < uint64(len(table)) && table[nr].Name != "" {
		name = table[nr].Name
	}
	t.P.warnOnce(nr, name)
}

// fault turns a guest fault into a signal. Like Linux's force_sig, a
// blocked or ignored fault signal is unblocked and reset to its default.
func (t *Task) fault(ev pal.Event) {
	p := t.P
	sig := int(ev.Signo)
	if sig == int(unix.SIGSEGV) && p.MM.GrowDown(uintptr(ev.Addr), uintptr(min(p.Rlimit(unix.RLIMIT_STACK).Cur, 1<<62))) {
		return // a MAP_GROWSDOWN stack grew: the access runs again
	}
	p.Log.Debugf("tid %d: signal %d (code %d) at rip %#x, address %#x", t.Tid, sig, ev.Code, t.CPU.Rip, ev.Addr)
	p.sigMu.Lock()
	if t.sigMask&SigBit(sig) != 0 || p.actions[sig].Handler == SigIgn {
		t.sigMask &^= SigBit(sig)
		p.actions[sig] = SigAction{}
	}
	p.sigMu.Unlock()
	// The host reserves the whole guest window, so an access to a hole in
	// the guest's map faults as a protection error; Linux calls it a
	// missing mapping.
	if sig == int(unix.SIGSEGV) && ev.Code == segvAccErr {
		if _, mapped := p.MM.Lookup(uintptr(ev.Addr)); !mapped {
			ev.Code = segvMapErr
		}
	}
	t.Fault = ev
	info := NewSigInfo(sig, ev.Code)
	if sig != int(unix.SIGTRAP) || ev.Code != SiKernel {
		info.SetAddr(ev.Addr)
	}
	t.SignalTask(info)
}

// SIGSEGV codes.
const (
	segvMapErr = 1
	segvAccErr = 2
)

// Interrupt makes the thread stop what it is doing at the first chance:
// leave guest code, or give up an interruptible wait.
func (t *Task) Interrupt() {
	select {
	case t.intr <- struct{}{}:
	default:
	}
	t.aliveMu.Lock()
	if t.alive {
		t.P.Host.ThreadInterrupt(t.CPU)
	}
	t.aliveMu.Unlock()
}

// Interrupted is a channel that receives when the thread is interrupted;
// LibOS-level waits select on it.
func (t *Task) Interrupted() <-chan struct{} { return t.intr }

// Killed reports whether the thread has been told to end (exit_group,
// execve in another thread, a fatal signal).
func (t *Task) Killed() bool { return t.killed.Load() }

// kill makes the thread end at its next chance.
func (t *Task) kill() {
	t.killed.Store(true)
	t.Interrupt()
}

// exitNow ends the calling thread without touching guest memory.
func (t *Task) exitNow() {
	t.exited = true
	t.P.tasksMu.Lock()
	t.exiting = true
	t.P.tasksMu.Unlock()
}

// finish removes the ended thread from its process.
func (t *Task) finish() {
	p := t.P
	p.tasksMu.Lock()
	if p.tasks[t.Tid] == t {
		delete(p.tasks, t.Tid)
	}
	p.tasksMu.Unlock()
	t.aliveMu.Lock()
	t.alive = false
	t.aliveMu.Unlock()
	close(t.done)
}

// Exit ends this thread (exit(2)); the process ends with its last thread.
func (t *Task) Exit(code int) {
	t.exitNow()
	t.releaseRobustList()
	if t.ClearChildTid != 0 {
		var zero [4]byte
		if t.CopyOut(t.ClearChildTid, zero[:]) == nil {
			t.P.Host.FutexWake((*uint32)(t.ptr(t.ClearChildTid)), 1, ^uint32(0), true)
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
	t.P.killAll(sig)
	t.exitNow()
}

// ExitGroup ends the whole process (exit_group(2)).
func (t *Task) ExitGroup(code int) {
	t.P.killAll((code & 0xff) << 8)
	t.exitNow()
}

// KillOthers ends every other thread of the process and waits until they
// have left guest code for good (execve).
func (t *Task) KillOthers() {
	var others []*Task
	for _, o := range t.P.Tasks() {
		if o != t {
			others = append(others, o)
			o.kill()
		}
	}
	for _, o := range others {
		<-o.done
	}
}

// Robust futexes: when a thread ends holding a lock on its robust list,
// the lock word gets FUTEX_OWNER_DIED and one waiter is woken, as Linux
// does, so the next locker sees EOWNERDEAD.
const (
	futexWaiters    = 0x80000000
	futexOwnerDied  = 0x40000000
	futexTidMask    = 0x3fffffff
	robustListLimit = 2048
)

func (t *Task) releaseRobustList() {
	head := t.RobustList
	if head == 0 || t.RobustLen != 24 {
		return
	}
	var h [3]uint64 // list.next, futex_offset, list_op_pending
	if CopyInObj(t, head, &h) != nil {
		return
	}
	off := int64(h[1])
	entry := uintptr(h[0])
	for i := 0; entry != head && entry != 0 && i < robustListLimit; i++ {
		var next uint64
		if CopyInObj(t, entry&^1, &next) != nil {
			return
		}
		if entry != uintptr(h[2]) {
			t.futexDied(uintptr(int64(entry&^1) + off))
		}
		entry = uintptr(next)
	}
	if pending := uintptr(h[2]); pending != 0 {
		t.futexDied(uintptr(int64(pending&^1) + off))
	}
}

// futexDied marks a robust lock word owned by this thread as dead.
func (t *Task) futexDied(addr uintptr) {
	if addr%4 != 0 || !t.P.MM.Check(addr, 4, pal.ProtRead|pal.ProtWrite) {
		return
	}
	word := (*uint32)(umem.Ptr(addr))
	for {
		v := atomic.LoadUint32(word)
		if int(v&futexTidMask) != t.Tid {
			return
		}
		nv := v&futexWaiters | futexOwnerDied
		if atomic.CompareAndSwapUint32(word, v, nv) {
			if v&futexWaiters != 0 {
				t.P.Host.FutexWake(word, 1, ^uint32(0), true)
			}
			return
		}
	}
}

// NegErrno is -e as a register value.
func NegErrno(e unix.Errno) uint64 { return -uint64(e) }
