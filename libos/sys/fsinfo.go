package sys

// Implementation of sysfs, ustat and readahead.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/vfs"
	"gophene/pal"
)

// Sysfs implements sysfs(2) over the file-system types the guest sees
// (vfs.FSTypes, as /proc/filesystems lists them): option 1 numbers a type,
// 2 names one, 3 counts them.
func Sysfs(t *kernel.Task, a kernel.Args) (uintptr, error) {
	switch int32(a[0]) {
	case 1:
		name, err := t.CString(a[1], 4095)
		if err != nil {
			return 0, err
		}
		if name == "" {
			return 0, unix.ENOENT // getname refuses an empty name
		}
		for i, fs := range vfs.FSTypes {
			if fs.Name == name {
				return uintptr(i), nil
			}
		}
		return 0, unix.EINVAL
	case 2:
		i := uint32(a[1])
		if int(i) >= len(vfs.FSTypes) {
			return 0, unix.EINVAL
		}
		return boolErr(t.CopyOut(a[2], append([]byte(vfs.FSTypes[i].Name), 0)))
	case 3:
		return uintptr(len(vfs.FSTypes)), nil
	}
	return 0, unix.EINVAL
}

// ustat is struct ustat on x86-64.
type ustat struct {
	Tfree  int32
	_      int32
	Tinode uint64
	Fname  [6]byte
	Fpack  [6]byte
	_      [4]byte
}

// Ustat implements ustat(2) for the file systems mounted in the guest: dev
// (in the old 32-bit encoding) must be the device of a mount's root, and
// the free blocks and inodes come from its statfs.
func Ustat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	dev := uint32(a[0])
	major := dev & 0xfff00 >> 8
	minor := dev&0xff | dev>>12&0xfff00
	for _, m := range t.P.NS.Mounts() {
		var st pal.Stat
		if m.FS.Stat("", &st) != nil || unix.Major(st.Dev) != major || unix.Minor(st.Dev) != minor {
			continue
		}
		var sf pal.Statfs
		if err := m.FS.Statfs("", &sf); err != nil {
			return 0, vfs.Errno(err)
		}
		u := ustat{Tfree: int32(sf.Bfree), Tinode: sf.Ffree}
		return boolErr(kernel.CopyOutObj(t, a[1], &u))
	}
	return 0, unix.EINVAL
}

// Readahead implements readahead(2): a hint for regular files, passed to
// the host for those it holds; other files give EINVAL.
func Readahead(t *kernel.Task, a kernel.Args) (uintptr, error) {
	f, err := readFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	var st pal.Stat
	if err := f.Impl.Stat(&st); err != nil {
		return 0, vfs.Errno(err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG && st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return 0, unix.EINVAL
	}
	if int64(a[2]) < 0 {
		return 0, unix.EINVAL
	}
	if h := f.Impl.Handle(); h != pal.NoHandle {
		if err := t.P.Host.StreamAdvise(h, int64(a[1]), int64(a[2]), unix.FADV_WILLNEED); err != nil && err != pal.ErrInvalid {
			return 0, mapErr(err)
		}
	}
	return 0, nil
}
