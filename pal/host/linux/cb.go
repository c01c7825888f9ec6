package linux

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// controlBlock is one guest thread's state, reached by the assembly through
// GS. It is mmap'ed, never on the Go heap, so the garbage collector never
// moves or scans it. Offsets must match cb_amd64.h (checked by a test).
type controlBlock struct {
	cpu     pal.CPU
	_       [256 - unsafe.Sizeof(pal.CPU{})]byte
	goSP    uintptr // Go stack pointer at switchToGuest's return address
	goBP    uintptr
	goFS    uintptr // the Go runtime's FS base for this thread
	reason  uint64  // why the guest left (reason* below)
	signo   uint64  // fault: signal number
	code    uint64  // fault: si_code
	addr    uint64  // fault: si_addr
	xcr0    uint64  // feature mask for XSAVE/XRSTOR (low, high halves)
	entry   uintptr // syscallEntry, for patched stubs' jmp *%gs:entry
	mxcsr   uint64  // MXCSR value Go code runs with
	arch    uint64  // SIGSYS: si_arch of the trapped call
	trapno  uint64
	errcode uint64
	inGuest uint64
	tid     uintptr // host thread id, for affinity calls and interrupts
	// pending is set by ThreadInterrupt before it signals the thread: the
	// next entry into the guest or interruptible host call returns at once.
	pending uint64
	// The host thread's CPU time when the guest thread started on it
	// (threads are reused): clock ns, and rusage user and system ns.
	cpuBase, userBase, sysBase int64
	// affinity is set when the guest changed the thread's CPU mask.
	affinity bool
}

// Exit reasons written by the assembly.
const (
	reasonTrap      = 1
	reasonPatched   = 2
	reasonFault     = 3
	reasonInterrupt = 4
)

// fpOffset is where the XSAVE image starts inside the block (64-byte aligned).
const fpOffset = 1024

// cbEntryOffset is the offset of controlBlock.entry, used in SyscallJump.
const cbEntryOffset = 320

// cbSize is the size of a control block for an XSAVE image of fpSize bytes.
func cbSize(fpSize int) uintptr {
	return (fpOffset + uintptr(fpSize) + 4095) &^ 4095
}

// Implemented in entry_amd64.s.
func switchToGuest()
func switchToGuestAddr() uintptr
func kickHandlerAddr() uintptr
func rawBlockingAddr() uintptr
func rawBlocking(nr, a1, a2, a3, a4, a5, a6 uintptr) (r, errno uintptr)
func sigsysHandlerAddr() uintptr
func faultHandlerAddr() uintptr
func syscallEntryAddr() uintptr
func currentCB() uintptr
func setCurrentCB(addr uintptr)
func goTLSSlots() (gp, cb uintptr)
func wrgsbase(addr uintptr)
func rdfsbase() uintptr
func cpuid(leaf, sub uint32) (a, b, c, d uint32)
func xgetbv() (lo, hi uint32)

// fsgsbase is 1 when user space may use the RD/WR{FS,GS}BASE instructions
// (checkCPU); otherwise the entry code switches FS with arch_prctl, read
// by the assembly.
var fsgsbase uint8

// setGSBase points the calling thread's GS base at addr.
func setGSBase(addr uintptr) {
	if fsgsbase != 0 {
		wrgsbase(addr)
		return
	}
	unix.RawSyscall(unix.SYS_ARCH_PRCTL, archSetGS, addr, 0)
}

// fsBase reads the calling thread's FS base.
func fsBase() uintptr {
	if fsgsbase != 0 {
		return rdfsbase()
	}
	var base uintptr
	unix.RawSyscall(unix.SYS_ARCH_PRCTL, archGetFS, uintptr(unsafe.Pointer(&base)), 0)
	return base
}

// arch_prctl codes.
const (
	archSetGS = 0x1001
	archGetFS = 0x1003
)

// Jump targets for signals that are not the guest's, read by the assembly.
var (
	goSigsysHandler uintptr
	goFaultHandlers [65]uintptr
)

// Code addresses the interrupt handler needs, found by findCodeRanges.
var (
	// [entryStart, entryEnd]: switchToGuest between its pending check and
	// its jump into the guest; an interrupt there abandons the entry.
	entryStart, entryEnd uintptr
	// [blockStart, blockSyscall]: rawBlocking from its pending check up to
	// its syscall instruction; an interrupt there skips the call (EINTR).
	blockStart, blockSyscall uintptr
	// [textStart, textEnd): all of gophene's code.
	textStart, textEnd uintptr
)

// runningCB is the control block of the guest thread the caller runs on,
// or nil on other threads. Control blocks are mapped outside the Go heap,
// so the address in GS is a valid pointer.
func runningCB() *controlBlock {
	p := currentCB()
	return *(**controlBlock)(unsafe.Pointer(&p))
}
