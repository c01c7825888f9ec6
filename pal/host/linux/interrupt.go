package linux

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// sigKick is the host signal that interrupts a guest thread. Go's runtime
// leaves real-time signals alone unless a program asks for them.
const sigKick = unix.Signal(62)

// ThreadInterrupt makes the guest thread cpu leave guest code or an
// interruptible host call as soon as possible: Run then returns
// EventInterrupt, and a blocking PAL call fails with ErrInterrupted. The
// caller guarantees the thread has not finished. A thread interrupting
// itself is in neither guest code nor a host call, and checks for signals
// before it returns to the guest anyway: nothing needs doing.
func (h *Host) ThreadInterrupt(cpu *pal.CPU) {
	cb := (*controlBlock)(unsafe.Pointer(cpu))
	if currentCB() == uintptr(unsafe.Pointer(cb)) {
		return
	}
	atomic.StoreUint64(&cb.pending, 1)
	unix.RawSyscall(unix.SYS_TGKILL, uintptr(unix.Getpid()), cb.tid, uintptr(sigKick))
}

// clearPending forgets an interrupt of the calling guest thread once it has
// been reported.
func clearPending() {
	if p := currentCB(); p != 0 {
		atomic.StoreUint64(&(*controlBlock)(unsafe.Add(nil, p)).pending, 0)
	}
}

// blocking makes a host system call that an interrupt of the calling guest
// thread cuts short with ErrInterrupted. Like runGuest it must be nosplit:
// entersyscall and exitsyscall need the same frame.
//
//go:nosplit
func blockingCall(nr, a1, a2, a3, a4, a5, a6 uintptr) (r, errno uintptr) {
	entersyscall()
	r, errno = rawBlocking(nr, a1, a2, a3, a4, a5, a6)
	exitsyscall()
	return
}

func blocking(nr, a1, a2, a3, a4, a5, a6 uintptr) (uintptr, error) {
	r, e := blockingCall(nr, a1, a2, a3, a4, a5, a6)
	if e == 0 {
		return r, nil
	}
	if unix.Errno(e) == unix.EINTR {
		clearPending()
		return 0, pal.ErrInterrupted
	}
	return 0, pal.ErrorFromErrno(unix.Errno(e))
}

// codeBytes returns n bytes of our own code at addr.
func codeBytes(addr uintptr, n int) []byte {
	return unsafe.Slice((*byte)(unsafe.Add(nil, addr)), n)
}

// findCodeRanges locates, in the assembled entry code, the instruction
// ranges kickHandler treats specially (see cb.go). The patterns are the
// encodings of the instructions named in entry_amd64.s.
func findCodeRanges(text pal.Range) error {
	var pending [4]byte
	binary.LittleEndian.PutUint32(pending[:], uint32(unsafe.Offsetof(controlBlock{}.pending)))
	cmpPending := append([]byte{0x65, 0x83, 0x3c, 0x25}, pending[:]...) // cmpl $0, %gs:pending
	cmpPending = append(cmpPending, 0)
	jmpRip := []byte{0x65, 0xff, 0x24, 0x25, 0x80, 0, 0, 0}    // jmp *%gs:rip
	loadCB := []byte{0x64, 0x4c, 0x8b, 0x1c, 0x25, 0, 0, 0, 0} // mov %fs:GO_TLS_CB,%r11
	syscallInsn := []byte{0x0f, 0x05}

	sw := switchToGuestAddr()
	code := codeBytes(sw, 512)
	i, j := bytes.Index(code, cmpPending), bytes.Index(code, jmpRip)
	if i < 0 || j < i {
		return fmt.Errorf("entry code layout not recognised (switchToGuest)")
	}
	entryStart, entryEnd = sw+uintptr(i), sw+uintptr(j)

	rb := rawBlockingAddr()
	code = codeBytes(rb, 256)
	i = bytes.Index(code, loadCB)
	j = bytes.Index(code[max(i, 0):], syscallInsn)
	if i < 0 || j < 0 {
		return fmt.Errorf("entry code layout not recognised (rawBlocking)")
	}
	blockStart, blockSyscall = rb+uintptr(i), rb+uintptr(i+j)
	textStart, textEnd = text.Start, text.End
	return nil
}
