package linux

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// PipeTee duplicates pipe data with the host's tee(2).
func (h *Host) PipeTee(in, out pal.Handle, n int, flags int) (int, error) {
	ifd, err := h.fd(in)
	if err != nil {
		return 0, err
	}
	ofd, err := h.fd(out)
	if err != nil {
		return 0, err
	}
	r, err := blocking(unix.SYS_TEE, uintptr(ifd), uintptr(ofd), uintptr(n), uintptr(flags), 0, 0)
	return int(r), err
}

// PipeVmsplice moves guest buffers into or out of a pipe with the host's
// vmsplice(2): guest memory lies in this process, so the host reads or
// fills it directly, and a write references its pages as on Linux.
func (h *Host) PipeVmsplice(hd pal.Handle, iov [][]byte, flags int) (int, error) {
	fd, err := h.fd(hd)
	if err != nil {
		return 0, err
	}
	vec := make([]unix.Iovec, 0, len(iov))
	for _, b := range iov {
		if len(b) > 0 {
			vec = append(vec, unix.Iovec{Base: &b[0], Len: uint64(len(b))})
		}
	}
	if len(vec) == 0 {
		return 0, nil
	}
	r, err := blocking(unix.SYS_VMSPLICE, uintptr(fd), uintptr(unsafe.Pointer(&vec[0])), uintptr(len(vec)), uintptr(flags), 0, 0)
	return int(r), err
}

// membarrierRegister maps the membarrier commands that need the process
// registered first (PRIVATE_EXPEDITED, its SYNC_CORE and RSEQ forms) to
// the command that registers it.
var membarrierRegister = map[int]int{1 << 3: 1 << 4, 1 << 5: 1 << 6, 1 << 7: 1 << 8}

// MemoryBarrier runs a membarrier command on the host. Guest threads are
// threads of this host process, so the host's private expedited barriers
// reach them all; the registration they need is made on first use (this
// host process may have run other guest processes, whose registrations the
// LibOS, not the host, keeps apart).
func (h *Host) MemoryBarrier(cmd int) (int, error) {
	r, _, e := unix.Syscall(unix.SYS_MEMBARRIER, uintptr(cmd), 0, 0)
	if e == unix.EPERM {
		if reg, ok := membarrierRegister[cmd]; ok {
			if _, _, e2 := unix.Syscall(unix.SYS_MEMBARRIER, uintptr(reg), 0, 0); e2 != 0 {
				return 0, errnoErr(e2)
			}
			r, _, e = unix.Syscall(unix.SYS_MEMBARRIER, uintptr(cmd), 0, 0)
		}
	}
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(r), nil
}
