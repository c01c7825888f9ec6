package sys

// Implementation of socket and socketpair: no address family is offered
// yet, so programs take the path they take on a kernel built without
// networking.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
)

// Socket implements socket(2): every family is EAFNOSUPPORT.
func Socket(t *kernel.Task, a kernel.Args) (uintptr, error) { return 0, unix.EAFNOSUPPORT }

// Socketpair implements socketpair(2): every family is EAFNOSUPPORT.
func Socketpair(t *kernel.Task, a kernel.Args) (uintptr, error) { return 0, unix.EAFNOSUPPORT }

// SocketCall implements the calls that take a socket descriptor (bind,
// connect, send*, recv*, getsockopt...): since no socket can exist yet, a
// valid descriptor is ENOTSOCK and an invalid one EBADF, as on Linux.
func SocketCall(t *kernel.Task, a kernel.Args) (uintptr, error) {
	f, err := file(t, a[0])
	if err != nil {
		return 0, err
	}
	f.DecRef()
	return 0, unix.ENOTSOCK
}
