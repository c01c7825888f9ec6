package sys

// Implementation of stat, fstat, lstat, newfstatat, statx, statfs and
// fstatfs.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/vfs"
	"gophene/pal"
)

// statAt describes (dirfd, path) with *at flags.
func statAt(t *kernel.Task, dirfd, addr uintptr, flags int, st *pal.Stat) error {
	if flags&^(unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH|unix.AT_NO_AUTOMOUNT|atStatxSyncType) != 0 {
		return unix.EINVAL
	}
	loc, f, err := resolveAt(t, dirfd, addr, flags)
	if err != nil {
		return err
	}
	if f != nil {
		defer f.DecRef()
		return vfs.Errno(f.Impl.Stat(st))
	}
	return vfs.Errno(t.P.NS.Stat(loc, st))
}

func toStat(st *pal.Stat) unix.Stat_t {
	return unix.Stat_t{
		Dev: st.Dev, Ino: st.Ino, Nlink: st.Nlink, Mode: st.Mode, Uid: st.Uid, Gid: st.Gid,
		Rdev: st.Rdev, Size: st.Size, Blksize: st.Blksize, Blocks: st.Blocks,
		Atim: unix.Timespec{Sec: st.Atime.Sec, Nsec: st.Atime.Nsec},
		Mtim: unix.Timespec{Sec: st.Mtime.Sec, Nsec: st.Mtime.Nsec},
		Ctim: unix.Timespec{Sec: st.Ctime.Sec, Nsec: st.Ctime.Nsec},
	}
}

func putStat(t *kernel.Task, addr uintptr, st *pal.Stat) error {
	s := toStat(st)
	return kernel.CopyOutObj(t, addr, &s)
}

// Stat implements stat(2).
func Stat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	var st pal.Stat
	if err := statAt(t, atFDCWD, a[0], 0, &st); err != nil {
		return 0, err
	}
	return boolErr(putStat(t, a[1], &st))
}

// Lstat implements lstat(2).
func Lstat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	var st pal.Stat
	if err := statAt(t, atFDCWD, a[0], unix.AT_SYMLINK_NOFOLLOW, &st); err != nil {
		return 0, err
	}
	return boolErr(putStat(t, a[1], &st))
}

// Fstat implements fstat(2).
func Fstat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	f, err := file(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	var st pal.Stat
	if err := f.Impl.Stat(&st); err != nil {
		return 0, vfs.Errno(err)
	}
	return boolErr(putStat(t, a[1], &st))
}

// Newfstatat implements newfstatat(2).
func Newfstatat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	var st pal.Stat
	if err := statAt(t, a[0], a[1], int(a[3]), &st); err != nil {
		return 0, err
	}
	return boolErr(putStat(t, a[2], &st))
}

// Statx implements statx(2).
func Statx(t *kernel.Task, a kernel.Args) (uintptr, error) {
	flags := int(a[2])
	if a[3]&unix.STATX__RESERVED != 0 || flags&atStatxSyncType == atStatxSyncType {
		return 0, unix.EINVAL
	}
	var st pal.Stat
	var err error
	if a[1] == 0 && flags&unix.AT_EMPTY_PATH != 0 {
		var f *vfs.File
		if f, err = file(t, a[0]); err == nil {
			err = vfs.Errno(f.Impl.Stat(&st))
			if f.Mount != nil {
				st.MountID = uint64(f.Mount.ID)
			}
			f.DecRef()
		}
	} else {
		err = statAt(t, a[0], a[1], flags, &st)
	}
	if err != nil {
		return 0, err
	}
	ts := func(p pal.Timespec) unix.StatxTimestamp { return unix.StatxTimestamp{Sec: p.Sec, Nsec: uint32(p.Nsec)} }
	mask := st.Mask
	if mask == 0 {
		mask = unix.STATX_BASIC_STATS
	}
	sx := unix.Statx_t{
		Mask: mask &^ unix.STATX__RESERVED, Blksize: uint32(st.Blksize), Attributes: st.Attributes,
		Nlink: uint32(st.Nlink), Uid: st.Uid, Gid: st.Gid, Mode: uint16(st.Mode), Ino: st.Ino,
		Size: uint64(st.Size), Blocks: uint64(st.Blocks), Attributes_mask: st.AttrMask,
		Atime: ts(st.Atime), Btime: ts(st.Btime), Ctime: ts(st.Ctime), Mtime: ts(st.Mtime),
		Rdev_major: unix.Major(st.Rdev), Rdev_minor: unix.Minor(st.Rdev),
		Dev_major: unix.Major(st.Dev), Dev_minor: unix.Minor(st.Dev), Mnt_id: st.MountID,
	}
	return boolErr(kernel.CopyOutObj(t, a[4], &sx))
}

func putStatfs(t *kernel.Task, addr uintptr, st *pal.Statfs) error {
	s := unix.Statfs_t{Type: st.Type, Bsize: st.Bsize, Blocks: st.Blocks, Bfree: st.Bfree, Bavail: st.Bavail,
		Files: st.Files, Ffree: st.Ffree, Fsid: unix.Fsid{Val: st.Fsid}, Namelen: st.Namelen,
		Frsize: st.Frsize, Flags: st.Flags}
	return kernel.CopyOutObj(t, addr, &s)
}

// Statfs implements statfs(2).
func Statfs(t *kernel.Task, a kernel.Args) (uintptr, error) {
	loc, _, err := resolveAt(t, atFDCWD, a[0], 0)
	if err != nil {
		return 0, err
	}
	var st pal.Statfs
	if err := loc.Mount.FS.Statfs(loc.Rel, &st); err != nil {
		return 0, vfs.Errno(err)
	}
	return boolErr(putStatfs(t, a[1], &st))
}

// Fstatfs implements fstatfs(2).
func Fstatfs(t *kernel.Task, a kernel.Args) (uintptr, error) {
	f, err := file(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if f.Mount == nil {
		// Pipes and other anonymous files live on Linux's pipefs.
		return boolErr(putStatfs(t, a[1], &pal.Statfs{Type: 0x50495045, Bsize: 4096, Frsize: 4096, Namelen: 255}))
	}
	loc, _ := t.P.NS.Resolve("/", f.Path, false)
	if loc.Mount == nil {
		loc = vfs.Location{Mount: f.Mount, Rel: ""}
	}
	var st pal.Statfs
	if err := loc.Mount.FS.Statfs(loc.Rel, &st); err != nil {
		return 0, vfs.Errno(err)
	}
	return boolErr(putStatfs(t, a[1], &st))
}

// atStatxSyncType is AT_STATX_SYNC_TYPE (the FORCE_SYNC|DONT_SYNC bits).
const atStatxSyncType = 0x6000
