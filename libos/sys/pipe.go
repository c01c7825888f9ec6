package sys

// Implementation of pipe, pipe2, splice and memfd_create.

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

// memfdNameMax is the longest name memfd_create takes (NAME_MAX less
// "memfd:").
const memfdNameMax = 249

// MemfdCreate implements memfd_create(2) with a host memory file, which
// forked children share and which can be mapped shared.
func MemfdCreate(t *kernel.Task, a kernel.Args) (uintptr, error) {
	name, err := t.CString(a[0], memfdNameMax+1)
	if err == unix.ENAMETOOLONG {
		return 0, unix.EINVAL
	}
	if err != nil {
		return 0, err
	}
	flags := int(a[1])
	if flags&unix.MFD_HUGETLB != 0 {
		// The huge page size in bits 26-31 may only come with it. The
		// guest sees no huge page sizes (no
		// /sys/kernel/mm/hugepages/hugepages-*): ENODEV, as Linux for a
		// size it does not have.
		if flags&^(unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_NOEXEC_SEAL|unix.MFD_EXEC|unix.MFD_HUGETLB|0x3f<<26) != 0 {
			return 0, unix.EINVAL
		}
		return 0, unix.ENODEV
	}
	if flags&^(unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_NOEXEC_SEAL|unix.MFD_EXEC) != 0 {
		return 0, unix.EINVAL
	}
	h, err := t.P.Host.MemoryFileCreate(name, flags&^unix.MFD_CLOEXEC)
	if err != nil {
		return 0, mapErr(err)
	}
	f := vfs.NewFile(vfs.NewHostFile(t.P.Host, h), unix.O_RDWR|unix.O_LARGEFILE, "/memfd:"+name+" (deleted)", nil)
	fd, err := t.P.FDs.Install(f, 0, flags&unix.MFD_CLOEXEC != 0)
	if err != nil {
		f.DecRef()
		return 0, err
	}
	return uintptr(fd), nil
}

// writeFull writes all of p (at off, or the position if off < 0).
func writeFull(f *vfs.File, p []byte, off int64) (int, error) {
	done := 0
	for done < len(p) {
		w, err := streamWrite(f)(p[done:], offsetPlus(off, uintptr(done)))
		done += w
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// isPipe reports whether f is a pipe or FIFO.
func isPipe(f *vfs.File) bool {
	var st pal.Stat
	return f.Impl.Stat(&st) == nil && st.Mode&unix.S_IFMT == unix.S_IFIFO
}

// Splice implements splice(2) by copying through the LibOS: the data moves
// as splice's does, one of the two ends being a pipe, but it is copied.
func Splice(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if a[5]&^uintptr(unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK|unix.SPLICE_F_MORE|unix.SPLICE_F_GIFT) != 0 {
		return 0, unix.EINVAL
	}
	in, out, err := filePair(t, a[0], a[2])
	if err != nil {
		return 0, err
	}
	defer in.DecRef()
	defer out.DecRef()
	inPipe, outPipe := isPipe(in), isPipe(out)
	switch {
	case !inPipe && !outPipe:
		return 0, unix.EINVAL
	case inPipe && a[1] != 0, outPipe && a[3] != 0:
		return 0, unix.ESPIPE
	case out.Flags()&unix.O_APPEND != 0:
		return 0, unix.EINVAL
	}
	inOff, err := optOffset(t, a[1])
	if err != nil {
		return 0, err
	}
	outOff, err := optOffset(t, a[3])
	if err != nil {
		return 0, err
	}
	// One read, of at most what a pipe holds: splice moves what is there
	// and returns, it does not wait for more.
	buf := make([]byte, min(a[4], 64<<10))
	var n int
	err = retryEINTR(t, kernel.ErrRestartSys, func() (e error) {
		n, e = streamRead(in)(buf, inOff)
		return
	})
	var done uintptr
	if err == nil && n > 0 {
		err = retryEINTR(t, kernel.ErrRestartSys, func() error {
			w, e := writeFull(out, buf[done:n], offsetPlus(outOff, done))
			done += uintptr(w)
			return e
		})
	}
	if e := putOffset(t, a[1], inOff, done); e != nil {
		return 0, e
	}
	if e := putOffset(t, a[3], outOff, done); e != nil {
		return 0, e
	}
	if done == 0 && err != nil {
		return 0, brokenPipe(t, err)
	}
	return done, nil
}
