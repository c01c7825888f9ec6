package amd64

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/arch/x86/x86asm"

	"gophene/libos/kernel"
	"gophene/libos/mm"
	"gophene/libos/umem"
	"gophene/libos/wire"
	"gophene/pal"
)

// Call-site patching: after a "syscall" instruction has trapped once, its
// site is rewritten to jump to a small stub that enters the host's system
// call path directly (pal.Info.SyscallJump), so the next call from that site
// costs no signal. Unlike zpoline we need no page at address 0: the stub is
// placed within ±2 GiB of the site and reached with a 5-byte "jmp rel32".
//
// Two shapes of site are rewritten, and only these:
//
//	A: mov $nr,%eax; syscall      (b8 imm32 0f 05): the 5-byte mov becomes
//	   the jmp; the syscall instruction itself stays, so code that jumps
//	   straight to it still works (through the trap).
//	B: syscall; <insn>            where <insn> is a 3-to-8-byte compare, test
//	   or register move (Go's and glibc's "cmp $-4095,%rax" after the call):
//	   the syscall and that instruction become the jmp; the stub runs the
//	   instruction after the call returns.
//
// A restarted system call (SA_RESTART) moves RIP back 2 bytes from where
// the call returns: in both shapes that is a real syscall instruction, the
// original one (A) or one kept in the stub for that purpose (B).
//
// Shape A requires that the mov's immediate equals the number in RAX at the
// trap, which rules out mistaking other bytes for a mov. The stubs write
// RCX as the syscall instruction would (the return address) and never touch
// the guest stack, so the red zone is safe. A rewrite is a single aligned
// 8-byte store when other threads may be running that code; otherwise the
// site stays on the trap path.

// Patcher rewrites trapped system-call sites of one process.
type Patcher struct {
	p    *kernel.Process
	jump []byte

	mu     sync.Mutex
	pages  []*stubPage
	failed map[uintptr]bool
	// seen holds the sites that trapped once.
	seen map[uintptr]bool
	// sites maps the address of every rewritten jump to the bytes it
	// replaced.
	sites map[uintptr][5]byte
	// Patched counts rewritten sites (for tests and statistics).
	Patched atomic.Int64
}

type stubPage struct {
	Addr, Used uintptr
}

const (
	stubPageSize = 64 << 10
	slotSize     = 32
	reach        = 1<<31 - stubPageSize
)

// NewPatcher makes a patcher for p, or nil if the host has no direct path.
func NewPatcher(p *kernel.Process) *Patcher {
	pt := &Patcher{p: p, jump: p.Info.SyscallJump, failed: map[uintptr]bool{}, seen: map[uintptr]bool{}, sites: map[uintptr][5]byte{}}
	p.MM.BeforeChange = pt.Restore
	return pt
}

// crowded reports whether a jump at at would touch a rewritten site: its
// five bytes, or the place its stub returns to (up to 10 bytes on), or
// the other way round. The syscall instruction that shape A keeps after
// its jump is such a place: a restarted call runs it, through the trap,
// and rewriting it as shape B would cut the first stub's way back.
func (pt *Patcher) crowded(at uintptr) bool {
	for d := uintptr(0); d <= 10; d++ {
		if _, ok := pt.sites[at-d]; ok {
			return true
		}
		if _, ok := pt.sites[at+d]; ok {
			return true
		}
	}
	return false
}

// Restore puts back the original code of every rewritten site in
// [start, end), and forgets the sites, which may be rewritten again once
// they trap as read-only code.
func (pt *Patcher) Restore(start, end uintptr) {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	for site, orig := range pt.sites {
		if site+5 <= start || site >= end {
			continue
		}
		if a, ok := pt.p.MM.Lookup(site); ok {
			pt.store(site, orig, a)
		}
		delete(pt.sites, site)
	}
	for _, m := range []map[uintptr]bool{pt.failed, pt.seen} {
		for site := range m {
			if site >= start && site < end {
				delete(m, site)
			}
		}
	}
}

// Patch rewrites the site of t's trapped system call if it can.
func (pt *Patcher) Patch(t *kernel.Task) {
	if len(pt.jump) == 0 {
		return
	}
	site := uintptr(t.CPU.Rip) - 2
	pt.mu.Lock()
	defer pt.mu.Unlock()
	if pt.failed[site] {
		return
	}
	// A site is rewritten on its second trap: many run once (start-up,
	// exit_group, a forked child's first calls), and rewriting one costs
	// more than a trap (a stub, two protection changes and their TLB
	// flushes).
	if !pt.seen[site] {
		pt.seen[site] = true
		return
	}
	if !pt.patch(t, site, t.CPU.Rax, len(t.P.Tasks()) == 1) {
		pt.failed[site] = true
	}
}

func (pt *Patcher) patch(t *kernel.Task, site uintptr, nr uint64, alone bool) bool {
	a, ok := pt.p.MM.Lookup(site)
	if !ok || a.Prot&pal.ProtExec == 0 || a.Prot&pal.ProtWrite != 0 || a.Flags&(mm.Shared|mm.LibOS) != 0 || site+2 > a.End {
		return false
	}
	var code [16]byte
	if site-5 >= a.Start && umem.CopyIn(code[:7], site-5) == nil &&
		code[0] == 0xb8 && code[5] == 0x0f && code[6] == 0x05 &&
		uint64(binary.LittleEndian.Uint32(code[1:5])) == nr {
		stub := make([]byte, 0, slotSize)
		stub = append(stub, code[:5]...) // mov $nr,%eax
		return pt.install(site-5, 5, stub, site+2, alone, a)
	}
	// Shape B: decode the instruction after the call.
	n := min(uintptr(len(code)), a.End-site)
	if umem.CopyIn(code[:n], site) != nil || code[0] != 0x0f || code[1] != 0x05 {
		return false
	}
	inst, err := x86asm.Decode(code[2:n], 64)
	if !alone || err != nil || inst.Len < 3 || inst.Len > 8 || !relocatable(inst) {
		return false
	}
	cont := site + 2 + uintptr(inst.Len)
	resume, ok := pt.installAfter(site, code[2:2+inst.Len], cont, a)
	if ok {
		// The call being served returns into bytes the jump now covers:
		// finish it in the stub instead.
		t.CPU.Rip = uint64(resume)
	}
	return ok
}

// relocatable reports whether an instruction can run unchanged at another
// address: a compare, test or move without RIP-relative operands.
func relocatable(inst x86asm.Inst) bool {
	switch inst.Op {
	case x86asm.CMP, x86asm.TEST, x86asm.MOV:
	default:
		return false
	}
	for _, arg := range inst.Args {
		if m, ok := arg.(x86asm.Mem); ok && (m.Base == x86asm.RIP || m.Segment != 0) {
			return false
		}
	}
	return true
}

// install writes a stub "prefix; lea ret(%rip),%rcx; <jump>" and rewrites
// [at, at+n) into a jmp to it.
func (pt *Patcher) install(at, n uintptr, prefix []byte, ret uintptr, alone bool, a mm.Area) bool {
	if !alone && (at%8)+5 > 8 || pt.crowded(at) {
		return false
	}
	slot, ok := pt.slot(at)
	if !ok {
		return false
	}
	stub := append(prefix, 0x48, 0x8d, 0x0d, 0, 0, 0, 0) // lea rel32(%rip),%rcx
	leaEnd := slot + uintptr(len(stub))
	binary.LittleEndian.PutUint32(stub[len(stub)-4:], uint32(int32(int64(ret)-int64(leaEnd))))
	stub = append(stub, pt.jump...)
	if !pt.writeStub(slot, stub) {
		return false
	}
	pt.p.Log.Debugf("patch: site %#x -> stub %#x: % x", at, slot, stub)
	return pt.writeJump(at, slot, a)
}

// installAfter handles shape B: the stub enters the host with RCX pointing
// at a copy of the following instruction, then jumps back to cont. It
// returns where that copy is. Shape B is only used while the process has
// one thread: a call blocked in another thread would return into the
// rewritten bytes.
func (pt *Patcher) installAfter(site uintptr, insn []byte, cont uintptr, a mm.Area) (uintptr, bool) {
	if pt.crowded(site) {
		return 0, false
	}
	pt.p.Log.Debugf("patch: site %#x (syscall; % x)", site, insn)
	slot, ok := pt.slot(site)
	if !ok {
		return 0, false
	}
	// lea cont(%rip),%rcx; <jump>; syscall; cont: <insn>; jmp back. The
	// syscall instruction before cont is never run from here: it is what a
	// restarted call (RIP moved back 2 bytes) executes, through the trap.
	stub := []byte{0x48, 0x8d, 0x0d, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(stub[3:], uint32(len(pt.jump)+2))
	stub = append(stub, pt.jump...)
	stub = append(stub, 0x0f, 0x05)
	stub = append(stub, insn...)
	stub = append(stub, 0xe9, 0, 0, 0, 0) // jmp cont
	end := slot + uintptr(len(stub))
	binary.LittleEndian.PutUint32(stub[len(stub)-4:], uint32(int32(int64(cont)-int64(end))))
	if len(stub) > slotSize || !pt.writeStub(slot, stub) {
		return 0, false
	}
	return slot + 7 + uintptr(len(pt.jump)) + 2, pt.writeJump(site, slot, a)
}

// slot finds room for one stub within reach of site.
func (pt *Patcher) slot(site uintptr) (uintptr, bool) {
	near := func(addr uintptr) bool {
		d := int64(addr) - int64(site)
		return d > -reach && d < reach
	}
	for _, pg := range pt.pages {
		if pg.Used+slotSize <= stubPageSize && near(pg.Addr) {
			s := pg.Addr + pg.Used
			pg.Used += slotSize
			return s, true
		}
	}
	addr, err := pt.p.MM.FindFreeNear(site, stubPageSize)
	if err != nil || !near(addr) {
		return 0, false
	}
	if _, err := pt.p.MM.Map(mm.MapRequest{Addr: addr, Length: stubPageSize, Prot: pal.ProtRead | pal.ProtExec,
		Fixed: true, Flags: mm.LibOS, Name: "[gophene stubs]"}); err != nil {
		return 0, false
	}
	pt.pages = append(pt.pages, &stubPage{Addr: addr, Used: slotSize})
	return addr, true
}

// writeStub copies a stub into its (read-only) slot.
func (pt *Patcher) writeStub(slot uintptr, stub []byte) bool {
	host := pt.p.Host
	pg := slot &^ (mm.PageSize - 1)
	if host.MemoryProtect(pg, mm.PageSize, pal.ProtRead|pal.ProtWrite|pal.ProtExec) != nil {
		return false
	}
	copy(umem.Bytes(slot, uintptr(len(stub))), stub)
	host.MemoryProtect(pg, mm.PageSize, pal.ProtRead|pal.ProtExec)
	return true
}

// writeJump rewrites 5 bytes at site into "jmp slot".
func (pt *Patcher) writeJump(site, slot uintptr, a mm.Area) bool {
	rel := int64(slot) - int64(site+5)
	if rel < -1<<31 || rel >= 1<<31 || site < a.Start || site+5 > a.End {
		return false
	}
	var orig, jmp [5]byte
	if umem.CopyIn(orig[:], site) != nil {
		return false
	}
	jmp[0] = 0xe9
	binary.LittleEndian.PutUint32(jmp[1:], uint32(int32(rel)))
	if !pt.store(site, jmp, a) {
		return false
	}
	pt.sites[site] = orig
	pt.Patched.Add(1)
	return true
}

// store writes 5 bytes of code at site, inside area a, making the page
// writable for the moment. The bytes go in with one aligned 8-byte store
// when they share a word, so a thread executing the site sees either the
// old code or the new.
func (pt *Patcher) store(site uintptr, code [5]byte, a mm.Area) bool {
	host := pt.p.Host
	first := site &^ (mm.PageSize - 1)
	last := (site + 4) &^ (mm.PageSize - 1)
	size := last + mm.PageSize - first
	if a.Prot&pal.ProtWrite == 0 {
		if host.MemoryProtect(first, size, a.Prot|pal.ProtWrite) != nil {
			return false
		}
		defer host.MemoryProtect(first, size, a.Prot)
	}
	if word := site &^ 7; site+5 <= word+8 {
		p := (*uint64)(unsafe.Pointer(&umem.Bytes(word, 8)[0]))
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], atomic.LoadUint64(p))
		copy(b[site-word:], code[:])
		atomic.StoreUint64(p, binary.LittleEndian.Uint64(b[:]))
	} else {
		copy(umem.Bytes(site, 5), code[:])
	}
	return true
}

// patchState is what a child process needs of the patcher: the stub pages
// (their contents travel with the rest of memory) and the rewritten sites.
// Save describes the patcher for a child process: its stub pages and the
// patched sites with the bytes they held.
func (pt *Patcher) Save() []byte {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	var e wire.Encoder
	e.Uint(uint64(len(pt.pages)))
	for _, pg := range pt.pages {
		wire.Raw(&e, pg)
	}
	e.Uint(uint64(len(pt.sites)))
	for addr, orig := range pt.sites {
		e.Uint(uint64(addr))
		wire.Raw(&e, &orig)
	}
	return e.Bytes()
}

// Load restores what Save described.
func (pt *Patcher) Load(data []byte) error {
	d := wire.NewDecoder(data)
	var pages []*stubPage
	for n := d.Uint(); n > 0 && d.Err() == nil; n-- {
		pg := new(stubPage)
		wire.RawIn(d, pg)
		pages = append(pages, pg)
	}
	sites := map[uintptr][5]byte{}
	for n := d.Uint(); n > 0 && d.Err() == nil; n-- {
		addr := uintptr(d.Uint())
		var orig [5]byte
		wire.RawIn(d, &orig)
		sites[addr] = orig
	}
	if d.Err() != nil {
		return d.Err()
	}
	pt.mu.Lock()
	defer pt.mu.Unlock()
	pt.sites = sites
	pt.pages = append(pt.pages, pages...)
	return nil
}

// Reset forgets everything (execve: the memory it described is gone).
func (pt *Patcher) Reset() {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	pt.pages, pt.sites, pt.failed, pt.seen = nil, map[uintptr][5]byte{}, map[uintptr]bool{}, map[uintptr]bool{}
}
