package kernel

import (
	"golang.org/x/sys/unix"

	"gophene/libos/umem"
	"gophene/libos/wire"
	"gophene/pal"
)

// Requests a process makes of another guest process through the leader,
// beyond the scheduling ones of ProcOp: I/O priorities, kcmp's identities,
// process_vm_readv/writev and sched_setattr. They travel as msgProcOp
// messages whose Data holds the caller's credentials (Caller) and the
// request; the target answers from its own state, as ProcOp's do. A
// request for the caller's own process is answered without a message.

// Request kinds (Msg.Status of a msgProcOp).
const (
	procIOPrio = iota + 16
	procKcmp
	procMemory
	procSchedAttr
)

// query sends request op to process pid and returns the answer.
func (p *Process) query(pid, op int, enc func(e *wire.Encoder)) (*Msg, error) {
	var e wire.Encoder
	encodeCaller(&e, CallerOf(p))
	enc(&e)
	m := &Msg{Kind: msgProcOp, Pid: pid, Status: op, Data: e.Bytes()}
	var r *Msg
	if pid == p.Pid {
		r = p.serveProcOp(m)
	} else {
		var err error
		if r, err = p.call(m); r == nil {
			if err == nil || err == ErrLinkClosed {
				err = unix.ESRCH
			}
			return nil, err
		}
	}
	if r.Errno != 0 {
		return r, unix.Errno(r.Errno)
	}
	return r, nil
}

func encodeCaller(e *wire.Encoder, c Caller) {
	for _, v := range []int{c.Pid, c.Uid, c.Euid, c.Gid} {
		e.Int(int64(v))
	}
	e.Uint(c.Permitted)
	e.Bool(c.CapNice)
	e.Bool(c.CapPtrace)
	e.Bool(c.CapSysAdmin)
}

func decodeCaller(d *wire.Decoder) Caller {
	var c Caller
	for _, v := range []*int{&c.Pid, &c.Uid, &c.Euid, &c.Gid} {
		*v = int(d.Int())
	}
	c.Permitted = d.Uint()
	c.CapNice, c.CapPtrace, c.CapSysAdmin = d.Bool(), d.Bool(), d.Bool()
	return c
}

// serveQuery answers one of the requests above; first is the process's
// first thread (the one a pid names).
func (p *Process) serveQuery(m *Msg, first *Task) *Msg {
	d := wire.NewDecoder(m.Data)
	c := decodeCaller(d)
	r := &Msg{}
	var err error
	switch m.Status {
	case procIOPrio:
		var q IOPrioQuery
		q.decode(d)
		if d.Err() == nil {
			r.Sig, r.Target, err = p.IOPrioRequest(first, q, c)
		}
	case procKcmp:
		typ, idx := int(d.Int()), d.Uint()
		var slot [3]uint32
		for i := range slot {
			slot[i] = uint32(d.Uint())
		}
		if d.Err() == nil {
			var key uint64
			key, err = first.KcmpKey(c, typ, idx, slot)
			r.Target = int(key)
		}
	case procMemory:
		write, max := d.Bool(), int(d.Int())
		iov := wire.RawSliceIn[Iovec](d)
		data := d.Data()
		if d.Err() != nil {
			break
		}
		if err = p.PtraceAccess(c); err != nil {
			break
		}
		var faulted bool
		if write {
			r.Sig, faulted = p.WriteVM(iov, data)
		} else {
			r.Data, faulted = p.ReadVM(iov, max)
		}
		if faulted {
			r.Target = 1
		}
	case procSchedAttr:
		set := d.Bool()
		var a SchedAttr
		wire.RawIn(d, &a)
		if d.Err() != nil {
			break
		}
		if set {
			err = first.SetSchedAttr(a, c)
		}
		a = first.SchedAttr()
		var e wire.Encoder
		wire.Raw(&e, &a)
		r.Data = e.Bytes()
	default:
		err = unix.EINVAL
	}
	if d.Err() != nil {
		err = unix.EINVAL
	}
	if err != nil {
		return &Msg{Errno: int(errnoOf(err))}
	}
	return r
}

// PtraceAccess checks that caller c may inspect or change this process,
// as Linux's ptrace_may_access with real credentials: the same process,
// or the caller's uid and gid are all of the target's (real, effective,
// saved) and the target is dumpable and holds no capability the caller
// lacks; CAP_SYS_PTRACE overrides all of it.
func (p *Process) PtraceAccess(c Caller) error {
	if c.Pid == p.Pid || c.CapPtrace {
		return nil
	}
	t := p.Creds()
	if c.Uid != t.Uid || c.Uid != t.Euid || c.Uid != t.Suid ||
		c.Gid != t.Gid || c.Gid != t.Egid || c.Gid != t.Sgid ||
		p.Dumpable != 1 || t.Cap.Permitted&^c.Permitted != 0 {
		return unix.EPERM
	}
	return nil
}

// --- ioprio

// IOPrioQuery is an ioprio_get or ioprio_set request for a process: for
// its first thread, or (All) for every thread when the process matches
// (Uid: its real uid must be that, -1 for any).
type IOPrioQuery struct {
	Set, All   bool
	Uid, Value int
}

func (q *IOPrioQuery) encode(e *wire.Encoder) {
	e.Bool(q.Set)
	e.Bool(q.All)
	e.Int(int64(q.Uid))
	e.Int(int64(q.Value))
}

func (q *IOPrioQuery) decode(d *wire.Decoder) {
	q.Set, q.All = d.Bool(), d.Bool()
	q.Uid, q.Value = int(d.Int()), int(d.Int())
}

// IOPrioOf makes request q of process pid (see IOPrioRequest).
func (p *Process) IOPrioOf(pid int, q IOPrioQuery) (matched, value int, err error) {
	r, err := p.query(pid, procIOPrio, q.encode)
	if err != nil {
		return 0, 0, err
	}
	return r.Sig, r.Target, nil
}

// IOPrioRequest answers q for caller c in this process, whose first
// thread is first. It reports whether the process matched and the
// priority: the first thread's raw one, or for All the best (lowest) of
// its threads' effective ones. A change needs the caller's real or
// effective uid to be the threads' real uid, or CAP_SYS_NICE.
func (p *Process) IOPrioRequest(first *Task, q IOPrioQuery, c Caller) (int, int, error) {
	tc := p.Creds()
	if q.All && q.Uid >= 0 && tc.Uid != q.Uid {
		return 0, 0, nil
	}
	tasks := []*Task{first}
	if q.All {
		tasks = p.Tasks()
	}
	if q.Set {
		if tc.Uid != c.Euid && tc.Uid != c.Uid && !c.CapNice {
			return 0, 0, unix.EPERM
		}
		for _, t := range tasks {
			t.SetIOPrio(q.Value)
		}
		return 1, 0, nil
	}
	if !q.All {
		return 1, first.IOPrio(), nil
	}
	best := -1
	for _, t := range tasks {
		if v := t.EffectiveIOPrio(); best < 0 || v < best {
			best = v
		}
	}
	if best < 0 {
		return 0, 0, nil
	}
	return 1, best, nil
}

// --- kcmp

// kcmp's resource types.
const (
	KcmpFile = iota
	KcmpVM
	KcmpFiles
	KcmpFS
	KcmpSighand
	KcmpIO
	KcmpSysvsem
	KcmpEpollTFD
	KcmpTypes
	kcmpCheck = -1 // only check that the caller may look
)

// EpollTargetID finds, in process p, the file registered in the epoll
// instance open as efd under descriptor tfd (the toff-th such one) and
// returns its ID (set by the epoll implementation).
var EpollTargetID func(p *Process, efd, tfd, toff int) (uint64, error)

// KcmpOf returns the identity of a resource of process pid for caller c
// (see KcmpKey); type kcmpCheck only checks that it exists and the caller
// may look at it.
func (p *Process) KcmpOf(pid, typ int, idx uint64, slot [3]uint32) (uint64, error) {
	r, err := p.query(pid, procKcmp, func(e *wire.Encoder) {
		e.Int(int64(typ))
		e.Uint(idx)
		for _, v := range slot {
			e.Uint(uint64(v))
		}
	})
	if err != nil {
		return 0, err
	}
	return uint64(r.Target), nil
}

// KcmpCheck checks that process pid exists and that this process may
// compare its resources.
func (p *Process) KcmpCheck(pid int) error {
	_, err := p.KcmpOf(pid, kcmpCheck, 0, [3]uint32{})
	return err
}

// KcmpKey is the identity of one of the thread's resources for kcmp: equal
// keys mean a shared resource. Open files are named by their description's
// ID, which a forked child's copy keeps; the memory, file table,
// file-system context and signal handlers are the process's own (a guest
// process shares them with no other); an I/O context by its ID (0 for
// none, as Linux compares a missing one); the SysV undo list is the
// process's, 0 while it has none.
func (t *Task) KcmpKey(c Caller, typ int, idx uint64, slot [3]uint32) (uint64, error) {
	p := t.P
	if err := p.PtraceAccess(c); err != nil {
		return 0, err
	}
	switch typ {
	case kcmpCheck:
		return 0, nil
	case KcmpFile:
		fd := uint32(idx) // Linux takes the index as an unsigned int
		if fd > 1<<31-1 {
			return 0, unix.EBADF
		}
		f, err := p.FDs.Get(int(fd))
		if err != nil {
			return 0, unix.EBADF
		}
		defer f.DecRef()
		return f.ID, nil
	case KcmpVM, KcmpFiles, KcmpFS, KcmpSighand:
		return uint64(p.Pid), nil
	case KcmpIO:
		if io := t.IOContext(); io != nil {
			return io.ID, nil
		}
		return 0, nil
	case KcmpSysvsem:
		if p.SemUndo.Load() {
			return uint64(p.Pid), nil
		}
		return 0, nil
	case KcmpEpollTFD:
		if EpollTargetID == nil {
			return 0, unix.EINVAL
		}
		return EpollTargetID(p, int(slot[0]), int(slot[1]), int(slot[2]))
	}
	return 0, unix.EINVAL
}

// --- process_vm_readv and process_vm_writev

// Iovec is a guest buffer.
type Iovec struct{ Base, Len uintptr }

// MemoryOf reads (write false: at most max bytes) or writes (data) the
// buffers iov of process pid for this process, as process_vm_readv and
// process_vm_writev. It returns what was read or how much was written,
// and whether an inaccessible page cut the transfer short.
func (p *Process) MemoryOf(pid int, write bool, iov []Iovec, data []byte, max int) ([]byte, int, bool, error) {
	r, err := p.query(pid, procMemory, func(e *wire.Encoder) {
		e.Bool(write)
		e.Int(int64(max))
		wire.RawSlice(e, iov)
		e.Data(data)
	})
	if err != nil {
		return nil, 0, false, err
	}
	return r.Data, r.Sig, r.Target != 0, nil
}

// vmChunks calls fn for the pieces of iov, each within one page, in order,
// until fn returns false or limit bytes were passed.
func vmChunks(iov []Iovec, limit int, fn func(addr, n uintptr) bool) {
	done := 0
	for _, v := range iov {
		addr, n := v.Base, v.Len
		for n > 0 && done < limit {
			chunk := min(n, (addr|4095)+1-addr, uintptr(limit-done))
			if !fn(addr, chunk) {
				return
			}
			addr, n, done = addr+chunk, n-chunk, done+int(chunk)
		}
	}
}

// ReadVM reads up to max bytes of the process's memory from iov, page by
// page, and stops at the first page it may not read (faulted).
func (p *Process) ReadVM(iov []Iovec, max int) (data []byte, faulted bool) {
	data = []byte{}
	vmChunks(iov, max, func(addr, n uintptr) bool {
		buf := make([]byte, n)
		if !p.MM.Check(addr, n, pal.ProtRead) || umem.CopyIn(buf, addr) != nil {
			faulted = true
			return false
		}
		data = append(data, buf...)
		return true
	})
	return data, faulted
}

// WriteVM writes data into the process's memory at iov, page by page, and
// stops at the first page it may not write (faulted).
func (p *Process) WriteVM(iov []Iovec, data []byte) (n int, faulted bool) {
	vmChunks(iov, len(data), func(addr, c uintptr) bool {
		if !p.MM.Check(addr, c, pal.ProtWrite) || umem.CopyOut(addr, data[n:n+int(c)]) != nil {
			faulted = true
			return false
		}
		n += int(c)
		return true
	})
	return n, faulted
}

// --- sched_setattr and sched_getattr

// SchedAttrOf reads, and with set first changes, the scheduling attributes
// of process pid's first thread for this process.
func (p *Process) SchedAttrOf(pid int, set bool, a SchedAttr) (SchedAttr, error) {
	r, err := p.query(pid, procSchedAttr, func(e *wire.Encoder) {
		e.Bool(set)
		wire.Raw(e, &a)
	})
	if err != nil {
		return SchedAttr{}, err
	}
	var out SchedAttr
	d := wire.NewDecoder(r.Data)
	wire.RawIn(d, &out)
	return out, d.Err()
}
