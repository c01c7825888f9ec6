package vfs

import (
	"golang.org/x/sys/unix"

	"gophene/pal"
)

// devMagic is TMPFS_MAGIC, what Linux's devtmpfs reports.
const devMagic = 0x01021994

// NewDevFS builds /dev: null, zero, full, random, urandom, tty, ptmx and
// the links to the calling process's standard streams. /dev/pts is an
// empty directory unless the host's is mounted there (quick mode does).
func NewDevFS(host pal.Host, now pal.Timespec) *PseudoFS {
	dev := func(major, minor uint32, open func(flags int) (FileImpl, error)) *Node {
		return &Node{Mode: unix.S_IFCHR | 0o666, Rdev: unix.Mkdev(major, minor), Open: open}
	}
	simple := func(major, minor uint32, read func([]byte) (int, error), write func([]byte) (int, error), anon bool) *Node {
		var n *Node
		n = dev(major, minor, func(int) (FileImpl, error) {
			return &devFile{node: n, read: read, write: write, anon: anon}, nil
		})
		return n
	}
	zeros := func(p []byte) (int, error) { clear(p); return len(p), nil }
	discard := func(p []byte) (int, error) { return len(p), nil }
	random := func(p []byte) (int, error) {
		if err := host.RandomRead(p); err != nil {
			return 0, Errno(err)
		}
		return len(p), nil
	}
	link := func(target string) *Node {
		return Symlink(func() (string, error) { return target, nil })
	}
	fs := &PseudoFS{Dev: unix.Mkdev(0, 5), Magic: devMagic, Time: now}
	fs.Root = &Node{Mode: unix.S_IFDIR | 0o755, Children: map[string]*Node{
		"null":    simple(1, 3, func([]byte) (int, error) { return 0, nil }, discard, false),
		"zero":    simple(1, 5, zeros, discard, true),
		"full":    simple(1, 7, zeros, func([]byte) (int, error) { return 0, unix.ENOSPC }, false),
		"random":  simple(1, 8, random, discard, false),
		"urandom": simple(1, 9, random, discard, false),
		"tty":     dev(5, 0, hostDevice(host, "tty")),
		"ptmx":    dev(5, 2, hostDevice(host, "ptmx")),
		"fd":      link("/proc/self/fd"),
		"stdin":   link("/proc/self/fd/0"),
		"stdout":  link("/proc/self/fd/1"),
		"stderr":  link("/proc/self/fd/2"),
		"shm":     {Mode: unix.S_IFDIR | 0o1777, Children: map[string]*Node{}},
		"pts":     {Mode: unix.S_IFDIR | 0o755, Children: map[string]*Node{}},
	}}
	return fs
}

// hostDevice opens a host device (pal DeviceOpen).
func hostDevice(host pal.Host, name string) func(flags int) (FileImpl, error) {
	return func(flags int) (FileImpl, error) {
		h, err := host.DeviceOpen(name, flags&(unix.O_ACCMODE|unix.O_NONBLOCK|unix.O_NOCTTY))
		if err != nil {
			return nil, Errno(err)
		}
		return NewHostFile(host, h), nil
	}
}

// devFile is an open memory device (/dev/null, /dev/zero, ...).
type devFile struct {
	BaseFile
	node  *Node
	read  func([]byte) (int, error)
	write func([]byte) (int, error)
	anon  bool
}

func (f *devFile) Read(p []byte) (int, error)            { return f.read(p) }
func (f *devFile) Write(p []byte) (int, error)           { return f.write(p) }
func (f *devFile) Pread(p []byte, _ int64) (int, error)  { return f.read(p) }
func (f *devFile) Pwrite(p []byte, _ int64) (int, error) { return f.write(p) }
func (f *devFile) Seek(int64, int) (int64, error)        { return 0, nil }
func (f *devFile) Truncate(int64) error                  { return nil }

func (f *devFile) Stat(st *pal.Stat) error {
	*st = pal.Stat{Mode: f.node.Mode, Rdev: f.node.Rdev, Nlink: 1, Blksize: 4096,
		Dev: unix.Mkdev(0, 5), Mask: unix.STATX_BASIC_STATS}
	return nil
}

// MapsAnonymous reports that mmap of this device gives anonymous memory
// (true for /dev/zero).
func (f *devFile) MapsAnonymous() bool { return f.anon }
