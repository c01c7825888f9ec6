package loader

import (
	"bytes"
	"encoding/binary"
	"strings"

	"golang.org/x/sys/unix"

	"gophene/libos/mm"
	"gophene/libos/umem"
	"gophene/libos/vfs"
	"gophene/pal"
)

// Auxiliary vector keys.
const (
	atNull         = 0
	atPhdr         = 3
	atPhent        = 4
	atPhnum        = 5
	atPagesz       = 6
	atBase         = 7
	atFlags        = 8
	atEntry        = 9
	atUid          = 11
	atEuid         = 12
	atGid          = 13
	atEgid         = 14
	atPlatform     = 15
	atHwcap        = 16
	atClktck       = 17
	atSecure       = 23
	atRandom       = 25
	atHwcap2       = 26
	atExecfn       = 31
	atSysinfoEhdr  = 33
	atMinsigstksz  = 51
	maxShebangLen  = 256
	maxShebangHops = 4
)

// Load loads the program at path into env.MM, which must be empty, with
// argv and envp. execfn is the name given to execve (AT_EXECFN).
func Load(env *Env, path string, argv, envp []string) (*Image, error) {
	execfn := path
	for hop := 0; ; hop++ {
		f, err := env.Open(path)
		if err != nil {
			return nil, err
		}
		hdr := make([]byte, 256)
		n, err := f.Impl.Pread(hdr, 0)
		if err != nil {
			f.DecRef()
			return nil, err
		}
		hdr = hdr[:n]
		if bytes.HasPrefix(hdr, []byte("#!")) {
			f.DecRef()
			if hop >= maxShebangHops {
				return nil, unix.ELOOP
			}
			interp, arg, ok := parseShebang(hdr)
			if !ok {
				return nil, unix.ENOEXEC
			}
			nargv := []string{interp}
			if arg != "" {
				nargv = append(nargv, arg)
			}
			nargv = append(nargv, path)
			if len(argv) > 1 {
				nargv = append(nargv, argv[1:]...)
			}
			path, argv = interp, nargv
			continue
		}
		img, err := loadELF(env, f, hdr, path, execfn, argv, envp)
		f.DecRef()
		return img, err
	}
}

// parseShebang splits a "#!interpreter [argument]" line, as Linux does: one
// optional argument holding the rest of the line.
func parseShebang(hdr []byte) (string, string, bool) {
	line := hdr[2:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	} else if len(hdr) >= maxShebangLen {
		return "", "", false
	}
	s := strings.Trim(string(line), " \t")
	if s == "" {
		return "", "", false
	}
	interp, arg, _ := strings.Cut(s, " ")
	if i := strings.IndexByte(interp, '\t'); i >= 0 {
		interp, arg = interp[:i], interp[i+1:]+" "+arg
	}
	return interp, strings.Trim(arg, " \t"), true
}

func (env *Env) random(n int) uintptr {
	if !env.Randomize {
		return 0
	}
	var b [8]byte
	env.Random(b[:])
	return uintptr(binary.LittleEndian.Uint64(b[:])) % uintptr(n)
}

// maxStack bounds the main thread's stack.
const maxStack = 1 << 30

func loadELF(env *Env, f *vfs.File, hdr []byte, path, execfn string, argv, envp []string) (*Image, error) {
	if len(hdr) < 64 {
		return nil, unix.ENOEXEC
	}
	e, err := parseELF(f, hdr)
	if err != nil {
		return nil, err
	}
	// The stack goes at the top of the window, mmap placement below it.
	info := env.Info
	top := env.MM.MmapTop - env.random(1<<14)*mm.PageSize
	// The whole stack is mapped at once (it does not grow); an unlimited
	// or huge RLIMIT_STACK gets maxStack, as Linux's stack could only grow
	// that far before meeting other mappings anyway.
	stackSize := mm.PageAlign(min(env.StackSize, maxStack))
	stackLo := top - stackSize
	if _, err := env.MM.Map(mm.MapRequest{Addr: stackLo, Length: stackSize, Prot: pal.ProtRead | pal.ProtWrite,
		Fixed: true, Flags: mm.Stack | mm.GrowsDown, Name: "[stack]"}); err != nil {
		return nil, err
	}
	env.MM.MmapTop = stackLo - (1 << 20) - env.random(1<<16)*mm.PageSize

	var base uintptr
	if e.typ == etDyn {
		base = dynBase + env.random(1<<16)*mm.PageSize
	}
	exe, err := mapELF(env, f, e, base, path)
	if err != nil {
		return nil, err
	}
	entry, interpBase := exe.entry, uintptr(0)
	if e.interp != "" {
		inf, err := env.Open(e.interp)
		if err != nil {
			if err == unix.EACCES {
				return nil, unix.ENOENT
			}
			return nil, err
		}
		defer inf.DecRef()
		ihdr := make([]byte, 64)
		if err := readAt(inf, ihdr, 0); err != nil {
			return nil, err
		}
		ie, err := parseELF(inf, ihdr)
		if err != nil {
			return nil, err
		}
		in, err := mapELF(env, inf, ie, 0, e.interp)
		if err != nil {
			return nil, err
		}
		entry = in.entry
		interpBase = in.bias
	}
	brk := mm.PageAlign(exe.end)
	if env.Randomize {
		brk += env.random(1<<13) * mm.PageSize
	}
	env.MM.SetBrk(brk, env.BrkMax)
	AddSpecialAreas(env.MM, info)

	var rnd [16]byte
	env.Random(rnd[:])
	auxv := []uint64{
		atSysinfoEhdr, uint64(info.VDSO.Start),
		atMinsigstksz, info.MinSigStkSz,
		atHwcap, info.HWCap,
		atPagesz, mm.PageSize,
		atClktck, 100,
		atPhdr, uint64(exe.phdr),
		atPhent, 56,
		atPhnum, uint64(exe.phnum),
		atBase, uint64(interpBase),
		atFlags, 0,
		atEntry, uint64(exe.entry),
		atUid, uint64(env.Uid),
		atEuid, uint64(env.Euid),
		atGid, uint64(env.Gid),
		atEgid, uint64(env.Egid),
		atSecure, 0,
		atRandom, 0, // filled in by buildStack
		atHwcap2, info.HWCap2,
		atExecfn, 0,
		atPlatform, 0,
		atNull, 0,
	}
	if info.VDSO.Size() == 0 {
		auxv = auxv[2:]
	}
	sp, err := buildStack(top, stackLo, argv, envp, execfn, info.Platform, rnd, auxv)
	if err != nil {
		return nil, err
	}
	return &Image{Entry: entry, SP: sp, Exe: f.Path, Argv: argv, Auxv: auxv}, nil
}

// buildStack lays out the initial stack below top as Linux does and returns
// the stack pointer (pointing at argc). It fills AT_RANDOM, AT_EXECFN and
// AT_PLATFORM in auxv.
func buildStack(top, lo uintptr, argv, envp []string, execfn, platform string, rnd [16]byte, auxv []uint64) (uintptr, error) {
	p := top - 8 // end marker
	put := func(s string) uintptr {
		p -= uintptr(len(s) + 1)
		b := umem.Bytes(p, uintptr(len(s)+1))
		copy(b, s)
		b[len(s)] = 0
		return p
	}
	size := 8 + len(execfn) + 1 + len(platform) + 1 + 16 + 64 + 8*(len(argv)+len(envp)+3) + 8*len(auxv)
	for _, s := range argv {
		size += len(s) + 1
	}
	for _, s := range envp {
		size += len(s) + 1
	}
	if uintptr(size) > (top-lo)/4 {
		return 0, unix.E2BIG
	}
	execAddr := put(execfn)
	envAddrs := make([]uintptr, len(envp))
	for i := len(envp) - 1; i >= 0; i-- {
		envAddrs[i] = put(envp[i])
	}
	argAddrs := make([]uintptr, len(argv))
	for i := len(argv) - 1; i >= 0; i-- {
		argAddrs[i] = put(argv[i])
	}
	platAddr := put(platform)
	p -= 16
	copy(umem.Bytes(p, 16), rnd[:])
	rndAddr := p
	p &^= 15
	for i := 0; i+1 < len(auxv); i += 2 {
		switch auxv[i] {
		case atRandom:
			auxv[i+1] = uint64(rndAddr)
		case atExecfn:
			auxv[i+1] = uint64(execAddr)
		case atPlatform:
			auxv[i+1] = uint64(platAddr)
		}
	}
	words := 1 + len(argv) + 1 + len(envp) + 1 + len(auxv)
	p -= uintptr(words * 8)
	p &^= 15
	w := p
	put64 := func(v uint64) {
		binary.LittleEndian.PutUint64(umem.Bytes(w, 8), v)
		w += 8
	}
	put64(uint64(len(argv)))
	for _, a := range argAddrs {
		put64(uint64(a))
	}
	put64(0)
	for _, a := range envAddrs {
		put64(uint64(a))
	}
	put64(0)
	for _, v := range auxv {
		put64(v)
	}
	return p, nil
}

// AddSpecialAreas records the host's vDSO and its data pages in an address
// space, when the host offers them to guests.
func AddSpecialAreas(m *mm.MM, info *pal.Info) {
	if info.VDSO.Size() == 0 {
		return
	}
	for _, r := range info.VVar {
		m.AddSpecial(r, pal.ProtRead, "[vvar]")
	}
	m.AddSpecial(info.VDSO, pal.ProtRead|pal.ProtExec, "[vdso]")
}

// CheckHeader says whether a file starting with hdr can be executed: an
// ELF x86-64 program, or a "#!" script whose interpreter check accepts.
func CheckHeader(hdr []byte, check func(interp string) error) error {
	if bytes.HasPrefix(hdr, []byte("#!")) {
		interp, _, ok := parseShebang(hdr)
		if !ok {
			return unix.ENOEXEC
		}
		return check(interp)
	}
	le := binary.LittleEndian
	if len(hdr) < 64 || string(hdr[:4]) != "\x7fELF" || hdr[4] != 2 || hdr[5] != 1 || le.Uint16(hdr[18:]) != emX8664 {
		return unix.ENOEXEC
	}
	return nil
}
