package kernel

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"gophene/libos/umem"
	"gophene/pal"
)

// Guest memory access for handlers. Every guest pointer is checked against
// the address-space map before it is used, so a bad pointer gives EFAULT
// and the LibOS never reads or writes its own memory on a guest's behalf;
// the copies also survive a page vanishing under a racing guest thread.

func (t *Task) ptr(addr uintptr) unsafe.Pointer { return umem.Ptr(addr) }

// CopyIn copies guest memory at addr into dst.
func (t *Task) CopyIn(addr uintptr, dst []byte) error {
	if !t.P.MM.Check(addr, uintptr(len(dst)), pal.ProtRead) {
		return unix.EFAULT
	}
	return umem.CopyIn(dst, addr)
}

// CopyOut copies src to guest memory at addr.
func (t *Task) CopyOut(addr uintptr, src []byte) error {
	if !t.P.MM.Check(addr, uintptr(len(src)), pal.ProtWrite) {
		return unix.EFAULT
	}
	return umem.CopyOut(addr, src)
}

// GuestBytes returns n bytes of guest memory at addr for zero-copy I/O:
// readable (write=false) or writable (write=true) by the guest.
func (t *Task) GuestBytes(addr, n uintptr, write bool) ([]byte, error) {
	want := pal.ProtRead
	if write {
		want = pal.ProtWrite
	}
	if !t.P.MM.Check(addr, n, want) {
		return nil, unix.EFAULT
	}
	return umem.Bytes(addr, n), nil
}

// CopyInObj reads a fixed-size value from guest memory.
func CopyInObj[T any](t *Task, addr uintptr, v *T) error {
	return t.CopyIn(addr, unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v)))
}

// CopyOutObj writes a fixed-size value to guest memory.
func CopyOutObj[T any](t *Task, addr uintptr, v *T) error {
	return t.CopyOut(addr, unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v)))
}

// CString reads a NUL-terminated guest string of at most max bytes; a
// longer one fails with ENAMETOOLONG.
func (t *Task) CString(addr uintptr, max int) (string, error) {
	var buf []byte
	for len(buf) <= max {
		pageEnd := (addr | 4095) + 1
		n := min(pageEnd-addr, uintptr(max+1-len(buf)))
		if !t.P.MM.Check(addr, n, pal.ProtRead) {
			return "", unix.EFAULT
		}
		chunk := make([]byte, n)
		if err := umem.CopyIn(chunk, addr); err != nil {
			return "", err
		}
		for i, c := range chunk {
			if c == 0 {
				return string(append(buf, chunk[:i]...)), nil
			}
		}
		buf = append(buf, chunk...)
		addr += n
	}
	return "", unix.ENAMETOOLONG
}

// Path reads a path argument.
func (t *Task) Path(addr uintptr) (string, error) {
	return t.CString(addr, 4095)
}

// StringArray reads a NULL-terminated array of string pointers (argv, envp).
func (t *Task) StringArray(addr uintptr) ([]string, error) {
	var out []string
	total := 0
	for i := uintptr(0); addr != 0; i += 8 {
		var p uint64
		if err := CopyInObj(t, addr+i, &p); err != nil {
			return nil, err
		}
		if p == 0 {
			return out, nil
		}
		s, err := t.CString(uintptr(p), 128<<10)
		if err != nil {
			if err == unix.ENAMETOOLONG {
				err = unix.E2BIG
			}
			return nil, err
		}
		if total += len(s) + 1; total > 2<<20 || len(out) > 1<<16 {
			return nil, unix.E2BIG
		}
		out = append(out, s)
	}
	return out, nil
}

// BufAddr is the address of a LibOS buffer, for host calls that take a
// pointer (the host writes into LibOS memory, never straight into the
// guest's).
func BufAddr(b []byte) uintptr { return umem.Addr(b) }
