package sys

// Implementation of getpid, getppid, gettid, getuid, geteuid, getgid,
// getegid, getresuid, getresgid, setuid, setgid, setreuid, setregid,
// setresuid, setresgid, setfsuid, setfsgid, getgroups, setgroups,
// getpgrp, getpgid, setpgid, getsid and setsid.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
)

// Getpid implements getpid(2): the first guest process is pid 1.
func Getpid(t *kernel.Task, a kernel.Args) (uintptr, error) { return uintptr(t.P.Pid), nil }

// Getppid implements getppid(2).
func Getppid(t *kernel.Task, a kernel.Args) (uintptr, error) { return uintptr(t.P.Ppid()), nil }

// Gettid implements gettid(2).
func Gettid(t *kernel.Task, a kernel.Args) (uintptr, error) { return uintptr(t.Tid), nil }

// Getuid implements getuid(2).
func Getuid(t *kernel.Task, a kernel.Args) (uintptr, error) { return uintptr(t.P.Creds().Uid), nil }

// Geteuid implements geteuid(2).
func Geteuid(t *kernel.Task, a kernel.Args) (uintptr, error) { return uintptr(t.P.Creds().Euid), nil }

// Getgid implements getgid(2).
func Getgid(t *kernel.Task, a kernel.Args) (uintptr, error) { return uintptr(t.P.Creds().Gid), nil }

// Getegid implements getegid(2).
func Getegid(t *kernel.Task, a kernel.Args) (uintptr, error) { return uintptr(t.P.Creds().Egid), nil }

func put3(t *kernel.Task, a kernel.Args, x, y, z int) error {
	for i, v := range []int{x, y, z} {
		u := uint32(v)
		if err := kernel.CopyOutObj(t, a[i], &u); err != nil {
			return err
		}
	}
	return nil
}

// Getresuid implements getresuid(2).
func Getresuid(t *kernel.Task, a kernel.Args) (uintptr, error) {
	c := t.P.Creds()
	return boolErr(put3(t, a, c.Uid, c.Euid, c.Suid))
}

// Getresgid implements getresgid(2).
func Getresgid(t *kernel.Task, a kernel.Args) (uintptr, error) {
	c := t.P.Creds()
	return boolErr(put3(t, a, c.Gid, c.Egid, c.Sgid))
}

// keep is the "leave unchanged" argument (-1).
const keep = 0xffffffff

// setIDs applies setres[ug]id rules: an unprivileged caller may only pick
// among its current real, effective and saved ids.
func setIDs(privileged bool, r, e, s *int, nr, ne, ns uintptr) error {
	allowed := func(v uintptr) bool {
		id := int(uint32(v))
		return v == keep || privileged || id == *r || id == *e || id == *s
	}
	if !allowed(nr) || !allowed(ne) || !allowed(ns) {
		return unix.EPERM
	}
	for _, p := range []struct {
		dst *int
		v   uintptr
	}{{r, nr}, {e, ne}, {s, ns}} {
		if uint32(p.v) != keep {
			*p.dst = int(uint32(p.v))
		}
	}
	return nil
}

// setUids makes c, whose uids changed from old's, the process's
// credentials: the fsuid follows the effective uid, and the capability
// sets follow the uids.
func setUids(t *kernel.Task, c, old kernel.Creds) {
	c.Fsuid = c.Euid
	c.FixCapsForUids(old)
	t.P.SetCreds(c)
}

// Setresuid implements setresuid(2).
func Setresuid(t *kernel.Task, a kernel.Args) (uintptr, error) {
	c := t.P.Creds()
	old := c
	if err := setIDs(c.Capable(unix.CAP_SETUID), &c.Uid, &c.Euid, &c.Suid, a[0]&keep, a[1]&keep, a[2]&keep); err != nil {
		return 0, err
	}
	setUids(t, c, old)
	return 0, nil
}

// Setresgid implements setresgid(2).
func Setresgid(t *kernel.Task, a kernel.Args) (uintptr, error) {
	c := t.P.Creds()
	if err := setIDs(c.Capable(unix.CAP_SETGID), &c.Gid, &c.Egid, &c.Sgid, a[0]&keep, a[1]&keep, a[2]&keep); err != nil {
		return 0, err
	}
	c.Fsgid = c.Egid
	t.P.SetCreds(c)
	return 0, nil
}

// Setuid implements setuid(2).
func Setuid(t *kernel.Task, a kernel.Args) (uintptr, error) {
	c := t.P.Creds()
	id := int(uint32(a[0]))
	if uint32(a[0]) == keep {
		return 0, unix.EINVAL
	}
	old := c
	if c.Capable(unix.CAP_SETUID) {
		c.Uid, c.Euid, c.Suid = id, id, id
	} else if id == c.Uid || id == c.Suid {
		c.Euid = id
	} else {
		return 0, unix.EPERM
	}
	setUids(t, c, old)
	return 0, nil
}

// Setgid implements setgid(2).
func Setgid(t *kernel.Task, a kernel.Args) (uintptr, error) {
	c := t.P.Creds()
	id := int(uint32(a[0]))
	if uint32(a[0]) == keep {
		return 0, unix.EINVAL
	}
	if c.Capable(unix.CAP_SETGID) {
		c.Gid, c.Egid, c.Sgid, c.Fsgid = id, id, id, id
	} else if id == c.Gid || id == c.Sgid {
		c.Egid, c.Fsgid = id, id
	} else {
		return 0, unix.EPERM
	}
	t.P.SetCreds(c)
	return 0, nil
}

// Setreuid implements setreuid(2).
func Setreuid(t *kernel.Task, a kernel.Args) (uintptr, error) {
	c := t.P.Creds()
	s := uintptr(keep)
	if uint32(a[0]) != keep || (uint32(a[1]) != keep && int(uint32(a[1])) != c.Uid) {
		s = a[1] & keep
		if s == keep {
			s = uintptr(c.Euid)
		}
	}
	old := c
	if err := setIDs(c.Capable(unix.CAP_SETUID), &c.Uid, &c.Euid, &c.Suid, a[0]&keep, a[1]&keep, s); err != nil {
		return 0, err
	}
	setUids(t, c, old)
	return 0, nil
}

// Setregid implements setregid(2).
func Setregid(t *kernel.Task, a kernel.Args) (uintptr, error) {
	c := t.P.Creds()
	s := uintptr(keep)
	if uint32(a[0]) != keep || (uint32(a[1]) != keep && int(uint32(a[1])) != c.Gid) {
		s = a[1] & keep
		if s == keep {
			s = uintptr(c.Egid)
		}
	}
	if err := setIDs(c.Capable(unix.CAP_SETGID), &c.Gid, &c.Egid, &c.Sgid, a[0]&keep, a[1]&keep, s); err != nil {
		return 0, err
	}
	c.Fsgid = c.Egid
	t.P.SetCreds(c)
	return 0, nil
}

// Setfsuid implements setfsuid(2); it returns the previous fsuid.
func Setfsuid(t *kernel.Task, a kernel.Args) (uintptr, error) {
	c := t.P.Creds()
	old := c.Fsuid
	id := int(uint32(a[0]))
	if id == 0xffffffff {
		return uintptr(old), nil // (uid_t)-1 is no id: a query
	}
	if c.Capable(unix.CAP_SETUID) || id == c.Uid || id == c.Euid || id == c.Suid || id == c.Fsuid {
		c.Fsuid = id
		c.FixCapsForFsuid(old)
		t.P.SetCreds(c)
	}
	return uintptr(old), nil
}

// Setfsgid implements setfsgid(2).
func Setfsgid(t *kernel.Task, a kernel.Args) (uintptr, error) {
	c := t.P.Creds()
	old := c.Fsgid
	id := int(uint32(a[0]))
	if id == 0xffffffff {
		return uintptr(old), nil // (gid_t)-1 is no id: a query
	}
	if c.Capable(unix.CAP_SETGID) || id == c.Gid || id == c.Egid || id == c.Sgid || id == c.Fsgid {
		c.Fsgid = id
		t.P.SetCreds(c)
	}
	return uintptr(old), nil
}

// Getgroups implements getgroups(2).
func Getgroups(t *kernel.Task, a kernel.Args) (uintptr, error) {
	g := t.P.Creds().Groups
	n := int(int32(a[0]))
	if n < 0 {
		return 0, unix.EINVAL
	}
	if n == 0 {
		return uintptr(len(g)), nil
	}
	if n < len(g) {
		return 0, unix.EINVAL
	}
	buf := make([]byte, 4*len(g))
	for i, v := range g {
		buf[4*i], buf[4*i+1], buf[4*i+2], buf[4*i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	if err := t.CopyOut(a[1], buf); err != nil {
		return 0, err
	}
	return uintptr(len(g)), nil
}

// Setgroups implements setgroups(2).
func Setgroups(t *kernel.Task, a kernel.Args) (uintptr, error) {
	c := t.P.Creds()
	if !c.Capable(unix.CAP_SETGID) {
		return 0, unix.EPERM
	}
	n := int(a[0])
	if n < 0 || n > 65536 {
		return 0, unix.EINVAL
	}
	buf := make([]byte, 4*n)
	if err := t.CopyIn(a[1], buf); err != nil {
		return 0, err
	}
	c.Groups = c.Groups[:0]
	for i := 0; i < n; i++ {
		c.Groups = append(c.Groups, int(uint32(buf[4*i])|uint32(buf[4*i+1])<<8|uint32(buf[4*i+2])<<16|uint32(buf[4*i+3])<<24))
	}
	t.P.SetCreds(c)
	return 0, nil
}

// Getpgrp implements getpgrp(2).
func Getpgrp(t *kernel.Task, a kernel.Args) (uintptr, error) { return uintptr(t.P.Pgid()), nil }

// Getpgid implements getpgid(2).
func Getpgid(t *kernel.Task, a kernel.Args) (uintptr, error) {
	pid := int(int32(a[0]))
	if pid < 0 {
		return 0, unix.ESRCH
	}
	pgid, _, err := t.P.IDsOf(pid)
	return uintptr(pgid), err
}

// Setpgid implements setpgid(2).
func Setpgid(t *kernel.Task, a kernel.Args) (uintptr, error) {
	pid, pgid := int(int32(a[0])), int(int32(a[1]))
	if pgid < 0 || pid < 0 {
		return 0, unix.EINVAL
	}
	return 0, t.P.SetPgidOf(pid, pgid)
}

// Getsid implements getsid(2).
func Getsid(t *kernel.Task, a kernel.Args) (uintptr, error) {
	pid := int(int32(a[0]))
	if pid < 0 {
		return 0, unix.ESRCH
	}
	_, sid, err := t.P.IDsOf(pid)
	return uintptr(sid), err
}

// Setsid implements setsid(2).
func Setsid(t *kernel.Task, a kernel.Args) (uintptr, error) {
	sid, err := t.P.SetSid()
	return uintptr(sid), err
}
