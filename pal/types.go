package pal

import "unsafe"

// Handle names a host object: a file, directory, pipe, console or device.
// Its value means nothing to the LibOS.
type Handle int32

// NoHandle is the zero value for "no handle".
const NoHandle Handle = -1

// Prot is a memory protection.
type Prot uint32

// Memory protections; the values are Linux's PROT_* values.
const (
	ProtNone  Prot = 0
	ProtRead  Prot = 1
	ProtWrite Prot = 2
	ProtExec  Prot = 4
)

// Range is a half-open address range [Start, End).
type Range struct{ Start, End uintptr }

// Size is End - Start.
func (r Range) Size() uintptr { return r.End - r.Start }

// Contains reports whether [addr, addr+size) lies within r.
func (r Range) Contains(addr, size uintptr) bool {
	return addr >= r.Start && addr+size >= addr && addr+size <= r.End
}

// Info describes the host. It is filled once when the host starts.
type Info struct {
	Name        string  // host name, e.g. "linux"
	ProcessID   int     // the host's id of this process (lock owners name it)
	PageSize    uintptr // always 4096 on x86-64
	CPUCount    int     // online CPUs
	MemTotal    uint64  // bytes of host RAM
	MemFree     uint64  // bytes available at start
	BootTime    Timespec
	GuestRanges []Range // where guest memory may be placed
	// VDSO is the host vDSO the guest may call directly (zero if none);
	// VVar are the data pages it reads.
	VDSO Range
	VVar []Range
	// Auxiliary vector values the guest's loader expects.
	HWCap, HWCap2, MinSigStkSz uint64
	Platform                   string
	// SyscallJump is machine code which, placed in a guest stub with RCX
	// holding the return address, enters the host's system-call path
	// without a trap. Empty if the host has no such path.
	SyscallJump []byte
	// Caps are the capability sets the host process runs with:
	// effective, permitted, inheritable, bounding and ambient.
	Caps [5]uint64
	// FSGSBase says whether entering and leaving guest code switches the
	// FS base without a host system call (the CPU's FSGSBASE instructions).
	FSGSBase bool
	// FPStateSize is the size of a thread's FPU state buffer (CPU.FPSize);
	// XSaveSize is how much of it the XSAVE image uses, and XSaveFeatures
	// the state components it holds (XCR0).
	FPStateSize   int
	XSaveSize     int
	XSaveFeatures uint64
	// Kernel identity for uname: release and version strings of the host.
	KernelRelease, KernelVersion string
	// Hostname is the host's name.
	Hostname string
	// CPUInfo describes the processors in Linux's /proc/cpuinfo format
	// (computed on first use).
	CPUInfo func() string
	// Parent is, in a process started by ProcessCreate, the stream to the
	// process that started it; NoHandle in the first process.
	Parent Handle
}

// CopyRange is a range of private guest memory to plan a copy of (see
// Host.MemoryCopyPlan); File says it maps a file privately, which is then
// its base.
type CopyRange struct {
	Start, End uintptr
	File       bool
}

// MemoryPiece is part of a plan to recreate private memory in another
// process (see Host.MemoryCopyPlan).
type MemoryPiece struct {
	Start, End uintptr
	Base       Handle // map privately from here (NoHandle: zeros, or the file)
	BaseOffset int64
	Dirty      []Range // pages whose contents must be copied over
}

// CPU is a guest thread's user-mode register state. Hosts lay out their
// per-thread control blocks so that a *CPU points straight into them; the
// field order is part of the host's assembly and must not change.
type CPU struct {
	Rax, Rbx, Rcx, Rdx, Rsi, Rdi, Rbp, Rsp uint64
	R8, R9, R10, R11, R12, R13, R14, R15   uint64
	Rip, Rflags                            uint64
	FSBase                                 uint64 // guest TLS base
	GSBase                                 uint64 // guest's own GS base (emulated)
	// FP points to FPSize bytes of FPU state in XSAVE standard format.
	FP     *byte
	FPSize uint64
}

// FPState returns the thread's FPU state image.
func (c *CPU) FPState() []byte {
	return unsafe.Slice(c.FP, c.FPSize)
}

// EventKind says why Run returned.
type EventKind uint32

// Events that end a Run.
const (
	// EventSyscall: the guest made a system call; Rax holds its number,
	// Rip the address after the instruction.
	EventSyscall EventKind = iota + 1
	// EventFault: the guest faulted; Signo, Code and Addr describe it and
	// Rip is the faulting instruction.
	EventFault
	// EventInterrupt: the thread was interrupted from outside.
	EventInterrupt
)

// Event is the result of Run.
type Event struct {
	Kind EventKind
	// Trapped is set for a system call that arrived by trap rather than
	// through a patched call site; the instruction is at Rip-2.
	Trapped bool
	// Compat is set when the guest used the 32-bit system-call ABI.
	Compat  bool
	Signo   int32
	Code    int32
	Addr    uint64
	Trapno  uint64
	ErrCode uint64
}

// Timespec is a time in seconds and nanoseconds.
type Timespec struct{ Sec, Nsec int64 }

// Nano returns t in nanoseconds.
func (t Timespec) Nano() int64 { return t.Sec*1e9 + t.Nsec }

// TimespecOf converts nanoseconds to a Timespec.
func TimespecOf(ns int64) Timespec { return Timespec{Sec: ns / 1e9, Nsec: ns % 1e9} }

// Stat describes a file (the union of stat and statx).
type Stat struct {
	Dev, Ino, Nlink, Rdev uint64
	Mode, Uid, Gid        uint32
	Mask                  uint32 // STATX_* bits that are valid
	Size, Blksize, Blocks int64
	Atime, Mtime, Ctime   Timespec
	Btime                 Timespec
	Attributes, AttrMask  uint64
	MountID               uint64
}

// Statfs describes a file system.
type Statfs struct {
	Type, Bsize, Frsize, Flags, Namelen int64
	Blocks, Bfree, Bavail, Files, Ffree uint64
	Fsid                                [2]int32
}

// PollFd is one entry of a StreamWait call (Linux POLL* event bits).
type PollFd struct {
	H       Handle
	Events  int16
	Revents int16
}

// XattrOp selects what FileXattr does.
type XattrOp int

// Extended-attribute operations.
const (
	XattrGet XattrOp = iota
	XattrList
	XattrSet
	XattrRemove
)

// Times is CPU time used.
type Times struct {
	User, System Timespec
	// MaxRSS is the peak resident set in KiB.
	MaxRSS int64
	// MinorFaults, MajorFaults and context switches, as getrusage counts them.
	MinorFaults, MajorFaults, VolSwitches, InvolSwitches int64
}

// Lock is a record lock, laid out as Linux's struct flock on x86-64.
type Lock struct {
	Type, Whence int16 // F_RDLCK, F_WRLCK, F_UNLCK; SEEK_SET, SEEK_CUR, SEEK_END
	Start, Len   int64
	Pid          int32
}
