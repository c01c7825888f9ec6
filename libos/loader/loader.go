// Package loader loads guest programs into a fresh address space: ELF
// executables (static, static-PIE and dynamic, with their PT_INTERP loader)
// and "#!" scripts, and builds the initial stack (argv, envp, auxv) the way
// the Linux kernel does.
//
// It places every mapping through the process's mm.MM and reads files
// through vfs; it never touches the host directly.
package loader

import (
	"encoding/binary"
	"strings"

	"golang.org/x/sys/unix"

	"gophene/libos/mm"
	"gophene/libos/umem"
	"gophene/libos/vfs"
	"gophene/pal"
)

// Env is what loading needs from the process.
type Env struct {
	MM   *mm.MM
	Info *pal.Info
	// Open opens path for execution: it follows links and fails with
	// EACCES unless the file is a regular file the caller may execute.
	Open func(path string) (*vfs.File, error)
	// Random fills p with random bytes (AT_RANDOM, address randomisation).
	Random func(p []byte)
	// Randomize places the program, stack and mmap base at random
	// addresses, as Linux does with ASLR.
	Randomize bool
	// StackSize is the main stack's size (RLIMIT_STACK).
	StackSize uintptr
	// BrkMax bounds the heap (0: until it meets another mapping).
	BrkMax uintptr
	// Identity for the auxiliary vector.
	Uid, Euid, Gid, Egid int
}

// Image is a loaded program, ready to run.
type Image struct {
	Entry uintptr // first instruction (the interpreter's, if any)
	SP    uintptr // initial stack pointer
	// Exe is the path of the executable actually loaded (after "#!").
	Exe  string
	Argv []string
	Auxv []uint64
}

// ELF constants.
const (
	etExec     = 2
	etDyn      = 3
	emX8664    = 62
	ptLoad     = 1
	ptInterp   = 3
	ptPhdr     = 6
	ptGnuStack = 0x6474e551
	pfX        = 1
	pfW        = 2
	pfR        = 4

	// dynBase is where position-independent executables go: like Linux's
	// ELF_ET_DYN_BASE (two thirds of the way up), but of the guest window.
	dynBase      = 0x355555554000
	maxInterpLen = 4096
)

// elfFile is the parts of an ELF file the loader needs.
type elfFile struct {
	typ    uint16
	entry  uint64
	phoff  uint64
	phnum  int
	phdrs  []phdr
	interp string
}

type phdr struct {
	typ, flags                       uint32
	off, vaddr, filesz, memsz, align uint64
}

func readAt(f *vfs.File, p []byte, off int64) error {
	for len(p) > 0 {
		n, err := f.Impl.Pread(p, off)
		if err != nil {
			return err
		}
		if n == 0 {
			return unix.ENOEXEC
		}
		p, off = p[n:], off+int64(n)
	}
	return nil
}

// parseELF reads and checks the ELF header and program headers.
func parseELF(f *vfs.File, hdr []byte) (*elfFile, error) {
	le := binary.LittleEndian
	if len(hdr) < 64 || string(hdr[:4]) != "\x7fELF" || hdr[4] != 2 || hdr[5] != 1 {
		return nil, unix.ENOEXEC
	}
	e := &elfFile{typ: le.Uint16(hdr[16:]), entry: le.Uint64(hdr[24:]), phoff: le.Uint64(hdr[32:])}
	if le.Uint16(hdr[18:]) != emX8664 || (e.typ != etExec && e.typ != etDyn) {
		return nil, unix.ENOEXEC
	}
	phentsize := int(le.Uint16(hdr[54:]))
	e.phnum = int(le.Uint16(hdr[56:]))
	if phentsize != 56 || e.phnum == 0 || e.phnum > 256 {
		return nil, unix.ENOEXEC
	}
	ph := make([]byte, 56*e.phnum)
	if err := readAt(f, ph, int64(e.phoff)); err != nil {
		return nil, err
	}
	for i := 0; i < e.phnum; i++ {
		b := ph[56*i:]
		p := phdr{typ: le.Uint32(b), flags: le.Uint32(b[4:]), off: le.Uint64(b[8:]), vaddr: le.Uint64(b[16:]),
			filesz: le.Uint64(b[32:]), memsz: le.Uint64(b[40:]), align: le.Uint64(b[48:])}
		if p.typ == ptLoad && (p.filesz > p.memsz || p.vaddr%mm.PageSize != p.off%mm.PageSize) {
			return nil, unix.ENOEXEC
		}
		if p.typ == ptInterp {
			if p.filesz == 0 || p.filesz > maxInterpLen {
				return nil, unix.ENOEXEC
			}
			b := make([]byte, p.filesz)
			if err := readAt(f, b, int64(p.off)); err != nil {
				return nil, err
			}
			e.interp = strings.TrimRight(string(b), "\x00")
		}
		e.phdrs = append(e.phdrs, p)
	}
	return e, nil
}

// span returns the page-aligned range the PT_LOAD segments cover.
func (e *elfFile) span() (lo, hi uint64, ok bool) {
	lo = ^uint64(0)
	for _, p := range e.phdrs {
		if p.typ != ptLoad {
			continue
		}
		lo = min(lo, p.vaddr&^(mm.PageSize-1))
		hi = max(hi, p.vaddr+p.memsz)
		ok = true
	}
	return lo, uint64(mm.PageAlign(uintptr(hi))), ok
}

func protOf(flags uint32) pal.Prot {
	var p pal.Prot
	if flags&pfR != 0 {
		p |= pal.ProtRead
	}
	if flags&pfW != 0 {
		p |= pal.ProtWrite
	}
	if flags&pfX != 0 {
		p |= pal.ProtExec
	}
	return p
}

// loaded describes one mapped ELF object.
type loaded struct {
	bias  uintptr // load address minus link address
	entry uintptr
	phdr  uintptr // where the program headers are in memory
	phnum int
	end   uintptr // end of the highest segment
}

// mapELF maps e's segments. base, if nonzero, is where a position-independent
// object should go.
func mapELF(env *Env, f *vfs.File, e *elfFile, base uintptr, name string) (*loaded, error) {
	lo, hi, ok := e.span()
	if !ok {
		return nil, unix.ENOEXEC
	}
	size := uintptr(hi - lo)
	var bias uintptr
	if e.typ == etDyn {
		// Reserve the whole span at once, as ld.so does, then place the
		// segments inside it.
		addr, err := env.MM.Map(mm.MapRequest{Addr: base, Length: size, Prot: pal.ProtNone})
		if err != nil {
			return nil, err
		}
		bias = addr - uintptr(lo)
	} else if _, err := env.MM.Map(mm.MapRequest{Addr: uintptr(lo), Length: size, Prot: pal.ProtNone, NoReplace: true}); err != nil {
		return nil, unix.ENOMEM
	}
	l := &loaded{bias: bias, entry: bias + uintptr(e.entry), phnum: e.phnum}
	covered := bias + uintptr(lo) // end of the segments mapped so far
	for _, p := range e.phdrs {
		switch p.typ {
		case ptPhdr:
			l.phdr = bias + uintptr(p.vaddr)
		case ptLoad:
			// Like the kernel, leave no reservation between segments.
			if s := bias + uintptr(p.vaddr)&^(mm.PageSize-1); s > covered {
				if err := env.MM.Unmap(covered, s-covered); err != nil {
					return nil, err
				}
			}
			if err := mapSegment(env, f, p, bias); err != nil {
				return nil, err
			}
			covered = max(covered, mm.PageAlign(bias+uintptr(p.vaddr+p.memsz)))
			if l.phdr == 0 && e.phoff >= p.off && e.phoff < p.off+p.filesz {
				l.phdr = bias + uintptr(p.vaddr+e.phoff-p.off)
			}
			l.end = max(l.end, bias+uintptr(p.vaddr+p.memsz))
		}
	}
	return l, nil
}

// mapSegment maps one PT_LOAD segment: file pages, then zeroed bss.
func mapSegment(env *Env, f *vfs.File, p phdr, bias uintptr) error {
	prot := protOf(p.flags)
	start := bias + uintptr(p.vaddr)&^(mm.PageSize-1)
	fileEnd := bias + uintptr(p.vaddr+p.filesz)
	memEnd := bias + uintptr(p.vaddr+p.memsz)
	off := int64(p.off &^ (mm.PageSize - 1))
	mapped := start
	if p.filesz > 0 {
		end := mm.PageAlign(fileEnd)
		zero := memEnd > fileEnd && fileEnd%mm.PageSize != 0 // bss starts inside the last file page
		wprot := prot
		if zero {
			wprot |= pal.ProtWrite
		}
		if _, err := env.MM.Map(mm.MapRequest{Addr: start, Length: end - start, Prot: wprot, Fixed: true,
			Backing: f.Backing(), Offset: off}); err != nil {
			return err
		}
		if zero {
			if err := umem.CopyOut(fileEnd, make([]byte, end-fileEnd)); err != nil {
				return err
			}
		}
		if wprot != prot {
			if err := env.MM.Protect(start, end-start, prot); err != nil {
				return err
			}
		}
		mapped = end
	}
	if end := mm.PageAlign(memEnd); end > mapped {
		if _, err := env.MM.Map(mm.MapRequest{Addr: mapped, Length: end - mapped, Prot: prot, Fixed: true}); err != nil {
			return err
		}
	}
	return nil
}
