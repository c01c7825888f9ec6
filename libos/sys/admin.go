package sys

// Implementation of sethostname, setdomainname and vhangup.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
)

// utsName reads the name argument of sethostname and setdomainname: len
// bytes, NULs included, as Linux stores them.
func utsName(t *kernel.Task, addr, length uintptr) (string, error) {
	if c := t.P.Creds(); !c.Capable(unix.CAP_SYS_ADMIN) {
		return "", unix.EPERM
	}
	n := int32(length)
	if n < 0 || n > kernel.UTSNameMax {
		return "", unix.EINVAL
	}
	buf := make([]byte, n)
	if err := t.CopyIn(addr, buf); err != nil {
		return "", err
	}
	return string(buf), nil
}

// Sethostname implements sethostname(2): the host name changes (uname,
// /proc/sys/kernel/hostname) for every process of the UTS namespace.
func Sethostname(t *kernel.Task, a kernel.Args) (uintptr, error) {
	name, err := utsName(t, a[0], a[1])
	if err != nil {
		return 0, err
	}
	return 0, t.P.SetHostname(name)
}

// Setdomainname implements setdomainname(2), as Sethostname.
func Setdomainname(t *kernel.Task, a kernel.Args) (uintptr, error) {
	name, err := utsName(t, a[0], a[1])
	if err != nil {
		return 0, err
	}
	return 0, t.P.SetDomainname(name)
}

// Vhangup implements vhangup(2): it needs CAP_SYS_TTY_CONFIG. The host's
// terminal is not hung up: the guest cannot revoke the host's own access
// to it, so the call only reports success.
func Vhangup(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if c := t.P.Creds(); !c.Capable(unix.CAP_SYS_TTY_CONFIG) {
		return 0, unix.EPERM
	}
	return 0, nil
}
