package linux

import (
	"fmt"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"gophene/pal"
)

const (
	seccompRetTrap  = 0x00030000
	seccompRetAllow = 0x7fff0000
	auditArchX8664  = 0xc000003e

	// Offsets in struct seccomp_data.
	sdNr     = 0
	sdArch   = 4
	sdIPLow  = 8
	sdIPHigh = 12
	sdArg0   = 16 // low word of the first argument
)

// vdsoSyscalls are the calls the vDSO itself may fall back to; any other
// system call from the vDSO's address range is trapped like the guest's.
var vdsoSyscalls = []uint32{unix.SYS_CLOCK_GETTIME, unix.SYS_GETTIMEOFDAY, unix.SYS_TIME,
	unix.SYS_GETCPU, unix.SYS_CLOCK_GETRES, unix.SYS_GETRANDOM}

// bpfAsm is a tiny assembler for classic BPF with named jump targets.
type bpfAsm struct {
	ins    []bpf.Instruction
	fixes  []bpfFix
	labels map[string]int
}

type bpfFix struct {
	at     int
	jt, jf string // "" means the next instruction
}

func (a *bpfAsm) emit(i bpf.Instruction) { a.ins = append(a.ins, i) }

func (a *bpfAsm) label(name string) { a.labels[name] = len(a.ins) }

func (a *bpfAsm) jump(cond bpf.JumpTest, val uint32, jt, jf string) {
	a.fixes = append(a.fixes, bpfFix{at: len(a.ins), jt: jt, jf: jf})
	a.emit(bpf.JumpIf{Cond: cond, Val: val})
}

func (a *bpfAsm) assemble() ([]bpf.RawInstruction, error) {
	for _, f := range a.fixes {
		skip := func(l string) (uint8, error) {
			if l == "" {
				return 0, nil
			}
			to, ok := a.labels[l]
			d := to - f.at - 1
			if !ok || d < 0 || d > 255 {
				return 0, fmt.Errorf("bad BPF jump to %q", l)
			}
			return uint8(d), nil
		}
		j := a.ins[f.at].(bpf.JumpIf)
		var err error
		if j.SkipTrue, err = skip(f.jt); err != nil {
			return nil, err
		}
		if j.SkipFalse, err = skip(f.jf); err != nil {
			return nil, err
		}
		a.ins[f.at] = j
	}
	return bpf.Assemble(a.ins)
}

// ipInRange emits a test that jumps to target when the instruction pointer
// lies in r. Classic BPF loads 32 bits at a time, so r is cut at 4 GiB
// boundaries and each piece compares the high word, then the low word.
func (a *bpfAsm) ipInRange(r pal.Range, target string) {
	for start := uint64(r.Start); start < uint64(r.End); {
		hi := start >> 32
		end := (hi + 1) << 32
		if uint64(r.End) < end {
			end = uint64(r.End)
		}
		next := fmt.Sprintf("n%d", len(a.ins))
		a.emit(bpf.LoadAbsolute{Off: sdIPHigh, Size: 4})
		a.jump(bpf.JumpEqual, uint32(hi), "", next)
		a.emit(bpf.LoadAbsolute{Off: sdIPLow, Size: 4})
		if end>>32 == hi {
			a.jump(bpf.JumpGreaterOrEqual, uint32(start), "", next)
			a.jump(bpf.JumpGreaterOrEqual, uint32(end), next, target)
		} else { // the piece runs to the end of its 4 GiB block
			a.jump(bpf.JumpGreaterOrEqual, uint32(start), target, next)
		}
		a.label(next)
		start = end
	}
}

// seccompFilter builds the filter: system calls from our own code are
// allowed, the vDSO code (vdso lists its ranges) may make its few clock
// calls, everything else traps.
func seccompFilter(text pal.Range, vdso ...pal.Range) ([]bpf.RawInstruction, error) {
	a := &bpfAsm{labels: map[string]int{}}
	a.emit(bpf.LoadAbsolute{Off: sdArch, Size: 4})
	a.jump(bpf.JumpEqual, auditArchX8664, "", "trap")
	a.ipInRange(text, "allow")
	for _, r := range vdso {
		if r.Size() != 0 {
			a.ipInRange(r, "vdso")
		}
	}
	a.label("trap")
	a.emit(bpf.RetConstant{Val: seccompRetTrap})
	a.label("vdso")
	a.emit(bpf.LoadAbsolute{Off: sdNr, Size: 4})
	// A negative clock id names another thread's or process's CPU clock
	// by its id, which only the LibOS knows, and the process's and the
	// thread's own CPU clocks count from when the LibOS started them (a
	// reused host process or thread has run before): those calls trap.
	a.jump(bpf.JumpEqual, unix.SYS_CLOCK_GETTIME, "vdsoclock", "")
	a.jump(bpf.JumpEqual, unix.SYS_CLOCK_GETRES, "vdsoclock", "")
	for _, nr := range vdsoSyscalls {
		a.jump(bpf.JumpEqual, nr, "allow", "")
	}
	a.emit(bpf.RetConstant{Val: seccompRetTrap})
	a.label("vdsoclock")
	a.emit(bpf.LoadAbsolute{Off: sdArg0, Size: 4})
	a.jump(bpf.JumpGreaterOrEqual, 0x80000000, "clocktrap", "")
	a.jump(bpf.JumpEqual, unix.CLOCK_PROCESS_CPUTIME_ID, "clocktrap", "")
	a.jump(bpf.JumpEqual, unix.CLOCK_THREAD_CPUTIME_ID, "clocktrap", "allow")
	a.label("clocktrap")
	a.emit(bpf.RetConstant{Val: seccompRetTrap})
	a.label("allow")
	a.emit(bpf.RetConstant{Val: seccompRetAllow})
	return a.assemble()
}

// installSeccomp installs the filter on every thread of the process; the
// threads Go starts later inherit it.
func installSeccomp(text pal.Range, vdso ...pal.Range) error {
	prog, err := seccompFilter(text, vdso...)
	if err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("PR_SET_NO_NEW_PRIVS: %w", err)
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: (*unix.SockFilter)(unsafe.Pointer(&prog[0]))}
	r, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog)))
	if e != 0 {
		return fmt.Errorf("installing the seccomp filter: %w", e)
	}
	if r != 0 {
		return fmt.Errorf("installing the seccomp filter: thread %d could not be synchronised", r)
	}
	return nil
}
