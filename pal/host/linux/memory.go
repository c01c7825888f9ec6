package linux

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// MemoryAlloc maps fresh zeroed private memory at addr, replacing whatever
// guest memory or reservation was there.
func (h *Host) MemoryAlloc(addr, size uintptr, prot pal.Prot) error {
	if !h.inWindow(addr, size) {
		return pal.ErrInvalid
	}
	_, err := mmap(addr, size, int(prot), unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED, -1, 0)
	return err
}

// MemoryMapFile maps the stream behind hd at addr.
func (h *Host) MemoryMapFile(addr, size uintptr, prot pal.Prot, shared bool, hd pal.Handle, off int64) error {
	if !h.inWindow(addr, size) {
		return pal.ErrInvalid
	}
	if !h.handles.valid(hd) {
		return pal.ErrBadHandle
	}
	flags := unix.MAP_PRIVATE | unix.MAP_FIXED
	if shared {
		flags = unix.MAP_SHARED | unix.MAP_FIXED
	}
	_, err := mmap(addr, size, int(prot), flags, int(hd), off)
	return err
}

// MemoryFree returns guest memory to the reserved window.
func (h *Host) MemoryFree(addr, size uintptr) error {
	if !h.inWindow(addr, size) {
		return pal.ErrInvalid
	}
	_, err := mmap(addr, size, unix.PROT_NONE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE|unix.MAP_FIXED, -1, 0)
	return err
}

// MemoryProtect changes the protection of guest memory.
func (h *Host) MemoryProtect(addr, size uintptr, prot pal.Prot) error {
	if !h.inWindow(addr, size) {
		return pal.ErrInvalid
	}
	_, _, e := unix.RawSyscall(unix.SYS_MPROTECT, addr, size, uintptr(prot))
	return errnoErr(e)
}

// MemoryAdvise passes an madvise hint for guest memory.
func (h *Host) MemoryAdvise(addr, size uintptr, advice int) error {
	if !h.inWindow(addr, size) {
		return pal.ErrInvalid
	}
	_, _, e := unix.Syscall(unix.SYS_MADVISE, addr, size, uintptr(advice))
	return errnoErr(e)
}

// MemorySync writes back shared mappings of guest memory.
func (h *Host) MemorySync(addr, size uintptr, flags int) error {
	if !h.inWindow(addr, size) {
		return pal.ErrInvalid
	}
	_, _, e := unix.Syscall(unix.SYS_MSYNC, addr, size, uintptr(flags))
	return errnoErr(e)
}

// MemoryResidency reports which pages of guest memory are resident.
func (h *Host) MemoryResidency(addr, size uintptr, vec []byte) error {
	if !h.inWindow(addr, size) || uintptr(len(vec)) < (size+4095)/4096 {
		return pal.ErrInvalid
	}
	_, _, e := unix.RawSyscall(unix.SYS_MINCORE, addr, size, uintptr(unsafe.Pointer(&vec[0])))
	return errnoErr(e)
}
