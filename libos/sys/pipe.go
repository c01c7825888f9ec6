package sys

// Implementation of pipe and pipe2.

import (
	"fmt"

	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/vfs"
	"gophene/pal"
)

func doPipe2(t *kernel.Task, addr uintptr, flags int) error {
	if flags&^(unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_DIRECT|oNotificationPipe) != 0 {
		return unix.EINVAL
	}
	if !t.P.MM.Check(addr, 8, pal.ProtWrite) {
		return unix.EFAULT
	}
	r, w, err := t.P.Host.PipeCreate(flags)
	if err != nil {
		return mapErr(err)
	}
	rimpl, wimpl := vfs.NewHostFile(t.P.Host, r), vfs.NewHostFile(t.P.Host, w)
	var st pal.Stat
	name := "pipe:[0]"
	if rimpl.Stat(&st) == nil {
		name = fmt.Sprintf("pipe:[%d]", st.Ino)
	}
	status := flags & (unix.O_NONBLOCK | unix.O_DIRECT)
	rf := vfs.NewFile(rimpl, unix.O_RDONLY|status, name, nil)
	wf := vfs.NewFile(wimpl, unix.O_WRONLY|status, name, nil)
	cloexec := flags&unix.O_CLOEXEC != 0
	rfd, err := t.P.FDs.Install(rf, 0, cloexec)
	if err != nil {
		rf.DecRef()
		wf.DecRef()
		return err
	}
	wfd, err := t.P.FDs.Install(wf, 0, cloexec)
	if err != nil {
		t.P.FDs.Close(rfd)
		wf.DecRef()
		return err
	}
	fds := [2]int32{int32(rfd), int32(wfd)}
	if err := kernel.CopyOutObj(t, addr, &fds); err != nil {
		t.P.FDs.Close(rfd)
		t.P.FDs.Close(wfd)
		return err
	}
	return nil
}

// Pipe implements pipe(2).
func Pipe(t *kernel.Task, a kernel.Args) (uintptr, error) { return boolErr(doPipe2(t, a[0], 0)) }

// Pipe2 implements pipe2(2).
func Pipe2(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doPipe2(t, a[0], int(a[1])))
}

// oNotificationPipe is O_NOTIFICATION_PIPE (= O_EXCL), accepted and ignored.
const oNotificationPipe = unix.O_EXCL
