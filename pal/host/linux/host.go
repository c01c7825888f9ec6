// Package linux is the PAL host for Linux x86-64: guest code runs in this
// process on locked goroutines, its system calls are caught by a seccomp
// trap and by patched call sites, and every PAL call is a host system call.
//
// It owns the guest address window (reserved at start-up), the per-thread
// control blocks, the seccomp filter, the SIGSYS and fault handlers and the
// host file descriptors behind pal.Handle values. It knows nothing of Linux
// guest semantics: paths, fds, pids and signals belong to the LibOS.
package linux

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// Host implements pal.Host on Linux.
type Host struct {
	info    pal.Info
	tmpBase string    // where tmpfs mounts' directories go (tmpdir.go)
	fpSize  int       // bytes of one XSAVE image
	xcr0    uint64    // XSAVE feature mask
	text    pal.Range // our own executable code: the only place host syscalls may come from
	// oldVDSO is the copy of the vDSO's code left where the kernel put it
	// (vdso.go); like the vDSO, it may make its clock calls.
	oldVDSO pal.Range

	handles handleSet
	mem     memState

	cbMu   sync.Mutex
	cbIdle []*controlBlock // control blocks of ended threads, for reuse

	// guestThreads counts running guest threads (ThreadStart); parked
	// holds ended ones waiting for their next (guestThread).
	guestThreads atomic.Int32
	threadsIdle  chan struct{} // a token when guestThreads drops to 0
	parked       chan chan guestJob
	// cpus is the process's CPU mask when gophene started.
	cpus unix.CPUSet
	// signalFn is what HostSignals forwards host signals to.
	signalFn   atomic.Pointer[func(sig int)]
	signalOnce sync.Once
	// cpuBase is the CPU time this host process had used before the
	// guest process it runs now: a reused process (Recycle) reports only
	// its current guest's time.
	cpuBase struct{ clock, user, sys int64 } // ns

	// ahead holds the stream of a child fetched for the next
	// ProcessCreate.
	ahead    chan spare
	zygoteMu sync.Mutex
	zygote   int // stream to the zygote that spawns new host processes
	// zygotePid is the zygote's host pid in the first gophene process, which
	// started it; 0 elsewhere.
	zygotePid int
}

// The compiler checks that Host is a complete PAL host.
var _ pal.Host = (*Host)(nil)

var (
	startOnce sync.Once
	theHost   *Host
	startErr  error
)

// New starts the Linux host: it checks the CPU, reserves the guest address
// window, installs the signal handlers and the seccomp filter. It can run
// only once per process; later calls return the same host.
func New() (*Host, error) {
	startOnce.Do(func() { theHost, startErr = start() })
	return theHost, startErr
}

func start() (*Host, error) {
	h := &Host{ahead: make(chan spare, 1), parked: make(chan chan guestJob, maxParkedThreads),
		threadsIdle: make(chan struct{}, 1)}
	if err := h.checkCPU(); err != nil {
		return nil, err
	}
	maps, err := readMaps()
	if err != nil {
		return nil, err
	}
	if err := h.findSelf(maps); err != nil {
		return nil, err
	}
	if err := findCodeRanges(h.text); err != nil {
		return nil, err
	}
	if err := h.readInfo(); err != nil {
		return nil, err
	}
	if err := h.reserveGuestWindow(maps); err != nil {
		return nil, err
	}
	// The LibOS applies the guest's umask itself; the host's must not
	// take bits off again.
	unix.Umask(0)
	h.setupProcessLinks()
	h.tmpBase = tmpBase()
	if err := installSignalHandlers(); err != nil {
		return nil, err
	}
	if err := installSeccomp(h.text, h.info.VDSO, h.oldVDSO); err != nil {
		return nil, err
	}
	return h, nil
}

// Info describes the host.
func (h *Host) Info() *pal.Info { return &h.info }

// checkCPU verifies the instructions the entry code relies on and sizes the
// XSAVE image.
func (h *Host) checkCPU() error {
	_, _, c, _ := cpuid(1, 0)
	if c&(1<<26) == 0 || c&(1<<27) == 0 {
		return fmt.Errorf("gophene needs a CPU with XSAVE enabled by the OS")
	}
	// FSGSBASE makes a crossing free of host system calls; without it
	// (a kernel before 5.9, or a virtual CPU that hides it) each crossing
	// switches FS with arch_prctl.
	if _, b, _, _ := cpuid(7, 0); b&1 != 0 && getauxval(atHWCap2)&2 != 0 {
		fsgsbase = 1
	}
	h.info.FSGSBase = fsgsbase != 0
	// The Go runtime keeps g at -8(FS) and leaves the next TLS slot,
	// where guest threads keep their control block, unused.
	if g, cb := goTLSSlots(); g == 0 || cb != 0 {
		return fmt.Errorf("the Go runtime's TLS layout is not the one gophene knows (g %#x, spare slot %#x)", g, cb)
	}
	lo, hi := xgetbv()
	h.xcr0 = uint64(lo) | uint64(hi)<<32
	_, size, _, _ := cpuid(0xd, 0)
	if size < 576 {
		size = 576
	}
	h.fpSize = int((size + 63) &^ 63)
	h.info.FPStateSize = h.fpSize
	h.info.XSaveSize = int(size)
	h.info.XSaveFeatures = h.xcr0
	return nil
}

// findSelf finds the executable mapping holding our own code and the vDSO.
func (h *Host) findSelf(maps []mapping) error {
	pc := syscallEntryAddr()
	for _, m := range maps {
		if m.start <= pc && pc < m.end && strings.Contains(m.perms, "x") {
			h.text = pal.Range{Start: m.start, End: m.end}
		}
	}
	// Guests keep pointers into the vDSO: it is only offered at the address
	// every gophene process moves it to (vdso.go).
	if vvar, vdso, old, ok := relocateVDSO(maps); ok {
		h.info.VDSO, h.info.VVar, h.oldVDSO = vdso, vvar, old
	}
	if h.text.Start == 0 {
		return fmt.Errorf("cannot find gophene's own code in /proc/self/maps")
	}

	return nil
}

// readInfo fills the parts of Info that come from the kernel.
func (h *Host) readInfo() error {
	h.info.Name = "linux"
	h.info.ProcessID = unix.Getpid()
	h.info.PageSize = 4096
	h.info.HWCap = getauxval(atHWCap)
	h.info.HWCap2 = getauxval(atHWCap2)
	h.info.MinSigStkSz = getauxval(51) // AT_MINSIGSTKSZ
	h.info.Platform = "x86_64"
	if err := unix.SchedGetaffinity(0, &h.cpus); err == nil {
		h.info.CPUCount = h.cpus.Count()
	}
	if h.info.CPUCount == 0 {
		h.info.CPUCount = 1
	}
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err == nil {
		h.info.MemTotal = si.Totalram * uint64(si.Unit)
		h.info.MemFree = si.Freeram * uint64(si.Unit)
		var now unix.Timespec
		unix.ClockGettime(unix.CLOCK_REALTIME, &now)
		h.info.BootTime = pal.Timespec{Sec: now.Sec - si.Uptime}
	}
	h.info.CPUInfo = sync.OnceValue(cpuInfo)
	var uts unix.Utsname
	if err := unix.Uname(&uts); err == nil {
		h.info.KernelRelease = unix.ByteSliceToString(uts.Release[:])
		h.info.KernelVersion = unix.ByteSliceToString(uts.Version[:])
		h.info.Hostname = unix.ByteSliceToString(uts.Nodename[:])
	}
	h.info.Caps = hostCaps()
	// jmp *%gs:cbEntryOffset
	h.info.SyscallJump = []byte{0x65, 0xff, 0x24, 0x25,
		byte(cbEntryOffset & 0xff), byte(cbEntryOffset >> 8), 0, 0}
	return nil
}

// cpuInfo is the host's /proc/cpuinfo, or a minimal one naming the
// processor. It is read on first use: the kernel builds it slowly, and
// most guests never look.
func cpuInfo() string {
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		return string(b)
	}
	var b strings.Builder
	var set unix.CPUSet
	unix.SchedGetaffinity(0, &set)
	model := cpuModel()
	for i := 0; i < max(set.Count(), 1); i++ {
		fmt.Fprintf(&b, "processor\t: %d\nvendor_id\t: unknown\nmodel name\t: %s\n\n", i, model)
	}
	return b.String()
}

// cpuModel reads the processor brand string from CPUID.
func cpuModel() string {
	var b []byte
	for leaf := uint32(0x80000002); leaf <= 0x80000004; leaf++ {
		a, bb, c, d := cpuid(leaf, 0)
		for _, r := range []uint32{a, bb, c, d} {
			b = append(b, byte(r), byte(r>>8), byte(r>>16), byte(r>>24))
		}
	}
	return strings.TrimSpace(strings.TrimRight(string(b), "\x00"))
}

// getauxval reads the process's auxiliary vector, which the Go runtime
// keeps.
func getauxval(k uint64) uint64 {
	v, _ := unix.Auxv()
	for _, kv := range v {
		if uint64(kv[0]) == k {
			return uint64(kv[1])
		}
	}
	return 0
}

// errnoErr turns a raw errno into a PAL error (nil for 0).
func errnoErr(e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return pal.ErrorFromErrno(e)
}

// palErr turns an error from x/sys/unix into a PAL error.
func palErr(err error) error {
	if err == nil {
		return nil
	}
	if e, ok := err.(unix.Errno); ok {
		return pal.ErrorFromErrno(e)
	}
	return pal.ErrIO
}

func mmap(addr, size uintptr, prot, flags, fd int, off int64) (uintptr, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_MMAP, addr, size, uintptr(prot), uintptr(flags), uintptr(fd), uintptr(off))
	if e != 0 {
		return 0, errnoErr(e)
	}
	return r, nil
}

func munmap(addr, size uintptr) error {
	_, _, e := unix.RawSyscall(unix.SYS_MUNMAP, addr, size, 0)
	return errnoErr(e)
}

// Auxiliary-vector keys.
const (
	atHWCap  = 16
	atHWCap2 = 26
)
