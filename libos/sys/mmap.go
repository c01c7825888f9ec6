package sys

// Implementation of mmap, munmap, mprotect, mremap, madvise, msync,
// mincore and brk.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/mm"
	"gophene/libos/vfs"
	"gophene/pal"
)

const validMapFlags = unix.MAP_SHARED | unix.MAP_PRIVATE | unix.MAP_SHARED_VALIDATE | unix.MAP_FIXED |
	unix.MAP_ANONYMOUS | unix.MAP_GROWSDOWN | unix.MAP_DENYWRITE | unix.MAP_EXECUTABLE | unix.MAP_LOCKED |
	unix.MAP_NORESERVE | unix.MAP_POPULATE | unix.MAP_NONBLOCK | unix.MAP_STACK | unix.MAP_HUGETLB |
	unix.MAP_SYNC | unix.MAP_FIXED_NOREPLACE | unix.MAP_32BIT | 0xfc000000 // huge page size bits

// anonMapper is implemented by files whose mmap gives anonymous memory
// (/dev/zero).
type anonMapper interface{ MapsAnonymous() bool }

// Mmap implements mmap(2).
func Mmap(t *kernel.Task, a kernel.Args) (uintptr, error) {
	addr, length, prot, flags, fd, off := a[0], a[1], pal.Prot(a[2]), int(a[3]), a[4], int64(a[5])
	var f *vfs.File
	if flags&unix.MAP_ANONYMOUS == 0 {
		// As Linux, the descriptor is looked up before any other check.
		var err error
		if f, err = file(t, fd); err != nil {
			return 0, err
		}
		defer f.DecRef()
	}
	if prot&^(pal.ProtRead|pal.ProtWrite|pal.ProtExec) != 0 {
		return 0, unix.EINVAL
	}
	typ := flags & (unix.MAP_SHARED | unix.MAP_PRIVATE | unix.MAP_SHARED_VALIDATE)
	if typ != unix.MAP_SHARED && typ != unix.MAP_PRIVATE && typ != unix.MAP_SHARED_VALIDATE {
		return 0, unix.EINVAL
	}
	if typ == unix.MAP_SHARED_VALIDATE && flags&^validMapFlags != 0 {
		return 0, unix.EOPNOTSUPP
	}
	if flags&unix.MAP_HUGETLB != 0 {
		return 0, unix.EINVAL
	}
	if length == 0 || off&(mm.PageSize-1) != 0 || mm.PageAlign(length) < length {
		return 0, unix.EINVAL
	}
	shared := typ != unix.MAP_PRIVATE
	// Linux makes PROT_READ imply PROT_EXEC only for READ_IMPLIES_EXEC
	// personalities; nothing to do here.
	req := mm.MapRequest{Addr: addr &^ (mm.PageSize - 1), Length: length, Prot: prot,
		Fixed: flags&unix.MAP_FIXED != 0, NoReplace: flags&unix.MAP_FIXED_NOREPLACE != 0, Shared: shared}
	if req.Fixed && addr&(mm.PageSize-1) != 0 {
		return 0, unix.EINVAL
	}
	if flags&unix.MAP_GROWSDOWN != 0 {
		req.Flags |= mm.GrowsDown
	}
	if f != nil {
		if f.IsPath() {
			return 0, unix.EBADF
		}
		if !f.Readable() || (shared && prot&pal.ProtWrite != 0 && !f.Writable()) {
			return 0, unix.EACCES
		}
		if shared && prot&pal.ProtWrite != 0 && f.Flags()&unix.O_APPEND != 0 {
			return 0, unix.EACCES
		}
		if shared && !f.Writable() {
			req.Flags |= mm.NoMayWrite
		}
		if am, ok := f.Impl.(anonMapper); ok && am.MapsAnonymous() {
			// /dev/zero: plain anonymous memory.
		} else {
			if f.Impl.Handle() == pal.NoHandle {
				return 0, unix.ENODEV
			}
			req.Backing = f.Backing()
			req.Offset = off
		}
	}
	var r uintptr
	var err error
	if shared && req.Backing == nil {
		r, err = t.P.MM.MapSharedAnon(req)
	} else {
		r, err = t.P.MM.Map(req)
	}
	if err != nil {
		return 0, mapErr(err)
	}
	if flags&unix.MAP_LOCKED != 0 {
		t.P.MM.SetLocked(r, length, true)
	}
	if flags&(unix.MAP_LOCKED|unix.MAP_POPULATE) != 0 && flags&unix.MAP_NONBLOCK == 0 {
		t.P.MM.Populate(r, length)
	}
	return r, nil
}

// mapErr turns PAL errors from the memory calls into errno values.
func mapErr(err error) error {
	if pe, ok := err.(pal.Error); ok {
		return pe.Errno()
	}
	return err
}

// Munmap implements munmap(2).
func Munmap(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(mapErr(t.P.MM.Unmap(a[0], a[1])))
}

// Mprotect implements mprotect(2).
func Mprotect(t *kernel.Task, a kernel.Args) (uintptr, error) {
	prot := pal.Prot(a[2])
	if prot&^(pal.ProtRead|pal.ProtWrite|pal.ProtExec|unix.PROT_GROWSDOWN|unix.PROT_GROWSUP) != 0 {
		return 0, unix.EINVAL
	}
	prot &= pal.ProtRead | pal.ProtWrite | pal.ProtExec
	return boolErr(mapErr(t.P.MM.Protect(a[0], a[1], prot)))
}

// Mremap implements mremap(2).
func Mremap(t *kernel.Task, a kernel.Args) (uintptr, error) {
	flags := a[3]
	if flags&^uintptr(unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED|unix.MREMAP_DONTUNMAP) != 0 {
		return 0, unix.EINVAL
	}
	if flags&unix.MREMAP_DONTUNMAP != 0 {
		return 0, unix.EINVAL
	}
	r, err := t.P.MM.Remap(a[0], a[1], a[2], flags&unix.MREMAP_MAYMOVE != 0, flags&unix.MREMAP_FIXED != 0, a[4])
	if err != nil {
		return 0, mapErr(err)
	}
	return r, nil
}

// Madvise implements madvise(2).
func Madvise(t *kernel.Task, a kernel.Args) (uintptr, error) {
	advice := int(a[2])
	switch advice {
	case unix.MADV_NORMAL, unix.MADV_RANDOM, unix.MADV_SEQUENTIAL, unix.MADV_WILLNEED,
		unix.MADV_DONTNEED, unix.MADV_FREE, unix.MADV_DONTFORK, unix.MADV_DOFORK,
		unix.MADV_MERGEABLE, unix.MADV_UNMERGEABLE, unix.MADV_HUGEPAGE, unix.MADV_NOHUGEPAGE,
		unix.MADV_DONTDUMP, unix.MADV_DODUMP, unix.MADV_WIPEONFORK, unix.MADV_KEEPONFORK,
		unix.MADV_COLD, unix.MADV_PAGEOUT, unix.MADV_POPULATE_READ, unix.MADV_POPULATE_WRITE:
	case unix.MADV_REMOVE:
		return 0, unix.EINVAL
	default:
		return 0, unix.EINVAL
	}
	return boolErr(mapErr(t.P.MM.Advise(a[0], a[1], advice)))
}

// Msync implements msync(2).
func Msync(t *kernel.Task, a kernel.Args) (uintptr, error) {
	addr, length, flags := a[0], a[1], int(a[2])
	if addr&(mm.PageSize-1) != 0 || flags&^(unix.MS_ASYNC|unix.MS_SYNC|unix.MS_INVALIDATE) != 0 ||
		flags&unix.MS_ASYNC != 0 && flags&unix.MS_SYNC != 0 {
		return 0, unix.EINVAL
	}
	length = mm.PageAlign(length)
	if !t.P.MM.Check(addr, length, 0) {
		return 0, unix.ENOMEM
	}
	if flags&unix.MS_INVALIDATE != 0 && t.P.MM.HasLocked(addr, length) {
		return 0, unix.EBUSY
	}
	return boolErr(mapErr(t.P.Host.MemorySync(addr, length, flags)))
}

// Mincore implements mincore(2).
func Mincore(t *kernel.Task, a kernel.Args) (uintptr, error) {
	addr, length := a[0], mm.PageAlign(a[1])
	if addr&(mm.PageSize-1) != 0 {
		return 0, unix.EINVAL
	}
	if !t.P.MM.Check(addr, length, 0) {
		return 0, unix.ENOMEM
	}
	vec, err := t.GuestBytes(a[2], length/mm.PageSize, true)
	if err != nil {
		return 0, err
	}
	if length == 0 {
		return 0, nil
	}
	tmp := make([]byte, len(vec))
	if err := t.P.Host.MemoryResidency(addr, length, tmp); err != nil {
		return 0, mapErr(err)
	}
	copy(vec, tmp)
	return 0, nil
}

// Brk implements brk(2): it returns the new break, or the old one if the
// request cannot be met.
func Brk(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return t.P.MM.Brk(a[0]), nil
}
