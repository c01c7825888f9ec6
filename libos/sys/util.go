// Package sys holds the system-call handlers, one file per family, each a
// kernel.Handler named after its call (Read, Openat, SchedSetaffinity...).
// libos/arch/amd64 wires them into the table.
//
// Handlers take raw arguments, check every guest pointer through the task
// (EFAULT, never a LibOS crash), and return Linux errno values. They reach
// the host only through the PAL, usually via vfs and mm.
package sys

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/umem"
	"gophene/libos/vfs"
	"gophene/pal"
)

// atFDCWD is AT_FDCWD as a raw argument.
const atFDCWD = uintptr(0xffffff9c)

// file returns the open file behind fd with a reference the caller drops.
func file(t *kernel.Task, fd uintptr) (*vfs.File, error) {
	return t.P.FDs.Get(int(int32(fd)))
}

// dirBase is the directory a *at call's relative path starts from: the
// current directory for AT_FDCWD, else the directory open as dirfd.
func dirBase(t *kernel.Task, dirfd uintptr) (string, error) {
	if int32(dirfd) == unix.AT_FDCWD {
		return t.P.Cwd(), nil
	}
	f, err := file(t, dirfd)
	if err != nil {
		return "", err
	}
	defer f.DecRef()
	var st pal.Stat
	if err := f.Impl.Stat(&st); err != nil {
		return "", err
	}
	if !vfs.IsDir(st.Mode) {
		return "", unix.ENOTDIR
	}
	return f.Path, nil
}

// pathAt reads a path argument and its base directory. An absolute path
// ignores dirfd, as Linux does (a bad dirfd is then not an error).
func pathAt(t *kernel.Task, dirfd, addr uintptr) (base, path string, err error) {
	if path, err = t.Path(addr); err != nil {
		return "", "", err
	}
	if len(path) > 0 && path[0] == '/' {
		return "/", path, nil
	}
	if path == "" {
		return "", "", unix.ENOENT
	}
	base, err = dirBase(t, dirfd)
	return base, path, err
}

// resolveAt resolves (dirfd, path) honouring AT_SYMLINK_NOFOLLOW and
// AT_EMPTY_PATH. For AT_EMPTY_PATH with an empty path the file open as dirfd
// is returned instead (loc is then zero).
func resolveAt(t *kernel.Task, dirfd, addr uintptr, flags int) (vfs.Location, *vfs.File, error) {
	return resolveAtAs(t, dirfd, addr, flags, searcher(t))
}

// resolveAtAs is resolveAt with the search-permission check may.
func resolveAtAs(t *kernel.Task, dirfd, addr uintptr, flags int, may vfs.Searcher) (vfs.Location, *vfs.File, error) {
	path, err := t.Path(addr)
	if err != nil {
		return vfs.Location{}, nil, err
	}
	if path == "" {
		if flags&unix.AT_EMPTY_PATH == 0 {
			return vfs.Location{}, nil, unix.ENOENT
		}
		if int32(dirfd) == unix.AT_FDCWD {
			loc, err := t.P.NS.Resolve("/", t.P.Cwd(), true)
			return loc, nil, err
		}
		f, err := file(t, dirfd)
		return vfs.Location{}, f, err
	}
	base := "/"
	if path[0] != '/' {
		if base, err = dirBase(t, dirfd); err != nil {
			return vfs.Location{}, nil, err
		}
	}
	loc, err := t.P.NS.ResolveAs(base, path, flags&unix.AT_SYMLINK_NOFOLLOW == 0, may)
	return loc, nil, err
}

// boolErr returns 0 or the error, for handlers without a result.
func boolErr(err error) (uintptr, error) {
	if err != nil {
		return 0, vfs.Errno(err)
	}
	return 0, nil
}

// umemBytes is the memory of a uint64 as bytes, for partial copies.
func umemBytes(v *uint64) []byte { return umem.StructBytes(v) }

// retryEINTR runs op until it is not interrupted, or until an interrupt
// comes with a signal to deliver: then code is returned for the dispatcher
// to turn into EINTR or a restart. Interrupts with nothing to deliver
// (wake-ups of internal waits) are absorbed.
func retryEINTR(t *kernel.Task, code unix.Errno, op func() error) error {
	for {
		err := vfs.Errno(op())
		if err != unix.EINTR {
			return err
		}
		if t.SignalPending() {
			return code
		}
	}
}

// brokenPipe raises SIGPIPE on the calling thread when a write failed with
// EPIPE, as Linux's pipe and socket writes do, and passes err through.
func brokenPipe(t *kernel.Task, err error) error {
	if err == unix.EPIPE {
		t.SignalTask(kernel.NewSigInfo(int(unix.SIGPIPE), kernel.SiUser).SetSender(t.P.Pid, t.P.Creds().Uid))
	}
	return err
}
