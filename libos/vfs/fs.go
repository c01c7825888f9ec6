package vfs

import (
	"strings"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// FS is a mounted file system. Every rel path is relative to the mount's
// root, "" for the root itself, contains no "." or ".." component and no
// symbolic link except possibly the last component, which is never
// followed. An operation that meets a symbolic link in the middle fails with
// ELOOP; the resolver then walks the path itself.
type FS interface {
	Stat(rel string, st *pal.Stat) error
	Open(rel string, flags int, mode uint32) (FileImpl, error)
	Readlink(rel string) (string, error)
	Mkdir(rel string, mode uint32) error
	Mknod(rel string, mode uint32, dev uint64) error
	Unlink(rel string) error
	Rmdir(rel string) error
	// Rename and Link are only called with both paths in the same FS.
	Rename(oldRel, newRel string, flags uint) error
	Link(oldRel, newRel string) error
	Symlink(target, rel string) error
	Chmod(rel string, mode uint32) error
	Chown(rel string, uid, gid int) error
	Utimes(rel string, times *[2]pal.Timespec) error
	Statfs(rel string, st *pal.Statfs) error
	Xattr(rel string, op pal.XattrOp, name string, value []byte, flags int) (int, error)
}

// ReadOnlyFS answers every modifying operation of a read-only file system;
// pseudo file systems embed it.
type ReadOnlyFS struct{}

func (ReadOnlyFS) Mkdir(string, uint32) error            { return unix.EROFS }
func (ReadOnlyFS) Mknod(string, uint32, uint64) error    { return unix.EROFS }
func (ReadOnlyFS) Unlink(string) error                   { return unix.EROFS }
func (ReadOnlyFS) Rmdir(string) error                    { return unix.EROFS }
func (ReadOnlyFS) Rename(string, string, uint) error     { return unix.EROFS }
func (ReadOnlyFS) Link(string, string) error             { return unix.EROFS }
func (ReadOnlyFS) Symlink(string, string) error          { return unix.EROFS }
func (ReadOnlyFS) Chmod(string, uint32) error            { return unix.EPERM }
func (ReadOnlyFS) Chown(string, int, int) error          { return unix.EPERM }
func (ReadOnlyFS) Utimes(string, *[2]pal.Timespec) error { return unix.EPERM }
func (ReadOnlyFS) Xattr(string, pal.XattrOp, string, []byte, int) (int, error) {
	return 0, unix.ENOTSUP
}

// IsDir reports whether a mode is a directory's.
func IsDir(mode uint32) bool { return mode&unix.S_IFMT == unix.S_IFDIR }

// IsSymlink reports whether a mode is a symbolic link's.
func IsSymlink(mode uint32) bool { return mode&unix.S_IFMT == unix.S_IFLNK }

// joinRel appends a component to a mount-relative path.
func joinRel(rel, name string) string {
	if rel == "" {
		return name
	}
	return rel + "/" + name
}

// splitRel splits a mount-relative path into its directory and last part.
func splitRel(rel string) (string, string) {
	i := strings.LastIndexByte(rel, '/')
	if i < 0 {
		return "", rel
	}
	return rel[:i], rel[i+1:]
}
