package sys

// Implementation of wait4 and waitid for a process without children.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
)

// Wait4 implements wait4(2).
func Wait4(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if a[2]&^uintptr(unix.WNOHANG|unix.WUNTRACED|unix.WCONTINUED|unix.WALL|unix.WCLONE|0x20000000) != 0 {
		return 0, unix.EINVAL
	}
	return 0, unix.ECHILD
}

// Waitid implements waitid(2).
func Waitid(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if a[0] > unix.P_PIDFD || a[3]&(unix.WEXITED|unix.WSTOPPED|unix.WCONTINUED) == 0 {
		return 0, unix.EINVAL
	}
	return 0, unix.ECHILD
}
