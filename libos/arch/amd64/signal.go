package amd64

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/umem"
	"gophene/pal"
)

// Signal frames, laid out as Linux's x86-64 rt_sigframe so that handlers,
// debuggers and libraries that read the ucontext (or longjmp out of it)
// see what they expect:
//
//	sp+0    pretcode (sa_restorer)
//	sp+8    struct ucontext: uc_flags, uc_link, uc_stack, sigcontext,
//	        uc_sigmask
//	sp+312  siginfo
//	...     XSAVE image (64-byte aligned) + FP_XSTATE_MAGIC2
const (
	frameSize    = 440
	ucOff        = 8
	infoOff      = 312
	mctxOff      = ucOff + 40 // uc_mcontext inside the frame
	sigmaskOff   = ucOff + 296
	redZone      = 128
	fpMagic1     = 0x46505853
	fpMagic2     = 0x46505845
	ucFPXstate   = 0x1
	ucSigctxSS   = 0x2
	ucStrictSS   = 0x4
	fixEflags    = 0x50dd5 // AC|OF|DF|TF|SF|ZF|AF|PF|CF|RF
	ssOnstack    = 1
	ssDisable    = 2
	ssAutodisarm = 1 << 31
)

// sigcontext register order (struct sigcontext_64).
func gregs(c *pal.CPU) []*uint64 {
	return []*uint64{&c.R8, &c.R9, &c.R10, &c.R11, &c.R12, &c.R13, &c.R14, &c.R15,
		&c.Rdi, &c.Rsi, &c.Rbp, &c.Rbx, &c.Rdx, &c.Rax, &c.Rcx, &c.Rsp, &c.Rip, &c.Rflags}
}

// Frames implements kernel.SigFrames for x86-64.
type Frames struct{ Info *pal.Info }

// altFlags is sas_ss_flags: where sp stands relative to the alternate stack.
func altFlags(t *kernel.Task, sp uint64) int32 {
	base, size := t.AltStack[0], t.AltStack[2]
	if size == 0 {
		return ssDisable
	}
	if sp > base && sp-base <= size {
		return ssOnstack
	}
	return 0
}

// Setup builds the frame for info and points the thread at the handler.
func (fr Frames) Setup(t *kernel.Task, info *kernel.SigInfo, act kernel.SigAction, oldMask uint64) error {
	cpu := t.CPU
	if act.Flags&kernel.SaRestorer == 0 {
		return unix.EFAULT
	}
	sp := cpu.Rsp - redZone
	onAlt := false
	if act.Flags&kernel.SaOnstack != 0 && altFlags(t, cpu.Rsp) == 0 {
		sp = t.AltStack[0] + t.AltStack[2]
		onAlt = true
	}
	xsize := uint64(fr.Info.XSaveSize)
	fp := (sp - xsize - 4) &^ 63
	sp = ((fp - frameSize) &^ 15) - 8
	if onAlt && altFlags(t, sp) != ssOnstack {
		return unix.EFAULT // the alternate stack is too small
	}

	// The FPU image, with the software-reserved bytes Linux fills in.
	img := make([]byte, xsize+4)
	copy(img, cpu.FPState())
	binary.LittleEndian.PutUint32(img[464:], fpMagic1)
	binary.LittleEndian.PutUint32(img[468:], uint32(xsize+4))
	binary.LittleEndian.PutUint64(img[472:], fr.Info.XSaveFeatures)
	binary.LittleEndian.PutUint32(img[480:], uint32(xsize))
	clear(img[484:512])
	binary.LittleEndian.PutUint32(img[xsize:], fpMagic2)

	var f [frameSize]byte
	le := binary.LittleEndian
	le.PutUint64(f[0:], act.Restorer)
	le.PutUint64(f[ucOff:], ucFPXstate|ucSigctxSS|ucStrictSS)
	le.PutUint64(f[ucOff+16:], t.AltStack[0])
	le.PutUint32(f[ucOff+24:], uint32(altFlags(t, cpu.Rsp))|uint32(t.AltStack[1]&ssAutodisarm))
	le.PutUint64(f[ucOff+32:], t.AltStack[2])
	for i, r := range gregs(cpu) {
		le.PutUint64(f[mctxOff+8*i:], *r)
	}
	le.PutUint16(f[mctxOff+144:], 0x33) // cs
	le.PutUint16(f[mctxOff+150:], 0x2b) // ss
	if t.Fault.Kind == pal.EventFault && int32(info.Signo) == t.Fault.Signo {
		le.PutUint64(f[mctxOff+152:], t.Fault.ErrCode)
		le.PutUint64(f[mctxOff+160:], t.Fault.Trapno)
		le.PutUint64(f[mctxOff+176:], t.Fault.Addr)
		t.Fault = pal.Event{}
	}
	le.PutUint64(f[mctxOff+168:], oldMask)
	le.PutUint64(f[mctxOff+184:], fp)
	le.PutUint64(f[sigmaskOff:], oldMask)
	copy(f[infoOff:], umem.StructBytes(info))

	if err := t.CopyOut(uintptr(fp), img); err != nil {
		return err
	}
	if err := t.CopyOut(uintptr(sp), f[:]); err != nil {
		return err
	}
	if t.AltStack[1]&ssAutodisarm != 0 {
		t.AltStack = [3]uint64{}
	}
	cpu.Rsp = sp
	cpu.Rip = act.Handler
	cpu.Rdi = uint64(info.Signo)
	cpu.Rsi = sp + infoOff
	cpu.Rdx = sp + ucOff
	cpu.Rax = 0
	cpu.Rflags &^= 0x400 | 0x10000 | 0x100 // DF, RF, TF
	resetFPU(cpu)
	return nil
}

// resetFPU puts the FPU in its initial state, as a handler starts with.
func resetFPU(cpu *pal.CPU) {
	img := cpu.FPState()
	clear(img)
	binary.LittleEndian.PutUint16(img[0:], 0x37f)
	binary.LittleEndian.PutUint32(img[24:], 0x1f80)
}

// RtSigreturn implements rt_sigreturn(2): it restores the registers, FPU
// state, signal mask and alternate stack saved in the frame the handler
// returns through. It returns the restored RAX so that the dispatcher
// leaves it as it was.
func RtSigreturn(t *kernel.Task, a kernel.Args) (uintptr, error) {
	cpu := t.CPU
	sp := uintptr(cpu.Rsp) - 8
	var f [frameSize]byte
	if err := t.CopyIn(sp, f[:]); err != nil {
		return badFrame(t)
	}
	le := binary.LittleEndian
	regs := gregs(cpu)
	saved := make([]uint64, len(regs))
	for i := range regs {
		saved[i] = le.Uint64(f[mctxOff+8*i:])
	}
	fp := uintptr(le.Uint64(f[mctxOff+184:]))
	if !restoreFPU(t, fp) {
		return badFrame(t)
	}
	flags := cpu.Rflags
	for i, r := range regs {
		*r = saved[i]
	}
	cpu.Rflags = flags&^fixEflags | saved[17]&fixEflags
	t.SetSigMask(le.Uint64(f[sigmaskOff:]))
	// Restore the alternate stack as sigaltstack would (errors ignored,
	// as on Linux).
	ss := [3]uint64{le.Uint64(f[ucOff+16:]), uint64(le.Uint32(f[ucOff+24:])), le.Uint64(f[ucOff+32:])}
	if altFlags(t, cpu.Rsp) != ssOnstack {
		switch {
		case ss[1]&ssDisable != 0:
			t.AltStack = [3]uint64{}
		case ss[2] >= 2048:
			t.AltStack = [3]uint64{ss[0], ss[1] &^ ssOnstack, ss[2]}
		}
	}
	return uintptr(cpu.Rax), nil
}

// restoreFPU loads the FPU image at fp into the thread's state, refusing
// images the CPU would fault on.
func restoreFPU(t *kernel.Task, fp uintptr) bool {
	cpu := t.CPU
	if fp == 0 {
		resetFPU(cpu)
		return true
	}
	if fp%64 != 0 {
		return false
	}
	img := cpu.FPState()
	legacy := make([]byte, 512)
	if t.CopyIn(fp, legacy) != nil {
		return false
	}
	le := binary.LittleEndian
	size := len(img)
	if le.Uint32(legacy[464:]) == fpMagic1 {
		xsize := int(le.Uint32(legacy[480:]))
		var magic2 [4]byte
		if xsize < 576 || xsize > size || int(le.Uint32(legacy[468:])) != xsize+4 ||
			t.CopyIn(fp+uintptr(xsize), magic2[:]) != nil || le.Uint32(magic2[:]) != fpMagic2 {
			return false
		}
		buf := make([]byte, xsize)
		if t.CopyIn(fp, buf) != nil {
			return false
		}
		if le.Uint64(buf[520:]) != 0 { // compacted format: not a user image
			return false
		}
		clear(img)
		copy(img, buf)
		xfeatures := t.P.Info.XSaveFeatures
		le.PutUint64(img[512:], le.Uint64(img[512:])&xfeatures)
		clear(img[528:576])
	} else {
		// A plain FXSAVE image: x87 and SSE state only.
		clear(img)
		copy(img, legacy)
		le.PutUint64(img[512:], 3)
	}
	le.PutUint32(img[24:], le.Uint32(img[24:])&0xffff) // MXCSR reserved bits
	clear(img[464:512])
	return true
}

// badFrame handles a corrupt or unreadable frame: the thread gets SIGSEGV.
func badFrame(t *kernel.Task) (uintptr, error) {
	t.SignalTask(kernel.NewSigInfo(int(unix.SIGSEGV), kernel.SiKernel))
	return uintptr(t.CPU.Rax), nil
}
