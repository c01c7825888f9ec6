package sys

// Implementation of tee and vmsplice, on the host's pipes.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/vfs"
	"gophene/pal"
)

// spliceFlags are SPLICE_F_MOVE, NONBLOCK, MORE and GIFT.
const spliceFlags = unix.SPLICE_F_MOVE | unix.SPLICE_F_NONBLOCK | unix.SPLICE_F_MORE | unix.SPLICE_F_GIFT

// hostPipe is the host handle of a pipe or FIFO, or NoHandle if f is
// neither (or is one the LibOS keeps itself).
func hostPipe(f *vfs.File) pal.Handle {
	if f.IsPath() || !isPipe(f) {
		return pal.NoHandle
	}
	return f.Impl.Handle()
}

// Tee implements tee(2) with the host's: the guest's pipes are host pipes,
// whose queued data the host duplicates without consuming it.
func Tee(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if a[3]&^uintptr(spliceFlags) != 0 {
		return 0, unix.EINVAL
	}
	if a[2] == 0 {
		return 0, nil
	}
	in, out, err := filePair(t, a[0], a[1])
	if err != nil {
		return 0, err
	}
	defer in.DecRef()
	defer out.DecRef()
	if in.IsPath() || out.IsPath() || !in.Readable() || !out.Writable() {
		return 0, unix.EBADF
	}
	ih, oh := hostPipe(in), hostPipe(out)
	if ih == pal.NoHandle || oh == pal.NoHandle {
		return 0, unix.EINVAL
	}
	n := int(min(a[2], maxRW))
	var done int
	err = retryEINTR(t, kernel.ErrRestartSys, func() (e error) {
		done, e = t.P.Host.PipeTee(ih, oh, n, int(a[3]))
		return
	})
	if err != nil {
		return 0, err
	}
	return uintptr(done), nil
}

// Vmsplice implements vmsplice(2) with the host's: guest memory is memory
// of the host process, so a write end takes the guest's pages (referenced,
// as on Linux, not copied) and a read end fills the guest's buffers.
func Vmsplice(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if a[3]&^uintptr(spliceFlags) != 0 {
		return 0, unix.EINVAL
	}
	f, err := file(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	write := f.Writable()
	if f.IsPath() || !write && !f.Readable() {
		return 0, unix.EBADF
	}
	bufs, total, err := iovecs(t, a[1], a[2], !write)
	if err != nil {
		return 0, err
	}
	if total == 0 {
		return 0, nil
	}
	h := hostPipe(f)
	if h == pal.NoHandle {
		return 0, unix.EBADF
	}
	var done int
	err = retryEINTR(t, kernel.ErrRestartSys, func() (e error) {
		done, e = t.P.Host.PipeVmsplice(h, bufs, int(a[3]))
		return
	})
	if err != nil {
		return 0, brokenPipe(t, err)
	}
	return uintptr(done), nil
}
