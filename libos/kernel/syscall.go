package kernel

import (
	"golang.org/x/sys/unix"
)

// Support says how completely a system call is implemented; docs/features.md
// is generated from it.
type Support uint8

// Support levels.
const (
	Missing Support = iota // returns ENOSYS
	Partial                // implemented, with documented gaps
	Full                   // implemented as Linux does it
)

// Args are a system call's six arguments, in ABI order.
type Args [6]uintptr

// Handler implements one system call. It returns the result, or an error
// that the dispatcher turns into -errno (unix.Errno values pass through,
// pal.Error values are translated).
type Handler func(t *Task, a Args) (uintptr, error)

// Syscall is one line of the system-call table.
type Syscall struct {
	Name    string
	Fn      Handler
	Support Support
	// Args describes the arguments for the strace-style trace: one letter
	// per argument, see trace.go.
	Args string
	// Note explains what a Partial or Missing entry lacks.
	Note string
}

// Table maps system-call numbers to their entries.
type Table []Syscall

// errnoOf turns a handler's error into an errno.
func errnoOf(err error) unix.Errno {
	switch e := err.(type) {
	case unix.Errno:
		return e
	case interface{ Errno() unix.Errno }:
		return e.Errno()
	}
	return unix.EIO
}
