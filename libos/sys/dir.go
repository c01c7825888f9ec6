package sys

// Implementation of getdents, getdents64, getcwd, chdir, fchdir, chroot,
// mkdir, mkdirat, rmdir, unlink, unlinkat, rename, renameat, renameat2,
// link, linkat, symlink, symlinkat, readlink, readlinkat, mknod and mknodat.

import (
	"encoding/binary"
	"strings"

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
//
// The process's mount table is re-rooted at the directory (see
// vfs.Namespace.Chroot); children inherit it. A current directory inside
// the new root keeps its place; one outside it becomes the new root, where
// Linux would leave it outside.
func Chroot(t *kernel.Task, a kernel.Args) (uintptr, error) {
	loc, _, err := resolveAt(t, atFDCWD, a[0], 0)
	if err != nil {
		return 0, err
	}
	var st pal.Stat
	if err := t.P.NS.Stat(loc, &st); err != nil {
		return 0, err
	}
	if !vfs.IsDir(st.Mode) {
		return 0, unix.ENOTDIR
	}
	c := t.P.Creds()
	if !permitted(t, &st, 1) {
		return 0, unix.EACCES
	}
	if !c.Capable(unix.CAP_SYS_CHROOT) {
		return 0, unix.EPERM
	}
	if loc.Path == "/" {
		return 0, nil
	}
	root := &vfs.Mount{Type: loc.Mount.Type, Source: loc.Mount.Source, ReadOnly: loc.Mount.ReadOnly}
	switch fs := loc.Mount.FS.(type) {
	case *vfs.HostFS:
		h, err := t.P.Host.FileOpen(fs.RootHandle(), loc.Rel, unix.O_PATH|unix.O_DIRECTORY, 0)
		if err != nil {
			return 0, mapErr(err)
		}
		root.FS = vfs.NewHostFSFromHandle(t.P.Host, h)
	default:
		if loc.Rel != "" {
			return 0, unix.EINVAL // inside a pseudo file system: only its root
		}
		root.FS, root.CoverAttrs = loc.Mount.FS, loc.Mount.CoverAttrs
	}
	t.P.NS.Chroot(loc.Path, root)
	// Its table no longer matches the others': changes are its own now.
	t.P.LeaveMountNamespace()
	cwd := t.P.Cwd()
	switch {
	case cwd == loc.Path:
		t.P.SetCwd("/")
	case strings.HasPrefix(cwd, loc.Path+"/"):
		t.P.SetCwd(strings.TrimPrefix(cwd, loc.Path))
	default:
		t.P.SetCwd("/")
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
	return t.P.NS.ResolveParentAs(base, path, searcher(t))
}

// mayCreateIn is Linux's may_create: the process may add the entry loc to
// the directory parent if it may write and search parent (EACCES), and
// an entry that exists already is EEXIST first. The host, where gophene
// may run as root, does not check for the guest.
func mayCreateIn(t *kernel.Task, parent, loc vfs.Location) error {
	if c := t.P.Creds(); c.Capable(unix.CAP_DAC_OVERRIDE) {
		return nil
	}
	var st pal.Stat
	if err := t.P.NS.Stat(parent, &st); err != nil {
		return vfs.Errno(err)
	}
	if permitted(t, &st, 3) {
		return nil
	}
	if t.P.NS.Stat(loc, &st) == nil {
		return unix.EEXIST
	}
	return unix.EACCES
}

// ownNew gives an object the process just made in parent with mode (type
// included) what Linux would have given it: the process's fsuid and, unless
// parent is set-group-ID, its fsgid as owners, since the host made it as
// root. Giving a non-directory away clears its set-user-ID and
// set-group-ID bits, so these are set again, less a set-group-ID bit that
// Linux drops (mode_strip_sgid: group-executable, in a set-group-ID
// directory whose group the process is not in, without CAP_FSETID).
func ownNew(t *kernel.Task, parent vfs.Location, mode uint32, chown func(uid, gid int) error, chmod func(uint32) error) {
	c := t.P.Creds()
	if c.Fsuid == 0 && c.Fsgid == 0 && c.Capable(unix.CAP_FSETID) {
		return
	}
	var dir pal.Stat
	if t.P.NS.Stat(parent, &dir) != nil {
		dir = pal.Stat{}
	}
	sgidDir := dir.Mode&unix.S_ISGID != 0
	if c.Fsuid != 0 || c.Fsgid != 0 {
		gid := c.Fsgid
		if sgidDir {
			gid = -1 // the directory's, which the host gave it
		}
		chown(c.Fsuid, gid)
	}
	if vfs.IsDir(mode) || mode&(unix.S_ISUID|unix.S_ISGID) == 0 {
		return
	}
	if sgidDir && mode&unix.S_IXGRP != 0 && !inGroup(&c, dir.Gid) && !c.Capable(unix.CAP_FSETID) {
		mode &^= unix.S_ISGID
	}
	chmod(mode & 0o7777)
}

// ownNewAt is ownNew for the object at loc.
func ownNewAt(t *kernel.Task, parent, loc vfs.Location, mode uint32) {
	ownNew(t, parent, mode,
		func(uid, gid int) error { return loc.Mount.FS.Chown(loc.Rel, uid, gid) },
		func(m uint32) error { return loc.Mount.FS.Chmod(loc.Rel, m) })
}

// mayDelete is Linux's may_delete for removing the entry loc from the
// directory parent: it must exist, the process must be able to write and
// search parent (EACCES), and in a sticky directory it must own the entry
// or the directory, or have CAP_FOWNER (EPERM).
func mayDelete(t *kernel.Task, parent, loc vfs.Location) error {
	c := t.P.Creds()
	if c.Capable(unix.CAP_DAC_OVERRIDE) && c.Capable(unix.CAP_FOWNER) {
		return nil
	}
	var dir, st pal.Stat
	if err := t.P.NS.Stat(loc, &st); err != nil {
		return vfs.Errno(err)
	}
	if err := t.P.NS.Stat(parent, &dir); err != nil {
		return vfs.Errno(err)
	}
	return deleteDenied(&c, &dir, &st)
}

// deleteDenied is the permission part of may_delete for an entry st in the
// directory dir.
func deleteDenied(c *kernel.Creds, dir, st *pal.Stat) error {
	if !permittedFor(dir, 3, c.Fsuid, c.Fsgid, c.Groups, c.Cap.Effective) {
		return unix.EACCES
	}
	if dir.Mode&unix.S_ISVTX != 0 && int(st.Uid) != c.Fsuid && int(dir.Uid) != c.Fsuid &&
		!c.Capable(unix.CAP_FOWNER) {
		return unix.EPERM
	}
	return nil
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
	if err := mayCreateIn(t, parent, loc); err != nil {
		return err
	}
	if err := loc.Mount.FS.Mkdir(loc.Rel, mode&0o7777&^t.P.Umask()); err != nil {
		return vfs.Errno(err)
	}
	ownNewAt(t, parent, loc, unix.S_IFDIR)
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
	if rmdir || !mustDir {
		if err := mayDelete(t, parent, loc); err != nil {
			return err
		}
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
	if err := mayRename(t, op, oloc, np, nloc, flags); err != nil {
		return err
	}
	return vfs.Errno(oloc.Mount.FS.Rename(oloc.Rel, nloc.Rel, flags))
}

// mayRename makes Linux's permission checks of a rename of oloc in the
// directory op to nloc in np (vfs_rename): the source must exist; an
// existing target is EEXIST for RENAME_NOREPLACE, a missing one ENOENT for
// RENAME_EXCHANGE; two links to one file need nothing. Then the source
// must be deletable, the target deletable or creatable (mayDelete,
// mayCreateIn), and a directory moving to another parent writable, for
// its "..".
func mayRename(t *kernel.Task, op, oloc, np, nloc vfs.Location, flags uint) error {
	c := t.P.Creds()
	if c.Capable(unix.CAP_DAC_OVERRIDE) && c.Capable(unix.CAP_FOWNER) {
		return nil
	}
	var ost, nst, odir, ndir pal.Stat
	if err := t.P.NS.Stat(oloc, &ost); err != nil {
		return vfs.Errno(err)
	}
	nerr := t.P.NS.Stat(nloc, &nst)
	switch {
	case nerr == nil && flags&unix.RENAME_NOREPLACE != 0:
		return unix.EEXIST
	case nerr != nil && flags&unix.RENAME_EXCHANGE != 0:
		return vfs.Errno(nerr)
	case nerr == nil && nst.Dev == ost.Dev && nst.Ino == ost.Ino:
		return nil
	}
	if err := t.P.NS.Stat(op, &odir); err != nil {
		return vfs.Errno(err)
	}
	if err := deleteDenied(&c, &odir, &ost); err != nil {
		return err
	}
	if nerr != nil {
		if err := mayCreateIn(t, np, nloc); err != nil {
			return err
		}
	} else {
		if err := t.P.NS.Stat(np, &ndir); err != nil {
			return vfs.Errno(err)
		}
		if err := deleteDenied(&c, &ndir, &nst); err != nil {
			return err
		}
	}
	if op.Path == np.Path {
		return nil
	}
	if vfs.IsDir(ost.Mode) && !permitted(t, &ost, 2) {
		return unix.EACCES
	}
	if flags&unix.RENAME_EXCHANGE != 0 && vfs.IsDir(nst.Mode) && !permitted(t, &nst, 2) {
		return unix.EACCES
	}
	return nil
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
	if err := mayLink(t, oloc, np, nloc); err != nil {
		return err
	}
	return vfs.Errno(oloc.Mount.FS.Link(oloc.Rel, nloc.Rel))
}

// mayLink makes Linux's checks of a link to oloc named nloc in np, in its
// order: an existing nloc is EEXIST; with fs.protected_hardlinks only the
// owner of the file or a process with CAP_FOWNER may link to anything but
// a regular file it may read and write that is neither set-user-ID nor
// executable set-group-ID (may_linkat: EPERM); then mayCreateIn.
func mayLink(t *kernel.Task, oloc, np, nloc vfs.Location) error {
	c := t.P.Creds()
	if c.Capable(unix.CAP_DAC_OVERRIDE) && c.Capable(unix.CAP_FOWNER) {
		return nil
	}
	var st pal.Stat
	if t.P.NS.Stat(nloc, &st) == nil {
		return unix.EEXIST
	}
	if err := t.P.NS.Stat(oloc, &st); err != nil {
		return vfs.Errno(err)
	}
	if t.P.Tunables.Get("sys/fs/protected_hardlinks", "1") != "0" && int(st.Uid) != c.Fsuid &&
		!c.Capable(unix.CAP_FOWNER) {
		safe := st.Mode&unix.S_IFMT == unix.S_IFREG && st.Mode&unix.S_ISUID == 0 &&
			st.Mode&(unix.S_ISGID|unix.S_IXGRP) != unix.S_ISGID|unix.S_IXGRP && permitted(t, &st, 6)
		if !safe {
			return unix.EPERM
		}
	}
	return mayCreateIn(t, np, nloc)
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
	if err := mayCreateIn(t, parent, loc); err != nil {
		return err
	}
	if err := loc.Mount.FS.Symlink(target, loc.Rel); err != nil {
		return vfs.Errno(err)
	}
	ownNewAt(t, parent, loc, unix.S_IFLNK)
	return nil
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
		// An empty path names the dirfd itself: a link open with
		// O_PATH|O_NOFOLLOW, ENOENT for anything else.
		var st pal.Stat
		isLink := f.Impl.Stat(&st) == nil && vfs.IsSymlink(st.Mode)
		path := f.Path
		f.DecRef()
		if !isLink {
			return 0, unix.ENOENT
		}
		if loc, err = t.P.NS.Resolve("/", path, false); err != nil {
			return 0, err
		}
	}
	target, err := loc.Mount.FS.Readlink(loc.Rel)
	if vfs.Errno(err) == unix.EINVAL && isEmptyPath(t, addr) {
		return 0, unix.ENOENT // the current directory, named by ""
	}
	if err != nil {
		return 0, vfs.Errno(err)
	}
	n := min(uintptr(len(target)), size)
	if err := t.CopyOut(buf, []byte(target)[:n]); err != nil {
		return 0, err
	}
	return n, nil
}

// isEmptyPath reports whether the guest path at addr is "".
func isEmptyPath(t *kernel.Task, addr uintptr) bool {
	p, err := t.Path(addr)
	return err == nil && p == ""
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
		// Device nodes need CAP_MKNOD; opening one on a host mount is
		// refused unless it is harmless (vfs.hostDeviceAllowed).
		if c := t.P.Creds(); !c.Capable(unix.CAP_MKNOD) {
			return unix.EPERM
		}
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
	if err := mayCreateIn(t, parent, loc); err != nil {
		return err
	}
	perm := mode & 0o7777 &^ t.P.Umask()
	if err := loc.Mount.FS.Mknod(loc.Rel, mode&unix.S_IFMT|perm, dev); err != nil {
		return vfs.Errno(err)
	}
	ownNewAt(t, parent, loc, mode&unix.S_IFMT|perm)
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
