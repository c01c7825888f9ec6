// Package kernel holds the LibOS's process and thread model: the guest
// process (address space, mounts, fd table, credentials, limits), its tasks
// (one per guest thread, each a locked goroutine supplied by the PAL), the
// run loop that enters the guest, and system-call dispatch through the table
// that libos/arch/amd64 provides. Handlers live in libos/sys.
//
// It reaches the host only through pal.Host.
package kernel

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"gophene/libos/mm"
	"gophene/libos/vfs"
	"gophene/pal"
)

// Creds are a process's user and group identities.
type Creds struct {
	Uid, Euid, Suid, Fsuid int
	Gid, Egid, Sgid, Fsgid int
	Groups                 []int
	// Cap are the capability sets (caps.go), Securebits the
	// prctl(PR_SET_SECUREBITS) flags.
	Cap        CapSets
	Securebits uint32
}

// Rlimit is one resource limit.
type Rlimit struct{ Cur, Max uint64 }

// RlimitCount is the number of resource limits (RLIM_NLIMITS).
const RlimitCount = 16

// RlimInfinity is RLIM_INFINITY.
const RlimInfinity = ^uint64(0)

// Process is a guest process: everything its threads share.
type Process struct {
	Host  pal.Host
	Info  *pal.Info
	Log   *Logger
	Table Table
	MM    *mm.MM
	NS    *vfs.Namespace
	FDs   *FDTable

	watches pidWatches // pidfds' watches on other processes' ends

	// Patch, when set, rewrites the trapped system-call instruction of a
	// task so that later calls from that site do not trap; Patcher is the
	// object behind it (for checkpoints).
	Patch   func(t *Task)
	Patcher any
	// Fork creates a child process running a copy of t (set at boot).
	Fork func(t *Task, opt ForkOptions) (int, error)
	// VforkDone, set in the child of a vfork, releases the waiting parent;
	// it runs once, at the child's execve or exit.
	VforkDone func()
	vforkOnce sync.Once

	// Pid is the process id; ppid, pgid and sid (guarded by mu) its
	// parent, group and session.
	Pid             int
	ppid, pgid, sid int

	leader   *Leader // in pid 1: the process table
	link     *Link   // elsewhere: the link to the leader
	childMu  sync.Mutex
	children map[int]*childState
	childEv  chan struct{} // closed and replaced when a child changes state

	mu      sync.Mutex
	cwd     string
	umask   uint32
	creds   Creds
	rlimits [RlimitCount]Rlimit

	// Exe is the guest path of the running executable; Argv and Envv its
	// arguments and environment (for /proc/self).
	Exe        string
	Argv, Envv []string
	Auxv       []uint64
	StartTime  pal.Timespec
	BootID     [16]byte
	// uts are the host and domain names (guarded by mu; uts.go).
	uts UTS
	// MembarrierState are the process's membarrier(2) registrations
	// (Linux's MEMBARRIER_STATE_* bits); execve clears them.
	MembarrierState atomic.Uint32
	// SemUndo says the process has a SysV semaphore undo list (it made a
	// SEM_UNDO operation), for kcmp(KCMP_SYSVSEM).
	SemUndo atomic.Bool

	// Process attributes set through prctl and personality.
	PdeathSig  int
	Dumpable   int
	NoNewPrivs bool
	// Tunables are the written /proc/sys values and oom_score_adj.
	Tunables    Tunables
	Subreaper   bool
	Personality uint32
	Nice        int
	// NoASLR and BrkMax are the manifest's loader choices, kept for execve.
	NoASLR bool
	BrkMax uintptr
	// ChildTimes is the CPU time of waited-for children (RUSAGE_CHILDREN).
	ChildTimes pal.Times

	sigMu   sync.Mutex
	actions [65]SigAction
	shared  sigQueue // process-directed pending signals
	// Job control (jobctl.go): stopped and resume are guarded by sigMu;
	// stopFlag mirrors stopped for the lock-free return path.
	stopped  bool
	resume   chan struct{} // closed when a stop ends
	stopFlag atomic.Bool

	// Frames builds signal frames (set by the architecture code).
	Frames SigFrames
	// OnSignal, if set, is called whenever a signal is queued (signalfd).
	OnSignal func()

	timersMu sync.Mutex
	itimers  [3]*Timer
	// tasksEnded: Release saw every task end.
	tasksEnded bool
	timers     map[int]*Timer

	tasksMu sync.Mutex
	tasks   map[int]*Task
	nextTid int

	exitOnce sync.Once
	exited   chan struct{}
	status   atomic.Int32 // wait status, valid once exited is closed
	warned   [512]atomic.Bool
}

// NewProcess makes an empty process with pid 1.
func NewProcess(host pal.Host, table Table, log *Logger) *Process {
	p := &Process{
		Host: host, Info: host.Info(), Log: log, Table: table,
		MM: mm.New(host), NS: &vfs.Namespace{}, FDs: NewFDTable(),
		Pid: 1, pgid: 1, sid: 1,
		children: map[int]*childState{}, childEv: make(chan struct{}),
		cwd: "/", umask: 0o022, Dumpable: 1,
		tasks: map[int]*Task{}, nextTid: 1,
		exited: make(chan struct{}),
	}
	host.ClockGet(unix.CLOCK_REALTIME, &p.StartTime)
	host.RandomRead(p.BootID[:])
	for i := range p.rlimits {
		p.rlimits[i] = Rlimit{RlimInfinity, RlimInfinity}
	}
	p.rlimits[unix.RLIMIT_STACK] = Rlimit{8 << 20, RlimInfinity}
	p.rlimits[unix.RLIMIT_NOFILE] = Rlimit{1024, 1 << 20}
	p.rlimits[unix.RLIMIT_CORE] = Rlimit{0, RlimInfinity}
	p.rlimits[unix.RLIMIT_NPROC] = Rlimit{63704, 63704}
	p.rlimits[unix.RLIMIT_SIGPENDING] = Rlimit{63704, 63704}
	p.rlimits[unix.RLIMIT_MSGQUEUE] = Rlimit{819200, 819200}
	p.rlimits[unix.RLIMIT_MEMLOCK] = Rlimit{8 << 20, 8 << 20}
	p.rlimits[unix.RLIMIT_RTPRIO] = Rlimit{0, 0}
	p.rlimits[unix.RLIMIT_NICE] = Rlimit{0, 0}
	return p
}

// Cwd is the current directory (an absolute, resolved guest path).
func (p *Process) Cwd() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cwd
}

// SetCwd changes the current directory.
func (p *Process) SetCwd(dir string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cwd = dir
}

// Umask returns the file-creation mask.
func (p *Process) Umask() uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.umask
}

// SetUmask sets the mask and returns the old one.
func (p *Process) SetUmask(m uint32) uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.umask
	p.umask = m & 0o777
	return old
}

// Creds returns a copy of the credentials.
func (p *Process) Creds() Creds {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.creds
	c.Groups = append([]int(nil), c.Groups...)
	return c
}

// SetCreds replaces the credentials.
func (p *Process) SetCreds(c Creds) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.creds = c
}

// Rlimit returns resource limit r.
func (p *Process) Rlimit(r int) Rlimit {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rlimits[r]
}

// SetRlimit sets resource limit r.
func (p *Process) SetRlimit(r int, l Rlimit) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rlimits[r] = l
	if r == unix.RLIMIT_NOFILE {
		p.FDs.SetMax(int(min(l.Cur, 1<<20)))
	}
}

// Exit ends the whole process with a wait status (exit code << 8, or the
// signal number). The first call wins.
func (p *Process) Exit(status int) {
	p.exitOnce.Do(func() {
		p.status.Store(int32(status))
		close(p.exited)
	})
}

// Release finishes an exited process before its parent hears of it, in
// Linux's order: the remaining threads are gone, the files are closed (so
// their locks are released and pipe readers see end of file), a vfork
// parent goes on, and only then does the process become a zombie. It
// returns the wait status.
func (p *Process) Release() int {
	<-p.exited
	status := int(p.status.Load())
	tasks := p.Tasks()
	for _, t := range tasks {
		t.kill()
	}
	deadline := time.NewTimer(2 * time.Second) // a thread stuck in the host must not hold up the exit
	defer deadline.Stop()
	p.tasksEnded = true
	for _, t := range tasks {
		select {
		case <-t.done:
		case <-deadline.C:
			p.tasksEnded = false
		}
	}
	p.DeleteTimers()
	p.timersMu.Lock()
	for i, tm := range p.itimers {
		if tm != nil {
			tm.Delete()
			p.itimers[i] = nil
		}
	}
	p.timersMu.Unlock()
	p.FDs.CloseRange(0, int(^uint32(0)>>1), false)
	p.releaseVfork()
	if p.leader == nil {
		p.NotifyExit(status)
	}
	return status
}

// Detach ends a released process's ties to the rest of the guest and
// reports whether nothing of it runs any more, so that its host process
// may become another guest process: every task ended, and its link to the
// leader closed (the leader closes its end on the exit notice).
func (p *Process) Detach() bool {
	if p.link == nil {
		return false
	}
	select {
	case <-p.link.done:
	case <-time.After(time.Second):
		return false
	}
	p.link.close()
	return p.tasksEnded
}

// releaseVfork lets a vfork parent go on.
func (p *Process) releaseVfork() {
	if f := p.VforkDone; f != nil {
		p.vforkOnce.Do(f)
	}
}

// Wait blocks until the process has exited and returns its wait status.
func (p *Process) Wait() int {
	<-p.exited
	return int(p.status.Load())
}

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Tasks returns the live tasks.
func (p *Process) Tasks() []*Task {
	p.tasksMu.Lock()
	defer p.tasksMu.Unlock()
	ts := make([]*Task, 0, len(p.tasks))
	for _, t := range p.tasks {
		ts = append(ts, t)
	}
	return ts
}

// warnOnce logs that system call nr is unsupported, once per number.
func (p *Process) warnOnce(nr uint64, name string) {
	if nr < uint64(len(p.warned)) && p.warned[nr].Swap(true) {
		return
	}
	p.Log.Warnf("unsupported system call %s (%d)", name, nr)
}

// SigAction is a signal's disposition (struct sigaction).
type SigAction struct {
	Handler, Flags, Restorer, Mask uint64
}

// SigAction returns signal sig's disposition.
func (p *Process) SigAction(sig int) SigAction {
	p.sigMu.Lock()
	defer p.sigMu.Unlock()
	return p.actions[sig]
}

// SetSigAction changes signal sig's disposition.
func (p *Process) SetSigAction(sig int, a SigAction) {
	p.sigMu.Lock()
	defer p.sigMu.Unlock()
	p.actions[sig] = a
}

// Rlimits returns all resource limits.
func (p *Process) Rlimits() []Rlimit {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Rlimit(nil), p.rlimits[:]...)
}

// Actions returns every signal disposition.
func (p *Process) Actions() []SigAction {
	p.sigMu.Lock()
	defer p.sigMu.Unlock()
	return append([]SigAction(nil), p.actions[:]...)
}

// SetActions replaces every signal disposition.
func (p *Process) SetActions(a []SigAction) {
	p.sigMu.Lock()
	defer p.sigMu.Unlock()
	copy(p.actions[:], a)
}

// ResetActionsForExec resets caught signals to their default, as execve
// does; ignored signals stay ignored.
func (p *Process) ResetActionsForExec() {
	p.sigMu.Lock()
	defer p.sigMu.Unlock()
	for i := range p.actions {
		if p.actions[i].Handler != SigIgn {
			p.actions[i] = SigAction{}
		} else {
			p.actions[i].Flags, p.actions[i].Mask, p.actions[i].Restorer = 0, 0, 0
		}
	}
}

// ForkOptions are clone's choices for a new process.
type ForkOptions struct {
	Stack         uintptr // the child's stack pointer, 0 for the parent's
	TLS           uintptr // the child's FS base if SetTLS
	SetTLS        bool
	ChildTid      uintptr // CLONE_CHILD_SETTID
	ClearChildTid uintptr // CLONE_CHILD_CLEARTID
	// ExitSignal is the signal the parent gets when the child ends (0:
	// none).
	ExitSignal int
	// Vfork makes the parent wait until the child execs or exits.
	Vfork bool
}
