package sys

// Implementation of mount and umount2. Each guest process has its mount
// table (copied at fork); a change is passed on to the other processes of
// its mount namespace before the call returns (kernel.ShareMountChange),
// except binds of a pseudo file system's root, which stay the caller's.
// Propagation types (MS_SHARED, MS_SLAVE, MS_PRIVATE) change nothing.
// What can be mounted:
//   - tmpfs: a fresh host directory private to the instance, in memory
//     where the host allows (pal.FileTempRoot); size= is accepted and not
//     enforced;
//   - bind mounts (MS_BIND) of a directory or file that lives on a host
//     mount, and of the root of a pseudo file system (/proc, /dev);
//   - MS_REMOUNT to change MS_RDONLY, and MS_MOVE.
// Disk file systems need a block device, which the guest has none of:
// ENODEV for a file system type the LibOS does not have.

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/vfs"
	"gophene/pal"
)

// Mount flags the LibOS looks at (the others are accepted).
const (
	msRdonly  = unix.MS_RDONLY
	msRemount = unix.MS_REMOUNT
	msBind    = unix.MS_BIND
	msMove    = unix.MS_MOVE
	msPropag  = unix.MS_SHARED | unix.MS_SLAVE | unix.MS_PRIVATE | unix.MS_UNBINDABLE
)

// atFdcwd is AT_FDCWD as a system-call argument.
const atFdcwd = uintptr(0xffffff9c) // int32 -100

// Mount implements mount(2).
func Mount(t *kernel.Task, a kernel.Args) (uintptr, error) {
	flags := a[3]
	if flags&0xffff0000 == unix.MS_MGC_VAL {
		flags &= 0xffff // the old magic in the high bits
	}
	// As Linux, the target is looked up before the privilege check.
	target, _, err := resolveAt(t, atFdcwd, a[1], 0)
	if err != nil {
		return 0, err
	}
	if c := t.P.Creds(); !c.Capable(unix.CAP_SYS_ADMIN) {
		return 0, unix.EPERM
	}
	// A target that is a symbolic link itself (an O_PATH descriptor of
	// one, reached through /proc/self/fd) cannot be mounted on.
	var tst pal.Stat
	statErr := t.P.NS.Stat(target, &tst)
	if statErr == nil && vfs.IsSymlink(tst.Mode) {
		return 0, unix.ENOENT
	}
	ns := t.P.NS
	switch {
	case flags&msRemount != 0:
		m := mountAt(target)
		if m == nil {
			return 0, unix.EINVAL
		}
		m.ReadOnly = flags&msRdonly != 0
		return 0, t.P.ShareMountChange(kernel.MountChange{Op: kernel.MountReadOnly, Path: m.Path, ReadOnly: m.ReadOnly})
	case flags&msBind != 0:
		if statErr != nil {
			return 0, statErr
		}
		return 0, bindMount(t, a[0], target, &tst, flags)
	case flags&msMove != 0:
		src, _, err := resolveAt(t, atFdcwd, a[0], 0)
		if err != nil {
			return 0, err
		}
		m := mountAt(src)
		if m == nil || src.Path == "/" {
			return 0, unix.EINVAL
		}
		if target.Path == src.Path || strings.HasPrefix(target.Path, src.Path+"/") {
			return 0, unix.ELOOP
		}
		ns.Remove(src.Path)
		moved := *m
		moved.Path = target.Path
		ns.Push(&moved)
		return 0, t.P.ShareMountChange(kernel.MountChange{Op: kernel.MountMove, Path: src.Path, NewPath: target.Path})
	case flags&msPropag != 0:
		// Propagation types: every process's table is its own already.
		if mountAt(target) == nil {
			return 0, unix.EINVAL
		}
		return 0, nil
	}
	fstype, err := t.CString(a[2], 256)
	if err != nil {
		return 0, err
	}
	source := ""
	if a[0] != 0 {
		if source, err = t.CString(a[0], vfs.PathMax); err != nil {
			return 0, err
		}
	}
	var data string
	if a[4] != 0 {
		if data, err = t.CString(a[4], 4096); err != nil {
			return 0, err
		}
	}
	if statErr != nil {
		return 0, statErr
	}
	if !vfs.IsDir(tst.Mode) {
		return 0, unix.ENOTDIR
	}
	switch fstype {
	case "tmpfs":
		h, err := t.P.Host.FileTempRoot()
		if err != nil {
			return 0, mapErr(err)
		}
		fs := vfs.NewHostFSFromHandle(t.P.Host, h)
		if err := tmpfsOptions(t, fs, data); err != nil {
			t.P.Host.StreamClose(h)
			return 0, err
		}
		ns.Push(&vfs.Mount{Path: target.Path, FS: fs, Type: "tmpfs", Source: source, ReadOnly: flags&msRdonly != 0})
		return 0, t.P.ShareMountChange(kernel.MountChange{Op: kernel.MountPush, Path: target.Path, Type: "tmpfs",
			Source: source, ReadOnly: flags&msRdonly != 0, H: h})
	}
	return 0, unix.ENODEV
}

// tmpfsOptions applies tmpfs's mode=, uid= and gid= to the new root; size
// and the inode options are accepted; anything else is EINVAL.
func tmpfsOptions(t *kernel.Task, fs *vfs.HostFS, data string) error {
	uid, gid := -1, -1
	for _, opt := range strings.Split(data, ",") {
		k, v, _ := strings.Cut(opt, "=")
		switch k {
		case "":
		case "mode":
			m, err := strconv.ParseUint(v, 8, 32)
			if err != nil {
				return unix.EINVAL
			}
			if err := vfs.Errno(fs.Chmod("", uint32(m)&0o7777)); err != nil {
				return err
			}
		case "uid", "gid":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return unix.EINVAL
			}
			if k == "uid" {
				uid = n
			} else {
				gid = n
			}
		case "size", "nr_blocks", "nr_inodes", "mpol", "huge", "noswap", "inode32", "inode64", "quota", "usrquota", "grpquota":
		default:
			return unix.EINVAL
		}
	}
	if uid >= 0 || gid >= 0 {
		return vfs.Errno(fs.Chown("", uid, gid))
	}
	return nil
}

// bindMount mounts what source names at target, which tst describes
// (MS_BIND).
func bindMount(t *kernel.Task, sourceAddr uintptr, target vfs.Location, tst *pal.Stat, flags uintptr) error {
	src, _, err := resolveAt(t, atFdcwd, sourceAddr, 0)
	if err != nil {
		return err
	}
	var sst pal.Stat
	if err := t.P.NS.Stat(src, &sst); err != nil {
		return err
	}
	if vfs.IsDir(sst.Mode) != vfs.IsDir(tst.Mode) {
		if vfs.IsDir(sst.Mode) {
			return unix.ENOTDIR
		}
		return unix.EISDIR
	}
	var fs vfs.FS
	switch sfs := src.Mount.FS.(type) {
	case *vfs.HostFS:
		h, err := t.P.Host.FileOpen(sfs.RootHandle(), src.Rel, unix.O_PATH, 0)
		if err != nil {
			return mapErr(err)
		}
		fs = vfs.NewHostFSFromHandle(t.P.Host, h)
	default:
		if src.Rel != "" {
			return unix.EINVAL // inside a pseudo file system: only its root
		}
		fs = src.Mount.FS
	}
	m := &vfs.Mount{Path: target.Path, FS: fs, Type: src.Mount.Type, Source: src.Mount.Source,
		ReadOnly: flags&msRdonly != 0, CoverAttrs: src.Mount.CoverAttrs && src.Rel == ""}
	t.P.NS.Push(m)
	if hfs, ok := fs.(*vfs.HostFS); ok {
		return t.P.ShareMountChange(kernel.MountChange{Op: kernel.MountPush, Path: m.Path, Type: m.Type,
			Source: m.Source, ReadOnly: m.ReadOnly, H: hfs.RootHandle()})
	}
	return nil // a pseudo file system's root: this process's table only
}

// mountAt returns the mount whose root loc is, or nil.
func mountAt(loc vfs.Location) *vfs.Mount {
	if loc.Rel != "" || loc.Mount.Path != loc.Path {
		return nil
	}
	return loc.Mount
}

// Umount2 implements umount2(2). A mount in use (an open file on it, or
// the current directory inside it) is busy unless MNT_DETACH is given.
func Umount2(t *kernel.Task, a kernel.Args) (uintptr, error) {
	flags := int(a[1])
	if flags&^(unix.MNT_FORCE|unix.MNT_DETACH|unix.MNT_EXPIRE|unix.UMOUNT_NOFOLLOW) != 0 ||
		flags&unix.MNT_EXPIRE != 0 && flags&(unix.MNT_FORCE|unix.MNT_DETACH) != 0 {
		return 0, unix.EINVAL
	}
	rflags := 0
	if flags&unix.UMOUNT_NOFOLLOW != 0 {
		rflags = unix.AT_SYMLINK_NOFOLLOW
	}
	loc, _, err := resolveAt(t, atFdcwd, a[0], rflags)
	if err != nil {
		return 0, err
	}
	if c := t.P.Creds(); !c.Capable(unix.CAP_SYS_ADMIN) {
		return 0, unix.EPERM
	}
	m := mountAt(loc)
	if m == nil {
		return 0, unix.EINVAL
	}
	if loc.Path == "/" {
		return 0, unix.EBUSY
	}
	if flags&unix.MNT_EXPIRE != 0 {
		return 0, unix.EAGAIN // not marked for expiry yet: the first call marks it
	}
	if flags&unix.MNT_DETACH == 0 && mountBusy(t, m) {
		return 0, unix.EBUSY
	}
	t.P.NS.Remove(m.Path)
	return 0, t.P.ShareMountChange(kernel.MountChange{Op: kernel.MountRemove, Path: m.Path})
}

// mountBusy reports whether the process uses mount m: an open file on it,
// its current directory inside it, or a mount on top of something in it.
func mountBusy(t *kernel.Task, m *vfs.Mount) bool {
	busy := false
	t.P.FDs.Each(func(_ int, f *vfs.File) {
		if f.Mount == m {
			busy = true
		}
	})
	cwd := t.P.Cwd()
	if cwd == m.Path || strings.HasPrefix(cwd, m.Path+"/") {
		busy = true
	}
	for _, o := range t.P.NS.Mounts() {
		if strings.HasPrefix(o.Path, m.Path+"/") {
			busy = true
		}
	}
	return busy
}
