// Guest entry and exit for the Linux host.
//
// A guest thread is a Go goroutine locked to its OS thread whose GS base
// points at its control block (cb_amd64.h, cb.go). Go on linux/amd64 never
// uses GS; guests do not either. Three ways lead out of guest code and all of
// them end in returnToGo, which resumes Go exactly where switchToGuest was
// called (runGuest, between entersyscall and exitsyscall):
//
//  1. sigsysHandler: the seccomp filter trapped a syscall instruction
//     (SIGSYS). The kernel saved the guest registers and FPU state in the
//     signal frame; we copy them into the control block and never call
//     rt_sigreturn. SA_NODEFER and an empty sa_mask mean skipping sigreturn
//     leaves the thread's signal mask as it was.
//  2. syscallEntry: a patched call site jumped here with RCX holding the
//     return address, as the syscall instruction would have set it.
//  3. faultHandler: a synchronous fault (SEGV, BUS, FPE, ILL, TRAP) in guest
//     code. Faults in Go code chain to the Go runtime's own handler.
//
// Signal handlers run on the Go signal stack (SA_ONSTACK), never on the guest
// stack: a guest stack may be a small goroutine stack of a Go guest.
//
// Only MOV, LEA, JMP, PUSHFQ/POPFQ and WRFSBASE/RDFSBASE touch guest state
// between the flags being restored and the guest running, so the guest's
// flags arrive intact.
//
// Without FSGSBASE (·fsgsbase is 0: an older kernel, or a virtual CPU that
// does not offer the instructions) the FS base is switched with
// arch_prctl(ARCH_SET_FS) instead, one host system call at each crossing.
// The guest's FS base is the one the LibOS last gave it (guest code cannot
// change it without WRFSBASE); whether a fault or trap hit guest code is
// told by the instruction pointer (faultHandler, sigsysHandler), and the
// interrupt handler, whose signal may reach a thread that no longer runs
// a guest thread, reads GS with arch_prctl(ARCH_GET_GS). In both modes the Go side
// finds a thread's control block in a spare slot of the Go runtime's TLS
// (GO_TLS_CB below), not through GS.

#include "textflag.h"
#include "cb_amd64.h"

// func switchToGuest()
//
// From the pending check to the final jump, an interrupt (kickHandler)
// abandons the entry and returns as if the guest had been interrupted: the
// control block still holds the guest's whole state.
TEXT ·switchToGuest(SB),NOSPLIT|NOFRAME,$0-0
	MOVQ	SP, CB_GOSP(GS)	// SP points at our return address
	MOVQ	BP, CB_GOBP(GS)
	CMPL	CB_PENDING(GS), $0
	JNE	interrupted
	// Guest FPU and vector state.
	MOVL	CB_XCR0LO(GS), AX
	MOVL	CB_XCR0HI(GS), DX
	MOVQ	CPU_FP(GS), CX
	XRSTOR64	(CX)
	// Guest TLS.
	MOVQ	CPU_FSBASE(GS), SI
	CMPB	·fsgsbase(SB), $0
	JEQ	setfs
	WRFSBASEQ	SI
fsset:
	// Guest flags, through the Go stack below our return address; never
	// with the trap flag set.
	MOVQ	CPU_RFLAGS(GS), AX
	ANDQ	$~0x100, AX
	PUSHQ	AX
	POPFQ
	MOVQ	CPU_RAX(GS), AX
	MOVQ	CPU_RBX(GS), BX
	MOVQ	CPU_RCX(GS), CX
	MOVQ	CPU_RDX(GS), DX
	MOVQ	CPU_RSI(GS), SI
	MOVQ	CPU_RDI(GS), DI
	MOVQ	CPU_RBP(GS), BP
	MOVQ	CPU_R8(GS), R8
	MOVQ	CPU_R9(GS), R9
	MOVQ	CPU_R10(GS), R10
	MOVQ	CPU_R11(GS), R11
	MOVQ	CPU_R12(GS), R12
	MOVQ	CPU_R13(GS), R13
	MOVQ	CPU_R14(GS), R14
	MOVQ	CPU_R15(GS), R15
	MOVQ	CPU_RSP(GS), SP
	JMP	CPU_RIP(GS)
interrupted:
	MOVQ	$REASON_INTERRUPT, CB_REASON(GS)
	RET
setfs:
	MOVQ	$ARCH_SET_FS, DI
	MOVQ	$SYS_ARCH_PRCTL, AX
	SYSCALL
	JMP	fsset

// RETURN_TO_GO resumes Go right after switchToGuest's call (returnToGo).
#define RETURN_TO_GO JMP returnToGo<>(SB)

// returnToGo puts Go's FS base back and returns from switchToGuest. GS
// holds the control block; every general register is free. The Go
// compiler reloads R14 (g) and X15 itself after calling an assembly
// function.
//
// The flags are reset first: a guest may leave EFLAGS.AC set (the kernel
// keeps it across signal delivery too), and Go code, which makes unaligned
// accesses, would then die of SIGBUS. DF and TF go with it.
TEXT returnToGo<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ	$2	// bit 1 is always set
	POPFQ
	MOVQ	CB_GOFS(GS), SI
	CMPB	·fsgsbase(SB), $0
	JEQ	setfs
	WRFSBASEQ	SI
	JMP	fsset
setfs:
	MOVQ	$ARCH_SET_FS, DI
	MOVQ	$SYS_ARCH_PRCTL, AX
	SYSCALL
fsset:
	MOVQ	CB_GOSP(GS), SP
	MOVQ	CB_GOBP(GS), BP
	RET

// SAVE_UCONTEXT copies the guest registers from the ucontext in DX and the
// FPU image it points to into the control block. Clobbers CX, SI, DI.
#define SAVE_UCONTEXT \
	MOVQ	UC_RAX(DX), CX; MOVQ	CX, CPU_RAX(GS); \
	MOVQ	UC_RBX(DX), CX; MOVQ	CX, CPU_RBX(GS); \
	MOVQ	UC_RCX(DX), CX; MOVQ	CX, CPU_RCX(GS); \
	MOVQ	UC_RDX(DX), CX; MOVQ	CX, CPU_RDX(GS); \
	MOVQ	UC_RSI(DX), CX; MOVQ	CX, CPU_RSI(GS); \
	MOVQ	UC_RDI(DX), CX; MOVQ	CX, CPU_RDI(GS); \
	MOVQ	UC_RBP(DX), CX; MOVQ	CX, CPU_RBP(GS); \
	MOVQ	UC_RSP(DX), CX; MOVQ	CX, CPU_RSP(GS); \
	MOVQ	UC_R8(DX), CX; MOVQ	CX, CPU_R8(GS); \
	MOVQ	UC_R9(DX), CX; MOVQ	CX, CPU_R9(GS); \
	MOVQ	UC_R10(DX), CX; MOVQ	CX, CPU_R10(GS); \
	MOVQ	UC_R11(DX), CX; MOVQ	CX, CPU_R11(GS); \
	MOVQ	UC_R12(DX), CX; MOVQ	CX, CPU_R12(GS); \
	MOVQ	UC_R13(DX), CX; MOVQ	CX, CPU_R13(GS); \
	MOVQ	UC_R14(DX), CX; MOVQ	CX, CPU_R14(GS); \
	MOVQ	UC_R15(DX), CX; MOVQ	CX, CPU_R15(GS); \
	MOVQ	UC_RIP(DX), CX; MOVQ	CX, CPU_RIP(GS); \
	MOVQ	UC_EFL(DX), CX; MOVQ	CX, CPU_RFLAGS(GS); \
	CMPB	·fsgsbase(SB), $0; \
	JEQ	3(PC); \
	RDFSBASEQ	CX; \
	MOVQ	CX, CPU_FSBASE(GS); \
	MOVQ	UC_FPREGS(DX), SI; \
	MOVQ	CPU_FP(GS), DI; \
	MOVL	$512, CX; \
	CMPL	FP_MAGIC1_OFF(SI), $FP_XSTATE_MAGIC1; \
	JNE	5(PC); \
	MOVL	FP_XSTATE_SIZE_OFF(SI), CX; \
	CMPQ	CX, CPU_FPSIZE(GS); \
	JLS	2(PC); \
	MOVQ	CPU_FPSIZE(GS), CX; \
	CLD; \
	REP;	MOVSB

// sigsysHandler is the SIGSYS handler (C ABI: DI signo, SI siginfo,
// DX ucontext). It is installed with SA_SIGINFO|SA_ONSTACK|SA_NODEFER.
//
// Without FSGSBASE it cannot read GS; the seccomp filter traps only calls
// made outside gophene's code, which only guest threads run (other
// threads run Go code and the vDSO's clock calls, which the filter
// allows), so a SIGSYS from outside our code is the guest's.
TEXT ·sigsysHandler(SB),NOSPLIT|NOFRAME,$0
	CMPB	·fsgsbase(SB), $0
	JEQ	byrip
	RDGSBASEQ	AX
	TESTQ	AX, AX
	JZ	chain
	JMP	guest
byrip:
	MOVQ	UC_RIP(DX), CX
	CALL	outsideText<>(SB)
	JNE	chain
guest:
	MOVL	SI_ARCH(SI), CX
	MOVQ	CX, CB_ARCH(GS)
	SAVE_UCONTEXT
	MOVQ	$REASON_TRAP, CB_REASON(GS)
	RETURN_TO_GO
chain:
	MOVQ	·goSigsysHandler(SB), AX
	JMP	AX

// syscallEntry is where patched guest call sites land: AX holds the
// system-call number, CX the return address; every other register and the
// flags are the guest's. The guest stack is not touched.
TEXT ·syscallEntry(SB),NOSPLIT|NOFRAME,$0
	MOVQ	AX, CPU_RAX(GS)
	MOVQ	BX, CPU_RBX(GS)
	MOVQ	CX, CPU_RCX(GS)
	MOVQ	CX, CPU_RIP(GS)
	MOVQ	DX, CPU_RDX(GS)
	MOVQ	SI, CPU_RSI(GS)
	MOVQ	DI, CPU_RDI(GS)
	MOVQ	BP, CPU_RBP(GS)
	MOVQ	SP, CPU_RSP(GS)
	MOVQ	R8, CPU_R8(GS)
	MOVQ	R9, CPU_R9(GS)
	MOVQ	R10, CPU_R10(GS)
	MOVQ	R12, CPU_R12(GS)
	MOVQ	R13, CPU_R13(GS)
	MOVQ	R14, CPU_R14(GS)
	MOVQ	R15, CPU_R15(GS)
	MOVQ	CB_GOSP(GS), SP
	PUSHFQ
	POPQ	AX
	MOVQ	AX, CPU_RFLAGS(GS)
	MOVQ	AX, CPU_R11(GS)	// the syscall instruction leaves RFLAGS in R11
	CLD
	CMPB	·fsgsbase(SB), $0
	JEQ	2(PC)
	CALL	saveFSBase<>(SB)
	MOVL	CB_XCR0LO(GS), AX
	MOVL	CB_XCR0HI(GS), DX
	MOVQ	CPU_FP(GS), CX
	XSAVEOPT64	(CX)
	LDMXCSR	CB_MXCSR(GS)
	MOVQ	$REASON_PATCHED, CB_REASON(GS)
	RETURN_TO_GO

// saveFSBase records the guest's FS base (FSGSBASE only).
TEXT saveFSBase<>(SB),NOSPLIT|NOFRAME,$0
	RDFSBASEQ	AX
	MOVQ	AX, CPU_FSBASE(GS)
	RET

// outsideText sets the flags to "equal" if the address in CX lies outside
// gophene's code (and the code ranges are known), "not equal" otherwise.
// Clobbers AX.
TEXT outsideText<>(SB),NOSPLIT|NOFRAME,$0
	MOVQ	·textEnd(SB), AX
	TESTQ	AX, AX
	JZ	inside
	CMPQ	CX, AX
	JAE	outside
	CMPQ	CX, ·textStart(SB)
	JAE	inside
outside:
	XORQ	AX, AX
	TESTQ	AX, AX
	RET
inside:
	MOVQ	$1, AX
	TESTQ	AX, AX
	RET

// faultHandler handles SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGTRAP for the
// whole process (C ABI). A fault in guest code (GS set and FS not Go's)
// leaves to Go; anything else goes to the Go runtime's handler unchanged.
// Without FSGSBASE, a fault is the guest's when it hit outside gophene's
// code: only guest threads run code outside it, besides the vDSO's clock
// functions that Go calls, which do not fault.
TEXT ·faultHandler(SB),NOSPLIT|NOFRAME,$0
	CMPB	·fsgsbase(SB), $0
	JEQ	byrip
	RDGSBASEQ	AX
	TESTQ	AX, AX
	JZ	chain
	RDFSBASEQ	CX
	CMPQ	CX, CB_GOFS(GS)
	JEQ	chain
	JMP	guest
byrip:
	MOVQ	UC_RIP(DX), CX
	CALL	outsideText<>(SB)
	JNE	chain
guest:
	MOVQ	DI, CB_SIGNO(GS)
	MOVLQSX	SI_CODE(SI), CX
	MOVQ	CX, CB_CODE(GS)
	MOVQ	SI_ADDR(SI), CX
	MOVQ	CX, CB_ADDR(GS)
	MOVQ	UC_TRAPNO(DX), CX
	MOVQ	CX, CB_TRAPNO(GS)
	MOVQ	UC_ERR(DX), CX
	MOVQ	CX, CB_ERR(GS)
	SAVE_UCONTEXT
	// The Go runtime's sigaction blocks every signal while a handler runs
	// and we never return through rt_sigreturn: put back the mask the
	// thread had when the fault hit.
	LEAQ	UC_SIGMASK(DX), SI
	MOVQ	$2, DI	// SIG_SETMASK
	MOVQ	$0, DX
	MOVQ	$8, R10
	MOVQ	$14, AX	// SYS_rt_sigprocmask
	SYSCALL
	MOVQ	$REASON_FAULT, CB_REASON(GS)
	RETURN_TO_GO
chain:
	LEAQ	·goFaultHandlers(SB), AX
	MOVQ	(AX)(DI*8), AX
	JMP	AX

// kickHandler is the handler of the interrupt signal (C ABI), installed
// with SA_SIGINFO|SA_ONSTACK|SA_NODEFER and without SA_RESTART, so that a
// host system call it interrupts fails with EINTR. Where the thread was
// decides what it does:
//   - not a guest thread: nothing;
//   - in rawBlocking before its syscall instruction: skip the call, EINTR;
//   - in switchToGuest after the pending check: abandon the entry;
//   - elsewhere in gophene's code: nothing (pending is seen later);
//   - in guest code: leave to Go as for a trapped system call.
// Without FSGSBASE the GS base is read with arch_prctl(ARCH_GET_GS): an
// interrupt can reach a thread that no longer runs a guest thread (one
// that was parked or ended since it was sent) while it is in the vDSO,
// outside gophene's code, and must not be taken for a guest's.
TEXT ·kickHandler(SB),NOSPLIT|NOFRAME,$0
	CMPB	·fsgsbase(SB), $0
	JEQ	getgs
	RDGSBASEQ	AX
	TESTQ	AX, AX
	JZ	done
	JMP	isguest
getgs:
	PUSHQ	DX
	PUSHQ	SI
	PUSHQ	DI
	SUBQ	$8, SP
	MOVQ	SP, SI
	MOVQ	$ARCH_GET_GS, DI
	MOVQ	$SYS_ARCH_PRCTL, AX
	SYSCALL
	MOVQ	0(SP), AX
	ADDQ	$8, SP
	POPQ	DI
	POPQ	SI
	POPQ	DX
	TESTQ	AX, AX
	JZ	done
isguest:
	MOVQ	UC_RIP(DX), CX
	CMPQ	CX, ·blockStart(SB)
	JB	notblock
	CMPQ	CX, ·blockSyscall(SB)
	JA	notblock
	MOVQ	$-4, UC_RAX(DX)	// -EINTR
	MOVQ	·blockSyscall(SB), CX
	ADDQ	$2, CX
	MOVQ	CX, UC_RIP(DX)
	RET
notblock:
	CMPQ	CX, ·entryStart(SB)
	JB	notentry
	CMPQ	CX, ·entryEnd(SB)
	JA	notentry
	MOVQ	$REASON_INTERRUPT, CB_REASON(GS)
	RETURN_TO_GO
notentry:
	CMPQ	CX, ·textStart(SB)
	JB	guest
	CMPQ	CX, ·textEnd(SB)
	JAE	guest
done:
	RET
guest:
	SAVE_UCONTEXT
	MOVQ	$REASON_INTERRUPT, CB_REASON(GS)
	RETURN_TO_GO

// func rawBlocking(nr, a1, a2, a3, a4, a5, a6 uintptr) (r, errno uintptr)
//
// A host system call that an interrupt can cut short: if the calling guest
// thread has an interrupt pending, or one arrives before the syscall
// instruction has run, it returns EINTR without blocking (kickHandler moves
// RIP past the instruction). Once the call runs, the interrupt signal itself
// makes the kernel return EINTR.
TEXT ·rawBlocking(SB),NOSPLIT,$0-72
	MOVQ	a1+8(FP), DI
	MOVQ	a2+16(FP), SI
	MOVQ	a3+24(FP), DX
	MOVQ	a4+32(FP), R10
	MOVQ	a5+40(FP), R8
	MOVQ	a6+48(FP), R9
	MOVQ	nr+0(FP), AX
	MOVQ	GO_TLS_CB(FS), R11	// blockStart
	TESTQ	R11, R11
	JZ	call
	CMPL	CB_PENDING(GS), $0
	JEQ	call
	MOVQ	$-4, AX
	JMP	result
call:
	SYSCALL	// blockSyscall
result:
	CMPQ	AX, $0xfffffffffffff001
	JLS	ok
	MOVQ	$-1, r+56(FP)
	NEGQ	AX
	MOVQ	AX, errno+64(FP)
	RET
ok:
	MOVQ	AX, r+56(FP)
	MOVQ	$0, errno+64(FP)
	RET

// func currentCB() uintptr: the calling thread's control block, or 0.
TEXT ·currentCB(SB),NOSPLIT,$0-8
	MOVQ	GO_TLS_CB(FS), AX
	MOVQ	AX, ret+0(FP)
	RET

// func setCurrentCB(addr uintptr): what currentCB returns on this thread.
TEXT ·setCurrentCB(SB),NOSPLIT,$0-8
	MOVQ	addr+0(FP), AX
	MOVQ	AX, GO_TLS_CB(FS)
	RET

// func goTLSSlots() (gp, cb uintptr): the Go runtime's TLS slot for g and
// the spare one GO_TLS_CB names (checked at start-up).
TEXT ·goTLSSlots(SB),NOSPLIT,$0-16
	MOVQ	(TLS), AX
	MOVQ	AX, gp+0(FP)
	MOVQ	GO_TLS_CB(FS), AX
	MOVQ	AX, cb+8(FP)
	RET

// Addresses of the handlers, taken here so they are the raw ABI0 entry
// points and not Go's ABIInternal wrappers.
TEXT ·kickHandlerAddr(SB),NOSPLIT,$0-8
	LEAQ	·kickHandler(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

TEXT ·switchToGuestAddr(SB),NOSPLIT,$0-8
	LEAQ	·switchToGuest(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

TEXT ·rawBlockingAddr(SB),NOSPLIT,$0-8
	LEAQ	·rawBlocking(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

TEXT ·sigsysHandlerAddr(SB),NOSPLIT,$0-8
	LEAQ	·sigsysHandler(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

TEXT ·faultHandlerAddr(SB),NOSPLIT,$0-8
	LEAQ	·faultHandler(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

TEXT ·syscallEntryAddr(SB),NOSPLIT,$0-8
	LEAQ	·syscallEntry(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func wrgsbase(addr uintptr)
TEXT ·wrgsbase(SB),NOSPLIT,$0-8
	MOVQ	addr+0(FP), AX
	WRGSBASEQ	AX
	RET

// func rdfsbase() uintptr
TEXT ·rdfsbase(SB),NOSPLIT,$0-8
	RDFSBASEQ	AX
	MOVQ	AX, ret+0(FP)
	RET

// func cpuid(leaf, sub uint32) (a, b, c, d uint32)
TEXT ·cpuid(SB),NOSPLIT,$0-24
	MOVL	leaf+0(FP), AX
	MOVL	sub+4(FP), CX
	CPUID
	MOVL	AX, a+8(FP)
	MOVL	BX, b+12(FP)
	MOVL	CX, c+16(FP)
	MOVL	DX, d+20(FP)
	RET

// func xgetbv() (lo, hi uint32)
TEXT ·xgetbv(SB),NOSPLIT,$0-8
	MOVL	$0, CX
	XGETBV
	MOVL	AX, lo+0(FP)
	MOVL	DX, hi+4(FP)
	RET
