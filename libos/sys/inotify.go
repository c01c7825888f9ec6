package sys

// Implementation of inotify_init, inotify_init1, inotify_add_watch and
// inotify_rm_watch.
//
// An inotify instance is the host's (pal InotifyCreate): the host kernel
// watches the objects and queues the events, so read, poll, select,
// epoll, FIONREAD and F_SETFL work as on any host stream, a forked child
// shares the instance, and the names in events, relative to the watched
// directory, need no translation. Watch descriptors are the host's.
//
// inotify_add_watch resolves the path in the guest's mounts (search and
// read permission checked for the guest's credentials, IN_DONT_FOLLOW
// and IN_ONLYDIR honoured), opens the object with O_PATH and has the host
// watch that object: a guest path never becomes a host path. An object
// the host does not hold (a file of the LibOS's own /proc or /dev) is
// watched through a stand-in, an empty host memory file per object and
// instance that nothing ever touches: the watch gets its descriptor and
// obeys IN_MASK_ADD, IN_MASK_CREATE and inotify_rm_watch, but never
// reports an event (Linux reports accesses to /proc files; no other
// process changes these files). A forked child does not know its
// parent's stand-ins: watching the same pseudo file again there gives a
// new descriptor.

import (
	"fmt"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/vfs"
	"gophene/pal"
)

// inotifyPath is what /proc/<pid>/fd says of an inotify instance.
const inotifyPath = "anon_inode:inotify"

// allInotifyBits are the bits inotify_add_watch accepts (Linux's
// ALL_INOTIFY_BITS).
const allInotifyBits = unix.IN_ALL_EVENTS | unix.IN_UNMOUNT | unix.IN_Q_OVERFLOW | unix.IN_IGNORED |
	unix.IN_ONLYDIR | unix.IN_DONT_FOLLOW | unix.IN_EXCL_UNLINK | unix.IN_MASK_CREATE |
	unix.IN_MASK_ADD | unix.IN_ISDIR | unix.IN_ONESHOT

// inotifyFile is an inotify instance: a host stream, plus the stand-ins
// of the pseudo files it watches, by device and inode number.
type inotifyFile struct {
	*vfs.HostFile
	host     pal.Host
	mu       sync.Mutex
	standIns map[[2]uint64]pal.Handle
}

func newInotifyFile(host pal.Host, h pal.Handle) *inotifyFile {
	return &inotifyFile{HostFile: vfs.NewHostFile(host, h), host: host, standIns: map[[2]uint64]pal.Handle{}}
}

// standIn is the host object that stands for the pseudo file st
// describes.
func (f *inotifyFile) standIn(st *pal.Stat) (pal.Handle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := [2]uint64{st.Dev, st.Ino}
	if h, ok := f.standIns[key]; ok {
		return h, nil
	}
	h, err := f.host.MemoryFileCreate("inotify", 0)
	if err != nil {
		return pal.NoHandle, err
	}
	f.standIns[key] = h
	return h, nil
}

// Close closes the instance and its stand-ins.
func (f *inotifyFile) Close() error {
	f.mu.Lock()
	for _, h := range f.standIns {
		f.host.StreamClose(h)
	}
	f.standIns = nil
	f.mu.Unlock()
	return f.HostFile.Close()
}

// FdInfo is what /proc/<pid>/fdinfo adds for the instance: one line per
// watch, as Linux prints them.
func (f *inotifyFile) FdInfo() string {
	ws, err := f.host.InotifyWatches(f.Handle())
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, w := range ws {
		fmt.Fprintf(&b, "inotify wd:%x ino:%x sdev:%x mask:%x ignored_mask:%x", w.Wd, w.Ino, w.Sdev, w.Mask, w.IgnoredMask)
		if w.Handle != nil {
			fmt.Fprintf(&b, " fhandle-bytes:%x fhandle-type:%x f_handle:%x", len(w.Handle), w.HandleType, w.Handle)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// InotifyInit1 implements inotify_init1(2).
func InotifyInit1(t *kernel.Task, a kernel.Args) (uintptr, error) {
	flags := int(a[0])
	if flags&^(unix.IN_NONBLOCK|unix.IN_CLOEXEC) != 0 {
		return 0, unix.EINVAL
	}
	h, err := t.P.Host.InotifyCreate(flags & unix.IN_NONBLOCK)
	if err != nil {
		return 0, mapErr(err)
	}
	f := vfs.NewFile(newInotifyFile(t.P.Host, h), unix.O_RDONLY|flags&unix.O_NONBLOCK, inotifyPath, nil)
	fd, err := t.P.FDs.Install(f, 0, flags&unix.IN_CLOEXEC != 0)
	if err != nil {
		f.DecRef()
		return 0, err
	}
	return uintptr(fd), nil
}

// InotifyInit implements inotify_init(2).
func InotifyInit(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return InotifyInit1(t, kernel.Args{})
}

// inotifyOf returns the instance open as fd: EBADF for no file, EINVAL
// for another kind of file.
func inotifyOf(t *kernel.Task, fd uintptr) (*vfs.File, *inotifyFile, error) {
	f, err := file(t, fd)
	if err != nil {
		return nil, nil, err
	}
	in, ok := f.Impl.(*inotifyFile)
	if !ok {
		f.DecRef()
		return nil, nil, unix.EINVAL
	}
	return f, in, nil
}

// InotifyAddWatch implements inotify_add_watch(2), checking in Linux's
// order: the mask, the descriptor, the path, read permission.
func InotifyAddWatch(t *kernel.Task, a kernel.Args) (uintptr, error) {
	mask := uint32(a[2])
	if mask == 0 || mask&^allInotifyBits != 0 {
		return 0, unix.EINVAL
	}
	f, in, err := inotifyOf(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if mask&unix.IN_MASK_ADD != 0 && mask&unix.IN_MASK_CREATE != 0 {
		return 0, unix.EINVAL
	}
	base, path, err := pathAt(t, atFDCWD, a[1])
	if err != nil {
		return 0, err
	}
	flags := unix.O_PATH
	if mask&unix.IN_DONT_FOLLOW != 0 {
		flags |= unix.O_NOFOLLOW
	}
	obj, err := t.P.NS.OpenAs(base, path, flags, 0, searcher(t))
	if err != nil {
		return 0, err
	}
	defer obj.DecRef()
	var st pal.Stat
	if err := obj.Impl.Stat(&st); err != nil {
		return 0, vfs.Errno(err)
	}
	if mask&unix.IN_ONLYDIR != 0 && !vfs.IsDir(st.Mode) {
		return 0, unix.ENOTDIR
	}
	if !permitted(t, &st, 4) {
		return 0, unix.EACCES
	}
	target := obj.Impl.Handle()
	if target == pal.NoHandle {
		if target, err = in.standIn(&st); err != nil {
			return 0, mapErr(err)
		}
	}
	wd, err := t.P.Host.InotifyAddWatch(in.Handle(), target, mask)
	if err != nil {
		return 0, mapErr(err)
	}
	return uintptr(wd), nil
}

// InotifyRmWatch implements inotify_rm_watch(2).
func InotifyRmWatch(t *kernel.Task, a kernel.Args) (uintptr, error) {
	f, in, err := inotifyOf(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return 0, mapErr(t.P.Host.InotifyRemoveWatch(in.Handle(), int(int32(a[1]))))
}

func init() {
	vfs.RegisterRestorer(inotifyPath, func(host pal.Host, h pal.Handle, _ []byte, _ int) (vfs.FileImpl, error) {
		return newInotifyFile(host, h), nil
	})
}
