package sys

// Implementation of open, openat, openat2, creat, close and close_range.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/vfs"
	"gophene/pal"
)

// validOpenFlags are the flags open(2) knows.
const validOpenFlags = unix.O_ACCMODE | unix.O_CREAT | unix.O_EXCL | unix.O_NOCTTY | unix.O_TRUNC |
	unix.O_APPEND | unix.O_NONBLOCK | unix.O_DSYNC | unix.O_ASYNC | unix.O_DIRECT | unix.O_LARGEFILE |
	unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_NOATIME | unix.O_CLOEXEC | unix.O_SYNC | unix.O_PATH |
	unix.O_TMPFILE | 0x8000 // O_LARGEFILE as glibc passes it on x86-64

// OpenFile opens path relative to base for the task's process and installs
// it in the fd table.
func openFile(t *kernel.Task, base, path string, flags int, mode uint32) (uintptr, error) {
	if flags&unix.O_PATH != 0 {
		flags &= unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	}
	if flags&unix.O_TMPFILE == unix.O_TMPFILE {
		return 0, unix.EOPNOTSUPP
	}
	if flags&(unix.O_CREAT) != 0 {
		mode = (mode & 0o7777) &^ t.P.Umask()
	} else {
		mode = 0
	}
	if flags&unix.O_ACCMODE == unix.O_ACCMODE && flags&unix.O_PATH == 0 {
		return 0, unix.EINVAL
	}
	c := t.P.Creds()
	check := needsAccessCheck(&c, flags)
	may := searcherFor(c.Fsuid, c.Fsgid, c.Groups, c.Cap.Effective)
	// O_NOATIME is for the owner of the file or CAP_FOWNER (EPERM).
	noatime := flags&unix.O_NOATIME != 0 && !c.Capable(unix.CAP_FOWNER)
	// A file this open creates is not checked against its mode, but its
	// directory must let the process add it, and it is given the owner
	// and mode Linux would give it (the host may create it as root).
	var created bool
	var parent vfs.Location
	if flags&unix.O_CREAT != 0 {
		if check || c.Fsuid != 0 || c.Fsgid != 0 || !c.Capable(unix.CAP_FSETID) {
			_, err := t.P.NS.ResolveAs(base, path, flags&unix.O_NOFOLLOW == 0, may)
			if err == unix.ENOENT {
				if loc, name, _, perr := t.P.NS.ResolveParentAs(base, path, may); perr == nil {
					if err := mayCreateIn(t, loc, t.P.NS.Child(loc, name)); err != nil {
						return 0, err
					}
					parent, created = loc, true
				}
			}
			check = check && err == nil
		}
	}
	f, err := t.P.NS.OpenAs(base, path, flags&^0x8000, mode, may)
	if err != nil {
		return 0, err
	}
	if created {
		ownNew(t, parent, unix.S_IFREG|mode, f.Impl.Chown, f.Impl.Chmod)
	}
	var st pal.Stat
	if (check || noatime) && f.Impl.Stat(&st) == nil {
		// Linux's may_open: the permission bits, then O_NOATIME.
		var deny error
		switch {
		case check && !permitted(t, &st, openWant(flags)):
			deny = unix.EACCES
		case noatime && int(st.Uid) != c.Fsuid:
			deny = unix.EPERM
		}
		if deny != nil {
			f.DecRef()
			return 0, deny
		}
	}
	fd, err := t.P.FDs.Install(f, 0, flags&unix.O_CLOEXEC != 0)
	if err != nil {
		f.DecRef()
		return 0, err
	}
	return uintptr(fd), nil
}

// openWant is the access an open asks for, as permission bits.
func openWant(flags int) uint32 {
	var want uint32
	switch flags & unix.O_ACCMODE {
	case unix.O_RDONLY:
		want = 4
	case unix.O_WRONLY:
		want = 2
	default:
		want = 6
	}
	if flags&unix.O_TRUNC != 0 {
		want |= 2
	}
	return want
}

// needsAccessCheck says whether an open must be checked against the
// file's permission bits: the host, where gophene may run as root, does
// not check for the guest. A process with CAP_DAC_OVERRIDE (and
// CAP_DAC_READ_SEARCH for a read) passes any check an open makes.
func needsAccessCheck(c *kernel.Creds, flags int) bool {
	return flags&unix.O_PATH == 0 && !c.Capable(unix.CAP_DAC_OVERRIDE)
}

func doOpenat(t *kernel.Task, dirfd, addr uintptr, flags int, mode uint32) (uintptr, error) {
	base, path, err := pathAt(t, dirfd, addr)
	if err != nil {
		return 0, err
	}
	return openFile(t, base, path, flags, mode)
}

// Open implements open(2).
func Open(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return doOpenat(t, atFDCWD, a[0], int(a[1]), uint32(a[2]))
}

// Openat implements openat(2).
func Openat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return doOpenat(t, a[0], a[1], int(a[2]), uint32(a[3]))
}

// Creat implements creat(2).
func Creat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return doOpenat(t, atFDCWD, a[0], unix.O_CREAT|unix.O_WRONLY|unix.O_TRUNC, uint32(a[1]))
}

// openHow is struct open_how.
type openHow struct {
	Flags, Mode, Resolve uint64
}

// Openat2 implements openat2(2) for the resolve flags that do not change
// path semantics beyond what the LibOS enforces anyway.
func Openat2(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if a[3] < 24 || a[3] > 4096 {
		return 0, unix.EINVAL
	}
	var how openHow
	if err := kernel.CopyInObj(t, a[2], &how); err != nil {
		return 0, err
	}
	if how.Flags&^uint64(validOpenFlags) != 0 || how.Flags>>32 != 0 {
		return 0, unix.EINVAL
	}
	if how.Flags&(unix.O_CREAT|unix.O_TMPFILE) == 0 && how.Mode != 0 || how.Mode&^0o7777 != 0 {
		return 0, unix.EINVAL
	}
	if how.Resolve&^uint64(unix.RESOLVE_NO_XDEV|unix.RESOLVE_NO_MAGICLINKS|unix.RESOLVE_NO_SYMLINKS|
		unix.RESOLVE_BENEATH|unix.RESOLVE_IN_ROOT|0x20) != 0 {
		return 0, unix.EINVAL
	}
	if how.Resolve&(unix.RESOLVE_BENEATH|unix.RESOLVE_IN_ROOT|unix.RESOLVE_NO_SYMLINKS|unix.RESOLVE_NO_XDEV) != 0 {
		return 0, unix.ENOSYS
	}
	return doOpenat(t, a[0], a[1], int(how.Flags), uint32(how.Mode))
}

// Close implements close(2).
func Close(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(t.P.FDs.Close(int(int32(a[0]))))
}

// CloseRange implements close_range(2).
func CloseRange(t *kernel.Task, a kernel.Args) (uintptr, error) {
	first, last, flags := uint32(a[0]), uint32(a[1]), a[2]
	if flags&^uintptr(unix.CLOSE_RANGE_CLOEXEC|unix.CLOSE_RANGE_UNSHARE) != 0 || first > last {
		return 0, unix.EINVAL
	}
	t.P.FDs.CloseRange(int(first), int(min(last, 1<<30)), flags&unix.CLOSE_RANGE_CLOEXEC != 0)
	return 0, nil
}
