package kernel

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"gophene/libos/wire"
)

func TestKeyReqWire(t *testing.T) {
	q := KeyReq{Op: KeyAdd, Pid: 3, Tid: 4, Uid: 5, Euid: 6, Suid: 7, Fsuid: 8, Gid: 9, Egid: 10, Sgid: 11, Fsgid: 12,
		Groups: []int{1, 2}, Caps: 1 << 21, Limits: defaultKeyLimits, A: [4]int64{-3, 1, 2, 3},
		Type: "user", Desc: "d", Callout: "c", HasType: true, HasDesc: true, HasCallout: true,
		StrErr: [3]int{0, 14, 0}, Data: []byte("payload"), UpcallErr: 2}
	var e wire.Encoder
	q.encode(&e)
	var got KeyReq
	d := wire.NewDecoder(e.Bytes())
	got.decode(d)
	if d.Err() != nil || !reflect.DeepEqual(got, q) {
		t.Fatalf("round trip: %+v, %v", got, d.Err())
	}
	r := KeyResp{R: -1, Errno: 126, Data: []byte{1}, Thread: true}
	var e2 wire.Encoder
	r.encode(&e2)
	var gotr KeyResp
	gotr.decode(wire.NewDecoder(e2.Bytes()))
	if !reflect.DeepEqual(gotr, r) {
		t.Fatalf("response round trip: %+v", gotr)
	}
}

// keyCall serves one request of process pid running as uid.
func keyCall(s *keyStore, pid, uid int, q KeyReq) KeyResp {
	q.Pid, q.Tid = pid, pid
	q.Uid, q.Euid, q.Suid, q.Fsuid = uid, uid, uid, uid
	q.Gid, q.Egid, q.Sgid, q.Fsgid = uid, uid, uid, uid
	q.Limits = defaultKeyLimits
	if uid == 0 {
		q.Caps = CapAll
	}
	return s.serve(&q, 1)
}

func keyUsersLine(s *keyStore, uid int) string {
	r := keyCall(s, 1, 0, KeyReq{Op: KeyProcUsers})
	for _, l := range strings.Split(string(r.Data), "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == strconv.Itoa(uid)+":" {
			return strings.Join(f[1:], " ")
		}
	}
	return ""
}

// The quota counts are Linux's: a key is charged its description and
// payload, a keyring 4 bytes per link, to its owner; at start root owns
// the user register and its own user keyrings.
func TestKeyQuota(t *testing.T) {
	s := newKeyStore()
	if got := keyUsersLine(s, 0); got != "4 3/3 3/1000000 40/25000000" {
		t.Errorf("root at start: %q", got)
	}
	add := func(desc string, n int) KeyResp {
		return keyCall(s, 2, 1000, KeyReq{Op: KeyAdd, A: [4]int64{unix.KEY_SPEC_THREAD_KEYRING}, Type: "user", Desc: desc, HasDesc: true, Data: make([]byte, n)})
	}
	if r := add("test1", 64); r.Errno != 0 {
		t.Fatalf("add_key: %v", unix.Errno(r.Errno))
	}
	// _tid (5) + its link (4) + test1 (6 + 64).
	if got := keyUsersLine(s, 1000); got != "2 2/2 2/200 79/20000" {
		t.Errorf("uid 1000: %q", got)
	}
	// Another key costs its link (4) and description (4) first.
	if r := add("big", 20000-79-4-4+1); r.Errno != int(unix.EDQUOT) {
		t.Errorf("over quota: %v", unix.Errno(r.Errno))
	}
	if r := add("big", 20000-79-4-4); r.Errno != 0 {
		t.Errorf("exactly at quota: %v", unix.Errno(r.Errno))
	}
	if got := keyUsersLine(s, 1000); got != "3 3/3 3/200 20000/20000" {
		t.Errorf("uid 1000 full: %q", got)
	}
	s.exited(2)
	if got := keyUsersLine(s, 1000); got != "" {
		t.Errorf("uid 1000 after its process ended: %q", got)
	}
}

// A key lives while a keyring links it or a process holds it.
func TestKeyLifetime(t *testing.T) {
	s := newKeyStore()
	ses := keyCall(s, 2, 0, KeyReq{Op: unix.KEYCTL_JOIN_SESSION_KEYRING})
	add := func() int64 {
		r := keyCall(s, 2, 0, KeyReq{Op: KeyAdd, A: [4]int64{unix.KEY_SPEC_SESSION_KEYRING}, Type: "user", Desc: "k", HasDesc: true, Data: []byte("x")})
		return r.R
	}
	k := add()
	if r := keyCall(s, 2, 0, KeyReq{Op: unix.KEYCTL_REVOKE, A: [4]int64{k}}); r.Errno != 0 {
		t.Fatalf("revoke: %v", unix.Errno(r.Errno))
	}
	if r := keyCall(s, 2, 0, KeyReq{Op: unix.KEYCTL_REVOKE, A: [4]int64{k}}); r.Errno != int(unix.EKEYREVOKED) {
		t.Errorf("revoke a revoked key: %v", unix.Errno(r.Errno))
	}
	if k2 := add(); k2 == k {
		t.Errorf("a revoked key was updated")
	}
	if r := keyCall(s, 2, 0, KeyReq{Op: unix.KEYCTL_REVOKE, A: [4]int64{k}}); r.Errno != int(unix.ENOKEY) {
		t.Errorf("revoke a replaced key: %v", unix.Errno(r.Errno))
	}
	s.fork(2, 3)
	s.exited(2)
	if r := keyCall(s, 3, 0, KeyReq{Op: unix.KEYCTL_GET_KEYRING_ID, A: [4]int64{unix.KEY_SPEC_SESSION_KEYRING}}); r.R != ses.R {
		t.Errorf("the child's session keyring: %d, want %d", r.R, ses.R)
	}
	s.exited(3)
	if _, ok := s.keys[int32(ses.R)]; ok {
		t.Errorf("the session keyring outlived its processes")
	}
}
