package pal

// InotifyWatch is one watch of an inotify queue, as Linux's
// /proc/<pid>/fdinfo describes it: the watched object's inode number and
// the device of its file system (the kernel's dev_t encoding), the event
// mask (IN_* bits, with IN_ONESHOT and IN_EXCL_UNLINK) and, when the host
// can tell, the object's file handle (name_to_handle_at's type and bytes).
type InotifyWatch struct {
	Wd          int
	Ino         uint64
	Sdev        uint32
	Mask        uint32
	IgnoredMask uint32
	HandleType  int32
	Handle      []byte // nil: no file handle
}
