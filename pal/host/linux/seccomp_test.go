package linux

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"testing"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"gophene/pal"
)

// These tests only build the filter and run it in x/net/bpf's interpreter;
// nothing is installed.

const auditArchI386 = 0x40000003

// seccompData lays out struct seccomp_data as the kernel does on x86-64
// (native little-endian): nr, arch, instruction_pointer, args[6].
func seccompData(nr, arch uint32, ip uint64) []byte {
	b := make([]byte, 64)
	binary.LittleEndian.PutUint32(b[0:], nr)
	binary.LittleEndian.PutUint32(b[4:], arch)
	binary.LittleEndian.PutUint64(b[8:], ip)
	for i := 0; i < 6; i++ {
		binary.LittleEndian.PutUint64(b[16+8*i:], uint64(0x1111*(i+1)))
	}
	// The kernel's BPF_LD|BPF_W|BPF_ABS loads a native-endian word from
	// seccomp_data; x/net/bpf's VM loads big-endian (network order).
	// Swapping every aligned word makes the VM see what the kernel sees.
	for i := 0; i < len(b); i += 4 {
		b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	return b
}

type filterVM struct {
	t  *testing.T
	vm *bpf.VM
}

func newFilterVM(t *testing.T, text, vdso pal.Range) *filterVM {
	t.Helper()
	raw, err := seccompFilter(text, vdso)
	if err != nil {
		t.Fatalf("seccompFilter(%x, %x): %v", text, vdso, err)
	}
	if len(raw) == 0 || len(raw) > 4096 { // BPF_MAXINSNS
		t.Fatalf("filter has %d instructions", len(raw))
	}
	ins, ok := bpf.Disassemble(raw)
	if !ok {
		t.Fatalf("filter does not disassemble: %v", ins)
	}
	// Every path must end in a return, and jumps only go forward (the
	// kernel's checker demands both; the VM checks the first).
	vm, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatalf("NewVM: %v", err)
	}
	for i, r := range raw {
		const classJmp, opJA = 0x05, 0x00
		if r.Op&0x07 != classJmp || r.Op&0xf0 == opJA {
			continue
		}
		if i+1+int(r.Jt) >= len(raw) || i+1+int(r.Jf) >= len(raw) {
			t.Fatalf("instruction %d (%v) jumps past the end", i, ins[i])
		}
	}
	return &filterVM{t: t, vm: vm}
}

func (f *filterVM) run(nr, arch uint32, ip uint64) uint32 {
	f.t.Helper()
	r, err := f.vm.Run(seccompData(nr, arch, ip))
	if err != nil {
		f.t.Fatalf("Run(nr %d, arch %#x, ip %#x): %v", nr, arch, ip, err)
	}
	return uint32(r)
}

// runArg0 is run with the low word of the first argument set.
func (f *filterVM) runArg0(nr uint32, ip uint64, arg0 uint32) uint32 {
	f.t.Helper()
	b := seccompData(nr, auditArchX8664, ip)
	binary.BigEndian.PutUint32(b[16:], arg0) // the VM's byte order, as seccompData arranges
	r, err := f.vm.Run(b)
	if err != nil {
		f.t.Fatalf("Run: %v", err)
	}
	return uint32(r)
}

func verdict(v uint32) string {
	switch v {
	case seccompRetAllow:
		return "ALLOW"
	case seccompRetTrap:
		return "TRAP"
	}
	return fmt.Sprintf("%#x", v)
}

func (f *filterVM) expect(nr uint32, ip uint64, want uint32) {
	f.t.Helper()
	if got := f.run(nr, auditArchX8664, ip); got != want {
		f.t.Errorf("nr %d ip %#x: %s, want %s", nr, ip, verdict(got), verdict(want))
	}
}

func TestSeccompConstants(t *testing.T) {
	if seccompRetAllow != unix.SECCOMP_RET_ALLOW || seccompRetTrap != unix.SECCOMP_RET_TRAP {
		t.Fatal("seccomp return values differ from Linux's")
	}
	if auditArchX8664 != unix.AUDIT_ARCH_X86_64 {
		t.Fatal("AUDIT_ARCH_X86_64 differs")
	}
}

func TestSeccompTextAndVDSO(t *testing.T) {
	text := pal.Range{Start: 0x400000, End: 0x5c3000}
	vdso := pal.Range{Start: 0x7ffff7fc1000, End: 0x7ffff7fc3000}
	f := newFilterVM(t, text, vdso)

	// Our own text may make any system call.
	for _, ip := range []uint64{0x400000, 0x400002, 0x4a0000, 0x5c2fff} {
		for _, nr := range []uint32{unix.SYS_READ, unix.SYS_WRITE, unix.SYS_MMAP, unix.SYS_EXIT_GROUP, 1023} {
			f.expect(nr, ip, seccompRetAllow)
		}
	}
	// Just outside it, or elsewhere, everything traps.
	for _, ip := range []uint64{0x3fffff, 0x5c3000, 0x5c3001, 0, 0x10000, 0x7fffffffe000,
		0x1_00400000, 0xffffffff_00400000, 0x00400000_00000000} {
		f.expect(unix.SYS_WRITE, ip, seccompRetTrap)
		f.expect(unix.SYS_CLOCK_GETTIME, ip, seccompRetTrap)
	}
	// Another architecture traps even from our text.
	for _, arch := range []uint32{auditArchI386, 0, 0xc00000b7 /* aarch64 */} {
		if got := f.run(unix.SYS_WRITE, arch, 0x400000); got != seccompRetTrap {
			t.Errorf("arch %#x: %s", arch, verdict(got))
		}
	}

	// The vDSO may make its fallback calls, nothing else.
	for _, ip := range []uint64{uint64(vdso.Start), uint64(vdso.Start) + 0x123, uint64(vdso.End) - 1} {
		for _, nr := range []uint32{unix.SYS_CLOCK_GETTIME, unix.SYS_GETTIMEOFDAY, unix.SYS_GETRANDOM,
			unix.SYS_TIME, unix.SYS_GETCPU, unix.SYS_CLOCK_GETRES} {
			f.expect(nr, ip, seccompRetAllow)
		}
		for _, nr := range []uint32{unix.SYS_READ, unix.SYS_WRITE, unix.SYS_OPENAT, unix.SYS_MMAP,
			unix.SYS_CLOCK_NANOSLEEP, unix.SYS_RT_SIGRETURN, unix.SYS_EXECVE, 0xffffffff} {
			f.expect(nr, ip, seccompRetTrap)
		}
	}
	for _, ip := range []uint64{uint64(vdso.Start) - 1, uint64(vdso.End), 0x7ffff7fc1000 & 0xffffffff} {
		f.expect(unix.SYS_CLOCK_GETTIME, ip, seccompRetTrap)
	}
	// Clock calls with a CPU clock of the LibOS's trap: another thread's
	// or process's (negative ids), the process's and the thread's own.
	for _, clock := range []uint32{unix.CLOCK_PROCESS_CPUTIME_ID, unix.CLOCK_THREAD_CPUTIME_ID, 0xfffffffe, 0x80000000} {
		for _, nr := range []uint32{unix.SYS_CLOCK_GETTIME, unix.SYS_CLOCK_GETRES} {
			if got := f.runArg0(nr, uint64(vdso.Start), clock); got != seccompRetTrap {
				t.Errorf("nr %d clock %#x from the vDSO: %s", nr, clock, verdict(got))
			}
		}
	}
	for _, clock := range []uint32{unix.CLOCK_REALTIME, unix.CLOCK_MONOTONIC, unix.CLOCK_BOOTTIME, unix.CLOCK_MONOTONIC_COARSE} {
		if got := f.runArg0(unix.SYS_CLOCK_GETTIME, uint64(vdso.Start), clock); got != seccompRetAllow {
			t.Errorf("clock %d from the vDSO: %s", clock, verdict(got))
		}
	}
	// A vDSO call from a wrong architecture traps too.
	if got := f.run(unix.SYS_CLOCK_GETTIME, auditArchI386, uint64(vdso.Start)); got != seccompRetTrap {
		t.Errorf("i386 call from the vDSO: %s", verdict(got))
	}
}

func TestSeccompNoVDSO(t *testing.T) {
	text := pal.Range{Start: 0x400000, End: 0x500000}
	f := newFilterVM(t, text, pal.Range{})
	f.expect(unix.SYS_WRITE, 0x400000, seccompRetAllow)
	f.expect(unix.SYS_CLOCK_GETTIME, 0x7ffff7fc1000, seccompRetTrap)
	f.expect(unix.SYS_CLOCK_GETTIME, 0, seccompRetTrap)
	f.expect(unix.SYS_CLOCK_GETTIME, 0x500000, seccompRetTrap)
}

// inRange is the reference answer.
func inRange(r pal.Range, ip uint64) bool { return ip >= uint64(r.Start) && ip < uint64(r.End) }

func TestSeccompFourGiBBoundaries(t *testing.T) {
	const g4 = uint64(1) << 32
	cases := []struct {
		name  string
		text  pal.Range
		probe []uint64
	}{
		{"straddling 4 GiB", pal.Range{Start: 0x1_ffff0000, End: 0x2_00010000},
			[]uint64{0x1_fffeffff, 0x1_ffff0000, 0x1_ffffffff, 0x2_00000000, 0x2_0000ffff, 0x2_00010000,
				0x0_ffff0000, 0x0_00000000, 0x3_00000000, 0x3_ffff0000, 0x2_ffff0000}},
		{"ending on 4 GiB", pal.Range{Start: 0x1_fff00000, End: 0x2_00000000},
			[]uint64{0x1_ffefffff, 0x1_fff00000, 0x1_ffffffff, 0x2_00000000, 0x2_00000001, 0x2_fff00000, 0x0_fff00000}},
		{"starting on 4 GiB", pal.Range{Start: 0x2_00000000, End: 0x2_00001000},
			[]uint64{0x1_ffffffff, 0x2_00000000, 0x2_00000fff, 0x2_00001000, 0x3_00000000, 0x1_00000000}},
		{"exactly one 4 GiB block", pal.Range{Start: 0x3_00000000, End: 0x4_00000000},
			[]uint64{0x2_ffffffff, 0x3_00000000, 0x3_80000000, 0x3_ffffffff, 0x4_00000000}},
		{"several blocks", pal.Range{Start: 0x0_80000000, End: 0x3_00001000},
			[]uint64{0x0_7fffffff, 0x0_80000000, 0x1_00000000, 0x1_7fffffff, 0x2_ffffffff, 0x3_00000fff,
				0x3_00001000, 0x3_80000000, 0x4_80000000}},
		{"below 4 GiB ending on it", pal.Range{Start: 0xfffff000, End: 0x1_00000000},
			[]uint64{0xffffefff, 0xfffff000, 0xffffffff, 0x1_00000000, 0x1_fffff000}},
		{"high in the address space", pal.Range{Start: 0x7fff_fffff000, End: 0x8000_00001000},
			[]uint64{0x7fff_ffffefff, 0x7fff_fffff000, 0x7fff_ffffffff, 0x8000_00000000, 0x8000_00000fff,
				0x8000_00001000, 0x7ffe_fffff000, 0x8000_fffff000}},
	}
	rng := rand.New(rand.NewSource(1))
	for _, c := range cases {
		// The range is tested as our text and, separately, as the vDSO
		// (where only the clock calls pass).
		text := pal.Range{Start: 0x10000, End: 0x20000}
		asText := newFilterVM(t, c.text, pal.Range{})
		asVDSO := newFilterVM(t, text, c.text)
		probe := append([]uint64(nil), c.probe...)
		for i := 0; i < 200; i++ {
			// Random addresses near the range's ends and near 4 GiB
			// boundaries inside and around it.
			base := []uint64{uint64(c.text.Start), uint64(c.text.End),
				uint64(c.text.Start)&^(g4-1) + g4, uint64(c.text.End) &^ (g4 - 1)}[rng.Intn(4)]
			probe = append(probe, base+uint64(rng.Intn(0x4000))-0x2000)
		}
		for _, ip := range probe {
			want := uint32(seccompRetTrap)
			if inRange(c.text, ip) {
				want = seccompRetAllow
			}
			if got := asText.run(unix.SYS_WRITE, auditArchX8664, ip); got != want {
				t.Errorf("%s: text %x, write from %#x: %s, want %s", c.name, c.text, ip, verdict(got), verdict(want))
			}
			if got := asVDSO.run(unix.SYS_CLOCK_GETTIME, auditArchX8664, ip); got != want {
				t.Errorf("%s: vDSO %x, clock_gettime from %#x: %s, want %s", c.name, c.text, ip, verdict(got), verdict(want))
			}
			if got := asVDSO.run(unix.SYS_WRITE, auditArchX8664, ip); got != seccompRetTrap && !inRange(text, ip) {
				t.Errorf("%s: vDSO %x, write from %#x: %s", c.name, c.text, ip, verdict(got))
			}
		}
	}
}

// TestSeccompLargeRange builds a range over many 4 GiB blocks: the filter
// grows by one piece per block and must stay within the kernel's limits.
func TestSeccompLargeRange(t *testing.T) {
	text := pal.Range{Start: 0x10_00000000, End: 0x20_00000000} // 16 blocks
	f := newFilterVM(t, text, pal.Range{Start: 0x7fff_00000000, End: 0x7fff_00002000})
	for _, ip := range []uint64{0x10_00000000, 0x1a_12345678, 0x1f_ffffffff} {
		f.expect(unix.SYS_WRITE, ip, seccompRetAllow)
	}
	for _, ip := range []uint64{0x0f_ffffffff, 0x20_00000000, 0x0a_12345678} {
		f.expect(unix.SYS_WRITE, ip, seccompRetTrap)
	}
	f.expect(unix.SYS_GETRANDOM, 0x7fff_00001000, seccompRetAllow)
	f.expect(unix.SYS_WRITE, 0x7fff_00001000, seccompRetTrap)
}
