package linux

import (
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"unsafe"
	_ "unsafe" // for go:linkname

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// The Go runtime sees a goroutine running guest code as being in a system
// call: the scheduler hands its P to others, and stop-the-world and the
// garbage collector go ahead without waiting for the guest. These two are on
// the runtime's list of symbols other packages may link to.

//go:linkname entersyscall runtime.entersyscall
func entersyscall()

//go:linkname exitsyscall runtime.exitsyscall
func exitsyscall()

// runGuest runs guest code until it leaves. entersyscall and exitsyscall
// must be called from the same frame with the same stack pointer, which is
// why this function is nosplit and does nothing else.
//
//go:nosplit
func runGuest() {
	entersyscall()
	switchToGuest()
	exitsyscall()
}

// guestSignalMask is the host signal mask of every guest thread: all
// asynchronous signals stay blocked for the thread's whole life, because a
// Go signal handler that lands while FS holds the guest's TLS finds no g and
// crashes. Only the synchronous ones stay open (SIGSYS for the trap, the
// faults for the guest and for Go's own nil checks).
var guestSignalMask = func() uint64 {
	mask := ^uint64(0)
	for _, s := range []unix.Signal{unix.SIGSYS, unix.SIGSEGV, unix.SIGBUS, unix.SIGFPE, unix.SIGILL, unix.SIGTRAP, sigKick} {
		mask &^= 1 << (uint(s) - 1)
	}
	return mask
}()

// ThreadStart runs fn on a locked OS thread set up for guest code: a
// parked one if there is one, otherwise a new one.
func (h *Host) ThreadStart(fn func(cpu *pal.CPU)) error {
	cb, err := h.newControlBlock()
	if err != nil {
		return err
	}
	h.guestThreads.Add(1)
	j := guestJob{cb, fn}
	select {
	case w := <-h.parked:
		w <- j
	default:
		go h.guestThread(j)
	}
	return nil
}

// guestJob is a guest thread to run.
type guestJob struct {
	cb *controlBlock
	fn func(cpu *pal.CPU)
}

// maxParkedThreads bounds the ended guest threads kept for new ones.
// Creating a thread and ending it (clone, the Go runtime's set-up of an
// M, exit) costs more than handing a parked one its next guest thread.
const maxParkedThreads = 8

// guestThread runs guest threads on one locked OS thread, and between
// them parks, up to maxParkedThreads at a time.
func (h *Host) guestThread(j guestJob) {
	runtime.LockOSThread()
	// A Go fault at a guest address (a bad guest pointer followed by
	// LibOS code) becomes a recoverable panic, not a crash.
	debug.SetPanicOnFault(true)
	mask := guestSignalMask
	unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&mask)), 0, 8, 0, 0)
	tid := uintptr(unix.Gettid())
	next := make(chan guestJob)
	for {
		h.runJob(j, tid)
		select {
		case h.parked <- next:
		default:
			return // returning without UnlockOSThread ends the thread
		}
		j = <-next
	}
}

// ThreadRun runs fn as a guest thread on the calling goroutine.
func (h *Host) ThreadRun(fn func(cpu *pal.CPU)) error {
	cb, err := h.newControlBlock()
	if err != nil {
		return err
	}
	h.guestThreads.Add(1)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	mask := guestSignalMask
	var old uint64
	unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&mask)), uintptr(unsafe.Pointer(&old)), 8, 0, 0)
	defer unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&old)), 0, 8, 0, 0)
	h.runJob(guestJob{cb, fn}, uintptr(unix.Gettid()))
	return nil
}

// runJob runs one guest thread on the calling, locked, host thread.
func (h *Host) runJob(j guestJob, tid uintptr) {
	cb := j.cb
	cb.goFS = fsBase()
	cb.tid = tid
	cb.cpuBase, cb.userBase, cb.sysBase = threadCPUTime()
	setGSBase(uintptr(unsafe.Pointer(cb)))
	setCurrentCB(uintptr(unsafe.Pointer(cb)))
	j.fn(&cb.cpu)
	setCurrentCB(0)
	setGSBase(0)
	if cb.affinity {
		h.resetAffinity(tid)
	}
	h.freeControlBlock(cb)
	if h.guestThreads.Add(-1) == 0 {
		select {
		case h.threadsIdle <- struct{}{}:
		default:
		}
	}
}

// threadCPUTime reads the calling thread's CPU time: its clock, and its
// user and system time, in ns.
func threadCPUTime() (clock, user, sys int64) {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_THREAD, &ru)
	return ts.Nano(), ru.Utime.Nano(), ru.Stime.Nano()
}

// resetAffinity gives a parked thread the process's CPU mask back.
func (h *Host) resetAffinity(tid uintptr) {
	unix.RawSyscall(unix.SYS_SCHED_SETAFFINITY, tid, unsafe.Sizeof(h.cpus), uintptr(unsafe.Pointer(&h.cpus)))
}

// Run enters the guest on the calling guest thread and returns at its next
// system call or fault.
func (h *Host) Run(cpu *pal.CPU) pal.Event {
	cb := (*controlBlock)(unsafe.Pointer(cpu))
	runGuest()
	switch cb.reason {
	case reasonTrap:
		return pal.Event{Kind: pal.EventSyscall, Trapped: true, Compat: cb.arch != auditArchX8664}
	case reasonPatched:
		return pal.Event{Kind: pal.EventSyscall}
	case reasonFault:
		return pal.Event{Kind: pal.EventFault, Signo: int32(cb.signo), Code: int32(cb.code),
			Addr: cb.addr, Trapno: cb.trapno, ErrCode: cb.errcode}
	default:
		atomic.StoreUint64(&cb.pending, 0)
		return pal.Event{Kind: pal.EventInterrupt}
	}
}

// Control blocks of ended threads are kept for the next ones: mapping a
// fresh one and unmapping it costs page faults and a TLB shootdown across
// every CPU the process runs on, which made up most of a thread's
// creation.
const maxIdleControlBlocks = 64

// newControlBlock maps (or reuses) and initialises a control block.
func (h *Host) newControlBlock() (*controlBlock, error) {
	size := cbSize(h.fpSize)
	var p unsafe.Pointer
	h.cbMu.Lock()
	if n := len(h.cbIdle); n > 0 {
		p = unsafe.Pointer(h.cbIdle[n-1])
		h.cbIdle = h.cbIdle[:n-1]
	}
	h.cbMu.Unlock()
	if p != nil {
		clear(unsafe.Slice((*byte)(p), size))
	} else {
		var err error
		if p, err = unix.MmapPtr(-1, 0, nil, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS); err != nil {
			return nil, palErr(err)
		}
	}
	cb := (*controlBlock)(p)
	cb.cpu.FP = (*byte)(unsafe.Add(p, fpOffset))
	cb.cpu.FPSize = uint64(h.fpSize)
	cb.xcr0 = h.xcr0
	cb.entry = syscallEntryAddr()
	cb.mxcsr = 0x1f80
	// A clean FPU: XSTATE_BV = 0 puts every component in its initial
	// state; MXCSR is loaded from the legacy area regardless.
	fp := cb.cpu.FPState()
	*(*uint32)(unsafe.Pointer(&fp[24])) = 0x1f80
	*(*uint16)(unsafe.Pointer(&fp[0])) = 0x37f
	return cb, nil
}

func (h *Host) freeControlBlock(cb *controlBlock) {
	h.cbMu.Lock()
	if len(h.cbIdle) < maxIdleControlBlocks {
		h.cbIdle = append(h.cbIdle, cb)
		cb = nil
	}
	h.cbMu.Unlock()
	if cb != nil {
		unix.MunmapPtr(unsafe.Pointer(cb), cbSize(h.fpSize))
	}
}

// ThreadYield gives up the CPU.
func (h *Host) ThreadYield() { unix.Syscall(unix.SYS_SCHED_YIELD, 0, 0, 0) }

// ThreadSetAffinity pins the host thread running the guest thread cpu.
func (h *Host) ThreadSetAffinity(cpu *pal.CPU, mask []byte) error {
	if len(mask) == 0 {
		return pal.ErrInvalid
	}
	cb := (*controlBlock)(unsafe.Pointer(cpu))
	cb.affinity = true
	_, _, e := unix.RawSyscall(unix.SYS_SCHED_SETAFFINITY, cb.tid, uintptr(len(mask)), uintptr(unsafe.Pointer(&mask[0])))
	return errnoErr(e)
}

// ThreadGetAffinity reads the CPU mask of the host thread running cpu.
func (h *Host) ThreadGetAffinity(cpu *pal.CPU, mask []byte) (int, error) {
	if len(mask) == 0 {
		return 0, pal.ErrInvalid
	}
	tid := (*controlBlock)(unsafe.Pointer(cpu)).tid
	n, _, e := unix.RawSyscall(unix.SYS_SCHED_GETAFFINITY, tid, uintptr(len(mask)), uintptr(unsafe.Pointer(&mask[0])))
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(n), nil
}

// ThreadGetCPU returns the CPU and node the caller runs on.
func (h *Host) ThreadGetCPU() (int, int) {
	var cpu, node uint32
	unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), uintptr(unsafe.Pointer(&node)), 0)
	return int(cpu), int(node)
}
