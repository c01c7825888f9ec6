package kernel

// Kernel key retention (add_key, request_key, keyctl): keys and keyrings of
// the whole guest live in the leader (pid 1), as SysV IPC objects do, and
// never touch the host's keyrings. Other processes send one request per
// call (msgKeys); the handlers in libos/sys copy the arguments in and out.
//
// The leader also keeps what Linux keeps in each thread's credentials: the
// session keyring of every process (inherited at fork, kept across
// execve), its process keyring, the thread keyrings of its threads and its
// request_key default keyring. It learns of forks, execs and exits from
// the process table (keysFork, keysExec, keysExited).
//
// A key lives while something refers to it: a link from a keyring, or a
// process or the user registry holding it as a special keyring. When the
// last reference goes, the key goes, giving its quota back; invalidated
// keys, and expired ones gc_delay seconds after expiry, are unlinked from
// every keyring first. Quotas (/proc/sys/kernel/keys) are those of the
// calling process, which sends them with every request. There is no
// /sbin/request-key upcall: request_key with callout information makes a
// negative key, as Linux does when the upcall fails.
//
// keyops.go holds the operations; this file the store, lookups, searches
// and permissions.

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"gophene/libos/wire"
)

// Key requests that are not keyctl operations (which use their
// KEYCTL_* number as Op).
const (
	KeyAdd       = 1000 + iota // add_key: A[0] keyring, Type, Desc, Data
	KeyRequest                 // request_key: A[0] destination, Type, Desc, Callout
	KeyProcKeys                // the text of /proc/keys
	KeyProcUsers               // the text of /proc/key-users
	KeyNewThread               // thread Tid was made by thread A[0]: it gets a thread keyring if A[0] has one
)

// Indexes of KeyReq.Limits, the caller's /proc/sys/kernel/keys values.
const (
	KeyLimitMaxKeys = iota
	KeyLimitMaxBytes
	KeyLimitRootMaxKeys
	KeyLimitRootMaxBytes
	KeyLimitGCDelay
	keyLimits
)

// KeyReq is one key-management call with what the leader needs of the
// caller.
type KeyReq struct {
	Op       int
	Pid, Tid int
	// The caller's identities and effective capabilities.
	Uid, Euid, Suid, Fsuid int
	Gid, Egid, Sgid, Fsgid int
	Groups                 []int
	Caps                   uint64
	Limits                 [keyLimits]int64
	A                      [4]int64 // the call's numeric arguments
	// Strings copied from the caller; Has* say the pointer was not NULL
	// and StrErr is the errno copying each failed with (applied in
	// Linux's order by operations that look a key up first).
	Type, Desc, Callout          string
	HasType, HasDesc, HasCallout bool
	StrErr                       [3]int
	Data                         []byte // a payload
	// UpcallErr is what request_key's failed upcall gives: ENOENT when
	// /sbin/request-key does not exist, ENOKEY when it does.
	UpcallErr int
}

// KeyResp is the leader's answer.
type KeyResp struct {
	R     int64
	Errno int
	Data  []byte
	// Thread says the calling thread has a thread keyring now.
	Thread bool
}

func (q *KeyReq) ints() []*int {
	return []*int{&q.Op, &q.Pid, &q.Tid, &q.Uid, &q.Euid, &q.Suid, &q.Fsuid, &q.Gid, &q.Egid, &q.Sgid, &q.Fsgid,
		&q.StrErr[0], &q.StrErr[1], &q.StrErr[2], &q.UpcallErr}
}

func (q *KeyReq) encode(e *wire.Encoder) {
	for _, v := range q.ints() {
		e.Int(int64(*v))
	}
	wire.Slice(e, q.Groups, func(e *wire.Encoder, g *int) { e.Int(int64(*g)) })
	e.Uint(q.Caps)
	for _, v := range q.Limits {
		e.Int(v)
	}
	for _, v := range q.A {
		e.Int(v)
	}
	e.Strings([]string{q.Type, q.Desc, q.Callout})
	e.Bool(q.HasType)
	e.Bool(q.HasDesc)
	e.Bool(q.HasCallout)
	e.Data(q.Data)
}

func (q *KeyReq) decode(d *wire.Decoder) {
	for _, v := range q.ints() {
		*v = int(d.Int())
	}
	q.Groups = wire.SliceIn(d, func(d *wire.Decoder, g *int) { *g = int(d.Int()) })
	q.Caps = d.Uint()
	for i := range q.Limits {
		q.Limits[i] = d.Int()
	}
	for i := range q.A {
		q.A[i] = d.Int()
	}
	if s := d.Strings(); len(s) == 3 {
		q.Type, q.Desc, q.Callout = s[0], s[1], s[2]
	}
	q.HasType = d.Bool()
	q.HasDesc = d.Bool()
	q.HasCallout = d.Bool()
	q.Data = d.Data()
}

func (r *KeyResp) encode(e *wire.Encoder) {
	e.Int(r.R)
	e.Int(int64(r.Errno))
	e.Data(r.Data)
	e.Bool(r.Thread)
}

func (r *KeyResp) decode(d *wire.Decoder) {
	r.R = d.Int()
	r.Errno = int(d.Int())
	r.Data = d.Data()
	r.Thread = d.Bool()
}

// keyThreads are the threads of this process that had a thread keyring
// at their last key call: a thread they start gets one too (Linux gives a
// new thread a thread keyring of its own when its creator has one). It
// may say yes wrongly (after an execve), never no: the leader checks.
var keyThreads struct {
	sync.Mutex
	tids map[int]bool
}

// KeysNewThread gives thread n, just started by t (CLONE_THREAD), a
// thread keyring of its own if t has one.
func (t *Task) KeysNewThread(n *Task) {
	keyThreads.Lock()
	has := keyThreads.tids[t.Tid]
	keyThreads.Unlock()
	if has {
		n.Keys(&KeyReq{Op: KeyNewThread, A: [4]int64{int64(t.Tid)}})
	}
}

// Keys sends a key request for task t to the leader (t's process, thread,
// credentials and key quotas are filled in) and returns its answer, the
// call's errno included.
func (t *Task) Keys(q *KeyReq) (KeyResp, error) {
	q.Tid = t.Tid
	return t.P.keysCall(q)
}

// KeysFile returns the text of /proc/keys (users false) or
// /proc/key-users (users true) as process p sees it.
func (p *Process) KeysFile(users bool) string {
	q := &KeyReq{Op: KeyProcKeys, Tid: p.Pid}
	if users {
		q.Op = KeyProcUsers
	}
	r, _ := p.keysCall(q)
	return string(r.Data)
}

func (p *Process) keysCall(q *KeyReq) (KeyResp, error) {
	c := p.Creds()
	q.Pid = p.Pid
	q.Uid, q.Euid, q.Suid, q.Fsuid = c.Uid, c.Euid, c.Suid, c.Fsuid
	q.Gid, q.Egid, q.Sgid, q.Fsgid = c.Gid, c.Egid, c.Sgid, c.Fsgid
	q.Groups, q.Caps = c.Groups, c.Cap.Effective
	for i, name := range []string{"maxkeys", "maxbytes", "root_maxkeys", "root_maxbytes", "gc_delay"} {
		v, err := strconv.ParseInt(p.Tunables.Get("sys/kernel/keys/"+name, ""), 10, 64)
		if err != nil {
			v = defaultKeyLimits[i]
		}
		q.Limits[i] = v
	}
	var r KeyResp
	if p.leader != nil {
		r = p.leader.keysServe(p.Pid, q)
	} else if p.link == nil {
		return r, unix.ENOSYS
	} else {
		var e wire.Encoder
		q.encode(&e)
		m, err := p.link.call(&Msg{Kind: msgKeys, Data: e.Bytes()})
		if err != nil {
			return r, err
		}
		d := wire.NewDecoder(m.Data)
		r.decode(d)
		if d.Err() != nil {
			return r, unix.EIO
		}
	}
	if q.Tid != 0 {
		keyThreads.Lock()
		if keyThreads.tids == nil {
			keyThreads.tids = map[int]bool{}
		}
		if r.Thread {
			keyThreads.tids[q.Tid] = true
		} else {
			delete(keyThreads.tids, q.Tid)
		}
		keyThreads.Unlock()
	}
	if r.Errno != 0 {
		return r, unix.Errno(r.Errno)
	}
	return r, nil
}

// defaultKeyLimits are Linux's /proc/sys/kernel/keys defaults.
var defaultKeyLimits = [keyLimits]int64{200, 20000, 1000000, 25000000, 300}

// keysRequest serves a msgKeys request from process pid.
func (l *Leader) keysRequest(pid int, m *Msg) *Msg {
	var q KeyReq
	d := wire.NewDecoder(m.Data)
	q.decode(d)
	if d.Err() != nil {
		return &Msg{Errno: int(unix.EINVAL)}
	}
	r := l.keysServe(pid, &q)
	var e wire.Encoder
	r.encode(&e)
	return &Msg{Data: e.Bytes()}
}

func (l *Leader) keysServe(pid int, q *KeyReq) KeyResp {
	q.Pid = pid
	ppid := 0
	l.mu.Lock()
	if e := l.procs[pid]; e != nil {
		ppid = e.Ppid
	}
	l.mu.Unlock()
	return l.keys.serve(q, ppid)
}

// Permission bits of a key (KEY_POS_*, KEY_USR_*, KEY_GRP_*, KEY_OTH_*):
// four bytes, possessor, user, group, other, of view, read, write,
// search, link and setattr.
const (
	keyView    = 0x01
	keyRead    = 0x02
	keyWrite   = 0x04
	keySearch  = 0x08
	keyLink    = 0x10
	keySetattr = 0x20
	keyAll     = 0x3f
	keyPos     = 24
	keyUsr     = 16
	keyGrp     = 8
)

// What a lookup must check besides the permission bits (needX above).
const (
	needUnlink   = 0x100 // nothing: the key is only unlinked
	needDefer    = 0x200 // the caller checks (KEYCTL_READ)
	needNoChecks = 0x400 // nothing at all (sysadmin or authority override)
)

// Key types.
const (
	typeKeyring = "keyring"
	typeUser    = "user"
	typeLogon   = "logon"
	typeBigKey  = "big_key"
)

// keyTypes are the types a guest can use, with whether each can be
// updated and read.
var keyTypes = map[string]struct{ update, read bool }{
	typeKeyring: {false, true},
	typeUser:    {true, true},
	typeLogon:   {true, false},
	typeBigKey:  {true, true},
}

// How a new key counts against its owner's quota.
const (
	quotaCheck   = iota // counted and checked (KEY_ALLOC_IN_QUOTA)
	quotaOverrun        // counted, may overrun (KEY_ALLOC_QUOTA_OVERRUN)
	quotaNone           // not counted (KEY_ALLOC_NOT_IN_QUOTA)
)

const (
	keyLinkBytes       = 4          // a link in a keyring costs 4 bytes of quota
	keySearchMaxDepth  = 6          // nested keyrings a search descends
	keyNegativeTimeout = 60         // seconds a negative key from request_key lasts
	keyPersistentExp   = 3 * 86400  // a persistent keyring expires after 3 days unused
	bigKeyBuffered     = 600 + 192  // sizeof(struct inode) + sizeof(struct dentry): smaller big keys are not in a file
	keyDescMax         = 4096       // KEY_MAX_DESC_SIZE
	keyUserKeyringPerm = 0x1f3f0000 // (KEY_POS_ALL & ~KEY_POS_SETATTR) | KEY_USR_ALL
	keyRegisterPerm    = 0x0c030000 // KEY_POS_WRITE | KEY_POS_SEARCH | KEY_USR_VIEW | KEY_USR_READ
	keyPersistentPerm  = 0x1f030000 // (KEY_POS_ALL & ~KEY_POS_SETATTR) | KEY_USR_VIEW | KEY_USR_READ
	overflowGid        = 65534      // how a key without group shows its gid
)

// key is one key or keyring.
type key struct {
	serial   int32
	typ      string
	desc     string
	uid, gid int // gid -1: none
	perm     uint32
	user     *keyUser
	quota    int // quotaCheck, quotaOverrun or quotaNone
	quotalen int // bytes charged to the owner
	datalen  int // the payload's part of quotalen (key->datalen)
	usage    int // references: links from keyrings and holders
	// negative is the error a negatively instantiated key gives (0: a
	// positive key). Keys are never left uninstantiated here.
	negative    unix.Errno
	revoked     bool
	invalidated bool
	uidKeyring  bool // a user or user session keyring
	restricted  bool // KEYCTL_RESTRICT_KEYRING without a type: no more links
	expiry      int64
	payload     []byte
	links       []*key // a keyring's keys, one per (type, description)
	seq         int    // creation order, for keyrings found by name
}

// keyUser is the quota record of one uid (struct key_user).
type keyUser struct {
	uid             int
	nkeys, nikeys   int
	qnkeys, qnbytes int
}

// keyProc is what a process's credentials hold of keys.
type keyProc struct {
	session, process *key
	threads          map[int]*key // thread keyrings by tid
	jit              int          // KEY_REQKEY_DEFL_*: where request_key puts keys
	// The identities last seen, for KEYCTL_SESSION_TO_PARENT's checks on
	// the parent and for thread keyrings, which follow the fsuid and
	// fsgid.
	uid, euid, suid, fsuid, gid, egid, sgid, fsgid int
	known                                          bool
}

// keyStore is the leader's key state.
type keyStore struct {
	mu         sync.Mutex
	keys       map[int32]*key
	users      map[int]*keyUser
	procs      map[int]*keyProc
	reg        *key // .user_reg: the users' keyrings
	persistent *key // .persistent_register
	seq        int
	gcAll      bool  // something was invalidated
	gcAt       int64 // when an expired key next becomes garbage (0: none)
}

func newKeyStore() *keyStore {
	s := &keyStore{keys: map[int32]*key{}, users: map[int]*keyUser{}, procs: map[int]*keyProc{}}
	// As Linux at boot: the user register and root's user keyrings.
	c := &keyCtx{s: s, q: &KeyReq{}, now: time.Now().Unix()}
	c.q.Limits = defaultKeyLimits
	s.reg, _ = c.keyringAlloc(".user_reg", 0, -1, keyRegisterPerm, quotaCheck, nil)
	s.reg.usage++
	c.userKeyrings()
	return s
}

// keyCtx is one request being served (s.mu held).
type keyCtx struct {
	s   *keyStore
	q   *KeyReq
	pr  *keyProc
	now int64
}

func (s *keyStore) proc(pid int) *keyProc {
	pr := s.procs[pid]
	if pr == nil {
		pr = &keyProc{threads: map[int]*key{}}
		s.procs[pid] = pr
	}
	return pr
}

// serve performs one request of process q.Pid, whose parent is ppid.
func (s *keyStore) serve(q *KeyReq, ppid int) KeyResp {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &keyCtx{s: s, q: q, now: time.Now().Unix()}
	pr := s.proc(q.Pid)
	c.pr = pr
	for _, k := range pr.threads {
		if pr.known && pr.fsuid != q.Fsuid {
			k.uid = q.Fsuid
		}
		if pr.known && pr.fsgid != q.Fsgid {
			k.gid = q.Fsgid
		}
	}
	pr.uid, pr.euid, pr.suid, pr.fsuid = q.Uid, q.Euid, q.Suid, q.Fsuid
	pr.gid, pr.egid, pr.sgid, pr.fsgid = q.Gid, q.Egid, q.Sgid, q.Fsgid
	pr.known = true
	c.gc()
	var r KeyResp
	var e unix.Errno
	switch q.Op {
	case KeyAdd:
		r.R, e = c.addKey()
	case KeyRequest:
		r.R, e = c.requestKey()
	case KeyProcKeys:
		r.Data = []byte(c.procKeys())
	case KeyProcUsers:
		r.Data = []byte(c.procKeyUsers())
	case KeyNewThread:
		if c.pr.threads[int(q.A[0])] != nil {
			_, e = c.installThread()
		}
	default:
		r.R, r.Data, e = c.keyctl(ppid)
	}
	c.gc()
	r.Errno = int(e)
	r.Thread = c.pr.threads[q.Tid] != nil
	return r
}

// fork gives child the keyrings a forked process inherits from parent:
// the session keyring and the request_key default (not the process or
// thread keyrings).
func (s *keyStore) fork(parent, child int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pp := s.procs[parent]
	if pp == nil {
		return
	}
	cp := s.proc(child)
	cp.session, cp.jit = pp.session, pp.jit
	if cp.session != nil {
		cp.session.usage++
	}
	cp.uid, cp.euid, cp.suid, cp.fsuid = pp.uid, pp.euid, pp.suid, pp.fsuid
	cp.gid, cp.egid, cp.sgid, cp.fsgid = pp.gid, pp.egid, pp.sgid, pp.fsgid
	cp.known = pp.known
}

// exec drops the thread and process keyrings of pid, as execve does.
func (s *keyStore) exec(pid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pr := s.procs[pid]
	if pr == nil {
		return
	}
	c := &keyCtx{s: s, q: &KeyReq{}, pr: pr, now: time.Now().Unix()}
	for tid, k := range pr.threads {
		delete(pr.threads, tid)
		c.put(k)
	}
	if pr.process != nil {
		c.put(pr.process)
		pr.process = nil
	}
}

// exited releases everything process pid held.
func (s *keyStore) exited(pid int) {
	s.exec(pid)
	s.mu.Lock()
	defer s.mu.Unlock()
	pr := s.procs[pid]
	if pr == nil {
		return
	}
	delete(s.procs, pid)
	if pr.session != nil {
		c := &keyCtx{s: s, q: &KeyReq{}, pr: pr, now: time.Now().Unix()}
		c.put(pr.session)
	}
}

// Quota.

func (s *keyStore) user(uid int) *keyUser {
	u := s.users[uid]
	if u == nil {
		u = &keyUser{uid: uid}
		s.users[uid] = u
	}
	return u
}

// maxes are the key and byte quotas of uid.
func (c *keyCtx) maxes(uid int) (int, int) {
	if uid == 0 {
		return int(c.q.Limits[KeyLimitRootMaxKeys]), int(c.q.Limits[KeyLimitRootMaxBytes])
	}
	return int(c.q.Limits[KeyLimitMaxKeys]), int(c.q.Limits[KeyLimitMaxBytes])
}

// reserve makes datalen k's payload size, charging or refunding its owner
// the difference (key_payload_reserve).
func (c *keyCtx) reserve(k *key, datalen int) unix.Errno {
	delta := datalen - k.datalen
	if delta != 0 && k.quota != quotaNone {
		_, maxBytes := c.maxes(k.user.uid)
		if delta > 0 && k.user.qnbytes+delta > maxBytes {
			return unix.EDQUOT
		}
		k.user.qnbytes += delta
		k.quotalen += delta
	}
	k.datalen = datalen
	return 0
}

// alloc makes a key (key_alloc): not yet instantiated, unreferenced.
func (c *keyCtx) alloc(typ, desc string, uid, gid int, perm uint32, quota int) (*key, unix.Errno) {
	if desc == "" {
		return nil, unix.EINVAL
	}
	if typ == typeLogon {
		if i := strings.IndexByte(desc, ':'); i <= 0 {
			return nil, unix.EINVAL
		}
	}
	s := c.s
	u := s.user(uid)
	quotalen := len(desc) + 1
	if quota != quotaNone {
		maxKeys, maxBytes := c.maxes(uid)
		if quota == quotaCheck && (u.qnkeys+1 > maxKeys || u.qnbytes+quotalen > maxBytes) {
			if u.nkeys == 0 && uid != 0 {
				delete(s.users, uid)
			}
			return nil, unix.EDQUOT
		}
		u.qnkeys++
		u.qnbytes += quotalen
	} else {
		quotalen = 0
	}
	u.nkeys++
	s.seq++
	k := &key{typ: typ, desc: desc, uid: uid, gid: gid, perm: perm, user: u, quota: quota, quotalen: quotalen, seq: s.seq}
	for {
		k.serial = int32(rand.Uint32() >> 1)
		if k.serial >= 3 && s.keys[k.serial] == nil {
			break
		}
	}
	s.keys[k.serial] = k
	return k, 0
}

// instantiate gives k its payload (quotalen: what the type charges for it).
func (c *keyCtx) instantiate(k *key, payload []byte, quotalen int) unix.Errno {
	if k.typ != typeKeyring {
		if e := c.reserve(k, quotalen); e != 0 {
			return e
		}
		k.payload = payload
	}
	k.user.nikeys++
	return 0
}

// destroy frees a key nothing refers to any more.
func (c *keyCtx) destroy(k *key) {
	s := c.s
	delete(s.keys, k.serial)
	u := k.user
	if k.quota != quotaNone {
		u.qnkeys--
		u.qnbytes -= k.quotalen
	}
	u.nkeys--
	u.nikeys-- // every key here was instantiated
	if u.nkeys == 0 && u.uid != 0 {
		delete(s.users, u.uid)
	}
	links := k.links
	k.links = nil
	for _, l := range links {
		c.put(l)
	}
}

// destroyNew frees a key whose making failed before anything referred to
// it (not instantiated).
func (c *keyCtx) destroyNew(k *key) {
	k.user.nikeys++
	c.destroy(k)
}

func (c *keyCtx) put(k *key) {
	k.usage--
	if k.usage <= 0 {
		c.destroy(k)
	}
}

// keyringAlloc makes a keyring and links it into dest if given
// (keyring_alloc).
func (c *keyCtx) keyringAlloc(desc string, uid, gid int, perm uint32, quota int, dest *key) (*key, unix.Errno) {
	k, e := c.alloc(typeKeyring, desc, uid, gid, perm, quota)
	if e != 0 {
		return nil, e
	}
	if dest != nil {
		idx, e := c.linkBegin(dest, k.typ, k.desc)
		if e == 0 && dest.restricted {
			c.linkCancel(dest, idx)
			e = unix.EPERM
		}
		if e != 0 {
			c.destroyNew(k)
			return nil, e
		}
		c.instantiate(k, nil, 0)
		c.linkCommit(dest, k, idx)
		return k, 0
	}
	c.instantiate(k, nil, 0)
	return k, 0
}

// Links.

// findLink returns the index of ring's link to the key of that type and
// description, or -1.
func findLink(ring *key, typ, desc string) int {
	for i, l := range ring.links {
		if l.typ == typ && l.desc == desc {
			return i
		}
	}
	return -1
}

// linkBegin prepares a link of a (typ, desc) key into ring (a keyring):
// it returns the index of the link it replaces, or -1 when a new link is
// needed, which is charged to ring's owner now (__key_link_begin).
func (c *keyCtx) linkBegin(ring *key, typ, desc string) (int, unix.Errno) {
	if ring.typ != typeKeyring {
		return 0, unix.ENOTDIR
	}
	if ring.revoked {
		return 0, unix.EKEYREVOKED
	}
	idx := findLink(ring, typ, desc)
	if idx < 0 {
		if e := c.reserve(ring, ring.datalen+keyLinkBytes); e != 0 {
			return 0, e
		}
	}
	return idx, 0
}

// linkCancel undoes linkBegin.
func (c *keyCtx) linkCancel(ring *key, idx int) {
	if idx < 0 {
		c.reserve(ring, ring.datalen-keyLinkBytes)
	}
}

// linkCommit links k into ring where linkBegin said.
func (c *keyCtx) linkCommit(ring, k *key, idx int) {
	k.usage++
	if idx < 0 {
		ring.links = append(ring.links, k)
		return
	}
	old := ring.links[idx]
	ring.links[idx] = k
	c.put(old)
}

// link links k into ring (key_link).
func (c *keyCtx) link(ring, k *key) unix.Errno {
	idx, e := c.linkBegin(ring, k.typ, k.desc)
	if e != 0 {
		return e
	}
	if ring.restricted {
		e = unix.EPERM
	} else if k.typ == typeKeyring {
		e = detectCycle(ring, k)
	}
	if e != 0 {
		c.linkCancel(ring, idx)
		return e
	}
	c.linkCommit(ring, k, idx)
	return 0
}

// unlink removes ring's link to the key of k's type and description
// (key_unlink).
func (c *keyCtx) unlink(ring, k *key) unix.Errno {
	if ring.typ != typeKeyring {
		return unix.ENOTDIR
	}
	idx := findLink(ring, k.typ, k.desc)
	if idx < 0 {
		return unix.ENOENT
	}
	old := ring.links[idx]
	ring.links = append(ring.links[:idx:idx], ring.links[idx+1:]...)
	c.reserve(ring, ring.datalen-keyLinkBytes)
	c.put(old)
	return 0
}

// clear unlinks everything from ring.
func (c *keyCtx) clear(ring *key) {
	links := ring.links
	ring.links = nil
	c.reserve(ring, 0)
	for _, l := range links {
		c.put(l)
	}
}

// detectCycle says whether linking keyring b into a would make a cycle
// (EDEADLK) or nest keyrings too deep (ELOOP).
func detectCycle(a, b *key) unix.Errno {
	if a == b {
		return unix.EDEADLK
	}
	var walk func(k *key, depth int) unix.Errno
	walk = func(k *key, depth int) unix.Errno {
		if k.revoked || k.invalidated {
			return 0
		}
		for _, l := range k.links {
			if l == a {
				return unix.EDEADLK
			}
		}
		for _, l := range k.links {
			if l.typ != typeKeyring {
				continue
			}
			if depth >= keySearchMaxDepth {
				return unix.ELOOP
			}
			if e := walk(l, depth+1); e != 0 {
				return e
			}
		}
		return 0
	}
	return walk(b, 0)
}

// Garbage collection: invalidated keys, and expired ones gc_delay seconds
// after they expired, are unlinked from every keyring.

func (c *keyCtx) gc() {
	s := c.s
	if !s.gcAll && (s.gcAt == 0 || c.now < s.gcAt) {
		return
	}
	s.gcAll, s.gcAt = false, 0
	delay := c.q.Limits[KeyLimitGCDelay]
	dead := func(k *key) bool {
		if k.invalidated {
			return true
		}
		if k.expiry != 0 {
			if k.expiry+delay <= c.now {
				return true
			}
			if s.gcAt == 0 || k.expiry+delay < s.gcAt {
				s.gcAt = k.expiry + delay
			}
		}
		return false
	}
	type edge struct{ ring, k *key }
	var drop []edge
	for _, ring := range s.keys {
		if ring.typ != typeKeyring || ring.revoked || ring.invalidated {
			continue
		}
		for _, l := range ring.links {
			if dead(l) {
				drop = append(drop, edge{ring, l})
			}
		}
	}
	for _, d := range drop {
		if s.keys[d.ring.serial] == d.ring && findLink(d.ring, d.k.typ, d.k.desc) >= 0 {
			c.unlink(d.ring, d.k)
		}
	}
}

func (c *keyCtx) setExpiry(k *key, expiry int64) {
	k.expiry = expiry
	if expiry != 0 {
		at := expiry + c.q.Limits[KeyLimitGCDelay]
		if c.s.gcAt == 0 || at < c.s.gcAt {
			c.s.gcAt = at
		}
	}
}

// Permissions.

// permits says whether the caller may use k as need asks (keyView ...),
// possessing it or not (key_task_permission).
func (c *keyCtx) permits(k *key, possessed bool, need int) bool {
	if need&(needUnlink|needDefer|needNoChecks) != 0 {
		return true
	}
	q := c.q
	var kperm uint32
	switch {
	case k.uid == q.Fsuid:
		kperm = k.perm >> keyUsr
	case k.gid != -1 && k.perm&(keyAll<<keyGrp) != 0 && c.inGroup(k.gid):
		kperm = k.perm >> keyGrp
	default:
		kperm = k.perm
	}
	if possessed {
		kperm |= k.perm >> keyPos
	}
	return kperm&uint32(need) == uint32(need)
}

func (c *keyCtx) inGroup(gid int) bool {
	if gid == c.q.Fsgid {
		return true
	}
	for _, g := range c.q.Groups {
		if g == gid {
			return true
		}
	}
	return false
}

func (c *keyCtx) capable(cap int) bool { return c.q.Caps&(1<<uint(cap)) != 0 }

// validate is key_validate: whether k may still be used.
func (c *keyCtx) validate(k *key) unix.Errno {
	switch {
	case k.invalidated:
		return unix.ENOKEY
	case k.revoked:
		return unix.EKEYREVOKED
	case k.expiry != 0 && c.now >= k.expiry:
		return unix.EKEYEXPIRED
	}
	return 0
}

// Searches.

// search is one keyring search (struct keyring_search_context).
type search struct {
	typ, desc   string
	target      *key // find this very key (a possession check), not any match
	stateCheck  bool // skip revoked, expired and negative keys with their errors
	skipExpired bool // ... expired ones without
	recurse     bool
	possessed   bool
	result      *key
	err         unix.Errno // EAGAIN: nothing found
}

// iterate considers candidate k: 1 found, 0 go on, skipped when k was
// skipped with an error.
func (c *keyCtx) iterate(sc *search, k *key, skipped int) int {
	if k.typ != sc.typ {
		return 0
	}
	if sc.stateCheck {
		if k.invalidated || k.revoked {
			sc.err = unix.EKEYREVOKED
			return skipped
		}
		if k.expiry != 0 && c.now >= k.expiry {
			if !sc.skipExpired {
				sc.err = unix.EKEYEXPIRED
			}
			return skipped
		}
	}
	if sc.target != nil && k != sc.target || sc.target == nil && k.desc != sc.desc {
		return 0
	}
	if !c.permits(k, sc.possessed, keySearch) {
		sc.err = unix.EACCES
		return skipped
	}
	if sc.stateCheck && k.negative != 0 {
		sc.err = k.negative
		return skipped
	}
	sc.result = k
	return 1
}

// searchNested looks for the key in ring and the keyrings it links
// (search_nested_keyrings).
func (c *keyCtx) searchNested(sc *search, ring *key) bool {
	if ring.typ == sc.typ && ring.desc == sc.desc {
		switch c.iterate(sc, ring, 2) {
		case 1:
			return true
		case 2:
			return false
		}
	}
	var walk func(k *key, depth int) bool
	walk = func(k *key, depth int) bool {
		if k.revoked || k.invalidated {
			return false
		}
		if i := findLink(k, sc.typ, sc.desc); i >= 0 && c.iterate(sc, k.links[i], 0) == 1 {
			return true
		}
		if !sc.recurse || depth >= keySearchMaxDepth {
			return false
		}
		for _, l := range k.links {
			if l.typ != typeKeyring || !c.permits(l, sc.possessed, keySearch) {
				continue
			}
			if walk(l, depth+1) {
				return true
			}
		}
		return false
	}
	return walk(ring, 0)
}

// searchKeyring searches the tree under ring (keyring_search_rcu).
func (c *keyCtx) searchKeyring(sc *search, ring *key, possessed bool) (*key, unix.Errno) {
	if ring.typ != typeKeyring {
		return nil, unix.ENOTDIR
	}
	sc.possessed = possessed
	if !c.permits(ring, possessed, keySearch) {
		return nil, unix.EACCES
	}
	sc.result, sc.err = nil, unix.EAGAIN
	if c.searchNested(sc, ring) {
		return sc.result, 0
	}
	return nil, sc.err
}

// searchProcess searches the caller's keyrings: thread, process, then
// session or else the user session keyring if it exists
// (search_cred_keyrings_rcu). EAGAIN: nothing found; ENOKEY: a negative
// key.
func (c *keyCtx) searchProcess(sc *search) (*key, unix.Errno) {
	var rings []*key
	if k := c.pr.threads[c.q.Tid]; k != nil {
		rings = append(rings, k)
	}
	if c.pr.process != nil {
		rings = append(rings, c.pr.process)
	}
	if c.pr.session != nil {
		rings = append(rings, c.pr.session)
	} else if us := c.existingUserSession(); us != nil {
		rings = append(rings, us)
	}
	var ret unix.Errno // the best "not found"
	err := unix.EAGAIN
	for _, ring := range rings {
		k, e := c.searchKeyring(sc, ring, true)
		switch {
		case e == 0:
			return k, 0
		case e == unix.EAGAIN:
			if ret == 0 {
				ret = e
			}
		case e == unix.ENOKEY:
			ret = e
		default:
			err = e
		}
	}
	if ret != 0 {
		return nil, ret
	}
	return nil, err
}

// possessed says whether the caller possesses k: k is one of its keyrings
// or is found from them through keyrings it may search.
func (c *keyCtx) possessed(k *key) bool {
	_, e := c.searchProcess(&search{typ: k.typ, desc: k.desc, target: k, recurse: true})
	return e == 0
}

// authKey is what looking for request_key's authorisation key for target
// gives (key_get_instantiation_authkey): there never is one, as no upcall
// runs.
func (c *keyCtx) authKey(target int32) unix.Errno {
	_, e := c.searchProcess(&search{typ: ".request_key_auth", desc: fmt.Sprintf("%x", target), stateCheck: true, recurse: true})
	if e == unix.EAGAIN {
		e = unix.ENOKEY
	}
	return e
}

// The special keyrings.

// userKeyrings finds or makes the user keyring and user session keyring of
// the caller's real uid (look_up_user_keyrings).
func (c *keyCtx) userKeyrings() (*key, *key, unix.Errno) {
	uid := c.q.Uid
	reg := c.s.reg
	find := func(desc string) (*key, unix.Errno) {
		return c.searchKeyring(&search{typ: typeKeyring, desc: desc, stateCheck: true}, reg, true)
	}
	uk, e := find(fmt.Sprintf("_uid.%d", uid))
	if e == unix.EAGAIN {
		uk, e = c.keyringAlloc(fmt.Sprintf("_uid.%d", uid), uid, -1, keyUserKeyringPerm, quotaCheck, reg)
		if e == 0 {
			uk.uidKeyring = true
		}
	}
	if e != 0 {
		return nil, nil, e
	}
	us, e := find(fmt.Sprintf("_uid_ses.%d", uid))
	if e == unix.EAGAIN {
		us, e = c.keyringAlloc(fmt.Sprintf("_uid_ses.%d", uid), uid, -1, keyUserKeyringPerm, quotaCheck, nil)
		if e != 0 {
			return nil, nil, e
		}
		us.uidKeyring = true
		us.usage++ // held while it is being linked
		e = c.link(us, uk)
		if e == 0 {
			e = c.link(reg, us)
		}
		c.put(us)
	}
	if e != 0 {
		return nil, nil, e
	}
	return uk, us, 0
}

// existingUserSession is the caller's user session keyring if it exists.
func (c *keyCtx) existingUserSession() *key {
	k, _ := c.searchKeyring(&search{typ: typeKeyring, desc: fmt.Sprintf("_uid_ses.%d", c.q.Uid), stateCheck: true}, c.s.reg, true)
	return k
}

func (c *keyCtx) installThread() (*key, unix.Errno) {
	if k := c.pr.threads[c.q.Tid]; k != nil {
		return k, 0
	}
	k, e := c.keyringAlloc("_tid", c.q.Uid, c.q.Gid, keyAll<<keyPos|keyView<<keyUsr, quotaOverrun, nil)
	if e != 0 {
		return nil, e
	}
	k.usage++
	c.pr.threads[c.q.Tid] = k
	return k, 0
}

func (c *keyCtx) installProcess() (*key, unix.Errno) {
	if k := c.pr.process; k != nil {
		return k, 0
	}
	k, e := c.keyringAlloc("_pid", c.q.Uid, c.q.Gid, keyAll<<keyPos|keyView<<keyUsr, quotaOverrun, nil)
	if e != 0 {
		return nil, e
	}
	k.usage++
	c.pr.process = k
	return k, 0
}

// setSession makes k (referenced by the caller) the session keyring.
func (c *keyCtx) setSession(k *key) {
	k.usage++
	if old := c.pr.session; old != nil {
		c.put(old)
	}
	c.pr.session = k
}

// joinAnon makes and joins a new anonymous session keyring.
func (c *keyCtx) joinAnon() (*key, unix.Errno) {
	quota := quotaOverrun
	if c.pr.session != nil {
		quota = quotaCheck
	}
	k, e := c.keyringAlloc("_ses", c.q.Uid, c.q.Gid, keyAll<<keyPos|(keyView|keyRead)<<keyUsr, quota, nil)
	if e != 0 {
		return nil, e
	}
	c.setSession(k)
	return k, 0
}

// lookup finds the key id names, special keyrings included, as the caller
// may use it (lookup_user_key): create makes a missing thread, process or
// session keyring; partial allows a key that is not valid any more to be
// found (only a revoked, expired or invalidated one is refused); need is
// a permission (keyView ...) or one of the need* exceptions. It also says
// whether the caller possesses the key.
func (c *keyCtx) lookup(id int32, create, partial bool, need int) (*key, bool, unix.Errno) {
	var k *key
	possessed := true
	var e unix.Errno
	switch id {
	case unix.KEY_SPEC_THREAD_KEYRING:
		k = c.pr.threads[c.q.Tid]
		if k == nil {
			if !create {
				return nil, false, unix.ENOKEY
			}
			k, e = c.installThread()
		}
	case unix.KEY_SPEC_PROCESS_KEYRING:
		k = c.pr.process
		if k == nil {
			if !create {
				return nil, false, unix.ENOKEY
			}
			k, e = c.installProcess()
		}
	case unix.KEY_SPEC_SESSION_KEYRING:
		k = c.pr.session
		if k == nil {
			var us *key
			_, us, e = c.userKeyrings()
			if e == 0 {
				if create {
					k, e = c.joinAnon()
				} else {
					c.setSession(us)
					k = us
				}
			}
		} else if k.uidKeyring && create {
			k, e = c.joinAnon()
		}
	case unix.KEY_SPEC_USER_KEYRING:
		k, _, e = c.userKeyrings()
	case unix.KEY_SPEC_USER_SESSION_KEYRING:
		_, k, e = c.userKeyrings()
	case unix.KEY_SPEC_GROUP_KEYRING:
		return nil, false, unix.EINVAL
	case unix.KEY_SPEC_REQKEY_AUTH_KEY, unix.KEY_SPEC_REQUESTOR_KEYRING:
		return nil, false, unix.ENOKEY // no request_key authority is ever assumed
	default:
		if id < 1 {
			return nil, false, unix.EINVAL
		}
		k = c.s.keys[id]
		if k == nil {
			return nil, false, unix.ENOKEY
		}
		possessed = c.possessed(k)
	}
	if e != 0 {
		return nil, false, e
	}
	if need != needUnlink {
		if !partial {
			e = k.negative
			if e == 0 {
				e = c.validate(k)
			}
			if e != 0 && need != needDefer && need != needNoChecks {
				return nil, false, e
			}
		} else if need != needDefer {
			if e = c.validate(k); e != 0 {
				return nil, false, e
			}
		}
	}
	if !c.permits(k, possessed, need) {
		return nil, false, unix.EACCES
	}
	return k, possessed, 0
}

// findKeyringByName finds a keyring by name that the caller may search
// (find_keyring_by_name), oldest first.
func (c *keyCtx) findKeyringByName(name string) *key {
	var best *key
	for _, k := range c.s.keys {
		if k.typ != typeKeyring || k.desc != name || k.revoked || strings.HasPrefix(k.desc, ".") {
			continue
		}
		if !c.permits(k, false, keySearch) {
			continue
		}
		if best == nil || k.seq < best.seq {
			best = k
		}
	}
	return best
}

// /proc files.

func (c *keyCtx) procKeys() string {
	var ks []*key
	for _, k := range c.s.keys {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].serial < ks[j].serial })
	var b strings.Builder
	for _, k := range ks {
		possessed := false
		if k.perm&(keyView<<keyPos) != 0 {
			possessed = c.possessed(k)
		}
		if !c.permits(k, possessed, keyView) {
			continue
		}
		timeout := "perm"
		if k.expiry != 0 {
			left := k.expiry - c.now
			switch {
			case left <= 0:
				timeout = "expd"
			case left < 60:
				timeout = fmt.Sprintf("%ds", left)
			case left < 3600:
				timeout = fmt.Sprintf("%dm", left/60)
			case left < 86400:
				timeout = fmt.Sprintf("%dh", left/3600)
			case left < 7*86400:
				timeout = fmt.Sprintf("%dd", left/86400)
			default:
				timeout = fmt.Sprintf("%dw", left/(7*86400))
			}
		}
		flag := func(on bool, letter byte) byte {
			if on {
				return letter
			}
			return '-'
		}
		flags := []byte{'I', flag(k.revoked, 'R'), '-', flag(k.quota != quotaNone, 'Q'), '-', flag(k.negative != 0, 'N'), flag(k.invalidated, 'i')}
		gid := k.gid
		if gid == -1 {
			gid = overflowGid
		}
		fmt.Fprintf(&b, "%08x %s %5d %4s %08x %5d %5d %-9.9s %s\n", k.serial, flags, k.usage, timeout, k.perm, k.uid, gid, k.typ, describeKey(k))
	}
	return b.String()
}

// describeKey is the type's description of k in /proc/keys.
func describeKey(k *key) string {
	if k.negative != 0 {
		return k.desc
	}
	switch k.typ {
	case typeKeyring:
		if len(k.links) == 0 {
			return k.desc + ": empty"
		}
		return fmt.Sprintf("%s: %d", k.desc, len(k.links))
	case typeBigKey:
		where := "buff"
		if len(k.payload) > bigKeyBuffered {
			where = "file"
		}
		return fmt.Sprintf("%s: %d [%s]", k.desc, len(k.payload), where)
	}
	return fmt.Sprintf("%s: %d", k.desc, k.datalen)
}

func (c *keyCtx) procKeyUsers() string {
	var us []*keyUser
	for _, u := range c.s.users {
		us = append(us, u)
	}
	sort.Slice(us, func(i, j int) bool { return us[i].uid < us[j].uid })
	var b strings.Builder
	for _, u := range us {
		usage := u.nkeys
		if u.uid == 0 {
			usage++ // root's record is never freed
		}
		maxKeys, maxBytes := c.maxes(u.uid)
		fmt.Fprintf(&b, "%5d: %5d %d/%d %d/%d %d/%d\n", u.uid, usage, u.nkeys, u.nikeys, u.qnkeys, maxKeys, u.qnbytes, maxBytes)
	}
	return b.String()
}

// keyringContents is what reading a keyring gives: its keys' serials.
func keyringContents(k *key) []byte {
	b := make([]byte, 0, 4*len(k.links))
	for _, l := range k.links {
		b = binary.LittleEndian.AppendUint32(b, uint32(l.serial))
	}
	return b
}
