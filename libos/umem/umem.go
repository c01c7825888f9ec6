// Package umem turns guest addresses into Go views of guest memory. Guest
// memory is mapped in this very process (the PAL places it inside the
// guest window), so a guest address is directly usable; this is the one
// place in the LibOS that converts such integers into pointers.
//
// Callers check the range against the address-space map first (mm.Check);
// the copying helpers additionally survive a fault (a page that went away
// under a racing guest thread) and report it as EFAULT. They rely on the
// guest thread's goroutine having runtime/debug.SetPanicOnFault set, which
// the PAL host does for every guest thread.
package umem

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Ptr is the pointer for a guest address.
func Ptr(addr uintptr) unsafe.Pointer { return unsafe.Add(nil, addr) }

// Bytes is a slice over n bytes of guest memory at addr.
func Bytes(addr, n uintptr) []byte {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(Ptr(addr)), n)
}

// Addr is the guest address of the first byte of b.
func Addr(b []byte) uintptr {
	if len(b) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&b[0]))
}

// Copy copies n bytes between guest addresses (memmove semantics).
func Copy(dst, src, n uintptr) {
	copy(Bytes(dst, n), Bytes(src, n))
}

// faulted turns a memory-fault panic into EFAULT and re-raises anything else.
func faulted(err *error) {
	r := recover()
	if r == nil {
		return
	}
	if re, ok := r.(runtime.Error); ok {
		if _, ok := re.(interface{ Addr() uintptr }); ok {
			*err = unix.EFAULT
			return
		}
	}
	panic(r)
}

// CopyIn copies guest memory at addr into dst.
func CopyIn(dst []byte, addr uintptr) (err error) {
	defer faulted(&err)
	copy(dst, Bytes(addr, uintptr(len(dst))))
	return nil
}

// CopyOut copies src into guest memory at addr.
func CopyOut(addr uintptr, src []byte) (err error) {
	defer faulted(&err)
	copy(Bytes(addr, uintptr(len(src))), src)
	return nil
}

// CString reads a NUL-terminated string of at most max bytes (without the
// NUL). It fails with ENAMETOOLONG if there is no NUL within max bytes.
func CString(addr uintptr, max int) (s string, err error) {
	defer faulted(&err)
	p := Bytes(addr, uintptr(max)+1)
	for i := range p {
		if p[i] == 0 {
			return string(p[:i]), nil
		}
	}
	return "", unix.ENAMETOOLONG
}

// StructBytes is the memory of the value p points to, as bytes.
func StructBytes[T any](p *T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), unsafe.Sizeof(*p))
}
