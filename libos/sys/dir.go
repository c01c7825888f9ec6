package sys

// Implementation of getdents, getdents64, getcwd, chdir, fchdir, chroot,
// mkdir, mkdirat, rmdir, unlink, unlinkat, rename, renameat, renameat2,
// link, linkat, symlink, symlinkat, readlink, readlinkat, mknod and mknodat.

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/vfs"
	"gophene/pal"
)

// Getdents64 implements getdents64(2).
func Getdents64(t *kernel.Task, a kernel.Args) (uintptr, error) {
	f, err := readFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	buf, err := t.GuestBytes(a[1], min(a[2], maxRW), true)
	if err != nil {
		return 0, err
	}
	n, err := f.Impl.Readdir(buf)
	return uintptr(n), vfs.Errno(err)
}

// Getdents implements the old getdents(2): linux_dirent records carry
// d_type in their last byte. Each record is exactly as long as its
// linux_dirent64 counterpart, so the conversion happens in place.
func Getdents(t *kernel.Task, a kernel.Args) (uintptr, error) {
	f, err := readFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	buf, err := t.GuestBytes(a[1], min(a[2], maxRW), true)
	if err != nil {
		return 0, err
	}
	tmp := make([]byte, len(buf))
	n, err := f.Impl.Readdir(tmp)
	if err != nil {
		return 0, vfs.Errno(err)
	}
	for off := 0; off < n; {
		r := tmp[off:]
		reclen := int(binary.LittleEndian.Uint16(r[16:]))
		typ := r[18]
		name := r[19:reclen]
		out := buf[off : off+reclen]
		copy(out[0:16], r[0:16])
		binary.LittleEndian.PutUint16(out[16:], uint16(reclen))
		copy(out[18:reclen-1], name)
		out[reclen-1] = typ
		off += reclen
	}
	return uintptr(n), nil
}

// Getcwd implements getcwd(2).
func Getcwd(t *kernel.Task, a kernel.Args) (uintptr, error) {
	cwd := t.P.Cwd()
	if uintptr(len(cwd)+1) > a[1] {
		return 0, unix.ERANGE
	}
	if err := t.CopyOut(a[0], append([]byte(cwd), 0)); err != nil {
		return 0, err
	}
	return uintptr(len(cwd) + 1), nil
}

// chdirTo makes loc the current directory after checking it.
func chdirTo(t *kernel.Task, loc vfs.Location) error {
	var st pal.Stat
	if err := t.P.NS.Stat(loc, &st); err != nil {
		return vfs.Errno(err)
	}
	if !vfs.IsDir(st.Mode) {
		return unix.ENOTDIR
	}
	if !permitted(t, &st, 1) {
		return unix.EACCES
	}
	t.P.SetCwd(loc.Path)
	return nil
}

// Chdir implements chdir(2).
func Chdir(t *kernel.Task, a kernel.Args) (uintptr, error) {
	loc, _, err := resolveAt(t, atFDCWD, a[0], 0)
	if err != nil {
		return 0, err
	}
	return boolErr(chdirTo(t, loc))
}

// Fchdir implements fchdir(2).
func Fchdir(t *kernel.Task, a kernel.Args) (uintptr, error) {
	f, err := file(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	loc, err := t.P.NS.Resolve("/", f.Path, true)
	if err != nil {
		return 0, err
	}
	return boolErr(chdirTo(t, loc))
}

// Chroot implements chroot(2) for the one root there is: "/" itself, which
// is what programs that drop into a chroot of "/" expect.
func Chroot(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if c := t.P.Creds(); !c.Capable(unix.CAP_SYS_CHROOT) {
		return 0, unix.EPERM
	}
	loc, _, err := resolveAt(t, atFDCWD, a[0], 0)
	if err != nil {
		return 0, err
	}
	if loc.Path != "/" {
		return 0, unix.EPERM
	}
	return 0, nil
}

// parentAt resolves the parent directory of (dirfd, path) and the last
// component.
func parentAt(t *kernel.Task, dirfd, addr uintptr) (vfs.Location, string, bool, error) {
	base, path, err := pathAt(t, dirfd, addr)
	if err != nil {
		return vfs.Location{}, "", false, err
	}
	return t.P.NS.ResolveParent(base, path)
}

// mayCreateIn checks that the process may add an entry to the directory
// parent (write and search permission): the host, where gophene may run
// as root, does not check for the guest.
func mayCreateIn(t *kernel.Task, parent vfs.Location) error {
	if c := t.P.Creds(); c.Capable(unix.CAP_DAC_OVERRIDE) {
		return nil
	}
	var st pal.Stat
	if err := t.P.NS.Stat(parent, &st); err != nil {
		return vfs.Errno(err)
	}
	if !permitted(t, &st, 3) {
		return unix.EACCES
	}
	return nil
}

// newOwner is who should own an object the process creates in parent:
// its fsuid, and its fsgid unless parent is set-group-ID (-1: keep the
// group, which the host took from the directory). ok is false when nothing
// needs changing because the process is root, which the host creates as.
func newOwner(t *kernel.Task, parent vfs.Location) (uid, gid int, ok bool) {
	c := t.P.Creds()
	if c.Fsuid == 0 && c.Fsgid == 0 {
		return 0, 0, false
	}
	uid, gid = c.Fsuid, c.Fsgid
	var st pal.Stat
	if t.P.NS.Stat(parent, &st) == nil && st.Mode&unix.S_ISGID != 0 {
		gid = -1
	}
	return uid, gid, true
}

// ownNew gives a new object at loc in parent the owner newOwner says.
func ownNew(t *kernel.Task, parent, loc vfs.Location) {
	if uid, gid, ok := newOwner(t, parent); ok {
		loc.Mount.FS.Chown(loc.Rel, uid, gid)
	}
}

func doMkdirat(t *kernel.Task, dirfd, addr uintptr, mode uint32) error {
	parent, name, _, err := parentAt(t, dirfd, addr)
	if err != nil {
		return err
	}
	if name == "" || name == "." || name == ".." {
		return unix.EEXIST
	}
	loc := t.P.NS.Child(parent, name)
	if loc.Rel == "" {
		return unix.EEXIST // a mount point
	}
	if loc.Mount.ReadOnly {
		return unix.EROFS
	}
	if err := mayCreateIn(t, parent); err != nil {
		return err
	}
	if err := loc.Mount.FS.Mkdir(loc.Rel, mode&0o7777&^t.P.Umask()); err != nil {
		return vfs.Errno(err)
	}
	ownNew(t, parent, loc)
	return nil
}

// Mkdir implements mkdir(2).
func Mkdir(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doMkdirat(t, atFDCWD, a[0], uint32(a[1])))
}

// Mkdirat implements mkdirat(2).
func Mkdirat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doMkdirat(t, a[0], a[1], uint32(a[2])))
}

func doUnlinkat(t *kernel.Task, dirfd, addr uintptr, flags int) error {
	if flags&^unix.AT_REMOVEDIR != 0 {
		return unix.EINVAL
	}
	parent, name, mustDir, err := parentAt(t, dirfd, addr)
	if err != nil {
		return err
	}
	rmdir := flags&unix.AT_REMOVEDIR != 0
	switch {
	case rmdir && name == ".":
		return unix.EINVAL
	case rmdir && (name == ".." || name == ""):
		return unix.ENOTEMPTY
	case name == "" || name == "." || name == "..":
		return unix.EISDIR
	}
	loc := t.P.NS.Child(parent, name)
	if loc.Rel == "" {
		return unix.EBUSY
	}
	if loc.Mount.ReadOnly {
		return unix.EROFS
	}
	if rmdir {
		return vfs.Errno(loc.Mount.FS.Rmdir(loc.Rel))
	}
	if mustDir {
		var st pal.Stat
		if err := loc.Mount.FS.Stat(loc.Rel, &st); err != nil {
			return vfs.Errno(err)
		}
		if vfs.IsDir(st.Mode) {
			return unix.EISDIR
		}
		return unix.ENOTDIR
	}
	return vfs.Errno(loc.Mount.FS.Unlink(loc.Rel))
}

// Unlink implements unlink(2).
func Unlink(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doUnlinkat(t, atFDCWD, a[0], 0))
}

// Unlinkat implements unlinkat(2).
func Unlinkat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doUnlinkat(t, a[0], a[1], int(a[2])))
}

// Rmdir implements rmdir(2).
func Rmdir(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doUnlinkat(t, atFDCWD, a[0], unix.AT_REMOVEDIR))
}

func doRenameat(t *kernel.Task, odir, oaddr, ndir, naddr uintptr, flags uint) error {
	if flags&^(unix.RENAME_NOREPLACE|unix.RENAME_EXCHANGE|unix.RENAME_WHITEOUT) != 0 ||
		flags&unix.RENAME_EXCHANGE != 0 && flags&(unix.RENAME_NOREPLACE|unix.RENAME_WHITEOUT) != 0 {
		return unix.EINVAL
	}
	op, oname, _, err := parentAt(t, odir, oaddr)
	if err != nil {
		return err
	}
	np, nname, _, err := parentAt(t, ndir, naddr)
	if err != nil {
		return err
	}
	for _, n := range []string{oname, nname} {
		if n == "" || n == "." || n == ".." {
			return unix.EBUSY
		}
	}
	oloc, nloc := t.P.NS.Child(op, oname), t.P.NS.Child(np, nname)
	if oloc.Rel == "" || nloc.Rel == "" {
		return unix.EBUSY
	}
	if oloc.Mount != nloc.Mount {
		return unix.EXDEV
	}
	if oloc.Mount.ReadOnly {
		return unix.EROFS
	}
	return vfs.Errno(oloc.Mount.FS.Rename(oloc.Rel, nloc.Rel, flags))
}

// Rename implements rename(2).
func Rename(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doRenameat(t, atFDCWD, a[0], atFDCWD, a[1], 0))
}

// Renameat implements renameat(2).
func Renameat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doRenameat(t, a[0], a[1], a[2], a[3], 0))
}

// Renameat2 implements renameat2(2).
func Renameat2(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doRenameat(t, a[0], a[1], a[2], a[3], uint(a[4])))
}

func doLinkat(t *kernel.Task, odir, oaddr, ndir, naddr uintptr, flags int) error {
	if flags&^(unix.AT_SYMLINK_FOLLOW|unix.AT_EMPTY_PATH) != 0 {
		return unix.EINVAL
	}
	nofollow := 0
	if flags&unix.AT_SYMLINK_FOLLOW == 0 {
		nofollow = unix.AT_SYMLINK_NOFOLLOW
	}
	oloc, of, err := resolveAt(t, odir, oaddr, nofollow|flags&unix.AT_EMPTY_PATH)
	if err != nil {
		return err
	}
	if of != nil {
		defer of.DecRef()
		if oloc, err = t.P.NS.Resolve("/", of.Path, false); err != nil {
			return err
		}
	}
	np, nname, _, err := parentAt(t, ndir, naddr)
	if err != nil {
		return err
	}
	if nname == "" || nname == "." || nname == ".." {
		return unix.EEXIST
	}
	nloc := t.P.NS.Child(np, nname)
	if nloc.Rel == "" {
		return unix.EEXIST
	}
	if oloc.Mount != nloc.Mount {
		return unix.EXDEV
	}
	if oloc.Mount.ReadOnly {
		return unix.EROFS
	}
	return vfs.Errno(oloc.Mount.FS.Link(oloc.Rel, nloc.Rel))
}

// Link implements link(2).
func Link(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doLinkat(t, atFDCWD, a[0], atFDCWD, a[1], 0))
}

// Linkat implements linkat(2).
func Linkat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doLinkat(t, a[0], a[1], a[2], a[3], int(a[4])))
}

func doSymlinkat(t *kernel.Task, taddr, dirfd, addr uintptr) error {
	target, err := t.Path(taddr)
	if err != nil {
		return err
	}
	if target == "" {
		return unix.ENOENT
	}
	parent, name, _, err := parentAt(t, dirfd, addr)
	if err != nil {
		return err
	}
	if name == "" || name == "." || name == ".." {
		return unix.EEXIST
	}
	loc := t.P.NS.Child(parent, name)
	if loc.Rel == "" {
		return unix.EEXIST
	}
	if loc.Mount.ReadOnly {
		return unix.EROFS
	}
	if err := mayCreateIn(t, parent); err != nil {
		return err
	}
	return vfs.Errno(loc.Mount.FS.Symlink(target, loc.Rel))
}

// Symlink implements symlink(2).
func Symlink(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doSymlinkat(t, a[0], atFDCWD, a[1]))
}

// Symlinkat implements symlinkat(2).
func Symlinkat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doSymlinkat(t, a[0], a[1], a[2]))
}

func doReadlinkat(t *kernel.Task, dirfd, addr, buf, size uintptr) (uintptr, error) {
	if int(size) <= 0 {
		return 0, unix.EINVAL
	}
	loc, f, err := resolveAt(t, dirfd, addr, unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH)
	if err != nil {
		return 0, err
	}
	if f != nil {
		// An empty path names the dirfd itself: an O_PATH link.
		f.DecRef()
		return 0, unix.ENOENT
	}
	target, err := loc.Mount.FS.Readlink(loc.Rel)
	if err != nil {
		return 0, vfs.Errno(err)
	}
	n := min(uintptr(len(target)), size)
	if err := t.CopyOut(buf, []byte(target)[:n]); err != nil {
		return 0, err
	}
	return n, nil
}

// Readlink implements readlink(2).
func Readlink(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return doReadlinkat(t, atFDCWD, a[0], a[1], a[2])
}

// Readlinkat implements readlinkat(2).
func Readlinkat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return doReadlinkat(t, a[0], a[1], a[2], a[3])
}

func doMknodat(t *kernel.Task, dirfd, addr uintptr, mode uint32, dev uint64) error {
	switch mode & unix.S_IFMT {
	case 0:
		mode |= unix.S_IFREG
	case unix.S_IFREG, unix.S_IFIFO, unix.S_IFSOCK:
	case unix.S_IFCHR, unix.S_IFBLK:
		return unix.EPERM
	case unix.S_IFDIR:
		return unix.EPERM
	default:
		return unix.EINVAL
	}
	parent, name, _, err := parentAt(t, dirfd, addr)
	if err != nil {
		return err
	}
	if name == "" || name == "." || name == ".." {
		return unix.EEXIST
	}
	loc := t.P.NS.Child(parent, name)
	if loc.Rel == "" {
		return unix.EEXIST
	}
	if loc.Mount.ReadOnly {
		return unix.EROFS
	}
	if err := mayCreateIn(t, parent); err != nil {
		return err
	}
	perm := mode & 0o7777 &^ t.P.Umask()
	if err := loc.Mount.FS.Mknod(loc.Rel, mode&unix.S_IFMT|perm, dev); err != nil {
		return vfs.Errno(err)
	}
	ownNew(t, parent, loc)
	return nil
}

// Mknod implements mknod(2) for regular files, FIFOs and sockets.
func Mknod(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doMknodat(t, atFDCWD, a[0], uint32(a[1]), uint64(a[2])))
}

// Mknodat implements mknodat(2).
func Mknodat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doMknodat(t, a[0], a[1], uint32(a[2]), uint64(a[3])))
}
