package sys

// Implementation of add_key, request_key and keyctl: the arguments are
// checked and copied here, in Linux's order; the keys live in the leader
// process (kernel/keys.go). Operations that need a request_key authority
// (instantiating or rejecting a key under construction) fail as they do
// for a process holding none, since no upcall program ever runs.

import (
	"strings"

	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
)

const (
	keyDescMax   = 4096       // KEY_MAX_DESC_SIZE, and PAGE_SIZE for callout information
	keyMaxPlen   = 1<<20 - 1  // largest add_key or instantiate payload
	keyPermAll   = 0x3f3f3f3f // every permission bit
	taskSizeMax  = 1<<47 - 4096
	uioMaxIOV    = 1024
	requestKeyUp = "/sbin/request-key"
)

// keyTypeArg reads a key type name (key_get_type_from_user).
func keyTypeArg(t *kernel.Task, addr uintptr) (string, error) {
	s, err := t.CString(addr, 31)
	if err == unix.ENAMETOOLONG || err == nil && s == "" {
		return "", unix.EINVAL
	}
	if err != nil {
		return "", err
	}
	if s[0] == '.' {
		return "", unix.EPERM
	}
	return s, nil
}

// keyString reads a string of fewer than keyDescMax bytes (strndup_user).
func keyString(t *kernel.Task, addr uintptr) (string, error) {
	s, err := t.CString(addr, keyDescMax-1)
	if err == unix.ENAMETOOLONG {
		err = unix.EINVAL
	}
	return s, err
}

// keyErrno is err as an errno number.
func keyErrno(err error) int {
	if e, ok := err.(unix.Errno); ok {
		return int(e)
	}
	return int(unix.EFAULT)
}

// keyCall sends a request to the leader.
func keyCall(t *kernel.Task, q *kernel.KeyReq) (uintptr, error) {
	r, err := t.Keys(q)
	return uintptr(r.R), err
}

// AddKey implements add_key(2).
func AddKey(t *kernel.Task, a kernel.Args) (uintptr, error) {
	plen := uint64(a[3])
	if plen > keyMaxPlen {
		return 0, unix.EINVAL
	}
	typ, err := keyTypeArg(t, a[0])
	if err != nil {
		return 0, err
	}
	q := &kernel.KeyReq{Op: kernel.KeyAdd, Type: typ, A: [4]int64{int64(int32(a[4]))}}
	if a[1] != 0 {
		desc, err := keyString(t, a[1])
		if err != nil {
			return 0, err
		}
		if desc != "" {
			if desc[0] == '.' && strings.HasPrefix(typ, "keyring") {
				return 0, unix.EPERM
			}
			q.Desc, q.HasDesc = desc, true
		}
	}
	if plen > 0 {
		q.Data = make([]byte, plen)
		if err := t.CopyIn(a[2], q.Data); err != nil {
			return 0, err
		}
	}
	return keyCall(t, q)
}

// RequestKey implements request_key(2). With callout information and no
// key found, the key is made negative (for a minute) as when the upcall
// fails: ENOENT if /sbin/request-key does not exist, ENOKEY if it does.
func RequestKey(t *kernel.Task, a kernel.Args) (uintptr, error) {
	typ, err := keyTypeArg(t, a[0])
	if err != nil {
		return 0, err
	}
	desc, err := keyString(t, a[1])
	if err != nil {
		return 0, err
	}
	q := &kernel.KeyReq{Op: kernel.KeyRequest, Type: typ, Desc: desc, HasDesc: true, A: [4]int64{int64(int32(a[3]))}}
	if a[2] != 0 {
		if q.Callout, err = keyString(t, a[2]); err != nil {
			return 0, err
		}
		q.HasCallout = true
		q.UpcallErr = int(unix.ENOKEY)
		if _, err := t.P.NS.Resolve("/", requestKeyUp, true); err != nil {
			q.UpcallErr = int(unix.ENOENT)
		}
	}
	return keyCall(t, q)
}

// Keyctl implements keyctl(2).
func Keyctl(t *kernel.Task, a kernel.Args) (uintptr, error) {
	op := int(int32(a[0]))
	id := int64(int32(a[1]))
	q := &kernel.KeyReq{Op: op, A: [4]int64{id}}
	switch op {
	case unix.KEYCTL_GET_KEYRING_ID:
		q.A[1] = int64(int32(a[2]))
	case unix.KEYCTL_JOIN_SESSION_KEYRING:
		if a[1] != 0 {
			name, err := keyString(t, a[1])
			if err != nil {
				return 0, err
			}
			if strings.HasPrefix(name, ".") {
				return 0, unix.EPERM
			}
			q.Desc, q.HasDesc = name, true
		}
	case unix.KEYCTL_UPDATE:
		plen := uint64(a[3])
		if plen > 4096 {
			return 0, unix.EINVAL
		}
		if plen > 0 {
			q.Data = make([]byte, plen)
			if err := t.CopyIn(a[2], q.Data); err != nil {
				return 0, err
			}
		}
	case unix.KEYCTL_REVOKE, unix.KEYCTL_CLEAR, unix.KEYCTL_INVALIDATE, unix.KEYCTL_SESSION_TO_PARENT:
	case unix.KEYCTL_CHOWN:
		uid, gid := uint32(a[2]), uint32(a[3])
		if uid == ^uint32(0) && gid == ^uint32(0) {
			return 0, nil
		}
		q.A[1], q.A[2] = int64(uid), int64(gid)
	case unix.KEYCTL_SETPERM:
		perm := uint32(a[2])
		if perm&^keyPermAll != 0 {
			return 0, unix.EINVAL
		}
		q.A[1] = int64(perm)
	case unix.KEYCTL_DESCRIBE:
		return keyDescribe(t, q, a[2], uint64(uint32(a[3])))
	case unix.KEYCTL_LINK, unix.KEYCTL_UNLINK:
		q.A[1] = int64(int32(a[2]))
	case unix.KEYCTL_SEARCH:
		typ, err := keyTypeArg(t, a[2])
		if err != nil {
			return 0, err
		}
		desc, err := keyString(t, a[3])
		if err != nil {
			return 0, err
		}
		q.Type, q.Desc, q.HasType, q.HasDesc = typ, desc, true, true
		q.A[3] = int64(int32(a[4]))
	case unix.KEYCTL_READ:
		return keyRead(t, q, a[2], uint64(a[3]))
	case unix.KEYCTL_INSTANTIATE:
		plen := uint64(a[3])
		if a[2] == 0 {
			plen = 0
		} else if plen != 0 && (uint64(a[2])+plen < uint64(a[2]) || uint64(a[2])+plen > taskSizeMax) {
			return 0, unix.EFAULT
		}
		if plen > keyMaxPlen {
			return 0, unix.EINVAL
		}
		return 0, unix.EPERM
	case unix.KEYCTL_INSTANTIATE_IOV:
		return 0, keyInstantiateIOV(t, a[2], uint32(a[3]))
	case unix.KEYCTL_NEGATE:
		return 0, unix.EPERM
	case unix.KEYCTL_REJECT:
		switch e := uint32(a[3]); {
		case e == 0 || e >= 4095, e == 512, e == 513, e == 514, e == 516: // ERESTART*
			return 0, unix.EINVAL
		}
		return 0, unix.EPERM
	case unix.KEYCTL_SET_REQKEY_KEYRING:
	case unix.KEYCTL_SET_TIMEOUT:
		q.A[1] = int64(uint32(a[2]))
	case unix.KEYCTL_ASSUME_AUTHORITY:
		if id < 0 {
			return 0, unix.EINVAL
		}
		if id == 0 {
			return 0, nil
		}
	case unix.KEYCTL_GET_SECURITY:
		r, err := t.Keys(q)
		if err != nil {
			return 0, err
		}
		if a[2] != 0 && a[3] > 0 {
			if err := t.CopyOut(a[2], []byte{0}); err != nil {
				return 0, err
			}
		}
		return uintptr(r.R), nil
	case unix.KEYCTL_GET_PERSISTENT:
		q.A[1] = int64(int32(a[2]))
	case unix.KEYCTL_PKEY_QUERY:
		if a[2] != 0 {
			return 0, unix.EINVAL
		}
		return 0, unix.EOPNOTSUPP
	case unix.KEYCTL_RESTRICT_KEYRING:
		if a[2] != 0 {
			q.HasType = true
			if typ, err := keyTypeArg(t, a[2]); err != nil {
				q.StrErr[0] = keyErrno(err)
			} else {
				q.Type = typ
			}
		}
		if a[3] != 0 {
			q.HasCallout = true
			if s, err := keyString(t, a[3]); err != nil {
				q.StrErr[2] = keyErrno(err)
			} else {
				q.Callout = s
			}
		}
	case unix.KEYCTL_MOVE:
		flags := uint32(a[4])
		if flags&^unix.KEYCTL_MOVE_EXCL != 0 {
			return 0, unix.EINVAL
		}
		q.A[1], q.A[2], q.A[3] = int64(int32(a[2])), int64(int32(a[3])), int64(flags)
	case unix.KEYCTL_CAPABILITIES:
		return keyCapabilities(t, a[1], uint64(a[2]))
	default:
		// KEYCTL_DH_COMPUTE, KEYCTL_PKEY_*, KEYCTL_WATCH_KEY: Linux
		// built without Diffie-Hellman, public keys and notifications.
		return 0, unix.EOPNOTSUPP
	}
	return keyCall(t, q)
}

// keyDescribe is KEYCTL_DESCRIBE: the description is copied out only when
// it fits whole.
func keyDescribe(t *kernel.Task, q *kernel.KeyReq, buf uintptr, buflen uint64) (uintptr, error) {
	r, err := t.Keys(q)
	if err != nil {
		return 0, err
	}
	if buf != 0 && buflen >= uint64(r.R) {
		if err := t.CopyOut(buf, append(r.Data, 0)); err != nil {
			return 0, err
		}
	}
	return uintptr(r.R), nil
}

// keyRead is KEYCTL_READ: the payload is copied out only when it fits.
func keyRead(t *kernel.Task, q *kernel.KeyReq, buf uintptr, buflen uint64) (uintptr, error) {
	q.A[1], q.A[2] = int64(buf), int64(buflen)
	r, err := t.Keys(q)
	if err != nil {
		return 0, err
	}
	if len(r.Data) > 0 {
		if err := t.CopyOut(buf, r.Data); err != nil {
			return 0, err
		}
	}
	return uintptr(r.R), nil
}

// keyInstantiateIOV checks KEYCTL_INSTANTIATE_IOV's vector as
// import_iovec does; then the caller has no authority to instantiate.
func keyInstantiateIOV(t *kernel.Task, iov uintptr, n uint32) error {
	if iov == 0 {
		n = 0
	}
	if n > uioMaxIOV {
		return unix.EINVAL
	}
	var total uint64
	for i := uintptr(0); i < uintptr(n); i++ {
		var v [2]uint64
		if err := kernel.CopyInObj(t, iov+16*i, &v); err != nil {
			return err
		}
		if int64(v[1]) < 0 {
			return unix.EINVAL
		}
		if v[1] != 0 && (v[0]+v[1] < v[0] || v[0]+v[1] > taskSizeMax) {
			return unix.EFAULT
		}
		total += v[1]
	}
	if total > keyMaxPlen {
		return unix.EINVAL
	}
	return unix.EPERM
}

// keyCapabilities is KEYCTL_CAPABILITIES: what this keyring facility
// offers, padded with zeros to buflen.
func keyCapabilities(t *kernel.Task, buf uintptr, buflen uint64) (uintptr, error) {
	caps := []byte{
		unix.KEYCTL_CAPS0_CAPABILITIES | unix.KEYCTL_CAPS0_PERSISTENT_KEYRINGS | unix.KEYCTL_CAPS0_BIG_KEY |
			unix.KEYCTL_CAPS0_INVALIDATE | unix.KEYCTL_CAPS0_RESTRICT_KEYRING | unix.KEYCTL_CAPS0_MOVE,
		unix.KEYCTL_CAPS1_NS_KEYRING_NAME | unix.KEYCTL_CAPS1_NS_KEY_TAG,
	}
	if buflen > 0 {
		n := min(buflen, uint64(len(caps)))
		if err := t.CopyOut(buf, caps[:n]); err != nil {
			return 0, err
		}
		zeros := make([]byte, 4096)
		for off := n; off < buflen; {
			m := min(buflen-off, uint64(len(zeros)))
			if err := t.CopyOut(buf+uintptr(off), zeros[:m]); err != nil {
				return 0, err
			}
			off += m
		}
	}
	return uintptr(len(caps)), nil
}
