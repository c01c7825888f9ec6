package kernel

// System V IPC: message queues, semaphore sets and shared memory, shared by
// every process of the guest. The objects live in the leader (pid 1), like the process
// table; other processes reach them with one request per call over their
// link (msgSysV), and one that must wait asks the leader to answer when
// anything changed (msgSysVWait), then tries again. Semaphore adjustments
// made with SEM_UNDO are kept per process and applied when it exits.
// A shared memory segment is a host memory file made by the leader; a
// process that attaches it receives the file's handle and maps it shared,
// and the leader counts attachments (a fork adds the child's, the last
// unmapping of an attachment removes one).

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"gophene/libos/wire"
	"gophene/pal"
)

// Operations of a SysV request.
const (
	SysvMsgget = iota + 1
	SysvMsgsnd
	SysvMsgrcv
	SysvMsgctl
	SysvSemget
	SysvSemop
	SysvSemctl
	SysvSemNsems // how many semaphores set A[0] has (semctl SETALL)
	SysvShmget
	SysvShmat    // A = id, flags: the reply carries the segment's handle
	SysvShmdt    // A = id: one attachment of the caller ended
	SysvShmAdopt // A = id: a forked child holds one more attachment
	SysvShmctl
	SysvList   // A[0] = kind (0 queues, 1 semaphores, 2 segments): /proc/sysvipc's table
	SysvNextID // A[0] = kind; A[2] = 1: set the next id to A[1] (kernel/*_next_id)
	SysvLimit  // A[0] = which (Limit*); A[2] = 1: set it to A[1]
)

// The tunable SysV limits (/proc/sys/kernel), which the leader applies.
const (
	LimitMsgmni = iota // queues
	LimitMsgmnb        // a new queue's size in bytes
	LimitSemmsl        // semaphores per set
	LimitSemmns        // semaphores in all
	LimitSemopm        // operations per semop
	LimitSemmni        // semaphore sets
	LimitShmmax        // largest segment
	LimitShmall        // pages of all segments
	LimitShmmni        // segments
	numLimits
)

// defaultLimits are Linux's defaults.
var defaultLimits = [numLimits]int64{LimitMsgmni: 32000, LimitMsgmnb: 16384, LimitSemmsl: 32000,
	LimitSemmns: 1024000000, LimitSemopm: 500, LimitSemmni: 32000, LimitShmmax: -1 - 1<<24, LimitShmall: -1 - 1<<24,
	LimitShmmni: 4096} // shmmax and shmall are unsigned: 2^64 - 1 - 2^24

// Object kinds, which number id spaces of their own.
const (
	ipcMsg = iota
	ipcSem
	ipcShm
	ipcKinds
)

// Linux's limits (and /proc/sys/kernel defaults).
const (
	msgMax      = 8192  // largest message
	semVmx      = 32767 // largest semaphore value
	ipcSeqMult  = 32768 // ids are index + seq * this
	ipcPrivate  = 0
	ipcCreat    = 0o1000
	ipcExcl     = 0o2000
	ipcNowait   = 0o4000
	msgNoerror  = 0o10000
	msgExcept   = 0o20000
	msgCopy     = 0o40000
	semUndo     = 0x1000
	errWouldBlk = unix.Errno(0x7fff) // the call must wait (never returned to the guest)
)

// SysvReq is one SysV IPC call, with what the leader needs of the caller.
type SysvReq struct {
	Op, Pid     int
	Euid, Egid  int
	Groups      []int
	Caps        uint64
	A           [4]int64 // the call's numeric arguments
	Data        []byte   // message text, semaphore operations or values
	Waited      bool     // the caller waited for this object before
	TimeoutNsec int64    // semtimedop: 0 none
}

// SysvResp is the leader's answer.
type SysvResp struct {
	R     int64
	Errno int
	Data  []byte
	Gen   uint64     // the state's generation when answered
	H     pal.Handle // SysvShmat: the segment (not encoded: it travels as a handle)
}

func (q *SysvReq) encode(e *wire.Encoder) {
	for _, v := range []int{q.Op, q.Pid, q.Euid, q.Egid} {
		e.Int(int64(v))
	}
	wire.Slice(e, q.Groups, func(e *wire.Encoder, g *int) { e.Int(int64(*g)) })
	e.Uint(q.Caps)
	for _, v := range q.A {
		e.Int(v)
	}
	e.Data(q.Data)
	e.Bool(q.Waited)
}

func (q *SysvReq) decode(d *wire.Decoder) {
	for _, v := range []*int{&q.Op, &q.Pid, &q.Euid, &q.Egid} {
		*v = int(d.Int())
	}
	q.Groups = wire.SliceIn(d, func(d *wire.Decoder, g *int) { *g = int(d.Int()) })
	q.Caps = d.Uint()
	for i := range q.A {
		q.A[i] = d.Int()
	}
	q.Data = d.Data()
	q.Waited = d.Bool()
}

func (r *SysvResp) encode(e *wire.Encoder) {
	e.Int(r.R)
	e.Int(int64(r.Errno))
	e.Data(r.Data)
	e.Uint(r.Gen)
}

func (r *SysvResp) decode(d *wire.Decoder) {
	r.R = d.Int()
	r.Errno = int(d.Int())
	r.Data = d.Data()
	r.Gen = d.Uint()
}

// ipcPerm is struct ipc64_perm's content.
type ipcPerm struct {
	key                  int32
	uid, gid, cuid, cgid int
	mode                 int
	seq                  int
}

type ipcMessage struct {
	mtype int64
	text  []byte
}

type semaphore struct {
	val, pid int
}

// ipcObject is a message queue or a semaphore set.
type ipcObject struct {
	kind    int
	id      int
	perm    ipcPerm
	removed bool
	ctime   int64
	// message queues
	msgs               []ipcMessage
	qbytes, cbytes     int
	lspid, lrpid       int
	stime, rtime       int64
	waitSend, waitRecv int
	// semaphore sets
	sems  []semaphore
	otime int64
	ncnt  []int // waiting for a value to grow, per semaphore
	zcnt  []int // waiting for zero
	// shared memory
	segsz        int64
	h            pal.Handle
	nattch       int
	cpid, lpid   int
	atime, dtime int64
}

type undoKey struct{ id, num int }

// sysvIPC is the leader's SysV IPC state.
type sysvIPC struct {
	host    pal.Host
	mu      sync.Mutex
	gen     uint64
	changed chan struct{} // closed and replaced at every change
	seq     int
	objs    map[int]*ipcObject
	keys    [ipcKinds]map[int32]int
	undo    map[int]map[undoKey]int // pid → adjustments
	att     map[int]map[int]int     // pid → shmid → attachments
	// nextID is the id the next object of each kind gets (-1: the
	// usual choice), as /proc/sys/kernel/{msg,sem,shm}_next_id set it.
	nextID [ipcKinds]int
	// slots are the id slots (id % ipcSeqMult) in use, per kind;
	// lowFree is a slot below which none is free.
	slots   [ipcKinds]map[int]bool
	lowFree [ipcKinds]int
	limits  [numLimits]int64 // as /proc/sys/kernel set them
}

func newSysvIPC(host pal.Host) *sysvIPC {
	s := &sysvIPC{host: host, changed: make(chan struct{}), objs: map[int]*ipcObject{}, undo: map[int]map[undoKey]int{}, att: map[int]map[int]int{}}
	for i := range s.keys {
		s.keys[i] = map[int32]int{}
		s.nextID[i] = -1
		s.limits = defaultLimits
		s.slots[i] = map[int]bool{}
	}
	return s
}

// bump records a change and wakes the waiters (mu held).
func (s *sysvIPC) bump() {
	s.gen++
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitChange returns a channel closed once the state moves past gen.
func (s *sysvIPC) waitChange(gen uint64) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != gen {
		c := make(chan struct{})
		close(c)
		return c
	}
	return s.changed
}

func now() int64 { return time.Now().Unix() }

func (q *SysvReq) capable(c int) bool { return q.Caps&(1<<uint(c)) != 0 }

// allowed is Linux's ipcperms: the owner, group or other bits of the
// object's mode for the wanted access (4 read, 2 write), or CAP_IPC_OWNER.
func (q *SysvReq) allowed(p *ipcPerm, want int) bool {
	mode := p.mode
	switch {
	case q.Euid == p.uid || q.Euid == p.cuid:
		mode >>= 6
	case q.Egid == p.gid || q.Egid == p.cgid || inList(p.gid, q.Groups) || inList(p.cgid, q.Groups):
		mode >>= 3
	}
	return mode&want == want || q.capable(unix.CAP_IPC_OWNER)
}

// owns says whether the caller may change or remove the object.
func (q *SysvReq) owns(p *ipcPerm) bool {
	return q.Euid == p.uid || q.Euid == p.cuid || q.capable(unix.CAP_SYS_ADMIN)
}

func inList(v int, l []int) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

// lookup finds the object id of kind; a caller that waited for it and
// finds it gone gets EIDRM.
func (s *sysvIPC) lookup(q *SysvReq, kind int, id int64) (*ipcObject, unix.Errno) {
	o := s.objs[int(id)]
	if id < 0 || o == nil || o.kind != kind {
		if q.Waited {
			return nil, unix.EIDRM
		}
		return nil, unix.EINVAL
	}
	return o, 0
}

// get is msgget and semget: find the object of key, or make one.
func (s *sysvIPC) get(q *SysvReq, kind int, key int32, flags int, init func(o *ipcObject) unix.Errno, fits func(o *ipcObject) unix.Errno) (int64, unix.Errno) {
	if key != ipcPrivate {
		if id, ok := s.keys[kind][key]; ok {
			o := s.objs[id]
			if flags&ipcCreat != 0 && flags&ipcExcl != 0 {
				return 0, unix.EEXIST
			}
			if !q.allowed(&o.perm, (flags>>6|flags>>3|flags)&7) {
				return 0, unix.EACCES
			}
			if e := fits(o); e != 0 {
				return 0, e
			}
			return int64(o.id), 0
		}
		if flags&ipcCreat == 0 {
			return 0, unix.ENOENT
		}
	}
	used := s.slots[kind]
	if len(used) >= int(s.limits[[ipcKinds]int{LimitMsgmni, LimitSemmni, LimitShmmni}[kind]]) {
		return 0, unix.ENOSPC
	}
	idx := -1
	// The first free slot, from the one *_next_id asked for if any.
	want := s.nextID[kind]
	s.nextID[kind] = -1
	from := s.lowFree[kind]
	if want >= 0 {
		from = want % ipcSeqMult
	}
	for i := from; i < ipcSeqMult; i++ {
		if !used[i] {
			idx = i
			break
		}
	}
	if idx < 0 {
		return 0, unix.ENOSPC
	}
	if want < 0 {
		s.lowFree[kind] = idx + 1
	}
	o := &ipcObject{kind: kind, perm: ipcPerm{key: key, uid: q.Euid, gid: q.Egid, cuid: q.Euid, cgid: q.Egid,
		mode: flags & 0o777}, ctime: now()}
	if e := init(o); e != 0 {
		return 0, e
	}
	// As Linux, the first object of a namespace gets sequence 0 (id 0).
	o.perm.seq = s.seq % 65536
	s.seq++
	if want >= 0 {
		o.perm.seq = want / ipcSeqMult
	}
	o.id = idx + o.perm.seq*ipcSeqMult
	s.objs[o.id] = o
	used[idx] = true
	if key != ipcPrivate {
		s.keys[kind][key] = o.id
	}
	s.bump()
	return int64(o.id), 0
}

// remove deletes an object (IPC_RMID): its waiters wake and find it gone.
func (s *sysvIPC) remove(o *ipcObject) {
	if o.kind == ipcShm {
		// Still attached: it only loses its key, and goes with its last
		// detach.
		o.perm.mode |= shmDest
		if id, ok := s.keys[ipcShm][o.perm.key]; ok && id == o.id {
			delete(s.keys[ipcShm], o.perm.key)
		}
		o.perm.key = ipcPrivate
		s.shmMaybeDestroy(o)
		s.bump()
		return
	}
	o.removed = true
	s.forget(o)
	if id, ok := s.keys[o.kind][o.perm.key]; ok && id == o.id {
		delete(s.keys[o.kind], o.perm.key)
	}
	if o.kind == ipcSem {
		for _, u := range s.undo {
			for k := range u {
				if k.id == o.id {
					delete(u, k)
				}
			}
		}
	}
	s.bump()
}

// removeOrSet answers IPC_RMID, and IPC_SET with a caller's structure of
// size bytes, on o; done is false for other commands.
func (s *sysvIPC) removeOrSet(q *SysvReq, o *ipcObject, cmd, size int) (done bool, e unix.Errno) {
	switch cmd {
	case ipcRmid:
		if !q.owns(&o.perm) {
			return true, unix.EPERM
		}
		s.remove(o)
		return true, 0
	case ipcSet:
		if len(q.Data) < size {
			return true, unix.EFAULT
		}
		e := setPerm(q, o, int(binary.LittleEndian.Uint32(q.Data[4:])), int(binary.LittleEndian.Uint32(q.Data[8:])), int(binary.LittleEndian.Uint32(q.Data[20:])))
		s.bump()
		return true, e
	}
	return false, 0
}

// setPerm is IPC_SET's common part: uid, gid and the mode's low 9 bits.
func setPerm(q *SysvReq, o *ipcObject, uid, gid, mode int) unix.Errno {
	if !q.owns(&o.perm) {
		return unix.EPERM
	}
	o.perm.uid, o.perm.gid = uid, gid
	o.perm.mode = o.perm.mode&^0o777 | mode&0o777
	o.ctime = now()
	return 0
}

// Serve answers one request (mu taken here).
func (s *sysvIPC) serve(q *SysvReq) SysvResp {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q.Op == SysvShmat {
		r, e := s.shmat(q)
		h := pal.NoHandle
		if e == 0 {
			h = s.objs[int(q.A[0])].h
		}
		return SysvResp{R: r, Errno: int(e), Gen: s.gen, H: h}
	}
	r, data, e := s.do(q)
	return SysvResp{R: r, Errno: int(e), Data: data, Gen: s.gen, H: pal.NoHandle}
}

func (s *sysvIPC) do(q *SysvReq) (int64, []byte, unix.Errno) {
	switch q.Op {
	case SysvMsgget:
		r, e := s.get(q, ipcMsg, int32(q.A[0]), int(q.A[1]), func(o *ipcObject) unix.Errno {
			o.qbytes = int(s.limits[LimitMsgmnb])
			return 0
		}, func(*ipcObject) unix.Errno { return 0 })
		return r, nil, e
	case SysvMsgsnd:
		return s.msgsnd(q)
	case SysvMsgrcv:
		return s.msgrcv(q)
	case SysvMsgctl:
		return s.msgctl(q)
	case SysvSemget:
		nsems := q.A[1]
		if nsems < 0 || nsems > s.limits[LimitSemmsl] {
			return 0, nil, unix.EINVAL
		}
		r, e := s.get(q, ipcSem, int32(q.A[0]), int(q.A[2]), func(o *ipcObject) unix.Errno {
			if nsems == 0 {
				return unix.EINVAL
			}
			o.sems = make([]semaphore, nsems)
			o.ncnt, o.zcnt = make([]int, nsems), make([]int, nsems)
			return 0
		}, func(o *ipcObject) unix.Errno {
			if int(nsems) > len(o.sems) {
				return unix.EINVAL
			}
			return 0
		})
		return r, nil, e
	case SysvSemop:
		return s.semop(q)
	case SysvSemctl:
		return s.semctl(q)
	case SysvShmget:
		return s.shmget(q)
	case SysvList:
		return 0, []byte(s.list(int(q.A[0]))), 0
	case SysvLimit:
		which := int(q.A[0])
		if which < 0 || which >= numLimits {
			return 0, nil, unix.EINVAL
		}
		if q.A[2] == 1 {
			s.limits[which] = q.A[1]
		}
		return s.limits[which], nil, 0
	case SysvNextID:
		kind := int(q.A[0])
		if kind < 0 || kind >= ipcKinds {
			return 0, nil, unix.EINVAL
		}
		if q.A[2] == 1 {
			s.nextID[kind] = int(max(q.A[1], -1))
		}
		return int64(s.nextID[kind]), nil, 0
	case SysvShmdt, SysvShmAdopt:
		id := int(q.A[0])
		if o := s.objs[id]; o != nil && o.kind == ipcShm {
			if q.Op == SysvShmAdopt {
				s.attach(q.Pid, o, 1)
			} else if s.att[q.Pid][id] > 0 {
				s.attach(q.Pid, o, -1)
				o.lpid, o.dtime = q.Pid, now()
				s.shmMaybeDestroy(o)
			}
			s.bump()
		}
		return 0, nil, 0
	case SysvShmctl:
		return s.shmctl(q)
	case SysvSemNsems:
		o, e := s.lookup(q, ipcSem, q.A[0])
		if e != 0 {
			return 0, nil, e
		}
		return int64(len(o.sems)), nil, 0
	}
	return 0, nil, unix.ENOSYS
}

// msgsnd: A = id, mtype, flags; Data = the text.
func (s *sysvIPC) msgsnd(q *SysvReq) (int64, []byte, unix.Errno) {
	o, e := s.lookup(q, ipcMsg, q.A[0])
	if e != 0 {
		return 0, nil, e
	}
	if !q.allowed(&o.perm, 2) {
		return 0, nil, unix.EACCES
	}
	n := len(q.Data)
	if o.cbytes+n > o.qbytes || len(o.msgs)+1 > o.qbytes {
		if int(q.A[2])&ipcNowait != 0 {
			return 0, nil, unix.EAGAIN
		}
		return 0, nil, errWouldBlk
	}
	o.msgs = append(o.msgs, ipcMessage{mtype: q.A[1], text: append([]byte(nil), q.Data...)})
	o.cbytes += n
	o.lspid, o.stime = q.Pid, now()
	s.bump()
	return 0, nil, 0
}

// msgrcv: A = id, size, mtype, flags. The reply's R is the message type.
func (s *sysvIPC) msgrcv(q *SysvReq) (int64, []byte, unix.Errno) {
	o, e := s.lookup(q, ipcMsg, q.A[0])
	if e != 0 {
		return 0, nil, e
	}
	if !q.allowed(&o.perm, 4) {
		return 0, nil, unix.EACCES
	}
	size, want, flags := q.A[1], q.A[2], int(q.A[3])
	pick := -1
	if flags&msgCopy != 0 {
		if want >= 0 && want < int64(len(o.msgs)) {
			pick = int(want)
		}
	} else {
		for i, m := range o.msgs {
			switch {
			case want == 0:
			case want > 0 && flags&msgExcept == 0 && m.mtype != want:
				continue
			case want > 0 && flags&msgExcept != 0 && m.mtype == want:
				continue
			case want < 0 && m.mtype > -want:
				continue
			case want < 0 && pick >= 0 && o.msgs[pick].mtype <= m.mtype:
				continue
			}
			pick = i
			if want >= 0 {
				break
			}
		}
	}
	if pick < 0 {
		if flags&ipcNowait != 0 {
			return 0, nil, unix.ENOMSG
		}
		return 0, nil, errWouldBlk
	}
	m := o.msgs[pick]
	if int64(len(m.text)) > size && flags&msgNoerror == 0 {
		return 0, nil, unix.E2BIG
	}
	text := m.text[:min(int64(len(m.text)), size)]
	if flags&msgCopy == 0 {
		o.msgs = append(o.msgs[:pick:pick], o.msgs[pick+1:]...)
		o.cbytes -= len(m.text)
		o.lrpid, o.rtime = q.Pid, now()
		s.bump()
	}
	return m.mtype, text, 0
}

// permBytes encodes struct ipc64_perm.
func permBytes(b []byte, p *ipcPerm) {
	for i, v := range []int{int(p.key), p.uid, p.gid, p.cuid, p.cgid, p.mode} {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
	}
	binary.LittleEndian.PutUint16(b[24:], uint16(p.seq))
}

// IPC control commands.
const (
	ipcRmid   = 0
	ipcSet    = 1
	ipcStat   = 2
	ipcInfo   = 3
	msgStat   = 11
	msgInfo   = 12
	msgStatAn = 13
	semGetpid = 11
	semGetval = 12
	semGetall = 13
	semGetncn = 14
	semGetzcn = 15
	semSetval = 16
	semSetall = 17
	semStat   = 18
	semInfo   = 19
	semStatAn = 20
)

// statTarget finds the object of an IPC_STAT-like command: by id, or by
// index for the *_STAT commands, which return the id.
func (s *sysvIPC) statTarget(q *SysvReq, kind int, idOrIndex int64, byIndex bool) (*ipcObject, unix.Errno) {
	if !byIndex {
		return s.lookup(q, kind, idOrIndex)
	}
	for _, o := range s.objs {
		if o.kind == kind && int64(o.id%ipcSeqMult) == idOrIndex {
			return o, 0
		}
	}
	return nil, unix.EINVAL
}

// statObject finds the object of an IPC_STAT-like command (by id, or by
// index for the *_STAT commands, which need read permission unless they
// are *_STAT_ANY) and starts its answer: size bytes that begin with the
// ipc64_perm. r is what the call returns: the id for the *_STAT commands.
func (s *sysvIPC) statObject(q *SysvReq, kind, cmd, anyCmd, size int) (*ipcObject, []byte, int64, unix.Errno) {
	o, e := s.statTarget(q, kind, q.A[0], cmd != ipcStat)
	if e != 0 {
		return nil, nil, 0, e
	}
	if cmd != anyCmd && !q.allowed(&o.perm, 4) {
		return nil, nil, 0, unix.EACCES
	}
	b := make([]byte, size)
	permBytes(b, &o.perm)
	var r int64
	if cmd != ipcStat {
		r = int64(o.id)
	}
	return o, b, r, 0
}

// tally counts the objects of kind and adds up size over them (the
// *_INFO commands).
func (s *sysvIPC) tally(kind int, size func(*ipcObject) int) (n, total int) {
	for _, o := range s.objs {
		if o.kind == kind {
			n++
			total += size(o)
		}
	}
	return n, total
}

// maxIndex is the highest index in use of kind, as the *_INFO commands
// return.
func (s *sysvIPC) maxIndex(kind int) int64 {
	m := int64(0)
	for _, o := range s.objs {
		if o.kind == kind {
			m = max(m, int64(o.id%ipcSeqMult))
		}
	}
	return m
}

// msgctl: A = id, cmd; Data = struct msqid64_ds for IPC_SET.
func (s *sysvIPC) msgctl(q *SysvReq) (int64, []byte, unix.Errno) {
	cmd := int(q.A[1])
	switch cmd {
	case ipcInfo, msgInfo:
		b := make([]byte, 32)
		qs, bytes := s.tally(ipcMsg, func(o *ipcObject) int { return o.cbytes })
		// struct msginfo: IPC_INFO gives Linux's fixed MSGPOOL, MSGMAP
		// and MSGTQL; MSG_INFO the queues, messages and bytes in use.
		mni, mnb := int(s.limits[LimitMsgmni]), int(s.limits[LimitMsgmnb])
		pool, mapv, tql := 32000*16384/1024, 16384, 16384
		if cmd == msgInfo {
			_, msgs := s.tally(ipcMsg, func(o *ipcObject) int { return len(o.msgs) })
			pool, mapv, tql = qs, msgs, bytes
		}
		for i, v := range []int{pool, mapv, msgMax, mnb, mni, 16, tql, 0xffff} {
			if i < 7 {
				binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
			} else {
				binary.LittleEndian.PutUint16(b[28:], uint16(v))
			}
		}
		return s.maxIndex(ipcMsg), b, 0
	case ipcStat, msgStat, msgStatAn:
		o, b, r, e := s.statObject(q, ipcMsg, cmd, msgStatAn, 120)
		if e != 0 {
			return 0, nil, e
		}
		binary.LittleEndian.PutUint64(b[48:], uint64(o.stime))
		binary.LittleEndian.PutUint64(b[56:], uint64(o.rtime))
		binary.LittleEndian.PutUint64(b[64:], uint64(o.ctime))
		binary.LittleEndian.PutUint64(b[72:], uint64(o.cbytes))
		binary.LittleEndian.PutUint64(b[80:], uint64(len(o.msgs)))
		binary.LittleEndian.PutUint64(b[88:], uint64(o.qbytes))
		binary.LittleEndian.PutUint32(b[96:], uint32(o.lspid))
		binary.LittleEndian.PutUint32(b[100:], uint32(o.lrpid))
		return r, b, 0
	case ipcSet, ipcRmid:
		o, e := s.lookup(q, ipcMsg, q.A[0])
		if e != 0 {
			return 0, nil, e
		}
		if cmd == ipcRmid {
			if !q.owns(&o.perm) {
				return 0, nil, unix.EPERM
			}
			s.remove(o)
			return 0, nil, 0
		}
		if len(q.Data) < 120 {
			return 0, nil, unix.EFAULT
		}
		qbytes := int(binary.LittleEndian.Uint64(q.Data[88:]))
		if qbytes > int(s.limits[LimitMsgmnb]) && qbytes > o.qbytes && !q.capable(unix.CAP_SYS_RESOURCE) {
			return 0, nil, unix.EPERM
		}
		if e := setPerm(q, o, int(binary.LittleEndian.Uint32(q.Data[4:])), int(binary.LittleEndian.Uint32(q.Data[8:])), int(binary.LittleEndian.Uint32(q.Data[20:]))); e != 0 {
			return 0, nil, e
		}
		o.qbytes = qbytes
		s.bump()
		return 0, nil, 0
	}
	return 0, nil, unix.EINVAL
}

// semop: A = id; Data = struct sembuf[] (6 bytes each).
func (s *sysvIPC) semop(q *SysvReq) (int64, []byte, unix.Errno) {
	nsops := len(q.Data) / 6
	o, e := s.lookup(q, ipcSem, q.A[0])
	if e != 0 {
		return 0, nil, e
	}
	type sembuf struct{ num, op, flg int }
	ops := make([]sembuf, nsops)
	alter := false
	for i := range ops {
		b := q.Data[6*i:]
		ops[i] = sembuf{int(binary.LittleEndian.Uint16(b)), int(int16(binary.LittleEndian.Uint16(b[2:]))), int(int16(binary.LittleEndian.Uint16(b[4:])))}
		if ops[i].num >= len(o.sems) {
			return 0, nil, unix.EFBIG
		}
		alter = alter || ops[i].op != 0
	}
	want := 4
	if alter {
		want = 2
	}
	if !q.allowed(&o.perm, want) {
		return 0, nil, unix.EACCES
	}
	// Try every operation on a copy: all or nothing.
	vals := make([]int, len(o.sems))
	for i, sm := range o.sems {
		vals[i] = sm.val
	}
	for _, op := range ops {
		v := vals[op.num]
		switch {
		case op.op > 0:
			if v+op.op > semVmx {
				return 0, nil, unix.ERANGE
			}
			vals[op.num] = v + op.op
		case op.op < 0:
			if v+op.op < 0 {
				return s.semBlock(q, o, op.flg, op.num, false)
			}
			vals[op.num] = v + op.op
		default:
			if v != 0 {
				return s.semBlock(q, o, op.flg, op.num, true)
			}
		}
	}
	for _, op := range ops {
		if op.op == 0 {
			continue
		}
		if op.flg&semUndo != 0 {
			u := s.undo[q.Pid]
			if u == nil {
				u = map[undoKey]int{}
				s.undo[q.Pid] = u
			}
			k := undoKey{o.id, op.num}
			if u[k] -= op.op; u[k] == 0 {
				delete(u, k)
			}
		}
	}
	for i := range o.sems {
		if o.sems[i].val != vals[i] {
			o.sems[i].val = vals[i]
		}
	}
	for _, op := range ops {
		o.sems[op.num].pid = q.Pid
	}
	o.otime = now()
	s.bump()
	return 0, nil, 0
}

// semBlock answers a semop that cannot go on now.
func (s *sysvIPC) semBlock(q *SysvReq, o *ipcObject, flg, num int, zero bool) (int64, []byte, unix.Errno) {
	if flg&ipcNowait != 0 {
		return 0, nil, unix.EAGAIN
	}
	return int64(num), boolByte(zero), errWouldBlk
}

func boolByte(b bool) []byte {
	if b {
		return []byte{1}
	}
	return []byte{0}
}

// semWaiting counts a waiter on semaphore num of set id (GETNCNT and
// GETZCNT report them); delta is +1 when it starts waiting, -1 after.
func (s *sysvIPC) semWaiting(id, num int, zero bool, delta int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.objs[id]
	if o == nil || o.kind != ipcSem || num >= len(o.sems) {
		return
	}
	if zero {
		o.zcnt[num] += delta
	} else {
		o.ncnt[num] += delta
	}
}

// semctl: A = id, num, cmd, arg (SETVAL's value); Data = SETALL's values
// or IPC_SET's struct semid64_ds.
func (s *sysvIPC) semctl(q *SysvReq) (int64, []byte, unix.Errno) {
	cmd := int(q.A[2])
	switch cmd {
	case ipcInfo, semInfo:
		b := make([]byte, 40)
		sets, total := s.tally(ipcSem, func(o *ipcObject) int { return len(o.sems) })
		// struct seminfo: semmap, semmni, semmns, semmnu, semmsl, semopm,
		// semume, semusz, semvmx, semaem (SEM_INFO: usz and aem count
		// the sets and semaphores in use).
		usz, aem := int64(20), int64(semVmx)
		if cmd == semInfo {
			usz, aem = int64(sets), int64(total)
		}
		l := s.limits
		for i, v := range []int64{l[LimitSemmns], l[LimitSemmni], l[LimitSemmns], l[LimitSemmns], l[LimitSemmsl], l[LimitSemopm], l[LimitSemopm], usz, semVmx, aem} {
			binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
		}
		return s.maxIndex(ipcSem), b, 0
	case ipcStat, semStat, semStatAn:
		o, b, r, e := s.statObject(q, ipcSem, cmd, semStatAn, 104)
		if e != 0 {
			return 0, nil, e
		}
		binary.LittleEndian.PutUint64(b[48:], uint64(o.otime))
		binary.LittleEndian.PutUint64(b[64:], uint64(o.ctime))
		binary.LittleEndian.PutUint64(b[80:], uint64(len(o.sems)))
		return r, b, 0
	}
	o, e := s.lookup(q, ipcSem, q.A[0])
	if e != 0 {
		return 0, nil, e
	}
	num := int(q.A[1])
	oneSem := func(access int) unix.Errno {
		if num < 0 || num >= len(o.sems) {
			return unix.EINVAL
		}
		if !q.allowed(&o.perm, access) {
			return unix.EACCES
		}
		return 0
	}
	if done, e := s.removeOrSet(q, o, cmd, 104); done {
		return 0, nil, e
	}
	switch cmd {
	case semGetval, semGetpid, semGetncn, semGetzcn:
		if e := oneSem(4); e != 0 {
			return 0, nil, e
		}
		switch cmd {
		case semGetval:
			return int64(o.sems[num].val), nil, 0
		case semGetpid:
			return int64(o.sems[num].pid), nil, 0
		case semGetncn:
			return int64(o.ncnt[num]), nil, 0
		}
		return int64(o.zcnt[num]), nil, 0
	case semGetall:
		if !q.allowed(&o.perm, 4) {
			return 0, nil, unix.EACCES
		}
		b := make([]byte, 2*len(o.sems))
		for i, sm := range o.sems {
			binary.LittleEndian.PutUint16(b[2*i:], uint16(sm.val))
		}
		return 0, b, 0
	case semSetval:
		if e := oneSem(2); e != 0 {
			return 0, nil, e
		}
		v := int(int32(q.A[3]))
		if v < 0 || v > semVmx {
			return 0, nil, unix.ERANGE
		}
		o.sems[num] = semaphore{val: v, pid: q.Pid}
		s.clearUndo(o.id, num)
	case semSetall:
		if !q.allowed(&o.perm, 2) {
			return 0, nil, unix.EACCES
		}
		if len(q.Data) < 2*len(o.sems) {
			return 0, nil, unix.EFAULT
		}
		for i := range o.sems {
			v := int(binary.LittleEndian.Uint16(q.Data[2*i:]))
			if v > semVmx {
				return 0, nil, unix.ERANGE
			}
		}
		for i := range o.sems {
			o.sems[i] = semaphore{val: int(binary.LittleEndian.Uint16(q.Data[2*i:])), pid: q.Pid}
			s.clearUndo(o.id, i)
		}
	default:
		return 0, nil, unix.EINVAL
	}
	o.ctime = now()
	s.bump()
	return 0, nil, 0
}

// clearUndo forgets every process's adjustment of a semaphore whose value
// was set (SETVAL, SETALL).
func (s *sysvIPC) clearUndo(id, num int) {
	for _, u := range s.undo {
		delete(u, undoKey{id, num})
	}
}

// exited applies the SEM_UNDO adjustments of a process that ended, and
// ends the attachments it still had.
func (s *sysvIPC) exited(pid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, n := range s.att[pid] {
		if o := s.objs[id]; o != nil && n > 0 {
			o.nattch -= n
			o.dtime = now()
			s.shmMaybeDestroy(o)
		}
	}
	delete(s.att, pid)
	s.bump()
	u := s.undo[pid]
	delete(s.undo, pid)
	if len(u) == 0 {
		return
	}
	keys := make([]undoKey, 0, len(u))
	for k := range u {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].id < keys[j].id || keys[i].id == keys[j].id && keys[i].num < keys[j].num
	})
	for _, k := range keys {
		o := s.objs[k.id]
		if o == nil || k.num >= len(o.sems) {
			continue
		}
		v := min(max(o.sems[k.num].val+u[k], 0), semVmx)
		o.sems[k.num] = semaphore{val: v, pid: pid}
	}
	s.bump()
}

// SysV performs a SysV IPC call for task t, waiting (interruptibly) when
// the call must wait. timeout, when positive, bounds a semop's wait.
func (t *Task) SysV(q *SysvReq, timeout time.Duration) (SysvResp, error) {
	p := t.P
	c := p.Creds()
	q.Pid, q.Euid, q.Egid, q.Groups, q.Caps = p.Pid, c.Euid, c.Egid, c.Groups, c.Cap.Effective
	var deadline <-chan time.Time
	if timeout > 0 {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		deadline = timer.C
	}
	for {
		r, err := p.sysvCall(q)
		if err != nil {
			return r, err
		}
		if unix.Errno(r.Errno) != errWouldBlk {
			if r.Errno != 0 {
				return r, unix.Errno(r.Errno)
			}
			return r, nil
		}
		semNum, zero := int(r.R), len(r.Data) == 1 && r.Data[0] == 1
		if q.Op == SysvSemop {
			p.sysvCount(q.A[0], semNum, zero, 1)
		}
		err = p.sysvWait(t, r.Gen, deadline)
		if q.Op == SysvSemop {
			p.sysvCount(q.A[0], semNum, zero, -1)
		}
		if err != nil {
			return r, err
		}
		q.Waited = true
	}
}

// sysvCall sends one request to the leader, or serves it here in pid 1.
func (p *Process) sysvCall(q *SysvReq) (SysvResp, error) {
	if p.leader != nil {
		return p.leader.sysv.serve(q), nil
	}
	var e wire.Encoder
	q.encode(&e)
	m, err := p.link.call(&Msg{Kind: msgSysV, Data: e.Bytes()})
	if err != nil && m == nil {
		return SysvResp{}, err
	}
	var r SysvResp
	d := wire.NewDecoder(m.Data)
	r.decode(d)
	r.H = m.H
	return r, d.Err()
}

// sysvCount updates a semaphore's count of waiters.
func (p *Process) sysvCount(id int64, num int, zero bool, delta int) {
	if p.leader != nil {
		p.leader.sysv.semWaiting(int(id), num, zero, delta)
		return
	}
	p.link.send(&Msg{Kind: msgSysVCount, Target: int(id), Sig: num, Status: delta, Pgid: boolToInt(zero)})
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sysvWait waits until the IPC state moves past gen, the task is
// interrupted (ERESTARTNOHAND: a handler makes the call fail with EINTR)
// or the deadline passes (EAGAIN).
func (p *Process) sysvWait(t *Task, gen uint64, deadline <-chan time.Time) error {
	var changed <-chan struct{}
	if p.leader != nil {
		changed = p.leader.sysv.waitChange(gen)
	} else {
		ch, err := p.link.start(&Msg{Kind: msgSysVWait, ID: 0, Status: int(gen)})
		if err != nil {
			return err
		}
		done := make(chan struct{})
		go func() {
			<-ch
			close(done)
		}()
		changed = done
	}
	select {
	case <-changed:
		return nil
	case <-deadline:
		return unix.EAGAIN
	case <-t.Interrupted():
		if t.SignalPending() || t.Killed() {
			return ErrRestartNoHand
		}
		return nil
	}
}

// sysvRequest serves a SysV message from process pid in the leader; a
// wait is answered from a goroutine of its own when the state changes.
func (l *Leader) sysvRequest(link *Link, m *Msg) {
	switch m.Kind {
	case msgSysV:
		var q SysvReq
		d := wire.NewDecoder(m.Data)
		q.decode(d)
		r := &Msg{}
		if d.Err() != nil {
			r.Errno = int(unix.EINVAL)
		} else {
			resp := l.sysv.serve(&q)
			var e wire.Encoder
			resp.encode(&e)
			r.Data = e.Bytes()
			if resp.H != pal.NoHandle {
				r.HasHandle, r.H = true, resp.H
			}
		}
		link.reply(m, r)
	case msgSysVWait:
		ch := l.sysv.waitChange(uint64(m.Status))
		go func() {
			select {
			case <-ch:
			case <-time.After(time.Second):
				// Waiters that went away leave no trace for long.
			}
			link.reply(m, &Msg{})
		}()
	case msgSysVCount:
		l.sysv.semWaiting(m.Target, m.Sig, m.Pgid != 0, m.Status)
	}
}

// Shared memory flags and limits.
const (
	shmDest    = 0o1000 // mode bit: removed, goes with the last detach
	shmLocked  = 0o2000
	shmRdonly  = 0o10000
	shmExec    = 0o100000
	shmHugetlb = 0o4000
	shmLock    = 11
	shmUnlock  = 12
	shmStat    = 13
	shmInfo    = 14
	shmStatAn  = 15
)

func (s *sysvIPC) shmget(q *SysvReq) (int64, []byte, unix.Errno) {
	size := uint64(q.A[1])
	r, e := s.get(q, ipcShm, int32(q.A[0]), int(q.A[2]), func(o *ipcObject) unix.Errno {
		if size < 1 || size > uint64(s.limits[LimitShmmax]) {
			return unix.EINVAL
		}
		_, pages := s.tally(ipcShm, func(o *ipcObject) int { return int((o.segsz + 4095) / 4096) })
		if uint64(pages)+(size+4095)/4096 > uint64(s.limits[LimitShmall]) {
			return unix.ENOSPC
		}
		if q.A[2]&shmHugetlb != 0 {
			// Huge pages: CAP_IPC_LOCK or group hugetlb_shm_group (0)
			// may ask, and there are none to give.
			if !q.capable(unix.CAP_IPC_LOCK) && q.Egid != 0 && !slices.Contains(q.Groups, 0) {
				return unix.EPERM
			}
			return unix.ENOMEM
		}
		h, err := s.host.MemoryFileCreate("SYSV", 0)
		if err != nil {
			return unix.ENOMEM
		}
		if err := s.host.StreamTruncate(h, int64((size+4095)&^4095)); err != nil {
			s.host.StreamClose(h)
			return unix.ENOMEM
		}
		o.h, o.segsz, o.cpid = h, int64(size), q.Pid
		return 0
	}, func(o *ipcObject) unix.Errno {
		if int64(size) > o.segsz {
			return unix.EINVAL
		}
		return 0
	})
	return r, nil, e
}

// shmat checks an attachment and counts it; R is the segment's size.
func (s *sysvIPC) shmat(q *SysvReq) (int64, unix.Errno) {
	o, e := s.lookup(q, ipcShm, q.A[0])
	if e != 0 {
		return 0, e
	}
	flags := int(q.A[1])
	want := 6
	if flags&shmRdonly != 0 {
		want = 4
	}
	if flags&shmExec != 0 {
		want |= 1
	}
	if !q.allowed(&o.perm, want) {
		return 0, unix.EACCES
	}
	s.attach(q.Pid, o, 1)
	o.lpid, o.atime = q.Pid, now()
	s.bump()
	return o.segsz, 0
}

// attach counts delta attachments of segment o by process pid.
func (s *sysvIPC) attach(pid int, o *ipcObject, delta int) {
	a := s.att[pid]
	if a == nil {
		a = map[int]int{}
		s.att[pid] = a
	}
	a[o.id] += delta
	o.nattch += delta
}

// forget drops an object from the tables; its slot is free again.
func (s *sysvIPC) forget(o *ipcObject) {
	delete(s.objs, o.id)
	idx := o.id % ipcSeqMult
	delete(s.slots[o.kind], idx)
	s.lowFree[o.kind] = min(s.lowFree[o.kind], idx)
}

// shmMaybeDestroy frees a removed segment nobody has attached.
func (s *sysvIPC) shmMaybeDestroy(o *ipcObject) {
	if o.perm.mode&shmDest == 0 || o.nattch > 0 || o.removed {
		return
	}
	o.removed = true
	s.forget(o)
	s.host.StreamClose(o.h)
}

func (s *sysvIPC) shmctl(q *SysvReq) (int64, []byte, unix.Errno) {
	cmd := int(q.A[1])
	switch cmd {
	case ipcInfo:
		// struct shminfo64: shmmax, shmmin, shmmni, shmseg, shmall.
		b := make([]byte, 72)
		for i, v := range []uint64{uint64(s.limits[LimitShmmax]), 1, uint64(s.limits[LimitShmmni]), 4096, uint64(s.limits[LimitShmall])} {
			binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
		}
		return s.maxIndex(ipcShm), b, 0
	case shmInfo:
		// struct shm_info: used_ids, shm_tot, shm_rss (pages), ...
		b := make([]byte, 48)
		n, pages := s.tally(ipcShm, func(o *ipcObject) int { return int((o.segsz + 4095) / 4096) })
		binary.LittleEndian.PutUint32(b[0:], uint32(n))
		binary.LittleEndian.PutUint64(b[8:], uint64(pages))
		binary.LittleEndian.PutUint64(b[16:], uint64(pages))
		return s.maxIndex(ipcShm), b, 0
	case ipcStat, shmStat, shmStatAn:
		o, b, r, e := s.statObject(q, ipcShm, cmd, shmStatAn, 112)
		if e != 0 {
			return 0, nil, e
		}
		binary.LittleEndian.PutUint64(b[48:], uint64(o.segsz))
		binary.LittleEndian.PutUint64(b[56:], uint64(o.atime))
		binary.LittleEndian.PutUint64(b[64:], uint64(o.dtime))
		binary.LittleEndian.PutUint64(b[72:], uint64(o.ctime))
		binary.LittleEndian.PutUint32(b[80:], uint32(o.cpid))
		binary.LittleEndian.PutUint32(b[84:], uint32(o.lpid))
		binary.LittleEndian.PutUint64(b[88:], uint64(o.nattch))
		return r, b, 0
	}
	o, e := s.lookup(q, ipcShm, q.A[0])
	if e != 0 {
		return 0, nil, e
	}
	if done, e := s.removeOrSet(q, o, cmd, 112); done {
		return 0, nil, e
	}
	switch cmd {
	case shmLock, shmUnlock:
		if !q.capable(unix.CAP_IPC_LOCK) && !q.owns(&o.perm) {
			return 0, nil, unix.EPERM
		}
		if cmd == shmLock {
			o.perm.mode |= shmLocked
		} else {
			o.perm.mode &^= shmLocked
		}
		s.bump()
		return 0, nil, 0
	}
	return 0, nil, unix.EINVAL
}

// ShmBacking backs the areas of one attachment of a shared memory
// segment. When the last of them is unmapped (shmdt, munmap, exit, execve)
// the leader hears that the attachment ended.
type ShmBacking struct {
	P    *Process
	ID   int
	H    pal.Handle
	Own  bool // H is this process's own handle, closed with the last area
	refs atomic.Int32
}

// MapHandle implements mm.Backing.
func (b *ShmBacking) MapHandle() (pal.Handle, error) { return b.H, nil }

// MapName implements mm.Backing. Linux names a segment by its key, which
// is not kept here: every segment shows as a private one.
func (b *ShmBacking) MapName() string { return "/SYSV00000000 (deleted)" }

// MapIdentity implements mm.Backing: the inode number is the shmid.
func (b *ShmBacking) MapIdentity() (uint64, uint64) { return 1, uint64(b.ID) }

// IncRef implements mm.Backing.
func (b *ShmBacking) IncRef() { b.refs.Add(1) }

// DecRef implements mm.Backing.
func (b *ShmBacking) DecRef() error {
	if b.refs.Add(-1) != 0 {
		return nil
	}
	if b.Own {
		b.P.Host.StreamClose(b.H)
	}
	b.P.sysvCall(&SysvReq{Op: SysvShmdt, Pid: b.P.Pid, A: [4]int64{int64(b.ID)}})
	return nil
}

// AdoptShm makes the backing of an attachment a forked child inherited
// with its own handle h, and tells the leader.
func (p *Process) AdoptShm(id int, h pal.Handle) *ShmBacking {
	p.sysvCall(&SysvReq{Op: SysvShmAdopt, Pid: p.Pid, A: [4]int64{int64(id)}})
	return &ShmBacking{P: p, ID: id, H: h, Own: true}
}

// NewShmBacking is the backing of a new attachment of segment id with
// handle h, as SysvShmat answered it: the leader's own handle in pid 1 (it
// keeps it), a handle of this process's own elsewhere.
func (p *Process) NewShmBacking(id int, h pal.Handle) *ShmBacking {
	return &ShmBacking{P: p, ID: id, H: h, Own: p.leader == nil}
}

// list renders /proc/sysvipc/msg, sem or shm (kind ipcMsg, ipcSem, ipcShm)
// in Linux's format.
func (s *sysvIPC) list(kind int) string {
	var ids []int
	for id, o := range s.objs {
		if o.kind == kind {
			ids = append(ids, id)
		}
	}
	sort.Ints(ids)
	var b strings.Builder
	switch kind {
	case ipcMsg:
		b.WriteString("       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n")
	case ipcSem:
		b.WriteString("       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n")
	case ipcShm:
		b.WriteString("       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n")
	}
	for _, id := range ids {
		o := s.objs[id]
		p := &o.perm
		switch kind {
		case ipcMsg:
			fmt.Fprintf(&b, "%10d %10d  %4o  %10d %10d %5d %5d %5d %5d %5d %5d %10d %10d %10d\n",
				p.key, o.id, p.mode&0o7777, o.cbytes, len(o.msgs), o.lspid, o.lrpid, p.uid, p.gid, p.cuid, p.cgid, o.stime, o.rtime, o.ctime)
		case ipcSem:
			fmt.Fprintf(&b, "%10d %10d  %4o %10d %5d %5d %5d %5d %10d %10d\n",
				p.key, o.id, p.mode&0o7777, len(o.sems), p.uid, p.gid, p.cuid, p.cgid, o.otime, o.ctime)
		case ipcShm:
			fmt.Fprintf(&b, "%10d %10d  %4o %21d %5d %5d  %5d %5d %5d %5d %5d %10d %10d %10d %21d %21d\n",
				p.key, o.id, p.mode&0o7777, o.segsz, o.cpid, o.lpid, o.nattch, p.uid, p.gid, p.cuid, p.cgid, o.atime, o.dtime, o.ctime, (o.segsz+4095)/4096*4096, 0)
		}
	}
	return b.String()
}

// SysvNextID reads, and with set changes, the id the next object of kind
// (0 queues, 1 semaphores, 2 segments) will get; -1 is the usual choice.
func (p *Process) SysvNextID(kind int, set bool, v int64) (int64, error) {
	q := &SysvReq{Op: SysvNextID, Pid: p.Pid, A: [4]int64{int64(kind), v, int64(boolToInt(set))}}
	r, err := p.sysvCall(q)
	if err != nil {
		return 0, err
	}
	return r.R, nil
}

// SysvLimit reads, and with set changes, one of the leader's SysV limits
// (which: Limit*).
func (p *Process) SysvLimit(which int, set bool, v int64) (int64, error) {
	q := &SysvReq{Op: SysvLimit, Pid: p.Pid, A: [4]int64{int64(which), v, int64(boolToInt(set))}}
	r, err := p.sysvCall(q)
	if err != nil {
		return 0, err
	}
	return r.R, nil
}

// SysvTable is /proc/sysvipc/msg, sem or shm (kind 0, 1, 2).
func (p *Process) SysvTable(kind int) string {
	r, err := p.sysvCall(&SysvReq{Op: SysvList, Pid: p.Pid, A: [4]int64{int64(kind)}})
	if err != nil {
		return ""
	}
	return string(r.Data)
}
