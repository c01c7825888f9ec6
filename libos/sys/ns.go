package sys

// Implementation of unshare and setns. Each guest process has a mount
// table and host name of its own (copied at fork); unsharing the mount or
// UTS namespace stops its changes being shared with the other processes; the namespaces the LibOS cannot give a process of its own
// (IPC, PID, network, user, cgroup, time) are refused with EINVAL.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
)

// Unshare implements unshare(2).
func Unshare(t *kernel.Task, a kernel.Args) (uintptr, error) {
	flags := a[0]
	const known = unix.CLONE_FILES | unix.CLONE_FS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWIPC |
		unix.CLONE_NEWNET | unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWTIME |
		unix.CLONE_NEWUSER | unix.CLONE_NEWUTS | unix.CLONE_SYSVSEM | unix.CLONE_THREAD |
		unix.CLONE_SIGHAND | unix.CLONE_VM
	if flags&^known != 0 {
		return 0, unix.EINVAL
	}
	// What only a thread alone in its process may unshare (it shares
	// nothing then); the LibOS keeps one fd table and file-system context
	// per process.
	if flags&(unix.CLONE_THREAD|unix.CLONE_SIGHAND|unix.CLONE_VM|unix.CLONE_FILES|unix.CLONE_FS) != 0 &&
		len(t.P.Tasks()) > 1 {
		return 0, unix.EINVAL
	}
	if flags&(unix.CLONE_NEWUSER|unix.CLONE_NEWIPC|unix.CLONE_NEWPID|unix.CLONE_NEWNET|
		unix.CLONE_NEWCGROUP|unix.CLONE_NEWTIME) != 0 {
		return 0, unix.EINVAL
	}
	if c := t.P.Creds(); flags&(unix.CLONE_NEWNS|unix.CLONE_NEWUTS) != 0 && !c.Capable(unix.CAP_SYS_ADMIN) {
		return 0, unix.EPERM
	}
	// The mount table and names are the process's already; from now on
	// its changes are not shared with the others (kernel/mountns.go).
	if flags&unix.CLONE_NEWNS != 0 {
		if err := t.P.LeaveMountNamespace(); err != nil {
			return 0, err
		}
	}
	if flags&unix.CLONE_NEWUTS != 0 {
		if err := t.P.LeaveUTSNamespace(); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// Setns implements setns(2): no descriptor the LibOS hands out refers to
// a namespace.
func Setns(t *kernel.Task, a kernel.Args) (uintptr, error) {
	f, err := file(t, a[0])
	if err != nil {
		return 0, err
	}
	f.DecRef()
	return 0, unix.EINVAL
}
