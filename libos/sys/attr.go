package sys

// Implementation of access, faccessat, faccessat2, chmod, fchmod, fchmodat,
// fchmodat2, chown, fchown, lchown, fchownat, utime, utimes, futimesat,
// utimensat, truncate, ftruncate, fallocate, fadvise64, fsync, fdatasync,
// sync, syncfs, sync_file_range and the extended-attribute calls.

import (
	"golang.org/x/sys/unix"
	"strings"

	"gophene/libos/kernel"
	"gophene/libos/vfs"
	"gophene/pal"
)

// permitted applies Unix permission bits (want: 4 read, 2 write, 1
// execute/search) for the process's file-system identity.
func permitted(t *kernel.Task, st *pal.Stat, want uint32) bool {
	c := t.P.Creds()
	return permittedFor(st, want, c.Fsuid, c.Fsgid, c.Groups, c.Cap.Effective)
}

// permittedFor is Linux's generic_permission: the owner, group or other
// bits, then CAP_DAC_OVERRIDE (anything but executing a file with no
// execute bit) and CAP_DAC_READ_SEARCH (reading files, reading and
// searching directories) from the effective set caps.
func permittedFor(st *pal.Stat, want uint32, uid, gid int, groups []int, caps uint64) bool {
	mode := st.Mode
	switch {
	case int(st.Uid) == uid:
		mode >>= 6
	case int(st.Gid) == gid || inGroups(int(st.Gid), groups):
		mode >>= 3
	}
	if mode&want == want {
		return true
	}
	has := func(c int) bool { return caps&(1<<uint(c)) != 0 }
	dir := vfs.IsDir(st.Mode)
	if has(unix.CAP_DAC_OVERRIDE) && (dir || want&1 == 0 || st.Mode&0o111 != 0) {
		return true
	}
	return has(unix.CAP_DAC_READ_SEARCH) && want&2 == 0 && (dir || want == 4)
}

// searcher is the search-permission check of the process's path walks:
// nil when its capabilities pass every such check, so root pays nothing.
func searcher(t *kernel.Task) vfs.Searcher {
	c := t.P.Creds()
	return searcherFor(c.Fsuid, c.Fsgid, c.Groups, c.Cap.Effective)
}

// searcherFor is the search-permission check for the identity uid, gid,
// groups with the effective capability set caps.
func searcherFor(uid, gid int, groups []int, caps uint64) vfs.Searcher {
	if caps&(1<<unix.CAP_DAC_OVERRIDE|1<<unix.CAP_DAC_READ_SEARCH) != 0 {
		return nil
	}
	return func(dir *pal.Stat) bool { return permittedFor(dir, 1, uid, gid, groups, caps) }
}

// inGroup is Linux's in_group_p: g is the fsgid or a supplementary group.
func inGroup(c *kernel.Creds, g uint32) bool {
	return int(g) == c.Fsgid || inGroups(int(g), c.Groups)
}

func inGroups(g int, groups []int) bool {
	for _, x := range groups {
		if x == g {
			return true
		}
	}
	return false
}

func doFaccessat(t *kernel.Task, dirfd, addr uintptr, mode uint32, flags int) error {
	if mode&^7 != 0 || flags&^(unix.AT_EACCESS|unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH) != 0 {
		return unix.EINVAL
	}
	c := t.P.Creds()
	// access(2) checks, the path walk included, with the real ids and
	// the capabilities of root if the real uid is 0 (none otherwise), as
	// Linux's access_override_creds; AT_EACCESS with the process's own
	// file-system ids.
	uid, gid, caps := c.Fsuid, c.Fsgid, c.Cap.Effective
	if flags&unix.AT_EACCESS == 0 {
		uid, gid = c.Uid, c.Gid
		if c.Securebits&kernel.SecbitNoSetuidFixup == 0 {
			caps = 0
			if c.Uid == 0 {
				caps = c.Cap.Permitted
			}
		}
	}
	loc, f, err := resolveAtAs(t, dirfd, addr, flags, searcherFor(uid, gid, c.Groups, caps))
	if err != nil {
		return err
	}
	var st pal.Stat
	if f != nil {
		defer f.DecRef()
		err = f.Impl.Stat(&st)
	} else {
		err = t.P.NS.Stat(loc, &st)
	}
	if err != nil {
		return vfs.Errno(err)
	}
	if mode == 0 {
		return nil
	}
	if mode&2 != 0 && f == nil && loc.Mount.ReadOnly {
		return unix.EROFS
	}
	if !permittedFor(&st, mode, uid, gid, c.Groups, caps) {
		return unix.EACCES
	}
	return nil
}

// Access implements access(2).
func Access(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doFaccessat(t, atFDCWD, a[0], uint32(a[1]), 0))
}

// Faccessat implements faccessat(2) (the system call has no flags).
func Faccessat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doFaccessat(t, a[0], a[1], uint32(a[2]), 0))
}

// Faccessat2 implements faccessat2(2).
func Faccessat2(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doFaccessat(t, a[0], a[1], uint32(a[2]), int(a[3])))
}

// onPath runs op on the object (dirfd, path) names, or on the open file
// for AT_EMPTY_PATH.
func onPath(t *kernel.Task, dirfd, addr uintptr, flags int,
	byPath func(loc vfs.Location) error, byFile func(f *vfs.File) error) error {
	loc, f, err := resolveAt(t, dirfd, addr, flags)
	if err != nil {
		return err
	}
	if f != nil {
		defer f.DecRef()
		return vfs.Errno(byFile(f))
	}
	if loc.Mount.ReadOnly {
		return unix.EROFS
	}
	return vfs.Errno(byPath(loc))
}

// chmodMode is the mode a chmod to mode sets on a file described by stat,
// as Linux's setattr_prepare decides: only the owner or a process with
// CAP_FOWNER may change it (EPERM), and the set-group-ID bit goes unless
// the file's group is one of the process's or it has CAP_FSETID.
func chmodMode(t *kernel.Task, mode uint32, stat func(*pal.Stat) error) (uint32, error) {
	mode &= 0o7777
	c := t.P.Creds()
	if c.Capable(unix.CAP_FOWNER) && c.Capable(unix.CAP_FSETID) {
		return mode, nil
	}
	var st pal.Stat
	if err := stat(&st); err != nil {
		return 0, err
	}
	if int(st.Uid) != c.Fsuid && !c.Capable(unix.CAP_FOWNER) {
		return 0, unix.EPERM
	}
	if !inGroup(&c, st.Gid) && !c.Capable(unix.CAP_FSETID) {
		mode &^= unix.S_ISGID
	}
	return mode, nil
}

func doChmod(t *kernel.Task, dirfd, addr uintptr, mode uint32, flags int) error {
	if flags&^(unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH) != 0 {
		return unix.EINVAL
	}
	return onPath(t, dirfd, addr, flags,
		func(loc vfs.Location) error {
			m, err := chmodMode(t, mode, func(st *pal.Stat) error { return t.P.NS.Stat(loc, st) })
			if err != nil {
				return err
			}
			return loc.Mount.FS.Chmod(loc.Rel, m)
		},
		fchmod(t, mode))
}

// fchmod changes the mode of an open file, as chmodMode allows.
func fchmod(t *kernel.Task, mode uint32) func(f *vfs.File) error {
	return func(f *vfs.File) error {
		m, err := chmodMode(t, mode, f.Impl.Stat)
		if err != nil {
			return err
		}
		return f.Impl.Chmod(m)
	}
}

// Chmod implements chmod(2).
func Chmod(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doChmod(t, atFDCWD, a[0], uint32(a[1]), 0))
}

// Fchmodat implements fchmodat(2) (no flags).
func Fchmodat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doChmod(t, a[0], a[1], uint32(a[2]), 0))
}

// Fchmodat2 implements fchmodat2(2).
func Fchmodat2(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doChmod(t, a[0], a[1], uint32(a[2]), int(a[3])))
}

// Fchmod implements fchmod(2).
func Fchmod(t *kernel.Task, a kernel.Args) (uintptr, error) {
	f, err := file(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if f.IsPath() {
		return 0, unix.EBADF
	}
	return boolErr(fchmod(t, uint32(a[1]))(f))
}

func doChown(t *kernel.Task, dirfd, addr uintptr, uid, gid uintptr, flags int) error {
	if flags&^(unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH) != 0 {
		return unix.EINVAL
	}
	u, g := int(int32(uid)), int(int32(gid))
	return onPath(t, dirfd, addr, flags,
		func(loc vfs.Location) error {
			if err := mayChown(t, u, g, func(st *pal.Stat) error { return t.P.NS.Stat(loc, st) }); err != nil {
				return err
			}
			return loc.Mount.FS.Chown(loc.Rel, u, g)
		},
		fchown(t, u, g))
}

// mayChown is Linux's chown_ok and chgrp_ok for a file described by stat
// (-1: no change): without CAP_CHOWN, only the owner may change the
// group, to one of its own, and nobody may give a file away (EPERM).
func mayChown(t *kernel.Task, uid, gid int, stat func(*pal.Stat) error) error {
	c := t.P.Creds()
	if c.Capable(unix.CAP_CHOWN) || uid == -1 && gid == -1 {
		return nil
	}
	var st pal.Stat
	if err := stat(&st); err != nil {
		return err
	}
	owner := int(st.Uid) == c.Fsuid
	if uid != -1 && (!owner || uid != int(st.Uid)) {
		return unix.EPERM
	}
	if gid != -1 && (!owner || gid != int(st.Gid) && !inGroup(&c, uint32(gid))) {
		return unix.EPERM
	}
	return nil
}

// fchown changes the owners of an open file, as mayChown allows.
func fchown(t *kernel.Task, uid, gid int) func(f *vfs.File) error {
	return func(f *vfs.File) error {
		if err := mayChown(t, uid, gid, f.Impl.Stat); err != nil {
			return err
		}
		return f.Impl.Chown(uid, gid)
	}
}

// Chown implements chown(2).
func Chown(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doChown(t, atFDCWD, a[0], a[1], a[2], 0))
}

// Lchown implements lchown(2).
func Lchown(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doChown(t, atFDCWD, a[0], a[1], a[2], unix.AT_SYMLINK_NOFOLLOW))
}

// Fchownat implements fchownat(2).
func Fchownat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doChown(t, a[0], a[1], a[2], a[3], int(a[4])))
}

// Fchown implements fchown(2).
func Fchown(t *kernel.Task, a kernel.Args) (uintptr, error) {
	f, err := file(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if f.IsPath() {
		return 0, unix.EBADF
	}
	return boolErr(fchown(t, int(int32(a[1])), int(int32(a[2])))(f))
}

// doUtimens sets times from a utimensat-style pair (nil: now).
func doUtimens(t *kernel.Task, dirfd, addr uintptr, times *[2]pal.Timespec, flags int) error {
	if flags&^(unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH) != 0 {
		return unix.EINVAL
	}
	if addr == 0 {
		// utimensat(fd, NULL, ...) changes the file open as fd.
		if int32(dirfd) == unix.AT_FDCWD {
			return unix.EFAULT
		}
		f, err := file(t, dirfd)
		if err != nil {
			return err
		}
		defer f.DecRef()
		return vfs.Errno(futimes(t, times)(f))
	}
	return onPath(t, dirfd, addr, flags,
		func(loc vfs.Location) error {
			if err := mayUtimes(t, times, func(st *pal.Stat) error { return t.P.NS.Stat(loc, st) }); err != nil {
				return err
			}
			return loc.Mount.FS.Utimes(loc.Rel, times)
		},
		futimes(t, times))
}

// mayUtimes is Linux's check of a change of the times of a file described
// by stat: explicit times are for its owner or CAP_FOWNER (EPERM); setting
// both to now (times nil) also for whoever may write it (EACCES).
func mayUtimes(t *kernel.Task, times *[2]pal.Timespec, stat func(*pal.Stat) error) error {
	c := t.P.Creds()
	touch := times == nil || times[0].Nsec == unix.UTIME_NOW && times[1].Nsec == unix.UTIME_NOW
	if c.Capable(unix.CAP_FOWNER) || touch && c.Capable(unix.CAP_DAC_OVERRIDE) {
		return nil
	}
	var st pal.Stat
	if err := stat(&st); err != nil {
		return err
	}
	switch {
	case int(st.Uid) == c.Fsuid:
		return nil
	case !touch:
		return unix.EPERM
	case !permitted(t, &st, 2):
		return unix.EACCES
	}
	return nil
}

// futimes changes the times of an open file, as mayUtimes allows.
func futimes(t *kernel.Task, times *[2]pal.Timespec) func(f *vfs.File) error {
	return func(f *vfs.File) error {
		if err := mayUtimes(t, times, f.Impl.Stat); err != nil {
			return err
		}
		return f.Impl.Utimes(times)
	}
}

// readTimes reads a struct timespec[2] (nil pointer: now).
func readTimes(t *kernel.Task, addr uintptr) (*[2]pal.Timespec, error) {
	if addr == 0 {
		return nil, nil
	}
	var ts [2]unix.Timespec
	if err := kernel.CopyInObj(t, addr, &ts); err != nil {
		return nil, err
	}
	var out [2]pal.Timespec
	for i, v := range ts {
		if v.Nsec != unix.UTIME_NOW && v.Nsec != unix.UTIME_OMIT && (v.Nsec < 0 || v.Nsec >= 1e9) {
			return nil, unix.EINVAL
		}
		out[i] = pal.Timespec{Sec: v.Sec, Nsec: v.Nsec}
	}
	return &out, nil
}

// Utimensat implements utimensat(2).
func Utimensat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	times, err := readTimes(t, a[2])
	if err != nil {
		return 0, err
	}
	if times != nil && times[0].Nsec == unix.UTIME_OMIT && times[1].Nsec == unix.UTIME_OMIT {
		return 0, nil // nothing to do: Linux does not even look the path up
	}
	return boolErr(doUtimens(t, a[0], a[1], times, int(a[3])))
}

// readTimevals reads a struct timeval[2] (nil pointer: now).
func readTimevals(t *kernel.Task, addr uintptr) (*[2]pal.Timespec, error) {
	if addr == 0 {
		return nil, nil
	}
	var tv [2]unix.Timeval
	if err := kernel.CopyInObj(t, addr, &tv); err != nil {
		return nil, err
	}
	var out [2]pal.Timespec
	for i, v := range tv {
		if v.Usec < 0 || v.Usec >= 1e6 {
			return nil, unix.EINVAL
		}
		out[i] = pal.Timespec{Sec: v.Sec, Nsec: v.Usec * 1000}
	}
	return &out, nil
}

// Utimes implements utimes(2).
func Utimes(t *kernel.Task, a kernel.Args) (uintptr, error) {
	times, err := readTimevals(t, a[1])
	if err != nil {
		return 0, err
	}
	return boolErr(doUtimens(t, atFDCWD, a[0], times, 0))
}

// Futimesat implements futimesat(2).
func Futimesat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	times, err := readTimevals(t, a[2])
	if err != nil {
		return 0, err
	}
	return boolErr(doUtimens(t, a[0], a[1], times, 0))
}

// Utime implements utime(2).
func Utime(t *kernel.Task, a kernel.Args) (uintptr, error) {
	var times *[2]pal.Timespec
	if a[1] != 0 {
		var ub [2]int64 // actime, modtime
		if err := kernel.CopyInObj(t, a[1], &ub); err != nil {
			return 0, err
		}
		times = &[2]pal.Timespec{{Sec: ub[0]}, {Sec: ub[1]}}
	}
	return boolErr(doUtimens(t, atFDCWD, a[0], times, 0))
}

// Truncate implements truncate(2), with Linux's checks in its order: a
// directory is EISDIR, anything else not a regular file EINVAL, then
// read-only mounts, write permission and the file-size limit.
func Truncate(t *kernel.Task, a kernel.Args) (uintptr, error) {
	size := int64(a[1])
	if size < 0 {
		return 0, unix.EINVAL
	}
	loc, _, err := resolveAt(t, atFDCWD, a[0], 0)
	if err != nil {
		return 0, err
	}
	var st pal.Stat
	if err := t.P.NS.Stat(loc, &st); err != nil {
		return 0, vfs.Errno(err)
	}
	switch {
	case vfs.IsDir(st.Mode):
		return 0, unix.EISDIR
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		return 0, unix.EINVAL
	case loc.Mount.ReadOnly:
		return 0, unix.EROFS
	case !permitted(t, &st, 2):
		return 0, unix.EACCES
	}
	if err := truncateLimit(t, size, func(s *pal.Stat) error { return t.P.NS.Stat(loc, s) }); err != nil {
		return 0, err
	}
	f, err := loc.Mount.FS.Open(loc.Rel, unix.O_WRONLY, 0)
	if err != nil {
		return 0, vfs.Errno(err)
	}
	defer f.Close()
	return boolErr(f.Truncate(size))
}

// truncateLimit applies RLIMIT_FSIZE to growing the file stat describes
// to size: a regular file growing past the limit gets SIGXFSZ and EFBIG
// (Linux's inode_newsize_ok).
func truncateLimit(t *kernel.Task, size int64, stat func(*pal.Stat) error) error {
	limit := t.P.Rlimit(unix.RLIMIT_FSIZE).Cur
	if limit == kernel.RlimInfinity || uint64(size) <= limit {
		return nil
	}
	var st pal.Stat
	if stat(&st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || size <= st.Size {
		return nil
	}
	t.SignalTask(kernel.NewSigInfo(int(unix.SIGXFSZ), kernel.SiUser).SetSender(t.P.Pid, t.P.Creds().Uid))
	return unix.EFBIG
}

// Ftruncate implements ftruncate(2).
func Ftruncate(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if int64(a[1]) < 0 {
		return 0, unix.EINVAL
	}
	f, err := file(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if !f.Writable() || f.IsPath() {
		return 0, unix.EINVAL
	}
	if err := truncateLimit(t, int64(a[1]), f.Impl.Stat); err != nil {
		return 0, err
	}
	return boolErr(f.Impl.Truncate(int64(a[1])))
}

// Fallocate implements fallocate(2).
func Fallocate(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if int64(a[2]) < 0 || int64(a[3]) <= 0 {
		return 0, unix.EINVAL
	}
	f, err := writeFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return boolErr(f.Impl.Allocate(uint32(a[1]), int64(a[2]), int64(a[3])))
}

// Fadvise64 implements fadvise64(2).
func Fadvise64(t *kernel.Task, a kernel.Args) (uintptr, error) {
	f, err := file(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if f.IsPath() {
		return 0, unix.EBADF
	}
	if a[3] > 5 || int64(a[2]) < 0 {
		return 0, unix.EINVAL
	}
	var st pal.Stat
	if f.Impl.Stat(&st) == nil && st.Mode&unix.S_IFMT == unix.S_IFIFO {
		return 0, unix.ESPIPE
	}
	f.Impl.Advise(int64(a[1]), int64(a[2]), int(a[3]))
	return 0, nil
}

func doSync(t *kernel.Task, fd uintptr, dataOnly bool) error {
	f, err := file(t, fd)
	if err != nil {
		return err
	}
	defer f.DecRef()
	if f.IsPath() {
		return unix.EBADF
	}
	return vfs.Errno(f.Impl.Sync(dataOnly))
}

// Fsync implements fsync(2).
func Fsync(t *kernel.Task, a kernel.Args) (uintptr, error) { return boolErr(doSync(t, a[0], false)) }

// Fdatasync implements fdatasync(2).
func Fdatasync(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doSync(t, a[0], true))
}

// SyncFileRange implements sync_file_range(2) as fdatasync.
func SyncFileRange(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if int64(a[1]) < 0 || int64(a[2]) < 0 || a[3]&^7 != 0 {
		return 0, unix.EINVAL
	}
	f, err := file(t, a[0])
	if err != nil {
		return 0, err
	}
	var st pal.Stat
	err = f.Impl.Stat(&st)
	f.DecRef()
	if typ := st.Mode & unix.S_IFMT; err == nil && typ != unix.S_IFREG && typ != unix.S_IFDIR && typ != unix.S_IFLNK && typ != unix.S_IFBLK {
		return 0, unix.ESPIPE
	}
	return boolErr(doSync(t, a[0], true))
}

// Sync implements sync(2): every open host file is flushed.
func Sync(t *kernel.Task, a kernel.Args) (uintptr, error) {
	t.P.FDs.Each(func(_ int, f *vfs.File) { f.Impl.Sync(false) })
	return 0, nil
}

// Syncfs implements syncfs(2).
func Syncfs(t *kernel.Task, a kernel.Args) (uintptr, error) {
	f, err := file(t, a[0])
	if err != nil {
		return 0, err
	}
	f.DecRef()
	return Sync(t, a)
}

// xattrPath implements the path-based extended-attribute calls.
func xattrPath(t *kernel.Task, a kernel.Args, op pal.XattrOp, follow bool) (uintptr, error) {
	flags := 0
	if !follow {
		flags = unix.AT_SYMLINK_NOFOLLOW
	}
	loc, _, err := resolveAt(t, atFDCWD, a[0], flags)
	if err != nil {
		return 0, err
	}
	return xattr(t, loc, op, a[1], a[2], a[3], a[4])
}

// xattrFd implements the fd-based extended-attribute calls.
func xattrFd(t *kernel.Task, a kernel.Args, op pal.XattrOp) (uintptr, error) {
	f, err := file(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if f.IsPath() || f.Mount == nil {
		return 0, unix.EBADF
	}
	loc, err := t.P.NS.Resolve("/", f.Path, false)
	if err != nil {
		return 0, err
	}
	return xattr(t, loc, op, a[1], a[2], a[3], a[4])
}

func xattr(t *kernel.Task, loc vfs.Location, op pal.XattrOp, nameAddr, val, size, flags uintptr) (uintptr, error) {
	var name string
	if op != pal.XattrList {
		var err error
		if name, err = t.CString(nameAddr, 255); err != nil {
			if err == unix.ENAMETOOLONG {
				err = unix.ERANGE
			}
			return 0, err
		}
		if name == "" {
			return 0, unix.ERANGE
		}
	} else {
		// listxattr(path, list, size): the arguments sit one place earlier.
		val, size = nameAddr, val
	}
	// The trusted namespace is for CAP_SYS_ADMIN (the host, where gophene
	// may be root, would not refuse).
	if c := t.P.Creds(); strings.HasPrefix(name, "trusted.") && !c.Capable(unix.CAP_SYS_ADMIN) {
		if op == pal.XattrGet {
			return 0, unix.ENODATA
		}
		return 0, unix.EPERM
	}
	if size > 64<<10 {
		size = 64 << 10
	}
	buf := make([]byte, size)
	if op == pal.XattrSet {
		if err := t.CopyIn(val, buf); err != nil {
			return 0, err
		}
		if loc.Mount.ReadOnly {
			return 0, unix.EROFS
		}
	}
	n, err := loc.Mount.FS.Xattr(loc.Rel, op, name, buf, int(flags))
	if err != nil {
		return 0, vfs.Errno(err)
	}
	if (op == pal.XattrGet || op == pal.XattrList) && size > 0 {
		if err := t.CopyOut(val, buf[:n]); err != nil {
			return 0, err
		}
	}
	return uintptr(n), nil
}

// Getxattr implements getxattr(2).
func Getxattr(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return xattrPath(t, a, pal.XattrGet, true)
}

// Lgetxattr implements lgetxattr(2).
func Lgetxattr(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return xattrPath(t, a, pal.XattrGet, false)
}

// Fgetxattr implements fgetxattr(2).
func Fgetxattr(t *kernel.Task, a kernel.Args) (uintptr, error) { return xattrFd(t, a, pal.XattrGet) }

// Listxattr implements listxattr(2).
func Listxattr(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return xattrPath(t, a, pal.XattrList, true)
}

// Llistxattr implements llistxattr(2).
func Llistxattr(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return xattrPath(t, a, pal.XattrList, false)
}

// Flistxattr implements flistxattr(2).
func Flistxattr(t *kernel.Task, a kernel.Args) (uintptr, error) { return xattrFd(t, a, pal.XattrList) }

// Setxattr implements setxattr(2).
func Setxattr(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return xattrPath(t, a, pal.XattrSet, true)
}

// Lsetxattr implements lsetxattr(2).
func Lsetxattr(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return xattrPath(t, a, pal.XattrSet, false)
}

// Fsetxattr implements fsetxattr(2).
func Fsetxattr(t *kernel.Task, a kernel.Args) (uintptr, error) { return xattrFd(t, a, pal.XattrSet) }

// Removexattr implements removexattr(2).
func Removexattr(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return xattrPath(t, a, pal.XattrRemove, true)
}

// Lremovexattr implements lremovexattr(2).
func Lremovexattr(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return xattrPath(t, a, pal.XattrRemove, false)
}

// Fremovexattr implements fremovexattr(2).
func Fremovexattr(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return xattrFd(t, a, pal.XattrRemove)
}
