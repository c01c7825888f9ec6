// Offsets into a guest thread's control block (see cb.go). GS holds the
// block's address while a guest thread runs. The first part is a pal.CPU.
#define CPU_RAX 0
#define CPU_RBX 8
#define CPU_RCX 16
#define CPU_RDX 24
#define CPU_RSI 32
#define CPU_RDI 40
#define CPU_RBP 48
#define CPU_RSP 56
#define CPU_R8 64
#define CPU_R9 72
#define CPU_R10 80
#define CPU_R11 88
#define CPU_R12 96
#define CPU_R13 104
#define CPU_R14 112
#define CPU_R15 120
#define CPU_RIP 128
#define CPU_RFLAGS 136
#define CPU_FSBASE 144
#define CPU_GSBASE 152
#define CPU_FP 160
#define CPU_FPSIZE 168

#define CB_GOSP 256
#define CB_GOBP 264
#define CB_GOFS 272
#define CB_REASON 280
#define CB_SIGNO 288
#define CB_CODE 296
#define CB_ADDR 304
#define CB_XCR0LO 312
#define CB_XCR0HI 316
#define CB_ENTRY 320
#define CB_MXCSR 328
#define CB_ARCH 336
#define CB_TRAPNO 344
#define CB_ERR 352
#define CB_INGUEST 360
#define CB_TID 368
#define CB_PENDING 376

// Reasons stored in CB_REASON.
#define REASON_TRAP 1
#define REASON_PATCHED 2
#define REASON_FAULT 3
#define REASON_INTERRUPT 4

// Offsets into the kernel's ucontext_t (x86-64).
#define UC_R8 40
#define UC_R9 48
#define UC_R10 56
#define UC_R11 64
#define UC_R12 72
#define UC_R13 80
#define UC_R14 88
#define UC_R15 96
#define UC_RDI 104
#define UC_RSI 112
#define UC_RBP 120
#define UC_RBX 128
#define UC_RDX 136
#define UC_RAX 144
#define UC_RCX 152
#define UC_RSP 160
#define UC_RIP 168
#define UC_EFL 176
#define UC_ERR 192
#define UC_TRAPNO 200
#define UC_FPREGS 224
#define UC_SIGMASK 296

// Offsets into siginfo_t.
#define SI_CODE 8
#define SI_ADDR 16
#define SI_ARCH 28

// struct _fpx_sw_bytes sits at byte 464 of the legacy FXSAVE area.
#define FP_MAGIC1_OFF 464
#define FP_XSTATE_SIZE_OFF 480
#define FP_XSTATE_MAGIC1 0x46505853

// The Go runtime's TLS on linux/amd64 is m.tls, with FS pointing at
// m.tls[1] and g in m.tls[0] (-8(FS)); the other slots are unused. The
// first of them holds the control block of the guest thread a host thread
// runs, so Go code finds it without reading GS.
#define GO_TLS_CB 0

// arch_prctl, for hosts without FSGSBASE.
#define SYS_ARCH_PRCTL 158
#define ARCH_SET_FS 0x1002
#define ARCH_GET_GS 0x1004
