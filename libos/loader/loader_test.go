package loader

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"gophene/libos/vfs"
	"gophene/pal"
)

func TestParseShebang(t *testing.T) {
	long := "#!/" + strings.Repeat("x", maxShebangLen-3) // 256 bytes, no newline
	cases := []struct {
		hdr, interp, arg string
		ok               bool
	}{
		{"#!/bin/sh\n", "/bin/sh", "", true},
		{"#!/bin/sh", "/bin/sh", "", true}, // short file without a newline
		{"#!/bin/sh -e\necho hi\n", "/bin/sh", "-e", true},
		{"#! /usr/bin/env  python3 -u \n", "/usr/bin/env", "python3 -u", true},
		{"#!/bin/sh\t-x\n", "/bin/sh", "-x", true},
		{"#!\t/bin/sh\t-x y \t\n", "/bin/sh", "-x y", true},
		{"#!/bin/sh\t\t-x\n", "/bin/sh", "-x", true},
		{"#!/usr/bin/awk -f -v x=1\n", "/usr/bin/awk", "-f -v x=1", true},
		{"#!/bin/sh\r\n", "/bin/sh\r", "", true}, // as on Linux, CR is part of the name
		{"#!/bin/bash " + strings.Repeat("a", 200) + "\nrest", "/bin/bash", strings.Repeat("a", 200), true},
		{"#!" + strings.Repeat("y", 250) + "\n", strings.Repeat("y", 250), "", true},
		{long, "", "", false},
		{long + "\n", "", "", false}, // the header handed in is at most 256 bytes; no newline in it
		{"#!\n", "", "", false},
		{"#!   \t \n/bin/sh\n", "", "", false},
		{"#!", "", "", false},
	}
	for _, c := range cases {
		hdr := []byte(c.hdr)
		if len(hdr) > maxShebangLen {
			hdr = hdr[:maxShebangLen] // what Load reads
		}
		interp, arg, ok := parseShebang(hdr)
		if ok != c.ok || interp != c.interp || arg != c.arg {
			t.Errorf("parseShebang(%.40q) = %q, %q, %v; want %q, %q, %v", c.hdr, interp, arg, ok, c.interp, c.arg, c.ok)
		}
	}
}

// memFile is an open file over a byte slice.
type memFile struct {
	vfs.BaseFile
	data []byte
}

func (f *memFile) Pread(p []byte, off int64) (int, error) {
	if off >= int64(len(f.data)) {
		return 0, nil
	}
	return copy(p, f.data[off:]), nil
}

func (f *memFile) Stat(st *pal.Stat) error {
	*st = pal.Stat{Mode: unix.S_IFREG | 0o755, Size: int64(len(f.data))}
	return nil
}

func fileOf(data []byte) *vfs.File {
	return vfs.NewFile(&memFile{data: data}, unix.O_RDONLY, "/test/prog", nil)
}

type testPhdr struct {
	typ, flags                       uint32
	off, vaddr, filesz, memsz, align uint64
}

// makeELF builds an x86-64 ELF image with the given program headers at
// offset 64 and interp (if any) at offset 0x200.
func makeELF(typ uint16, entry uint64, phdrs []testPhdr, interp string) []byte {
	le := binary.LittleEndian
	b := make([]byte, 0x1000)
	copy(b, "\x7fELF")
	b[4], b[5], b[6] = 2, 1, 1 // ELFCLASS64, ELFDATA2LSB, EV_CURRENT
	le.PutUint16(b[16:], typ)
	le.PutUint16(b[18:], emX8664)
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], entry)
	le.PutUint64(b[32:], 64) // e_phoff
	le.PutUint16(b[52:], 64) // e_ehsize
	le.PutUint16(b[54:], 56) // e_phentsize
	le.PutUint16(b[56:], uint16(len(phdrs)))
	for i, p := range phdrs {
		h := b[64+56*i:]
		le.PutUint32(h, p.typ)
		le.PutUint32(h[4:], p.flags)
		le.PutUint64(h[8:], p.off)
		le.PutUint64(h[16:], p.vaddr)
		le.PutUint64(h[24:], p.vaddr)
		le.PutUint64(h[32:], p.filesz)
		le.PutUint64(h[40:], p.memsz)
		le.PutUint64(h[48:], p.align)
	}
	copy(b[0x200:], interp)
	return b
}

func goodPhdrs(interpLen uint64) []testPhdr {
	return []testPhdr{
		{typ: ptPhdr, flags: pfR, off: 64, vaddr: 0x400040, filesz: 56 * 5, memsz: 56 * 5, align: 8},
		{typ: ptInterp, flags: pfR, off: 0x200, vaddr: 0x400200, filesz: interpLen, memsz: interpLen, align: 1},
		{typ: ptLoad, flags: pfR | pfX, off: 0, vaddr: 0x400000, filesz: 0x800, memsz: 0x800, align: 0x1000},
		{typ: ptLoad, flags: pfR | pfW, off: 0x800, vaddr: 0x401800, filesz: 0x100, memsz: 0x3000, align: 0x1000},
		{typ: ptGnuStack, flags: pfR | pfW},
	}
}

func TestParseELF(t *testing.T) {
	interp := "/lib64/ld-linux-x86-64.so.2\x00"
	img := makeELF(etExec, 0x401234, goodPhdrs(uint64(len(interp))), interp)
	e, err := parseELF(fileOf(img), img[:64])
	if err != nil {
		t.Fatal(err)
	}
	if e.typ != etExec || e.entry != 0x401234 || e.phoff != 64 || e.phnum != 5 || len(e.phdrs) != 5 {
		t.Fatalf("header: %+v", e)
	}
	if e.interp != "/lib64/ld-linux-x86-64.so.2" {
		t.Fatalf("interp %q", e.interp)
	}
	want := phdr{typ: ptLoad, flags: pfR | pfW, off: 0x800, vaddr: 0x401800, filesz: 0x100, memsz: 0x3000, align: 0x1000}
	if e.phdrs[3] != want {
		t.Fatalf("phdr 3: %+v", e.phdrs[3])
	}
	lo, hi, ok := e.span()
	if !ok || lo != 0x400000 || hi != 0x405000 {
		t.Fatalf("span = %#x, %#x, %v", lo, hi, ok)
	}

	// A static PIE without PT_INTERP.
	ph := goodPhdrs(0)
	ph = append(ph[:1], ph[2:]...)
	img = makeELF(etDyn, 0x1000, ph, "")
	e, err = parseELF(fileOf(img), img[:64])
	if err != nil || e.typ != etDyn || e.interp != "" || e.phnum != 4 {
		t.Fatalf("static PIE: %+v %v", e, err)
	}
	// No PT_LOAD: parses, but there is nothing to span.
	img = makeELF(etExec, 0, []testPhdr{{typ: ptGnuStack}}, "")
	e, err = parseELF(fileOf(img), img[:64])
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := e.span(); ok {
		t.Fatal("span of an ELF without PT_LOAD")
	}
}

func TestParseELFRejects(t *testing.T) {
	interp := "/lib/ld.so\x00"
	good := func() []byte { return makeELF(etDyn, 0x1000, goodPhdrs(uint64(len(interp))), interp) }
	le := binary.LittleEndian
	cases := []struct {
		name string
		edit func(b []byte) []byte
	}{
		{"short header", func(b []byte) []byte { return b[:63] }},
		{"bad magic", func(b []byte) []byte { b[1] = 'e'; return b }},
		{"not ELF at all", func(b []byte) []byte { copy(b, "MZ\x90\x00"); return b }},
		{"32-bit class", func(b []byte) []byte { b[4] = 1; return b }},
		{"big endian", func(b []byte) []byte { b[5] = 2; return b }},
		{"i386", func(b []byte) []byte { le.PutUint16(b[18:], 3); return b }},
		{"aarch64", func(b []byte) []byte { le.PutUint16(b[18:], 183); return b }},
		{"x32 machine byte order", func(b []byte) []byte { le.PutUint16(b[18:], 62<<8); return b }},
		{"relocatable", func(b []byte) []byte { le.PutUint16(b[16:], 1); return b }},
		{"core", func(b []byte) []byte { le.PutUint16(b[16:], 4); return b }},
		{"phentsize 32", func(b []byte) []byte { le.PutUint16(b[54:], 32); return b }},
		{"no phdrs", func(b []byte) []byte { le.PutUint16(b[56:], 0); return b }},
		{"too many phdrs", func(b []byte) []byte { le.PutUint16(b[56:], 257); return b }},
		{"phdrs past EOF", func(b []byte) []byte { le.PutUint64(b[32:], 0x10000); return b }},
		{"phdrs cut short", func(b []byte) []byte { return b[:64+56*2] }},
		{"filesz > memsz", func(b []byte) []byte { le.PutUint64(b[64+56*3+32:], 0x4000); return b }},
		{"misaligned segment", func(b []byte) []byte { le.PutUint64(b[64+56*3+16:], 0x401900); return b }},
		{"empty interp", func(b []byte) []byte { le.PutUint64(b[64+56+32:], 0); return b }},
		{"huge interp", func(b []byte) []byte { le.PutUint64(b[64+56+32:], maxInterpLen+1); return b }},
		{"interp past EOF", func(b []byte) []byte { le.PutUint64(b[64+56+8:], 0x2000); return b }},
	}
	for _, c := range cases {
		img := c.edit(good())
		hdr := img
		if len(hdr) > 64 {
			hdr = hdr[:64]
		}
		e, err := parseELF(fileOf(img), hdr)
		if !errors.Is(err, unix.ENOEXEC) {
			t.Errorf("%s: parseELF = %+v, %v; want ENOEXEC", c.name, e, err)
		}
	}
	// The unmodified image is accepted (so each case above fails for its
	// own reason).
	img := good()
	if _, err := parseELF(fileOf(img), img[:64]); err != nil {
		t.Fatalf("good image: %v", err)
	}
}

func TestProtOf(t *testing.T) {
	if protOf(pfR|pfW|pfX) != 7 || protOf(pfR) != 1 || protOf(pfX) != 4 || protOf(0) != 0 {
		t.Fatal("protOf")
	}
}

// stackMem is real memory for buildStack to write into.
func stackMem(t *testing.T, size int) (lo, top uintptr, mem []byte) {
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(mem) })
	lo = uintptr(unsafe.Pointer(&mem[0]))
	return lo, lo + uintptr(size), mem
}

func TestBuildStack(t *testing.T) {
	lo, top, mem := stackMem(t, 1<<16)
	at := func(a uintptr) []byte { return mem[a-lo:] }
	word := func(a uintptr) uint64 { return binary.LittleEndian.Uint64(at(a)) }
	cstr := func(a uint64) string {
		if uintptr(a) < lo || uintptr(a) >= top {
			t.Fatalf("string pointer %#x outside the stack", a)
		}
		b := at(uintptr(a))
		return string(b[:bytes.IndexByte(b, 0)])
	}

	argv := []string{"/bin/prog", "-x", "", "last arg"}
	envp := []string{"A=1", "PATH=/bin:/usr/bin"}
	var rnd [16]byte
	for i := range rnd {
		rnd[i] = byte(0xa0 + i)
	}
	auxv := []uint64{atPagesz, 4096, atRandom, 0, atExecfn, 0, atPlatform, 0, atEntry, 0x401000, atNull, 0}
	sp, err := buildStack(top, lo, argv, envp, "/bin/prog-execfn", "x86_64", rnd, auxv)
	if err != nil {
		t.Fatal(err)
	}
	if sp%16 != 0 || sp <= lo || sp >= top {
		t.Fatalf("sp %#x (stack %#x-%#x)", sp, lo, top)
	}
	w := sp
	next := func() uint64 { v := word(w); w += 8; return v }
	if argc := next(); argc != uint64(len(argv)) {
		t.Fatalf("argc %d", argc)
	}
	for i, a := range argv {
		if got := cstr(next()); got != a {
			t.Fatalf("argv[%d] = %q, want %q", i, got, a)
		}
	}
	if next() != 0 {
		t.Fatal("argv not NULL-terminated")
	}
	for i, e := range envp {
		if got := cstr(next()); got != e {
			t.Fatalf("envp[%d] = %q, want %q", i, got, e)
		}
	}
	if next() != 0 {
		t.Fatal("envp not NULL-terminated")
	}
	for i := 0; i < len(auxv); i++ {
		if got := next(); got != auxv[i] {
			t.Fatalf("auxv word %d = %#x, want %#x", i, got, auxv[i])
		}
	}
	// buildStack filled the pointers in auxv.
	get := func(key uint64) uint64 {
		for i := 0; i+1 < len(auxv); i += 2 {
			if auxv[i] == key {
				return auxv[i+1]
			}
		}
		t.Fatalf("auxv has no %d", key)
		return 0
	}
	if r := get(atRandom); r == 0 || !bytes.Equal(at(uintptr(r))[:16], rnd[:]) {
		t.Fatalf("AT_RANDOM %#x does not point at the random bytes", r)
	}
	if s := cstr(get(atExecfn)); s != "/bin/prog-execfn" {
		t.Fatalf("AT_EXECFN %q", s)
	}
	if s := cstr(get(atPlatform)); s != "x86_64" {
		t.Fatalf("AT_PLATFORM %q", s)
	}
	if get(atPagesz) != 4096 || get(atEntry) != 0x401000 {
		t.Fatal("plain auxv values changed")
	}
	// Strings lie above the vectors, below the end marker.
	if e := get(atExecfn); uintptr(e) < w || uintptr(e)+uintptr(len("/bin/prog-execfn"))+1 > top-8 {
		t.Fatalf("AT_EXECFN %#x not between the vectors (%#x) and the top (%#x)", e, w, top)
	}

	// No arguments at all is fine too.
	sp, err = buildStack(top, lo, nil, nil, "x", "", rnd, []uint64{atNull, 0})
	if err != nil || sp%16 != 0 || word(sp) != 0 || word(sp+8) != 0 || word(sp+16) != 0 {
		t.Fatalf("empty argv: sp %#x %v", sp, err)
	}

	// More than a quarter of the stack: E2BIG, nothing written.
	clear(mem)
	big := []string{strings.Repeat("a", 1<<14)}
	if _, err := buildStack(top, lo, big, nil, "x", "", rnd, []uint64{atNull, 0}); !errors.Is(err, unix.E2BIG) {
		t.Fatalf("oversized argv: %v", err)
	}
	if _, err := buildStack(top, lo, nil, big, "x", "", rnd, []uint64{atNull, 0}); !errors.Is(err, unix.E2BIG) {
		t.Fatalf("oversized envp: %v", err)
	}
	if bytes.IndexFunc(mem, func(r rune) bool { return r != 0 }) >= 0 {
		t.Fatal("a refused buildStack wrote to the stack")
	}
}
