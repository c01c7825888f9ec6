// Package vfs is the LibOS's virtual file system: open file descriptions,
// the file-system interface every mount type implements, the mount table and
// path resolution. Mount types live here too: host directories ("chroot",
// through the PAL), /dev, and the pseudo-file machinery /proc is built on.
//
// Path resolution is done here, component by component where needed, so
// that "..", symbolic links and mount points behave as on Linux and can
// never lead outside the mounts. The host is only ever asked about paths
// beneath a mount's root that contain no symbolic link, and it enforces that
// itself.
package vfs

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"gophene/libos/mm"
	"gophene/pal"
)

// FileImpl is what an open file does. Embed BaseFile to get Linux's answer
// for every operation a file type does not support.
type FileImpl interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	Pread(p []byte, off int64) (int, error)
	Pwrite(p []byte, off int64) (int, error)
	Seek(off int64, whence int) (int64, error)
	Stat(st *pal.Stat) error
	// Readdir fills p with linux_dirent64 records.
	Readdir(p []byte) (int, error)
	// Ioctl handles a device-specific request; arg is a guest address that
	// the caller has not checked.
	Ioctl(req uint, arg uintptr) (uintptr, error)
	Truncate(size int64) error
	Sync(dataOnly bool) error
	Allocate(mode uint32, off, size int64) error
	Advise(off, size int64, advice int) error
	SetFlags(flags int) error
	Chmod(mode uint32) error
	Chown(uid, gid int) error
	Utimes(times *[2]pal.Timespec) error
	// Handle is the host stream behind the file, for mmap and poll, or
	// pal.NoHandle.
	Handle() pal.Handle
	Close() error
}

// BaseFile gives the Linux error for every operation; file types embed it
// and override what they support.
type BaseFile struct{}

func (BaseFile) Read([]byte) (int, error)             { return 0, unix.EINVAL }
func (BaseFile) Write([]byte) (int, error)            { return 0, unix.EINVAL }
func (BaseFile) Pread([]byte, int64) (int, error)     { return 0, unix.ESPIPE }
func (BaseFile) Pwrite([]byte, int64) (int, error)    { return 0, unix.ESPIPE }
func (BaseFile) Seek(int64, int) (int64, error)       { return 0, unix.ESPIPE }
func (BaseFile) Readdir([]byte) (int, error)          { return 0, unix.ENOTDIR }
func (BaseFile) Ioctl(uint, uintptr) (uintptr, error) { return 0, unix.ENOTTY }
func (BaseFile) Truncate(int64) error                 { return unix.EINVAL }
func (BaseFile) Sync(bool) error                      { return unix.EINVAL }
func (BaseFile) Allocate(uint32, int64, int64) error  { return unix.ENODEV }
func (BaseFile) Advise(int64, int64, int) error       { return nil }
func (BaseFile) SetFlags(int) error                   { return nil }
func (BaseFile) Chmod(uint32) error                   { return unix.EPERM }
func (BaseFile) Chown(int, int) error                 { return unix.EPERM }
func (BaseFile) Utimes(*[2]pal.Timespec) error        { return unix.EPERM }
func (BaseFile) Handle() pal.Handle                   { return pal.NoHandle }
func (BaseFile) Close() error                         { return nil }

// File is an open file description: what a guest fd refers to. Duplicated
// fds share one File, and with it the offset and status flags.
type File struct {
	refs  atomic.Int32
	mu    sync.Mutex
	flags int // O_ACCMODE and the status flags (O_APPEND, O_NONBLOCK, ...)
	// ID names the open file description across the guest's processes
	// (kcmp): a forked child's copy keeps it.
	ID uint64
	// Path is the absolute guest path the file was opened by.
	Path string
	// Mount is where the file lives (nil for pipes and the like).
	Mount *Mount
	Impl  FileImpl
	// owner is who receives the file's I/O signals (F_SETOWN(_EX)): its
	// type (F_OWNER_TID, _PID, _PGRP) and id; sig is F_SETSIG's signal.
	ownerType, owner, sig int
}

// Owner returns the file's owner (F_GETOWN_EX) and its signal (F_GETSIG).
func (f *File) Owner() (typ, id, sig int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ownerType, f.owner, f.sig
}

// SetOwner sets the file's owner (F_SETOWN, F_SETOWN_EX).
func (f *File) SetOwner(typ, id int) {
	f.mu.Lock()
	f.ownerType, f.owner = typ, id
	f.mu.Unlock()
}

// SetSig sets the signal F_SETSIG names.
func (f *File) SetSig(sig int) {
	f.mu.Lock()
	f.sig = sig
	f.mu.Unlock()
}

// NewFile makes an open file description with one reference.
func NewFile(impl FileImpl, flags int, path string, m *Mount) *File {
	f := &File{flags: flags, Path: path, Mount: m, Impl: impl, ID: rand.Uint64() | 1}
	f.refs.Store(1)
	return f
}

// Released reports whether the last reference was dropped (the file is
// closed).
func (f *File) Released() bool { return f.refs.Load() <= 0 }

// IncRef adds a reference (dup, fork).
func (f *File) IncRef() { f.refs.Add(1) }

// DecRef drops a reference and closes the file with the last one.
func (f *File) DecRef() error {
	if f.refs.Add(-1) == 0 {
		return f.Impl.Close()
	}
	return nil
}

// ReleasePosixLocks drops the calling process's POSIX record locks on the
// file's inode, for files whose locks the host keeps.
func (f *File) ReleasePosixLocks() {
	if r, ok := f.Impl.(interface{ ReleasePosixLocks() }); ok {
		r.ReleasePosixLocks()
	}
}

// Flags returns the access mode and status flags.
func (f *File) Flags() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.flags
}

// settableFlags are the status flags F_SETFL may change.
const settableFlags = unix.O_APPEND | unix.O_ASYNC | unix.O_DIRECT | unix.O_NOATIME | unix.O_NONBLOCK

// SetFlags implements F_SETFL.
func (f *File) SetFlags(flags int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	nf := f.flags&^settableFlags | flags&settableFlags
	if err := f.Impl.SetFlags(nf); err != nil {
		return err
	}
	f.flags = nf
	return nil
}

// Readable reports whether the file was opened for reading.
func (f *File) Readable() bool {
	m := f.Flags() & unix.O_ACCMODE
	return m == unix.O_RDONLY || m == unix.O_RDWR
}

// Writable reports whether the file was opened for writing.
func (f *File) Writable() bool {
	m := f.Flags() & unix.O_ACCMODE
	return m == unix.O_WRONLY || m == unix.O_RDWR
}

// IsPath reports whether the file is an O_PATH descriptor.
func (f *File) IsPath() bool { return f.Flags()&unix.O_PATH != 0 }

// fileBacking lets a host-backed File be mapped with mmap.
type fileBacking struct{ f *File }

func (b fileBacking) MapHandle() (pal.Handle, error) {
	h := b.f.Impl.Handle()
	if h == pal.NoHandle {
		return h, unix.ENODEV
	}
	return h, nil
}

func (b fileBacking) MapName() string { return b.f.Path }

func (b fileBacking) IncRef() { b.f.IncRef() }

func (b fileBacking) DecRef() error { return b.f.DecRef() }

func (b fileBacking) MapIdentity() (uint64, uint64) {
	var st pal.Stat
	if b.f.Impl.Stat(&st) != nil {
		return 0, 0
	}
	return st.Dev, st.Ino
}

// Backing returns the file as an mmap backing. The same File always yields
// an equal Backing, so adjacent mappings of it merge.
func (f *File) Backing() mm.Backing { return fileBacking{f} }

// BackingFile returns the open file behind an mmap backing, if it is one.
func BackingFile(b mm.Backing) (*File, bool) {
	fb, ok := b.(fileBacking)
	return fb.f, ok
}

// Restorer rebuilds a special file handed down from a parent process: h is
// its host handle (or NoHandle), state what its Saver returned.
type Restorer func(host pal.Host, h pal.Handle, state []byte, flags int) (FileImpl, error)

var restorers = map[string]Restorer{}

// RegisterRestorer registers how files opened under name (a pseudo path
// such as "anon_inode:[eventpoll]") are rebuilt in a child process.
func RegisterRestorer(name string, r Restorer) { restorers[name] = r }

// RestorerFor returns the restorer for files named name.
func RestorerFor(name string) (Restorer, bool) {
	r, ok := restorers[name]
	return r, ok
}

// Saver is a file with state of its own to hand to a child process.
type Saver interface{ SaveState() []byte }
