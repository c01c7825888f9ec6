package linux

import (
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// Every path the LibOS hands us is relative to a directory handle and must
// stay beneath it. The kernel enforces that, not us: multi-component paths
// are opened with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS), and
// operations on a final component use the *at calls with AT_SYMLINK_NOFOLLOW
// on the parent's descriptor. A guest racing to swap a directory for a
// symbolic link gets ELOOP, never a host file outside its mounts.

const resolveBeneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

// checkRel rejects absolute paths and ".." components.
func checkRel(path string) error {
	if strings.HasPrefix(path, "/") {
		return pal.ErrInvalid
	}
	for p := path; p != ""; {
		var c string
		c, p, _ = strings.Cut(p, "/")
		if c == ".." {
			return pal.ErrInvalid
		}
	}
	return nil
}

// parent resolves the directory holding path's last component. It returns
// that directory's descriptor, the last component, and whether the
// descriptor must be closed after use.
func (h *Host) parent(dir pal.Handle, path string) (int, string, bool, error) {
	if !h.handles.valid(dir) {
		return -1, "", false, pal.ErrBadHandle
	}
	if err := checkRel(path); err != nil {
		return -1, "", false, err
	}
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return int(dir), path, false, nil
	}
	base := path[i+1:]
	fd, err := unix.Openat2(int(dir), path[:i], &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: resolveBeneath,
	})
	if err != nil {
		return -1, "", false, palErr(err)
	}
	return fd, base, true, nil
}

func closeIf(fd int, owned bool) {
	if owned {
		unix.Close(fd)
	}
}

// FileOpenRoot opens a host directory or file by absolute host path.
func (h *Host) FileOpenRoot(hostPath string) (pal.Handle, error) {
	fd, err := unix.Open(hostPath, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return pal.NoHandle, palErr(err)
	}
	return h.handles.add(fd), nil
}

// FileOpen opens path beneath dir.
func (h *Host) FileOpen(dir pal.Handle, path string, flags int, mode uint32) (pal.Handle, error) {
	if !h.handles.valid(dir) {
		return pal.NoHandle, pal.ErrBadHandle
	}
	if err := checkRel(path); err != nil {
		return pal.NoHandle, err
	}
	var fd int
	var err error
	if path == "" {
		// Reopen the object itself (a mount whose root is a file).
		fd, err = unix.Open("/proc/self/fd/"+strconv.Itoa(int(dir)), flags&^unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
	} else {
		fd, err = unix.Openat2(int(dir), path, &unix.OpenHow{
			Flags:   uint64(flags | unix.O_CLOEXEC),
			Mode:    uint64(mode),
			Resolve: resolveBeneath,
		})
	}
	if err != nil {
		return pal.NoHandle, palErr(err)
	}
	return h.handles.add(fd), nil
}

const statxMask = unix.STATX_BASIC_STATS | unix.STATX_BTIME | unix.STATX_MNT_ID

// FileStat describes path beneath dir without following a final link.
func (h *Host) FileStat(dir pal.Handle, path string, st *pal.Stat) error {
	if path == "" {
		return h.StreamStat(dir, st)
	}
	fd, base, owned, err := h.parent(dir, path)
	if err != nil {
		return err
	}
	defer closeIf(fd, owned)
	var sx unix.Statx_t
	if err := unix.Statx(fd, base, unix.AT_SYMLINK_NOFOLLOW|unix.AT_NO_AUTOMOUNT, statxMask, &sx); err != nil {
		return palErr(err)
	}
	fillStat(st, &sx)
	return nil
}

func fillStat(st *pal.Stat, sx *unix.Statx_t) {
	ts := func(t unix.StatxTimestamp) pal.Timespec { return pal.Timespec{Sec: t.Sec, Nsec: int64(t.Nsec)} }
	*st = pal.Stat{
		Dev:        unix.Mkdev(sx.Dev_major, sx.Dev_minor),
		Ino:        sx.Ino,
		Nlink:      uint64(sx.Nlink),
		Rdev:       unix.Mkdev(sx.Rdev_major, sx.Rdev_minor),
		Mode:       uint32(sx.Mode),
		Uid:        sx.Uid,
		Gid:        sx.Gid,
		Mask:       sx.Mask,
		Size:       int64(sx.Size),
		Blksize:    int64(sx.Blksize),
		Blocks:     int64(sx.Blocks),
		Atime:      ts(sx.Atime),
		Mtime:      ts(sx.Mtime),
		Ctime:      ts(sx.Ctime),
		Btime:      ts(sx.Btime),
		Attributes: sx.Attributes,
		AttrMask:   sx.Attributes_mask,
		MountID:    sx.Mnt_id,
	}
}

// FileReadlink reads a symbolic link's target.
func (h *Host) FileReadlink(dir pal.Handle, path string, buf []byte) (int, error) {
	fd, base, owned, err := h.parent(dir, path)
	if err != nil {
		return 0, err
	}
	defer closeIf(fd, owned)
	n, err := unix.Readlinkat(fd, base, buf)
	return n, palErr(err)
}

// FileMkdir creates a directory.
func (h *Host) FileMkdir(dir pal.Handle, path string, mode uint32) error {
	fd, base, owned, err := h.parent(dir, path)
	if err != nil {
		return err
	}
	defer closeIf(fd, owned)
	return palErr(unix.Mkdirat(fd, base, mode))
}

// FileMknod creates a FIFO, socket or regular file node.
func (h *Host) FileMknod(dir pal.Handle, path string, mode uint32, dev uint64) error {
	fd, base, owned, err := h.parent(dir, path)
	if err != nil {
		return err
	}
	defer closeIf(fd, owned)
	return palErr(unix.Mknodat(fd, base, mode, int(dev)))
}

// FileUnlink removes a file or an empty directory.
func (h *Host) FileUnlink(dir pal.Handle, path string, isDir bool) error {
	fd, base, owned, err := h.parent(dir, path)
	if err != nil {
		return err
	}
	defer closeIf(fd, owned)
	flags := 0
	if isDir {
		flags = unix.AT_REMOVEDIR
	}
	return palErr(unix.Unlinkat(fd, base, flags))
}

// FileRename renames oldPath to newPath.
func (h *Host) FileRename(oldDir pal.Handle, oldPath string, newDir pal.Handle, newPath string, flags uint) error {
	ofd, obase, oowned, err := h.parent(oldDir, oldPath)
	if err != nil {
		return err
	}
	defer closeIf(ofd, oowned)
	nfd, nbase, nowned, err := h.parent(newDir, newPath)
	if err != nil {
		return err
	}
	defer closeIf(nfd, nowned)
	return palErr(unix.Renameat2(ofd, obase, nfd, nbase, flags))
}

// FileLink makes a hard link (never following a final symbolic link).
func (h *Host) FileLink(oldDir pal.Handle, oldPath string, newDir pal.Handle, newPath string) error {
	ofd, obase, oowned, err := h.parent(oldDir, oldPath)
	if err != nil {
		return err
	}
	defer closeIf(ofd, oowned)
	nfd, nbase, nowned, err := h.parent(newDir, newPath)
	if err != nil {
		return err
	}
	defer closeIf(nfd, nowned)
	return palErr(unix.Linkat(ofd, obase, nfd, nbase, 0))
}

// FileSymlink creates a symbolic link.
func (h *Host) FileSymlink(target string, dir pal.Handle, path string) error {
	fd, base, owned, err := h.parent(dir, path)
	if err != nil {
		return err
	}
	defer closeIf(fd, owned)
	return palErr(unix.Symlinkat(target, fd, base))
}

// FileChmod changes the mode of path; a symbolic link cannot be changed.
func (h *Host) FileChmod(dir pal.Handle, path string, mode uint32) error {
	if path == "" {
		// The object dir itself (a mount's root, open with O_PATH).
		fd, err := h.fd(dir)
		if err != nil {
			return err
		}
		return palErr(unix.Chmod("/proc/self/fd/"+strconv.Itoa(fd), mode))
	}
	fd, base, owned, err := h.parent(dir, path)
	if err != nil {
		return err
	}
	defer closeIf(fd, owned)
	_, _, e := unix.Syscall6(unix.SYS_FCHMODAT2, uintptr(fd), uintptr(unsafe.Pointer(bytePtr(base))),
		uintptr(mode), unix.AT_SYMLINK_NOFOLLOW, 0, 0)
	if e != unix.ENOSYS {
		return errnoErr(e)
	}
	// Kernels before 6.6: go through an O_PATH descriptor.
	pfd, err := unix.Openat(fd, base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return palErr(err)
	}
	defer unix.Close(pfd)
	var st unix.Stat_t
	if err := unix.Fstat(pfd, &st); err != nil {
		return palErr(err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		return pal.ErrNotSupported
	}
	return palErr(unix.Chmod("/proc/self/fd/"+strconv.Itoa(pfd), mode))
}

// FileChown changes the owners of path without following a final link.
func (h *Host) FileChown(dir pal.Handle, path string, uid, gid int) error {
	if path == "" {
		return h.StreamChown(dir, uid, gid)
	}
	fd, base, owned, err := h.parent(dir, path)
	if err != nil {
		return err
	}
	defer closeIf(fd, owned)
	return palErr(unix.Fchownat(fd, base, uid, gid, unix.AT_SYMLINK_NOFOLLOW))
}

// FileUtimes sets the times of path without following a final link.
func (h *Host) FileUtimes(dir pal.Handle, path string, times *[2]pal.Timespec) error {
	if path == "" {
		return h.StreamUtimes(dir, times)
	}
	fd, base, owned, err := h.parent(dir, path)
	if err != nil {
		return err
	}
	defer closeIf(fd, owned)
	return palErr(unix.UtimesNanoAt(fd, base, toUnixTimes(times), unix.AT_SYMLINK_NOFOLLOW))
}

func toUnixTimes(t *[2]pal.Timespec) []unix.Timespec {
	if t == nil {
		now := unix.Timespec{Nsec: unix.UTIME_NOW}
		return []unix.Timespec{now, now}
	}
	return []unix.Timespec{{Sec: t[0].Sec, Nsec: t[0].Nsec}, {Sec: t[1].Sec, Nsec: t[1].Nsec}}
}

// FileStatfs describes the file system holding path.
func (h *Host) FileStatfs(dir pal.Handle, path string, st *pal.Statfs) error {
	fd := int(dir)
	if path != "" {
		pfd, base, owned, err := h.parent(dir, path)
		if err != nil {
			return err
		}
		defer closeIf(pfd, owned)
		f, err := unix.Openat(pfd, base, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			return palErr(err)
		}
		defer unix.Close(f)
		fd = f
	} else if !h.handles.valid(dir) {
		return pal.ErrBadHandle
	}
	var s unix.Statfs_t
	if err := unix.Fstatfs(fd, &s); err != nil {
		return palErr(err)
	}
	*st = pal.Statfs{Type: s.Type, Bsize: s.Bsize, Frsize: s.Frsize, Flags: s.Flags, Namelen: s.Namelen,
		Blocks: s.Blocks, Bfree: s.Bfree, Bavail: s.Bavail, Files: s.Files, Ffree: s.Ffree,
		Fsid: s.Fsid.Val}
	return nil
}

// FileXattr handles the extended attributes of path. Symbolic links have
// none that a guest can see.
func (h *Host) FileXattr(dir pal.Handle, path string, op pal.XattrOp, name string, value []byte, flags int) (int, error) {
	fd, base, owned, err := h.parent(dir, path)
	if err != nil {
		return 0, err
	}
	defer closeIf(fd, owned)
	if base == "" {
		base = "."
	}
	pfd, err := unix.Openat(fd, base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, palErr(err)
	}
	defer unix.Close(pfd)
	var st unix.Stat_t
	if err := unix.Fstat(pfd, &st); err != nil {
		return 0, palErr(err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		// A symbolic link's own attributes: the l* calls on a path through
		// the parent's descriptor, whose last component they never follow.
		link := "/proc/self/fd/" + strconv.Itoa(fd) + "/" + base
		var n int
		switch op {
		case pal.XattrGet:
			n, err = unix.Lgetxattr(link, name, value)
		case pal.XattrList:
			n, err = unix.Llistxattr(link, value)
		case pal.XattrSet:
			err = unix.Lsetxattr(link, name, value, flags)
		case pal.XattrRemove:
			err = unix.Lremovexattr(link, name)
		}
		return n, palErr(err)
	}
	proc := "/proc/self/fd/" + strconv.Itoa(pfd)
	var n int
	switch op {
	case pal.XattrGet:
		n, err = unix.Getxattr(proc, name, value)
	case pal.XattrList:
		n, err = unix.Listxattr(proc, value)
	case pal.XattrSet:
		err = unix.Setxattr(proc, name, value, flags)
	case pal.XattrRemove:
		err = unix.Removexattr(proc, name)
	}
	return n, palErr(err)
}

func bytePtr(s string) *byte {
	p, err := unix.BytePtrFromString(s)
	if err != nil {
		return nil
	}
	return p
}
