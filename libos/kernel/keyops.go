package kernel

// The key operations the leader performs (see keys.go): add_key,
// request_key and the keyctl operations that involve keys, in Linux's
// order of checks (security/keys/keyctl.c).

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// preparse checks a payload for type typ and returns what its owner is
// charged for it (the types' preparse methods).
func preparse(typ string, data []byte) (int, unix.Errno) {
	switch typ {
	case typeKeyring:
		if len(data) != 0 {
			return 0, unix.EINVAL
		}
		return 0, 0
	case typeBigKey:
		if len(data) == 0 || len(data) > 1<<20 {
			return 0, unix.EINVAL
		}
		return 16, 0
	}
	if len(data) == 0 || len(data) > 32767 {
		return 0, unix.EINVAL
	}
	return len(data), 0
}

// defaultPerm is a new key's permissions when the caller gives none.
func defaultPerm(typ string) uint32 {
	perm := uint32(keyView|keySearch|keyLink|keySetattr)<<keyPos | keyView<<keyUsr
	if keyTypes[typ].read {
		perm |= keyRead << keyPos
	}
	perm |= keyWrite << keyPos // every type here is a keyring or can be updated
	return perm
}

// update replaces k's payload (the types' update methods); a negative key
// becomes positive.
func (c *keyCtx) update(k *key, data []byte, quotalen int) unix.Errno {
	if e := c.reserve(k, len(data)); e != 0 {
		return e
	}
	if k.typ == typeBigKey {
		if e := c.reserve(k, quotalen); e != 0 {
			return e
		}
	} else {
		c.setExpiry(k, 0)
	}
	k.payload = data
	k.negative = 0
	return 0
}

// addKey is add_key(2) once its arguments are in.
func (c *keyCtx) addKey() (int64, unix.Errno) {
	q := c.q
	ring, possessed, e := c.lookup(int32(q.A[0]), true, false, keyWrite)
	if e != 0 {
		return 0, e
	}
	kt, ok := keyTypes[q.Type]
	if !ok {
		return 0, unix.ENODEV
	}
	if ring.typ != typeKeyring {
		return 0, unix.ENOTDIR
	}
	quotalen, e := preparse(q.Type, q.Data)
	if e != 0 {
		return 0, e
	}
	if !q.HasDesc {
		return 0, unix.EINVAL
	}
	idx, e := c.linkBegin(ring, q.Type, q.Desc)
	if e != 0 {
		return 0, e
	}
	if ring.restricted {
		c.linkCancel(ring, idx)
		return 0, unix.EPERM
	}
	if kt.update && idx >= 0 {
		if old := ring.links[idx]; !old.revoked && !old.invalidated {
			if !c.permits(old, possessed, keyWrite) {
				return 0, unix.EACCES
			}
			if e := c.update(old, q.Data, quotalen); e != 0 {
				return 0, e
			}
			return int64(old.serial), 0
		}
	}
	k, e := c.alloc(q.Type, q.Desc, q.Fsuid, q.Fsgid, defaultPerm(q.Type), quotaCheck)
	if e != 0 {
		c.linkCancel(ring, idx)
		return 0, e
	}
	if e := c.instantiate(k, q.Data, quotalen); e != 0 {
		c.destroyNew(k)
		c.linkCancel(ring, idx)
		return 0, e
	}
	c.linkCommit(ring, k, idx)
	return int64(k.serial), 0
}

// requestKey is request_key(2) once its arguments are in. Without an upcall
// program, constructing a key fails and leaves a negative key.
func (c *keyCtx) requestKey() (int64, unix.Errno) {
	q := c.q
	var dest *key
	if q.A[0] != 0 {
		var e unix.Errno
		if dest, _, e = c.lookup(int32(q.A[0]), true, false, keyWrite); e != 0 {
			return 0, e
		}
	}
	if _, ok := keyTypes[q.Type]; !ok {
		return 0, unix.ENOKEY
	}
	k, e := c.searchProcess(&search{typ: q.Type, desc: q.Desc, stateCheck: true, skipExpired: true, recurse: true})
	if e == 0 {
		if dest != nil {
			if !c.permits(k, true, keyLink) {
				return 0, unix.EACCES
			}
			if e := c.link(dest, k); e != 0 {
				return 0, e
			}
		}
		return int64(k.serial), 0
	}
	if e != unix.EAGAIN {
		return 0, e
	}
	if !q.HasCallout {
		return 0, unix.ENOKEY
	}
	if q.Type == typeKeyring {
		return 0, unix.EPERM
	}
	if dest == nil {
		if dest, e = c.defaultDest(); e != 0 {
			return 0, e
		}
		if !c.permits(dest, true, keyWrite) {
			return 0, unix.EACCES
		}
	}
	k, e = c.alloc(q.Type, q.Desc, q.Fsuid, q.Fsgid, defaultPerm(q.Type), quotaCheck)
	if e != 0 {
		return 0, e
	}
	idx, e := c.linkBegin(dest, k.typ, k.desc)
	if e != 0 {
		c.destroyNew(k)
		return 0, e
	}
	// The upcall: it makes the user keyrings, then fails, and the key is
	// negated for a minute.
	c.userKeyrings()
	k.negative = unix.ENOKEY
	k.user.nikeys++
	c.setExpiry(k, c.now+keyNegativeTimeout)
	c.linkCommit(dest, k, idx)
	if q.UpcallErr != 0 {
		return 0, unix.Errno(q.UpcallErr)
	}
	return 0, unix.ENOKEY
}

// defaultDest is where request_key puts a key it makes when given no
// keyring: as KEYCTL_SET_REQKEY_KEYRING chose, the first that exists.
func (c *keyCtx) defaultDest() (*key, unix.Errno) {
	jit := c.pr.jit
	if jit == unix.KEY_REQKEY_DEFL_USER_KEYRING {
		uk, _, e := c.userKeyrings()
		return uk, e
	}
	if jit <= unix.KEY_REQKEY_DEFL_THREAD_KEYRING || jit == unix.KEY_REQKEY_DEFL_REQUESTOR_KEYRING {
		if k := c.pr.threads[c.q.Tid]; k != nil {
			return k, 0
		}
	}
	if jit <= unix.KEY_REQKEY_DEFL_PROCESS_KEYRING || jit == unix.KEY_REQKEY_DEFL_REQUESTOR_KEYRING {
		if k := c.pr.process; k != nil {
			return k, 0
		}
	}
	if jit <= unix.KEY_REQKEY_DEFL_SESSION_KEYRING || jit == unix.KEY_REQKEY_DEFL_REQUESTOR_KEYRING {
		if k := c.pr.session; k != nil {
			return k, 0
		}
	}
	_, us, e := c.userKeyrings()
	return us, e
}

// keyctl performs the keyctl operations that involve keys (Op is the
// KEYCTL_* number, A its arguments after the first).
func (c *keyCtx) keyctl(ppid int) (int64, []byte, unix.Errno) {
	q := c.q
	id := int32(q.A[0])
	switch q.Op {
	case unix.KEYCTL_GET_KEYRING_ID:
		k, _, e := c.lookup(id, q.A[1] != 0, false, keySearch)
		if e != 0 {
			return 0, nil, e
		}
		return int64(k.serial), nil, 0

	case unix.KEYCTL_JOIN_SESSION_KEYRING:
		r, e := c.joinSession()
		return r, nil, e

	case unix.KEYCTL_UPDATE:
		k, _, e := c.lookup(id, false, false, keyWrite)
		if e != 0 {
			return 0, nil, e
		}
		if !keyTypes[k.typ].update {
			return 0, nil, unix.EOPNOTSUPP
		}
		quotalen, e := preparse(k.typ, q.Data)
		if e == 0 {
			e = c.update(k, q.Data, quotalen)
		}
		return 0, nil, e

	case unix.KEYCTL_REVOKE:
		k, _, e := c.lookup(id, false, false, keyWrite)
		if e == unix.EACCES {
			k, _, e = c.lookup(id, false, false, keySetattr)
		}
		if e != 0 {
			return 0, nil, e
		}
		if !k.revoked {
			k.revoked = true
			if k.typ == typeKeyring {
				c.clear(k)
			} else {
				c.reserve(k, 0)
				k.payload = nil
			}
		}
		return 0, nil, 0

	case unix.KEYCTL_CHOWN:
		return 0, nil, c.chown(id, uint32(q.A[1]), uint32(q.A[2]))

	case unix.KEYCTL_SETPERM:
		k, _, e := c.lookup(id, true, true, keySetattr)
		if e != 0 {
			return 0, nil, e
		}
		if k.uid != q.Fsuid && !c.capable(unix.CAP_SYS_ADMIN) {
			return 0, nil, unix.EACCES
		}
		k.perm = uint32(q.A[1])
		return 0, nil, 0

	case unix.KEYCTL_DESCRIBE:
		k, _, e := c.lookup(id, false, true, keyView)
		if e != 0 {
			return 0, nil, e
		}
		gid := k.gid
		if gid == -1 {
			gid = overflowGid
		}
		s := fmt.Sprintf("%s;%d;%d;%08x;%s", k.typ, k.uid, gid, k.perm, k.desc)
		return int64(len(s) + 1), []byte(s), 0

	case unix.KEYCTL_CLEAR:
		k, _, e := c.lookup(id, true, false, keyWrite)
		if e != 0 {
			return 0, nil, e
		}
		if k.typ != typeKeyring {
			return 0, nil, unix.ENOTDIR
		}
		c.clear(k)
		return 0, nil, 0

	case unix.KEYCTL_LINK:
		ring, _, e := c.lookup(int32(q.A[1]), true, false, keyWrite)
		if e != 0 {
			return 0, nil, e
		}
		k, _, e := c.lookup(id, true, false, keyLink)
		if e != 0 {
			return 0, nil, e
		}
		return 0, nil, c.link(ring, k)

	case unix.KEYCTL_UNLINK:
		ring, _, e := c.lookup(int32(q.A[1]), false, false, keyWrite)
		if e != 0 {
			return 0, nil, e
		}
		k, _, e := c.lookup(id, false, true, needUnlink)
		if e != 0 {
			return 0, nil, e
		}
		return 0, nil, c.unlink(ring, k)

	case unix.KEYCTL_SEARCH:
		return c.keySearch()

	case unix.KEYCTL_READ:
		return c.read()

	case unix.KEYCTL_SET_REQKEY_KEYRING:
		old := c.pr.jit
		switch v := int(int32(q.A[0])); v {
		case unix.KEY_REQKEY_DEFL_NO_CHANGE:
			return int64(old), nil, 0
		case unix.KEY_REQKEY_DEFL_THREAD_KEYRING, unix.KEY_REQKEY_DEFL_PROCESS_KEYRING:
			var e unix.Errno
			if v == unix.KEY_REQKEY_DEFL_THREAD_KEYRING {
				_, e = c.installThread()
			} else {
				_, e = c.installProcess()
			}
			if e != 0 {
				return 0, nil, e
			}
			c.pr.jit = v
		case unix.KEY_REQKEY_DEFL_DEFAULT, unix.KEY_REQKEY_DEFL_SESSION_KEYRING, unix.KEY_REQKEY_DEFL_USER_KEYRING,
			unix.KEY_REQKEY_DEFL_USER_SESSION_KEYRING, unix.KEY_REQKEY_DEFL_REQUESTOR_KEYRING:
			c.pr.jit = v
		default:
			return 0, nil, unix.EINVAL
		}
		return int64(old), nil, 0

	case unix.KEYCTL_SET_TIMEOUT:
		k, _, e := c.lookup(id, true, true, keySetattr)
		if e != 0 {
			return 0, nil, e
		}
		var expiry int64
		if t := uint32(q.A[1]); t > 0 {
			expiry = c.now + int64(t)
		}
		c.setExpiry(k, expiry)
		return 0, nil, 0

	case unix.KEYCTL_ASSUME_AUTHORITY:
		return 0, nil, c.authKey(id)

	case unix.KEYCTL_GET_SECURITY:
		_, _, e := c.lookup(id, false, true, keyView)
		if e == unix.EACCES {
			e = c.authKey(id)
		}
		if e != 0 {
			return 0, nil, e
		}
		return 1, nil, 0

	case unix.KEYCTL_SESSION_TO_PARENT:
		return 0, nil, c.sessionToParent(ppid)

	case unix.KEYCTL_INVALIDATE:
		k, _, e := c.lookup(id, false, false, keySearch)
		if e != 0 {
			return 0, nil, e
		}
		k.invalidated = true
		c.s.gcAll = true
		return 0, nil, 0

	case unix.KEYCTL_GET_PERSISTENT:
		r, e := c.getPersistent(int32(q.A[0]), int32(q.A[1]))
		return r, nil, e

	case unix.KEYCTL_RESTRICT_KEYRING:
		return 0, nil, c.restrict(id)

	case unix.KEYCTL_MOVE:
		return 0, nil, c.move(id, int32(q.A[1]), int32(q.A[2]), uint32(q.A[3]))
	}
	return 0, nil, unix.EOPNOTSUPP
}

// joinSession is KEYCTL_JOIN_SESSION_KEYRING: a new anonymous session
// keyring, or the named keyring (made if need be).
func (c *keyCtx) joinSession() (int64, unix.Errno) {
	q := c.q
	if !q.HasDesc {
		k, e := c.joinAnon()
		if e != 0 {
			return 0, e
		}
		return int64(k.serial), 0
	}
	k := c.findKeyringByName(q.Desc)
	if k == nil {
		var e unix.Errno
		k, e = c.keyringAlloc(q.Desc, q.Uid, q.Gid, keyAll<<keyPos|(keyView|keyRead|keyLink)<<keyUsr, quotaCheck, nil)
		if e != 0 {
			return 0, e
		}
	} else if k == c.pr.session {
		return 0, 0
	}
	c.setSession(k)
	return int64(k.serial), 0
}

// chown is KEYCTL_CHOWN (uid or gid 0xffffffff: unchanged; both so
// returns earlier, in the caller).
func (c *keyCtx) chown(id int32, uid, gid uint32) unix.Errno {
	k, _, e := c.lookup(id, true, true, keySetattr)
	if e != 0 {
		return e
	}
	newUID, newGID := int(uid), int(gid)
	privileged := uid != ^uint32(0) && newUID != k.uid ||
		gid != ^uint32(0) && newGID != k.gid && !c.inGroup(newGID)
	if privileged && !c.capable(unix.CAP_SYS_ADMIN) {
		return unix.EACCES
	}
	if uid != ^uint32(0) && newUID != k.uid {
		s := c.s
		nu := s.user(newUID)
		if k.quota != quotaNone {
			maxKeys, maxBytes := c.maxes(newUID)
			if nu.qnkeys+1 > maxKeys || nu.qnbytes+k.quotalen > maxBytes {
				if nu.nkeys == 0 && newUID != 0 {
					delete(s.users, newUID)
				}
				return unix.EDQUOT
			}
			nu.qnkeys++
			nu.qnbytes += k.quotalen
			k.user.qnkeys--
			k.user.qnbytes -= k.quotalen
		}
		old := k.user
		old.nkeys--
		old.nikeys--
		nu.nkeys++
		nu.nikeys++
		if old.nkeys == 0 && old.uid != 0 {
			delete(s.users, old.uid)
		}
		k.user, k.uid = nu, newUID
	}
	if gid != ^uint32(0) {
		k.gid = newGID
	}
	return 0
}

// keySearch is KEYCTL_SEARCH: A[0] keyring, Type, Desc, A[3] destination.
func (c *keyCtx) keySearch() (int64, []byte, unix.Errno) {
	q := c.q
	ring, possessed, e := c.lookup(int32(q.A[0]), false, false, keySearch)
	if e != 0 {
		return 0, nil, e
	}
	var dest *key
	if q.A[3] != 0 {
		if dest, _, e = c.lookup(int32(q.A[3]), true, false, keyWrite); e != 0 {
			return 0, nil, e
		}
	}
	if _, ok := keyTypes[q.Type]; !ok {
		return 0, nil, unix.ENOKEY
	}
	k, e := c.searchKeyring(&search{typ: q.Type, desc: q.Desc, stateCheck: true, recurse: true}, ring, possessed)
	if e == unix.EAGAIN {
		e = unix.ENOKEY
	}
	if e != 0 {
		return 0, nil, e
	}
	if dest != nil {
		if !c.permits(k, possessed, keyLink) {
			return 0, nil, unix.EACCES
		}
		if e := c.link(dest, k); e != 0 {
			return 0, nil, e
		}
	}
	return int64(k.serial), nil, 0
}

// read is KEYCTL_READ: A[0] key, A[1] buffer (0: NULL), A[2] its length.
// The payload comes back only if it fits, as Linux copies nothing then.
func (c *keyCtx) read() (int64, []byte, unix.Errno) {
	q := c.q
	k, possessed, e := c.lookup(int32(q.A[0]), false, false, needDefer)
	if e != 0 {
		return 0, nil, unix.ENOKEY
	}
	if k.negative != 0 {
		return 0, nil, k.negative
	}
	if !c.permits(k, possessed, keyRead) && !possessed {
		return 0, nil, unix.EACCES
	}
	if !keyTypes[k.typ].read {
		return 0, nil, unix.EOPNOTSUPP
	}
	if e := c.validate(k); e != 0 {
		return 0, nil, e
	}
	buf, buflen := q.A[1], q.A[2]
	data := k.payload
	if k.typ == typeKeyring {
		if buf != 0 && buflen > 0 && buflen <= 4096 && buflen%4 != 0 {
			return 0, nil, unix.EINVAL
		}
		data = keyringContents(k)
	}
	n := int64(len(data))
	if buf == 0 || buflen == 0 || n > sizeArg(buflen) {
		return n, nil, 0
	}
	return n, data, 0
}

// sizeArg is a size_t argument carried in an int64.
func sizeArg(v int64) int64 {
	if v < 0 {
		return 1<<63 - 1 // a length above 2^63 holds anything
	}
	return v
}

// sessionToParent is KEYCTL_SESSION_TO_PARENT: the caller's session
// keyring becomes its parent's. The parent must be a guest process (the
// first one's parent is outside); the parent's identities are those it
// last showed the leader (or had when forked).
func (c *keyCtx) sessionToParent(ppid int) unix.Errno {
	k, _, e := c.lookup(unix.KEY_SPEC_SESSION_KEYRING, false, false, keyLink)
	if e != 0 {
		return e
	}
	if ppid <= 0 {
		return unix.EPERM
	}
	pp := c.s.proc(ppid)
	if pp.session == k {
		return 0
	}
	q := c.q
	if pp.known && (pp.uid != q.Euid || pp.euid != q.Euid || pp.suid != q.Euid ||
		pp.gid != q.Egid || pp.egid != q.Egid || pp.sgid != q.Egid) {
		return unix.EPERM
	}
	if pp.session != nil && pp.session.uid != q.Euid || k.uid != q.Euid {
		return unix.EPERM
	}
	k.usage++
	if pp.session != nil {
		c.put(pp.session)
	}
	pp.session = k
	return 0
}

// getPersistent is KEYCTL_GET_PERSISTENT: the persistent keyring of uid
// (-1: the caller's), linked into dest, expiring three days after its
// last use.
func (c *keyCtx) getPersistent(uid, destID int32) (int64, unix.Errno) {
	q := c.q
	owner := int(uint32(uid))
	if uid == -1 {
		owner = q.Uid
	} else if owner != q.Uid && owner != q.Euid && !c.capable(unix.CAP_SETUID) {
		return 0, unix.EPERM
	}
	dest, _, e := c.lookup(destID, true, false, keyWrite)
	if e != 0 {
		return 0, e
	}
	if dest.typ != typeKeyring {
		return 0, unix.ENOTDIR
	}
	s := c.s
	desc := fmt.Sprintf("_persistent.%d", owner)
	var k *key
	if s.persistent != nil {
		if i := findLink(s.persistent, typeKeyring, desc); i >= 0 {
			if l := s.persistent.links[i]; !l.revoked && !l.invalidated {
				k = l
			}
		}
	} else {
		if s.persistent, e = c.keyringAlloc(".persistent_register", 0, 0, keyPersistentPerm, quotaNone, nil); e != 0 {
			return 0, e
		}
		s.persistent.usage++
	}
	if k == nil {
		if k, e = c.keyringAlloc(desc, owner, -1, keyPersistentPerm, quotaNone, s.persistent); e != 0 {
			return 0, e
		}
	}
	if !c.permits(k, true, keyLink) {
		return 0, unix.EACCES
	}
	if e := c.link(dest, k); e != 0 {
		return 0, e
	}
	c.setExpiry(k, c.now+keyPersistentExp)
	return int64(k.serial), 0
}

// restrict is KEYCTL_RESTRICT_KEYRING: HasType/Type the key type,
// HasCallout/Callout the restriction, StrErr the errors copying them.
// No type here has restrictions of its own: only "no more links" works.
func (c *keyCtx) restrict(id int32) unix.Errno {
	q := c.q
	k, _, e := c.lookup(id, false, false, keySetattr)
	if e != 0 {
		return e
	}
	if q.HasType != q.HasCallout {
		return unix.EINVAL
	}
	for _, se := range q.StrErr {
		if se != 0 {
			return unix.Errno(se)
		}
	}
	if k.typ != typeKeyring {
		return unix.ENOTDIR
	}
	if q.HasType {
		if _, ok := keyTypes[q.Type]; !ok {
			return unix.ENOKEY
		}
		return unix.ENOENT
	}
	if k.restricted {
		return unix.EEXIST
	}
	k.restricted = true
	return 0
}

// move is KEYCTL_MOVE.
func (c *keyCtx) move(id, fromID, toID int32, flags uint32) unix.Errno {
	k, _, e := c.lookup(id, true, false, keyLink)
	if e != 0 {
		return e
	}
	from, _, e := c.lookup(fromID, false, false, keyWrite)
	if e != 0 {
		return e
	}
	to, _, e := c.lookup(toID, true, false, keyWrite)
	if e != 0 {
		return e
	}
	if from == to {
		return 0
	}
	if from.typ != typeKeyring || to.typ != typeKeyring {
		return unix.ENOTDIR
	}
	if findLink(from, k.typ, k.desc) < 0 {
		return unix.ENOENT
	}
	idx, e := c.linkBegin(to, k.typ, k.desc)
	if e != 0 {
		return e
	}
	switch {
	case idx >= 0 && flags&unix.KEYCTL_MOVE_EXCL != 0:
		e = unix.EEXIST
	case to.restricted:
		e = unix.EPERM
	case k.typ == typeKeyring:
		e = detectCycle(to, k)
	}
	if e != 0 {
		c.linkCancel(to, idx)
		return e
	}
	k.usage++ // held across the move
	c.unlink(from, k)
	c.linkCommit(to, k, idx)
	c.put(k)
	return 0
}
