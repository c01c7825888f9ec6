package vfs

import (
	"golang.org/x/sys/unix"

	"gophene/pal"
)

// Errno turns a PAL error into the Linux errno the guest sees; other
// errors pass through unchanged.
func Errno(err error) error {
	if pe, ok := err.(pal.Error); ok {
		return pe.Errno()
	}
	return err
}

// HostFS is a "chroot" mount: a host directory reached through the PAL.
type HostFS struct {
	host pal.Host
	root pal.Handle
}

// NewHostFSFromHandle makes a mount whose root the host handle h is (a
// mount handed down from a parent process).
func NewHostFSFromHandle(host pal.Host, h pal.Handle) *HostFS { return &HostFS{host: host, root: h} }

// RootHandle is the host handle of the mount's root.
func (fs *HostFS) RootHandle() pal.Handle { return fs.root }

// NewHostFS opens the host directory (or file) hostPath as a mount root.
func NewHostFS(host pal.Host, hostPath string) (*HostFS, error) {
	h, err := host.FileOpenRoot(hostPath)
	if err != nil {
		return nil, Errno(err)
	}
	return &HostFS{host: host, root: h}, nil
}

func (fs *HostFS) Stat(rel string, st *pal.Stat) error {
	return Errno(fs.host.FileStat(fs.root, rel, st))
}

func (fs *HostFS) Open(rel string, flags int, mode uint32) (FileImpl, error) {
	flags &^= unix.O_CLOEXEC
	if flags&(unix.O_CREAT|unix.O_EXCL) == unix.O_CREAT {
		// Whether this open made the file (F_CREATED_QUERY): try to
		// create it first, and open what is there if that fails.
		h, err := fs.host.FileOpen(fs.root, rel, flags|unix.O_EXCL, mode)
		if err == nil {
			return &HostFile{host: fs.host, h: h, created: true}, nil
		}
		if err != pal.ErrExist {
			return nil, Errno(err)
		}
	}
	h, err := fs.host.FileOpen(fs.root, rel, flags, mode)
	if err != nil {
		return nil, Errno(err)
	}
	if flags&unix.O_PATH == 0 {
		// A device node in a host directory would open the host's
		// device: only the harmless ones may be (see hostDeviceAllowed).
		var st pal.Stat
		if err := fs.host.StreamStat(h, &st); err != nil {
			fs.host.StreamClose(h)
			return nil, Errno(err)
		}
		if typ := st.Mode & unix.S_IFMT; (typ == unix.S_IFCHR || typ == unix.S_IFBLK) && !hostDeviceAllowed(typ, st.Rdev) {
			fs.host.StreamClose(h)
			return nil, unix.EACCES
		}
	}
	return &HostFile{host: fs.host, h: h, created: flags&(unix.O_CREAT|unix.O_EXCL) == unix.O_CREAT|unix.O_EXCL}, nil
}

// hostDeviceAllowed says whether a device node found on a host mount may
// be opened: the memory devices without access to anything (null, zero,
// full, random, urandom), the terminal ones (tty, ptmx, the
// pseudo-terminal slaves). Any other would hand the guest a host device
// (disks, /dev/mem), so it fails with EACCES, as on a nodev mount.
func hostDeviceAllowed(typ uint32, rdev uint64) bool {
	if typ != unix.S_IFCHR {
		return false
	}
	major, minor := unix.Major(rdev), unix.Minor(rdev)
	switch {
	case major == 1:
		return minor == 3 || minor == 5 || minor == 7 || minor == 8 || minor == 9
	case major == 5:
		return minor == 0 || minor == 2
	case major >= 136 && major < 144:
		return true
	}
	return false
}

func (fs *HostFS) Readlink(rel string) (string, error) {
	buf := make([]byte, PathMax)
	n, err := fs.host.FileReadlink(fs.root, rel, buf)
	if err != nil {
		return "", Errno(err)
	}
	return string(buf[:n]), nil
}

func (fs *HostFS) Mkdir(rel string, mode uint32) error {
	return Errno(fs.host.FileMkdir(fs.root, rel, mode))
}

func (fs *HostFS) Mknod(rel string, mode uint32, dev uint64) error {
	return Errno(fs.host.FileMknod(fs.root, rel, mode, dev))
}

func (fs *HostFS) Unlink(rel string) error { return Errno(fs.host.FileUnlink(fs.root, rel, false)) }

func (fs *HostFS) Rmdir(rel string) error { return Errno(fs.host.FileUnlink(fs.root, rel, true)) }

func (fs *HostFS) Rename(oldRel, newRel string, flags uint) error {
	return Errno(fs.host.FileRename(fs.root, oldRel, fs.root, newRel, flags))
}

func (fs *HostFS) Link(oldRel, newRel string) error {
	return Errno(fs.host.FileLink(fs.root, oldRel, fs.root, newRel))
}

func (fs *HostFS) Symlink(target, rel string) error {
	return Errno(fs.host.FileSymlink(target, fs.root, rel))
}

func (fs *HostFS) Chmod(rel string, mode uint32) error {
	return Errno(fs.host.FileChmod(fs.root, rel, mode))
}

func (fs *HostFS) Chown(rel string, uid, gid int) error {
	return Errno(fs.host.FileChown(fs.root, rel, uid, gid))
}

func (fs *HostFS) Utimes(rel string, times *[2]pal.Timespec) error {
	return Errno(fs.host.FileUtimes(fs.root, rel, times))
}

func (fs *HostFS) Statfs(rel string, st *pal.Statfs) error {
	return Errno(fs.host.FileStatfs(fs.root, rel, st))
}

func (fs *HostFS) Xattr(rel string, op pal.XattrOp, name string, value []byte, flags int) (int, error) {
	n, err := fs.host.FileXattr(fs.root, rel, op, name, value, flags)
	return n, Errno(err)
}

// HostFile is an open host stream: a file, directory, pipe or terminal.
type HostFile struct {
	host    pal.Host
	h       pal.Handle
	created bool // the open that made this file created it
}

// Created reports whether the open that made this file created it.
func (f *HostFile) Created() bool { return f.created }

// NewHostFile wraps a host handle the LibOS already owns.
func NewHostFile(host pal.Host, h pal.Handle) *HostFile { return &HostFile{host: host, h: h} }

// ReleasePosixLocks unlocks the whole file for this process.
func (f *HostFile) ReleasePosixLocks() {
	f.host.StreamLock(f.h, unix.F_SETLK, &pal.Lock{Type: unix.F_UNLCK, Whence: 0})
}

func (f *HostFile) Read(p []byte) (int, error) {
	n, err := f.host.StreamRead(f.h, p)
	return n, Errno(err)
}

func (f *HostFile) Write(p []byte) (int, error) {
	n, err := f.host.StreamWrite(f.h, p)
	return n, Errno(err)
}

func (f *HostFile) Pread(p []byte, off int64) (int, error) {
	n, err := f.host.StreamPread(f.h, p, off)
	return n, Errno(err)
}

func (f *HostFile) Pwrite(p []byte, off int64) (int, error) {
	n, err := f.host.StreamPwrite(f.h, p, off)
	return n, Errno(err)
}

func (f *HostFile) Seek(off int64, whence int) (int64, error) {
	n, err := f.host.StreamSeek(f.h, off, whence)
	return n, Errno(err)
}

func (f *HostFile) Stat(st *pal.Stat) error { return Errno(f.host.StreamStat(f.h, st)) }

func (f *HostFile) Readdir(p []byte) (int, error) {
	n, err := f.host.StreamReaddir(f.h, p)
	return n, Errno(err)
}

func (f *HostFile) Ioctl(req uint, arg uintptr) (uintptr, error) {
	n, err := f.host.StreamTerminal(f.h, req, arg)
	return uintptr(n), Errno(err)
}

func (f *HostFile) Truncate(size int64) error { return Errno(f.host.StreamTruncate(f.h, size)) }

func (f *HostFile) Sync(dataOnly bool) error { return Errno(f.host.StreamSync(f.h, dataOnly)) }

func (f *HostFile) Allocate(mode uint32, off, size int64) error {
	return Errno(f.host.StreamAllocate(f.h, mode, off, size))
}

func (f *HostFile) Advise(off, size int64, advice int) error {
	return Errno(f.host.StreamAdvise(f.h, off, size, advice))
}

func (f *HostFile) SetFlags(flags int) error { return Errno(f.host.StreamSetFlags(f.h, flags)) }

func (f *HostFile) Chmod(mode uint32) error { return Errno(f.host.StreamChmod(f.h, mode)) }

func (f *HostFile) Chown(uid, gid int) error { return Errno(f.host.StreamChown(f.h, uid, gid)) }

func (f *HostFile) Utimes(t *[2]pal.Timespec) error { return Errno(f.host.StreamUtimes(f.h, t)) }

func (f *HostFile) Handle() pal.Handle { return f.h }

func (f *HostFile) Close() error { return Errno(f.host.StreamClose(f.h)) }
