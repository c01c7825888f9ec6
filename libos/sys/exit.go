package sys

// Implementation of exit and exit_group.

import "gophene/libos/kernel"

// Exit implements exit(2): the calling thread ends.
func Exit(t *kernel.Task, a kernel.Args) (uintptr, error) {
	t.Exit(int(a[0]))
	return 0, nil
}

// ExitGroup implements exit_group(2): the whole process ends.
func ExitGroup(t *kernel.Task, a kernel.Args) (uintptr, error) {
	t.ExitGroup(int(a[0]))
	return 0, nil
}
