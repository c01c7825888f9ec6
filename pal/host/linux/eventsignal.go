package linux

// EventSignal: adding to an event counter the way the kernel itself does
// (for the guest's AIO completions, libos/sys/aio.go).

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// eventAIO is the host AIO context EventSignal submits through, made on
// first use.
var eventAIO struct {
	mu  sync.Mutex
	ctx uintptr
}

// hostIocb is the host's struct iocb.
type hostIocb struct {
	Data      uint64
	Key       uint32
	RWFlags   uint32
	Opcode    uint16
	Reqprio   int16
	Fildes    uint32
	Buf       uint64
	Nbytes    uint64
	Offset    int64
	Reserved2 uint64
	Flags     uint32
	Resfd     uint32
}

// EventSignal adds one to the event counter stream hd as Linux's
// eventfd_signal does: it never blocks, and the count stops at 2^64-1
// (where poll reports POLLERR), which a write cannot reach. The host
// kernel does it: a zero-length AIO read of the eventfd itself fails at
// once (EINVAL) and, with IOCB_FLAG_RESFD naming the same eventfd,
// signals it as it completes.
func (h *Host) EventSignal(hd pal.Handle) error {
	fd, err := h.fd(hd)
	if err != nil {
		return err
	}
	eventAIO.mu.Lock()
	defer eventAIO.mu.Unlock()
	cb := hostIocb{Opcode: 0 /* IOCB_CMD_PREAD */, Fildes: uint32(fd), Flags: 1 /* IOCB_FLAG_RESFD */, Resfd: uint32(fd)}
	cbs := [1]*hostIocb{&cb}
	if eventAIO.ctx == 0 {
		if _, _, e := unix.Syscall(unix.SYS_IO_SETUP, 1, uintptr(unsafe.Pointer(&eventAIO.ctx)), 0); e != 0 {
			eventAIO.ctx = 0
			return errnoErr(e)
		}
	}
	if _, _, e := unix.Syscall(unix.SYS_IO_SUBMIT, eventAIO.ctx, 1, uintptr(unsafe.Pointer(&cbs[0]))); e != 0 {
		return errnoErr(e)
	}
	var ev [32]byte // struct io_event
	_, _, e := unix.Syscall6(unix.SYS_IO_GETEVENTS, eventAIO.ctx, 1, 1, uintptr(unsafe.Pointer(&ev[0])), 0, 0)
	return errnoErr(e)
}
