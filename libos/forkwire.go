package libos

// The checkpoint's encoding (package wire), field by field: encode and
// decode must list the same fields in the same order.

import (
	"gophene/libos/kernel"
	"gophene/libos/wire"
	"gophene/pal"
)

func (cp *checkpoint) encode(e *wire.Encoder) {
	for _, v := range cp.ints() {
		e.Int(int64(*v))
	}
	encodeCreds(e, &cp.Creds)
	e.String(cp.Cwd)
	e.Uint(uint64(cp.Umask))
	wire.RawSlice(e, cp.Rlimits)
	e.String(cp.Exe)
	e.Strings(cp.Argv)
	e.Strings(cp.Envv)
	wire.RawSlice(e, cp.Auxv)
	e.String(cp.UTS.Hostname)
	e.String(cp.UTS.Domainname)
	wire.Raw(e, &cp.BootID)
	wire.Raw(e, &cp.StartTime)
	e.Uint(uint64(cp.Personality))
	e.Bool(cp.NoNewPrivs)
	e.Strings(cp.Tunables)
	e.Bool(cp.Vfork)
	e.Uint(uint64(cp.Membarrier))
	wire.RawSlice(e, cp.Actions)
	e.Data(cp.Patch)
	wire.Slice(e, cp.Mounts, func(e *wire.Encoder, m *mountState) {
		e.String(m.Path)
		e.String(m.Type)
		e.String(m.Source)
		e.Bool(m.ReadOnly)
		e.Bool(m.CoverAttrs)
		e.Int(int64(m.Handle))
	})
	wire.Slice(e, cp.Files, func(e *wire.Encoder, f *fileState) {
		e.Uint(f.ID)
		e.Int(int64(f.Handle))
		e.Int(int64(f.Flags))
		e.String(f.Path)
		e.String(f.Mount)
		e.Data(f.State)
	})
	wire.Slice(e, cp.FDs, func(e *wire.Encoder, f *fdState) {
		e.Int(int64(f.FD))
		e.Int(int64(f.File))
		e.Bool(f.Cloexec)
	})
	wire.Slice(e, cp.Areas, func(e *wire.Encoder, a *areaState) {
		e.Uint(uint64(a.Start))
		e.Uint(uint64(a.End))
		e.Uint(uint64(a.Prot))
		e.Int(int64(a.Flags))
		e.String(a.Name)
		e.Int(a.Offset)
		e.Int(int64(a.File))
		e.Int(int64(a.Shared))
		e.Int(int64(a.ShmID))
		wire.Slice(e, a.Pieces, func(e *wire.Encoder, pc *pieceState) {
			e.Uint(uint64(pc.Start))
			e.Uint(uint64(pc.End))
			e.Int(int64(pc.Base))
			e.Int(pc.BaseOff)
			wire.RawSlice(e, pc.Dirty)
		})
	})
	wire.Raw(e, &cp.Brk)
	e.Uint(uint64(cp.MmapTop))
	e.Uint(uint64(cp.MmapBottom))
	ts := &cp.Task
	for _, r := range cpuRegs(&ts.Regs) {
		e.Uint(*r)
	}
	e.Data(ts.FP)
	e.String(ts.Name)
	e.Uint(ts.SigMask)
	wire.Raw(e, &ts.AltStack)
	e.Int(int64(ts.Policy))
	e.Int(int64(ts.Prio))
	e.Int(int64(ts.IOPrio))
	e.Uint(uint64(ts.ClearChildTid))
	e.Uint(uint64(ts.ChildTid))
	e.Int(cp.DirtyBytes)
}

func (cp *checkpoint) decode(d *wire.Decoder) {
	for _, v := range cp.ints() {
		*v = int(d.Int())
	}
	decodeCreds(d, &cp.Creds)
	cp.Cwd = d.String()
	cp.Umask = uint32(d.Uint())
	cp.Rlimits = wire.RawSliceIn[kernel.Rlimit](d)
	cp.Exe = d.String()
	cp.Argv = d.Strings()
	cp.Envv = d.Strings()
	cp.Auxv = wire.RawSliceIn[uint64](d)
	cp.UTS.Hostname = d.String()
	cp.UTS.Domainname = d.String()
	wire.RawIn(d, &cp.BootID)
	wire.RawIn(d, &cp.StartTime)
	cp.Personality = uint32(d.Uint())
	cp.NoNewPrivs = d.Bool()
	cp.Tunables = d.Strings()
	cp.Vfork = d.Bool()
	cp.Membarrier = uint32(d.Uint())
	cp.Actions = wire.RawSliceIn[kernel.SigAction](d)
	cp.Patch = d.Data()
	cp.Mounts = wire.SliceIn(d, func(d *wire.Decoder, m *mountState) {
		m.Path, m.Type, m.Source = d.String(), d.String(), d.String()
		m.ReadOnly, m.CoverAttrs = d.Bool(), d.Bool()
		m.Handle = int(d.Int())
	})
	cp.Files = wire.SliceIn(d, func(d *wire.Decoder, f *fileState) {
		f.ID = d.Uint()
		f.Handle, f.Flags = int(d.Int()), int(d.Int())
		f.Path, f.Mount = d.String(), d.String()
		f.State = d.Data()
	})
	cp.FDs = wire.SliceIn(d, func(d *wire.Decoder, f *fdState) {
		f.FD, f.File = int(d.Int()), int(d.Int())
		f.Cloexec = d.Bool()
	})
	cp.Areas = wire.SliceIn(d, func(d *wire.Decoder, a *areaState) {
		a.Start, a.End = uintptr(d.Uint()), uintptr(d.Uint())
		a.Prot = pal.Prot(d.Uint())
		a.Flags = int(d.Int())
		a.Name = d.String()
		a.Offset = d.Int()
		a.File, a.Shared, a.ShmID = int(d.Int()), int(d.Int()), int(d.Int())
		a.Pieces = wire.SliceIn(d, func(d *wire.Decoder, pc *pieceState) {
			pc.Start, pc.End = uintptr(d.Uint()), uintptr(d.Uint())
			pc.Base = int(d.Int())
			pc.BaseOff = d.Int()
			pc.Dirty = wire.RawSliceIn[pal.Range](d)
		})
	})
	wire.RawIn(d, &cp.Brk)
	cp.MmapTop, cp.MmapBottom = uintptr(d.Uint()), uintptr(d.Uint())
	ts := &cp.Task
	for _, r := range cpuRegs(&ts.Regs) {
		*r = d.Uint()
	}
	ts.FP = d.Data()
	ts.Name = d.String()
	ts.SigMask = d.Uint()
	wire.RawIn(d, &ts.AltStack)
	ts.Policy, ts.Prio, ts.IOPrio = int(d.Int()), int(d.Int()), int(d.Int())
	ts.ClearChildTid, ts.ChildTid = uintptr(d.Uint()), uintptr(d.Uint())
	cp.DirtyBytes = d.Int()
}

// ints lists the checkpoint's int fields.
func (cp *checkpoint) ints() []*int {
	return []*int{&cp.Pid, &cp.Ppid, &cp.Pgid, &cp.Sid, &cp.Dumpable, &cp.Nice, &cp.LogLevel, &cp.NumHandles}
}

func encodeCreds(e *wire.Encoder, c *kernel.Creds) {
	for _, v := range credInts(c) {
		e.Int(int64(*v))
	}
	wire.Slice(e, c.Groups, func(e *wire.Encoder, g *int) { e.Int(int64(*g)) })
	wire.Raw(e, &c.Cap)
	e.Uint(uint64(c.Securebits))
}

func decodeCreds(d *wire.Decoder, c *kernel.Creds) {
	for _, v := range credInts(c) {
		*v = int(d.Int())
	}
	c.Groups = wire.SliceIn(d, func(d *wire.Decoder, g *int) { *g = int(d.Int()) })
	wire.RawIn(d, &c.Cap)
	c.Securebits = uint32(d.Uint())
}

func credInts(c *kernel.Creds) []*int {
	return []*int{&c.Uid, &c.Euid, &c.Suid, &c.Fsuid, &c.Gid, &c.Egid, &c.Sgid, &c.Fsgid}
}

// cpuRegs lists the registers a checkpoint carries (not the FPU pointer).
func cpuRegs(c *pal.CPU) []*uint64 {
	return []*uint64{&c.Rax, &c.Rbx, &c.Rcx, &c.Rdx, &c.Rsi, &c.Rdi, &c.Rbp, &c.Rsp,
		&c.R8, &c.R9, &c.R10, &c.R11, &c.R12, &c.R13, &c.R14, &c.R15,
		&c.Rip, &c.Rflags, &c.FSBase, &c.GSBase}
}

// encodeRuns and decodeRuns carry what a vfork child changed.
func encodeRuns(runs []memRun) func(*wire.Encoder) {
	return func(e *wire.Encoder) {
		wire.Slice(e, runs, func(e *wire.Encoder, r *memRun) {
			e.Uint(uint64(r.Addr))
			e.Data(r.Data)
		})
	}
}

func decodeRuns(runs *[]memRun) func(*wire.Decoder) {
	return func(d *wire.Decoder) {
		*runs = wire.SliceIn(d, func(d *wire.Decoder, r *memRun) {
			r.Addr = uintptr(d.Uint())
			r.Data = d.Data()
		})
	}
}
