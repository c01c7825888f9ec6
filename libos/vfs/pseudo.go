package vfs

import (
	"encoding/binary"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// Node is an entry of a pseudo file system (/dev, /proc). Exactly one of
// the groups of fields applies, according to Mode's type bits.
type Node struct {
	Mode uint32 // S_IF* type and permission bits
	Rdev uint64 // device number for character devices
	Uid  uint32
	Gid  uint32
	// Owner, if set, gives the owner instead of Uid and Gid when the node
	// is described: /proc/<pid> entries belong to the process's euid.
	Owner func() (uid, gid uint32)

	// Directories: fixed children, plus optional dynamic ones.
	Children map[string]*Node
	List     func() []string         // names of dynamic children
	Lookup   func(name string) *Node // a dynamic child, or nil

	// Regular files: the content, made when the file is opened, and for
	// writable ones what a write does with the bytes written (each write
	// call on its own, as Linux's /proc and /sys files take them).
	Read  func() ([]byte, error)
	Write func(data []byte) error
	// Symbolic links: the target.
	Link func() (string, error)
	// Devices and other special files: how to open one. A symbolic link
	// with Open is a magic link (/proc/<pid>/fd/N): following it opens
	// the file itself, whatever its path says, and Follow describes it.
	Open   func(flags int) (FileImpl, error)
	Follow func(st *pal.Stat) error
}

// magic reports whether n is a magic link.
func (n *Node) magic() bool { return IsSymlink(n.Mode) && n.Open != nil }

// Dir makes a directory node with fixed children.
func Dir(children map[string]*Node) *Node {
	return &Node{Mode: unix.S_IFDIR | 0o555, Children: children}
}

// RegularFile makes a read-only regular file whose content read produces.
func RegularFile(read func() ([]byte, error)) *Node {
	return &Node{Mode: unix.S_IFREG | 0o444, Read: read}
}

// WritableFile makes a regular file, writable by its owner (root), whose
// content read produces and to which write hands what is written.
func WritableFile(read func() ([]byte, error), write func([]byte) error) *Node {
	return &Node{Mode: unix.S_IFREG | 0o644, Read: read, Write: write}
}

// Symlink makes a symbolic link whose target link produces.
func Symlink(link func() (string, error)) *Node {
	return &Node{Mode: unix.S_IFLNK | 0o777, Link: link}
}

func (n *Node) child(name string) *Node {
	if c, ok := n.Children[name]; ok {
		return c
	}
	if n.Lookup != nil {
		return n.Lookup(name)
	}
	return nil
}

func (n *Node) names() []string {
	names := make([]string, 0, len(n.Children))
	for k := range n.Children {
		names = append(names, k)
	}
	sort.Strings(names)
	if n.List != nil {
		names = append(names, n.List()...)
	}
	return names
}

// PseudoFS is a file system of Nodes.
type PseudoFS struct {
	ReadOnlyFS
	Root  *Node
	Dev   uint64 // st_dev of every node
	Magic int64  // f_type for statfs
	Time  pal.Timespec
}

// find walks rel; symbolic links on the way are left to the resolver.
func (fs *PseudoFS) find(rel string) (*Node, error) {
	n := fs.Root
	for rel != "" {
		var c string
		c, rel, _ = strings.Cut(rel, "/")
		if !IsDir(n.Mode) {
			if IsSymlink(n.Mode) {
				return nil, unix.ELOOP
			}
			return nil, unix.ENOTDIR
		}
		if n = n.child(c); n == nil {
			return nil, unix.ENOENT
		}
	}
	return n, nil
}

// inode gives every path a stable inode number.
func inode(rel string) uint64 {
	if rel == "" {
		return 1
	}
	h := fnv.New64a()
	h.Write([]byte(rel))
	return h.Sum64()>>1 | 2
}

func (fs *PseudoFS) stat(n *Node, rel string, st *pal.Stat) {
	nlink := uint64(1)
	if IsDir(n.Mode) {
		nlink = 2
	}
	*st = pal.Stat{Dev: fs.Dev, Ino: inode(rel), Nlink: nlink, Rdev: n.Rdev, Mode: n.Mode,
		Uid: n.Uid, Gid: n.Gid, Blksize: 1024, Atime: fs.Time, Mtime: fs.Time, Ctime: fs.Time,
		Mask: unix.STATX_BASIC_STATS}
	if n.Owner != nil {
		st.Uid, st.Gid = n.Owner()
	}
}

func (fs *PseudoFS) Stat(rel string, st *pal.Stat) error {
	n, err := fs.find(rel)
	if err != nil {
		return err
	}
	fs.stat(n, rel, st)
	return nil
}

func (fs *PseudoFS) Open(rel string, flags int, mode uint32) (FileImpl, error) {
	n, err := fs.find(rel)
	if err != nil {
		if err == unix.ENOENT && flags&unix.O_CREAT != 0 {
			return nil, unix.EACCES
		}
		return nil, err
	}
	if flags&unix.O_CREAT != 0 && flags&unix.O_EXCL != 0 {
		return nil, unix.EEXIST
	}
	// O_PATH opens a final link itself only with O_NOFOLLOW; otherwise the
	// link fails with ELOOP below, and the resolver follows it.
	if flags&unix.O_PATH != 0 && (flags&unix.O_NOFOLLOW != 0 || !IsSymlink(n.Mode)) {
		return &pathFile{fs: fs, n: n, rel: rel}, nil
	}
	switch n.Mode & unix.S_IFMT {
	case unix.S_IFLNK:
		if n.magic() && flags&unix.O_NOFOLLOW == 0 {
			return n.Open(flags)
		}
		return nil, unix.ELOOP
	case unix.S_IFDIR:
		if flags&unix.O_ACCMODE != unix.O_RDONLY {
			return nil, unix.EISDIR
		}
		return &pseudoDir{fs: fs, n: n, rel: rel}, nil
	}
	if flags&unix.O_DIRECTORY != 0 {
		return nil, unix.ENOTDIR
	}
	if n.Open != nil {
		return n.Open(flags)
	}
	if flags&unix.O_ACCMODE != unix.O_RDONLY && n.Write == nil {
		return nil, unix.EACCES
	}
	data, err := n.Read()
	if err != nil {
		return nil, err
	}
	return &contentFile{fs: fs, n: n, rel: rel, data: data}, nil
}

func (fs *PseudoFS) Readlink(rel string) (string, error) {
	n, err := fs.find(rel)
	if err != nil {
		return "", err
	}
	if !IsSymlink(n.Mode) {
		return "", unix.EINVAL
	}
	return n.Link()
}

// IsMagicLink reports whether rel is a magic link (see Node.Open).
func (fs *PseudoFS) IsMagicLink(rel string) bool {
	n, err := fs.find(rel)
	return err == nil && n.magic()
}

// StatMagicLink describes the file a magic link leads to.
func (fs *PseudoFS) StatMagicLink(rel string, st *pal.Stat) error {
	n, err := fs.find(rel)
	if err != nil {
		return err
	}
	if !n.magic() || n.Follow == nil {
		return unix.ENOENT
	}
	return n.Follow(st)
}

func (fs *PseudoFS) Statfs(rel string, st *pal.Statfs) error {
	if _, err := fs.find(rel); err != nil {
		return err
	}
	*st = pal.Statfs{Type: fs.Magic, Bsize: 4096, Frsize: 4096, Namelen: 255, Flags: unix.ST_RDONLY}
	return nil
}

// pathFile is an O_PATH descriptor of a pseudo node.
type pathFile struct {
	BaseFile
	fs  *PseudoFS
	n   *Node
	rel string
}

func (f *pathFile) Stat(st *pal.Stat) error { f.fs.stat(f.n, f.rel, st); return nil }

// contentFile is an open pseudo regular file: a snapshot of its content.
type contentFile struct {
	BaseFile
	fs   *PseudoFS
	n    *Node
	rel  string
	mu   sync.Mutex
	data []byte
	pos  int64
}

func (f *contentFile) Stat(st *pal.Stat) error { f.fs.stat(f.n, f.rel, st); return nil }

func (f *contentFile) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, _ := f.Pread(p, f.pos)
	f.pos += int64(n)
	return n, nil
}

func (f *contentFile) Pread(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, unix.EINVAL
	}
	if off >= int64(len(f.data)) {
		return 0, nil
	}
	return copy(p, f.data[off:]), nil
}

func (f *contentFile) Write(p []byte) (int, error) { return f.Pwrite(p, 0) }

func (f *contentFile) Pwrite(p []byte, off int64) (int, error) {
	if f.n.Write == nil {
		return 0, unix.EBADF
	}
	if err := f.n.Write(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Truncate is accepted and does nothing: shells open with O_TRUNC.
func (f *contentFile) Truncate(int64) error { return nil }

func (f *contentFile) Seek(off int64, whence int) (int64, error) {
	return seekIn(&f.mu, &f.pos, off, whence, int64(len(f.data)))
}

// seekIn moves pos for a file of size bytes.
func seekIn(mu *sync.Mutex, pos *int64, off int64, whence int, size int64) (int64, error) {
	mu.Lock()
	defer mu.Unlock()
	var n int64
	switch whence {
	case unix.SEEK_SET:
		n = off
	case unix.SEEK_CUR:
		n = *pos + off
	case unix.SEEK_END:
		n = size + off
	default:
		return 0, unix.EINVAL
	}
	if n < 0 {
		return 0, unix.EINVAL
	}
	*pos = n
	return n, nil
}

// pseudoDir is an open pseudo directory.
type pseudoDir struct {
	BaseFile
	fs  *PseudoFS
	n   *Node
	rel string
	mu  sync.Mutex
	pos int64
}

func (f *pseudoDir) Stat(st *pal.Stat) error { f.fs.stat(f.n, f.rel, st); return nil }

func (f *pseudoDir) Seek(off int64, whence int) (int64, error) {
	if whence != unix.SEEK_SET && whence != unix.SEEK_CUR {
		return 0, unix.EINVAL
	}
	return seekIn(&f.mu, &f.pos, off, whence, 0)
}

// Readdir lists the directory. An entry's position is a key, not an
// index: the position of a numbered entry (a pid, an fd) is its number, so
// closing fds while reading /proc/self/fd, as programs closing every fd
// but a few do, skips none of the others.
func (f *pseudoDir) Readdir(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	names := append([]string{".", ".."}, f.n.names()...)
	ents := make([]Dirent, 0, len(names))
	for i, name := range names {
		d := Dirent{Name: name, Ino: inode(joinRel(f.rel, name)), Type: unix.DT_DIR, Off: int64(i + 1)}
		if name != "." && name != ".." {
			c := f.n.child(name)
			if c == nil {
				continue
			}
			d.Type = DirentType(c.Mode)
			if _, static := f.n.Children[name]; !static {
				if n, err := strconv.ParseUint(name, 10, 31); err == nil {
					d.Off = numberedOffset + int64(n)
				}
			}
		}
		ents = append(ents, d)
	}
	sort.SliceStable(ents, func(i, j int) bool { return ents[i].Off < ents[j].Off })
	return WriteDirents(p, ents, &f.pos)
}

// numberedOffset is where the positions of numbered entries start, above
// any index of named ones.
const numberedOffset = 1 << 32

// Dirent is one directory entry; Off is its position (d_off), increasing
// along the listing.
type Dirent struct {
	Name string
	Ino  uint64
	Type uint8
	Off  int64
}

// DirentType is the d_type for a mode.
func DirentType(mode uint32) uint8 { return uint8(mode & unix.S_IFMT >> 12) }

// WriteDirents encodes the entries past position *pos (ents sorted by
// Off) as linux_dirent64 records into p and advances *pos to the last one
// written. It fails with EINVAL if not even one record fits.
func WriteDirents(p []byte, ents []Dirent, pos *int64) (int, error) {
	n := 0
	for _, e := range ents {
		if e.Off <= *pos {
			continue
		}
		reclen := (19 + len(e.Name) + 1 + 7) &^ 7
		if n+reclen > len(p) {
			if n == 0 {
				return 0, unix.EINVAL
			}
			break
		}
		r := p[n : n+reclen]
		binary.LittleEndian.PutUint64(r[0:], e.Ino)
		binary.LittleEndian.PutUint64(r[8:], uint64(e.Off))
		binary.LittleEndian.PutUint16(r[16:], uint16(reclen))
		r[18] = e.Type
		copy(r[19:], e.Name)
		clear(r[19+len(e.Name):])
		n += reclen
		*pos = e.Off
	}
	return n, nil
}
