package libos

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"

	"gophene/libos/arch/amd64"
	"gophene/libos/kernel"
	"gophene/libos/mm"
	"gophene/libos/procfs"
	"gophene/libos/sys"
	"gophene/libos/umem"
	"gophene/libos/vfs"
	"gophene/pal"
)

// Fork.
//
// A forked guest process is a new host process (pal ProcessCreate) that
// receives a checkpoint of its parent: the process state, the calling
// thread's registers, every open file and mount as host handles (so shared
// file offsets, pipes and sockets stay shared, as Linux shares open file
// descriptions), and the address space. Memory is not copied: the host's
// MemoryCopyPlan freezes anonymous memory so that parent and child map the
// same pages copy-on-write, and only pages that already diverged from
// their base (written since an earlier fork, or written into a private file
// mapping) travel as bytes.

// checkpoint is what a child process receives, in one frame (forkwire.go), followed
// by NumHandles handles and DirtyBytes bytes of page contents.
type checkpoint struct {
	Pid, Ppid, Pgid, Sid int
	Creds                kernel.Creds
	Cwd                  string
	Umask                uint32
	Rlimits              []kernel.Rlimit
	Exe                  string
	Argv, Envv           []string
	Auxv                 []uint64
	UTS                  kernel.UTS
	BootID               [16]byte
	StartTime            pal.Timespec
	Personality          uint32
	Dumpable, Nice       int
	NoNewPrivs           bool
	Tunables             []string
	Actions              []kernel.SigAction
	LogLevel             int
	Patch                []byte
	Mounts               []mountState
	Files                []fileState
	FDs                  []fdState
	Areas                []areaState
	Brk                  [3]uintptr
	MmapTop, MmapBottom  uintptr
	Task                 taskState
	NumHandles           int
	Vfork                bool
	Membarrier           uint32 // membarrier registrations
	DirtyBytes           int64
}

type mountState struct {
	Path, Type, Source   string
	ReadOnly, CoverAttrs bool
	Handle               int // chroot: index of the root's handle
}

type fileState struct {
	ID     uint64 // the open file description's ID (vfs.File.ID)
	Handle int    // index of the host handle, or -1: reopen by Path
	Flags  int
	Path   string
	Mount  string // path of the file's mount ("" for none)
	State  []byte
}

type fdState struct {
	FD, File int
	Cloexec  bool
}

type areaState struct {
	Start, End uintptr
	Prot       pal.Prot
	Flags      int
	Name       string
	Offset     int64
	File       int // index into Files for file mappings, -1 otherwise
	Shared     int // handle index of shared anonymous memory, -1 otherwise
	ShmID      int // SysV shared memory: the segment's id + 1, 0 otherwise
	Pieces     []pieceState
}

type pieceState struct {
	Start, End uintptr
	Base       int // handle index, -1 for zeros or the area's file
	BaseOff    int64
	Dirty      []pal.Range
}

type taskState struct {
	Regs          pal.CPU
	FP            []byte
	Name          string
	SigMask       uint64
	AltStack      [3]uint64
	Policy, Prio  int
	IOPrio        int // -1: no I/O context
	ClearChildTid uintptr
	ChildTid      uintptr // write the child's tid here (CLONE_CHILD_SETTID)
}

// handleList collects the handles a checkpoint refers to.
type handleList struct {
	hs  []pal.Handle
	idx map[pal.Handle]int
}

func (l *handleList) add(h pal.Handle) int {
	if i, ok := l.idx[h]; ok {
		return i
	}
	l.idx[h] = len(l.hs)
	l.hs = append(l.hs, h)
	return len(l.hs) - 1
}

// forkProcess creates a child process of t's process running a copy of t.
func forkProcess(t *kernel.Task, opt kernel.ForkOptions) (int, error) {
	p := t.P
	host := p.Host
	pid, err := p.AllocPid()
	if err != nil {
		return 0, err
	}
	ch, hostPid, cerr := host.ProcessCreate()
	if cerr == nil {
		defer host.StreamClose(ch)
	}
	// The leader gets the child's link even if there is no child: its
	// end closing frees the pid.
	mine, theirs, err := host.StreamPairCreate()
	if err != nil {
		return 0, vfs.Errno(err)
	}
	if err := p.AttachChild(pid, mine, hostPid); err != nil || cerr != nil {
		host.StreamClose(theirs)
		if cerr != nil {
			p.Log.Warnf("fork: cannot start a process: %v", cerr)
		}
		return 0, unix.EAGAIN
	}
	hl := &handleList{idx: map[pal.Handle]int{}}
	hl.add(theirs)
	defer host.StreamClose(theirs)
	cp, dirty, err := buildCheckpoint(t, pid, opt, hl)
	if err != nil {
		p.Log.Warnf("fork: %v", err)
		return 0, unix.ENOMEM
	}
	cp.NumHandles, cp.Vfork = len(hl.hs), opt.Vfork
	if p.Log.Enabled(kernel.LogDebug) {
		pieces := 0
		for _, a := range cp.Areas {
			pieces += len(a.Pieces)
		}
		p.Log.Debugf("fork: pid %d: %d areas, %d pieces, %d dirty bytes, %d files, %d handles",
			pid, len(cp.Areas), pieces, cp.DirtyBytes, len(cp.Files), len(hl.hs))
	}
	// The child is recorded before it can run: it may exit before this
	// function returns, and its exit must find it.
	p.AddChild(pid, opt.ExitSignal)
	if err := sendCheckpoint(host, ch, cp, hl.hs, dirty); err != nil {
		p.ForgetChild(pid)
		return 0, unix.EAGAIN
	}
	if opt.Vfork {
		waitVforkChild(t, ch)
	}
	return pid, nil
}

func buildCheckpoint(t *kernel.Task, pid int, opt kernel.ForkOptions, hl *handleList) (*checkpoint, []pal.Range, error) {
	p := t.P
	cp := &checkpoint{
		Pid: pid, Ppid: p.Pid, Pgid: p.Pgid(), Sid: p.Sid(),
		Creds: p.Creds(), Cwd: p.Cwd(), Umask: p.Umask(), Rlimits: p.Rlimits(),
		Exe: p.Exe, Argv: p.Argv, Envv: p.Envv, Auxv: p.Auxv,
		UTS: p.UTS(), BootID: p.BootID, StartTime: p.StartTime,
		Personality: p.Personality, Dumpable: p.Dumpable, Nice: p.Nice, NoNewPrivs: p.NoNewPrivs, Tunables: p.Tunables.Save(),
		Actions: p.Actions(), LogLevel: p.Log.Level(), Membarrier: p.MembarrierState.Load(),
		MmapTop: p.MM.MmapTop, MmapBottom: p.MM.MmapBottom,
	}
	if pt, ok := p.Patcher.(*amd64.Patcher); ok && pt != nil {
		cp.Patch = pt.Save()
	}
	cp.Brk[0], cp.Brk[1], cp.Brk[2] = p.MM.BrkState()
	// Mounts.
	mountIdx := map[*vfs.Mount]string{}
	for _, m := range p.NS.Mounts() {
		ms := mountState{Path: m.Path, Type: m.Type, Source: m.Source, ReadOnly: m.ReadOnly, CoverAttrs: m.CoverAttrs, Handle: -1}
		if hfs, ok := m.FS.(*vfs.HostFS); ok {
			ms.Handle = hl.add(hfs.RootHandle())
		}
		mountIdx[m] = m.Path
		cp.Mounts = append(cp.Mounts, ms)
	}
	// Open files, each once however many fds or mappings share it.
	fileIdx := map[*vfs.File]int{}
	addFile := func(f *vfs.File) int {
		if i, ok := fileIdx[f]; ok {
			return i
		}
		fs := fileState{ID: f.ID, Handle: -1, Flags: f.Flags(), Path: f.Path, Mount: mountIdx[f.Mount]}
		if h := f.Impl.Handle(); h != pal.NoHandle {
			if _, special := f.Impl.(vfs.Saver); !special {
				fs.Handle = hl.add(h)
			}
		}
		if s, ok := f.Impl.(vfs.Saver); ok {
			fs.State = s.SaveState()
		}
		fileIdx[f] = len(cp.Files)
		cp.Files = append(cp.Files, fs)
		return fileIdx[f]
	}
	p.FDs.Each(func(fd int, f *vfs.File) {
		cloexec, _ := p.FDs.Cloexec(fd)
		cp.FDs = append(cp.FDs, fdState{FD: fd, File: addFile(f), Cloexec: cloexec})
	})
	// Memory: the private ranges are planned in one go.
	var dirty []pal.Range
	var plan []pal.CopyRange
	var planned []int // index in cp.Areas of each planned range
	for _, a := range p.MM.Areas() {
		if a.Name == "[vdso]" || a.Name == "[vvar]" {
			continue // every process has its own, at the same address
		}
		as := areaState{Start: a.Start, End: a.End, Prot: a.Prot, Flags: a.Flags, Name: a.Name,
			Offset: a.Offset, File: -1, Shared: -1}
		switch b := a.Backing.(type) {
		case nil:
			plan = append(plan, pal.CopyRange{Start: a.Start, End: a.End})
			planned = append(planned, len(cp.Areas))
		case *mm.SharedMemory:
			as.Shared = hl.add(b.H)
		case *kernel.ShmBacking:
			as.Shared, as.ShmID = hl.add(b.H), b.ID+1
		default:
			f, ok := vfs.BackingFile(b)
			if !ok {
				return nil, nil, fmt.Errorf("unknown mapping at %#x", a.Start)
			}
			as.File = addFile(f)
			if a.Flags&mm.Shared == 0 {
				plan = append(plan, pal.CopyRange{Start: a.Start, End: a.End, File: true})
				planned = append(planned, len(cp.Areas))
			}
		}
		cp.Areas = append(cp.Areas, as)
	}
	pieces, err := p.Host.MemoryCopyPlan(plan)
	if err != nil {
		return nil, nil, fmt.Errorf("planning memory: %v", err)
	}
	for i, ps := range pieces {
		as := &cp.Areas[planned[i]]
		as.Pieces, dirty = addPieces(as.Pieces, ps, hl, dirty)
	}
	for _, r := range dirty {
		cp.DirtyBytes += int64(r.End - r.Start)
	}
	// The thread.
	regs := *t.CPU
	regs.FP, regs.FPSize = nil, 0
	regs.Rax = 0
	if opt.Stack != 0 {
		regs.Rsp = uint64(opt.Stack)
	}
	if opt.SetTLS {
		regs.FSBase = uint64(opt.TLS)
	}
	cp.Task = taskState{Regs: regs, FP: append([]byte(nil), t.CPU.FPState()...), Name: t.Name,
		SigMask: t.SigMask(), AltStack: t.AltStack, IOPrio: t.ForkIOPrio(),
		ClearChildTid: opt.ClearChildTid, ChildTid: opt.ChildTid}
	cp.Task.Policy, cp.Task.Prio, cp.Nice = t.ForkSched()
	return cp, dirty, nil
}

func addPieces(out []pieceState, pieces []pal.MemoryPiece, hl *handleList, dirty []pal.Range) ([]pieceState, []pal.Range) {
	for _, pc := range pieces {
		ps := pieceState{Start: pc.Start, End: pc.End, Base: -1, BaseOff: pc.BaseOffset, Dirty: pc.Dirty}
		if pc.Base != pal.NoHandle {
			ps.Base = hl.add(pc.Base)
		}
		out = append(out, ps)
		dirty = append(dirty, pc.Dirty...)
	}
	return out, dirty
}

// sendCheckpoint sends the checkpoint, its handles and the dirty pages.
func sendCheckpoint(host pal.Host, ch pal.Handle, cp *checkpoint, hs []pal.Handle, dirty []pal.Range) error {
	if err := kernel.WriteFrame(host, ch, cp.encode); err != nil {
		return err
	}
	if err := host.StreamSendHandles(ch, hs); err != nil {
		return err
	}
	// The pages go in few large writes: many small ones would wake the
	// child for each.
	pb := pageBuffers.Get().(*[]byte)
	defer pageBuffers.Put(pb)
	buf := (*pb)[:0]
	for _, r := range dirty {
		for a := r.Start; a < r.End; {
			n := min(r.End-a, uintptr(cap(buf)-len(buf)))
			buf = append(buf, umem.Bytes(a, n)...)
			a += n
			if len(buf) == cap(buf) {
				if err := kernel.WriteAll(host, ch, buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
	}
	return kernel.WriteAll(host, ch, buf)
}

// pageBatch is the most page bytes a fork moves in one write or read.
const pageBatch = 1 << 20

// pageBuffers keeps page buffers from one fork to the next.
var pageBuffers = sync.Pool{New: func() any { b := make([]byte, pageBatch); return &b }}

// pageReader reads the parent's pages in large reads.
type pageReader struct {
	host   pal.Host
	h      pal.Handle
	pb     *[]byte
	buf    []byte
	off, n int
}

// release gives the buffer back.
func (r *pageReader) release() {
	if r.pb != nil {
		pageBuffers.Put(r.pb)
	}
}

// restore reads the pages of run, in memory of protection prot. Read-only
// memory is written by the host (MemoryWrite), which spares two protection
// changes; where the host refuses, it is opened for writing meanwhile.
func (r *pageReader) restore(run pal.Range, prot pal.Prot) error {
	if prot&pal.ProtWrite != 0 {
		return r.readInto(umem.Bytes(run.Start, run.End-run.Start))
	}
	for a := run.Start; a < run.End; {
		b, err := r.next(int(run.End - a))
		if err != nil {
			return err
		}
		if r.host.MemoryWrite(a, b) != nil {
			size := run.End - run.Start
			if err := r.host.MemoryProtect(run.Start, size, prot|pal.ProtWrite); err != nil {
				return err
			}
			copy(umem.Bytes(a, uintptr(len(b))), b)
			if err := r.readInto(umem.Bytes(a+uintptr(len(b)), run.End-a-uintptr(len(b)))); err != nil {
				return err
			}
			return r.host.MemoryProtect(run.Start, size, prot)
		}
		a += uintptr(len(b))
	}
	return nil
}

// next returns up to max of the next bytes of the stream, valid until
// the following call.
func (r *pageReader) next(max int) ([]byte, error) {
	if err := r.fill(); err != nil {
		return nil, err
	}
	b := r.buf[r.off:min(r.n, r.off+max)]
	r.off += len(b)
	return b, nil
}

// readInto fills dst with the next bytes of the stream.
func (r *pageReader) readInto(dst []byte) error {
	for len(dst) > 0 {
		if err := r.fill(); err != nil {
			return err
		}
		c := copy(dst, r.buf[r.off:r.n])
		r.off += c
		dst = dst[c:]
	}
	return nil
}

// fill reads more of the stream when the buffer is used up.
func (r *pageReader) fill() error {
	for r.off == r.n {
		if r.buf == nil {
			r.pb = pageBuffers.Get().(*[]byte)
			r.buf = *r.pb
		}
		n, err := r.host.StreamRead(r.h, r.buf)
		if err == pal.ErrInterrupted {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return kernel.ErrLinkClosed
		}
		r.off, r.n = 0, n
	}
	return nil
}

// ErrNoCheckpoint is RunChild's error when the parent stream closed
// before a checkpoint came: the host process was not needed after all.
var ErrNoCheckpoint = errors.New("no process to run")

// RunChild is the life of a forked guest process: it rebuilds the process
// its parent sent over the host's parent stream and runs it. It returns
// the wait status, and whether nothing of the process is left running, so
// that the host process may run another.
func RunChild(host pal.Host) (status int, reusable bool, err error) {
	parent := host.Info().Parent
	var cp checkpoint
	if err := kernel.ReadFrame(host, parent, cp.decode); err != nil {
		if err == kernel.ErrLinkClosed {
			return 0, false, ErrNoCheckpoint
		}
		return 0, false, fmt.Errorf("reading the checkpoint: %w", err)
	}
	hs, err := host.StreamRecvHandles(parent, cp.NumHandles)
	if err != nil {
		return 0, false, fmt.Errorf("receiving handles: %w", err)
	}
	p := kernel.NewProcess(host, amd64.Table(), kernel.NewLogger(host, cp.LogLevel))
	p.Pid = cp.Pid
	p.SetIDs(cp.Ppid, cp.Pgid, cp.Sid)
	p.SetCreds(cp.Creds)
	p.SetCwd(cp.Cwd)
	p.SetUmask(cp.Umask)
	for i, l := range cp.Rlimits {
		p.SetRlimit(i, l)
	}
	p.Exe, p.Argv, p.Envv, p.Auxv = cp.Exe, cp.Argv, cp.Envv, cp.Auxv
	p.SetUTS(cp.UTS)
	p.BootID, p.StartTime = cp.BootID, cp.StartTime
	p.Personality, p.Dumpable, p.Nice, p.NoNewPrivs = cp.Personality, cp.Dumpable, cp.Nice, cp.NoNewPrivs
	p.Tunables.Load(cp.Tunables)
	p.MembarrierState.Store(cp.Membarrier)
	if cp.Membarrier&1 != 0 {
		// Registered for global expedited barriers: so is the new
		// host process (MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED).
		host.MemoryBarrier(1 << 2)
	}
	p.SetActions(cp.Actions)
	setupProcess(p, cp.Patch == nil)
	if pt, ok := p.Patcher.(*amd64.Patcher); ok && cp.Patch != nil {
		pt.Load(cp.Patch)
	}
	p.ConnectLeader(hs[0]) // the parent told the leader our host pid
	for _, m := range cp.Mounts {
		var fs vfs.FS
		switch {
		case m.Handle >= 0: // host directories: chroot, tmpfs, bind mounts
			fs = vfs.NewHostFSFromHandle(host, hs[m.Handle])
		case m.Type == "proc":
			fs = procfs.New(p)
		default:
			fs = vfs.NewDevFS(host, p.StartTime)
		}
		p.NS.Push(&vfs.Mount{Path: m.Path, FS: fs, Type: m.Type, Source: m.Source, ReadOnly: m.ReadOnly, CoverAttrs: m.CoverAttrs})
	}
	files, err := restoreFiles(p, &cp, hs)
	if err != nil {
		return 0, false, err
	}
	var vf *vforkChild
	if cp.Vfork {
		vf = &vforkChild{p: p, areas: cp.Areas, files: files, hs: hs, orig: map[uintptr][]byte{}}
	}
	if err := restoreMemory(p, parent, &cp, hs, files, vf); err != nil {
		return 0, false, err
	}
	for _, fd := range cp.FDs {
		f := files[fd.File]
		f.IncRef()
		p.FDs.InstallAt(fd.FD, f, fd.Cloexec)
	}
	for _, f := range files {
		f.DecRef()
	}
	p.MM.SetBrkState(cp.Brk[0], cp.Brk[1], cp.Brk[2])
	p.MM.MmapTop, p.MM.MmapBottom = cp.MmapTop, cp.MmapBottom
	addSpecialAreas(p)
	if vf != nil {
		p.VforkDone = func() { vf.release(parent) }
	}
	ts := cp.Task
	if vf == nil {
		host.StreamClose(parent)
	}
	if err := p.RunMainTask(func(t *kernel.Task) {
		cpu := t.CPU
		fp, fpSize := cpu.FP, cpu.FPSize
		*cpu = ts.Regs
		cpu.FP, cpu.FPSize = fp, fpSize
		copy(cpu.FPState(), ts.FP)
		t.Name, t.AltStack, t.Policy, t.Priority = ts.Name, ts.AltStack, ts.Policy, ts.Prio
		if ts.IOPrio >= 0 {
			t.SetIOPrio(ts.IOPrio)
		}
		t.SetSigMask(ts.SigMask)
		t.ClearChildTid = ts.ClearChildTid
		if ts.ChildTid != 0 {
			tid := uint32(t.Tid)
			kernel.CopyOutObj(t, ts.ChildTid, &tid)
		}
	}); err != nil {
		return 0, false, err
	}
	st := p.Release()
	return st, p.Detach(), nil
}

// restoreFiles rebuilds the parent's open files.
func restoreFiles(p *kernel.Process, cp *checkpoint, hs []pal.Handle) ([]*vfs.File, error) {
	mounts := map[string]*vfs.Mount{}
	for _, m := range p.NS.Mounts() {
		mounts[m.Path] = m
	}
	files := make([]*vfs.File, len(cp.Files))
	for i, fs := range cp.Files {
		h := pal.NoHandle
		if fs.Handle >= 0 {
			h = hs[fs.Handle]
		}
		var impl vfs.FileImpl
		var err error
		own, handled, perr := sys.RestoreProcessFile(p, fs.Path, fs.State)
		switch r, ok := vfs.RestorerFor(fs.Path); {
		case handled:
			impl, err = own, perr
		case ok:
			impl, err = r(p.Host, h, fs.State, fs.Flags)
		case h != pal.NoHandle:
			impl = vfs.NewHostFile(p.Host, h)
		default:
			var f *vfs.File
			if f, err = p.NS.Open("/", fs.Path, fs.Flags&^(unix.O_CREAT|unix.O_TRUNC|unix.O_EXCL), 0); err == nil {
				f.ID = fs.ID
				files[i] = f
				continue
			}
		}
		if err != nil {
			return nil, fmt.Errorf("reopening %s: %w", fs.Path, err)
		}
		files[i] = vfs.NewFile(impl, fs.Flags, fs.Path, mounts[fs.Mount])
		files[i].ID = fs.ID
	}
	return files, nil
}

// restoreMemory rebuilds the address space and reads the dirty pages; a
// vfork child (vf) remembers them.
func restoreMemory(p *kernel.Process, parent pal.Handle, cp *checkpoint, hs []pal.Handle, files []*vfs.File, vf *vforkChild) error {
	host := p.Host
	pages := &pageReader{host: host, h: parent}
	defer pages.release()
	shm := map[int]*kernel.ShmBacking{} // SysV attachments, by handle index
	for _, a := range cp.Areas {
		// Memory locks are not inherited by a child (as on Linux).
		area := mm.Area{Start: a.Start, End: a.End, Prot: a.Prot, Flags: a.Flags &^ mm.Locked, Name: a.Name, Offset: a.Offset}
		switch {
		case a.Shared >= 0:
			if err := host.MemoryMapFile(a.Start, a.End-a.Start, a.Prot, true, hs[a.Shared], a.Offset); err != nil {
				return fmt.Errorf("mapping %#x: %w", a.Start, err)
			}
			switch {
			case a.ShmID == 0:
				area.Backing = &mm.SharedMemory{Host: host, H: hs[a.Shared]}
			case shm[a.Shared] != nil:
				area.Backing = shm[a.Shared] // another piece of the same attachment
			default:
				shm[a.Shared] = p.AdoptShm(a.ShmID-1, hs[a.Shared])
				area.Backing = shm[a.Shared]
			}
		case a.File >= 0 && a.Flags&mm.Shared != 0:
			f := files[a.File]
			if err := host.MemoryMapFile(a.Start, a.End-a.Start, a.Prot, true, f.Impl.Handle(), a.Offset); err != nil {
				return fmt.Errorf("mapping %#x: %w", a.Start, err)
			}
			area.Backing = f.Backing()
		default:
			for _, pc := range a.Pieces {
				size := pc.End - pc.Start
				var err error
				if a.File >= 0 {
					err = host.MemoryMapFile(pc.Start, size, a.Prot, false, files[a.File].Impl.Handle(),
						a.Offset+int64(pc.Start-a.Start))
				} else {
					base := pal.NoHandle
					if pc.Base >= 0 {
						base = hs[pc.Base]
					}
					err = host.MemoryMapCopy(pc.Start, size, a.Prot, base, pc.BaseOff)
				}
				if err != nil {
					return fmt.Errorf("mapping %#x: %w", pc.Start, err)
				}
				for _, r := range pc.Dirty {
					if err := pages.restore(r, a.Prot); err != nil {
						return fmt.Errorf("reading pages: %w", err)
					}
					if vf != nil {
						vf.keepPages(r.Start, r.End)
					}
				}
			}
			if a.File >= 0 {
				area.Backing = files[a.File].Backing()
			}
		}
		p.MM.Adopt(area)
	}
	return nil
}
