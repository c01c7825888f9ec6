package sys

// Implementation of process_vm_readv and process_vm_writev.

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
)

// userEnd is the end of x86-64 user space (TASK_SIZE_MAX): access_ok
// refuses buffers reaching past it.
const userEnd = 0x7ffffffff000

// vmChunk is how much one request to another process moves at most.
const vmChunk = 1 << 20

// readIovecs reads cnt iovecs at addr as Linux's iovec_from_user: EINVAL
// for more than UIO_MAXIOV or a negative length.
func readIovecs(t *kernel.Task, addr, cnt uintptr) ([]kernel.Iovec, error) {
	if cnt > 1024 {
		return nil, unix.EINVAL
	}
	if cnt == 0 {
		return nil, nil
	}
	raw := make([]byte, 16*cnt)
	if err := t.CopyIn(addr, raw); err != nil {
		return nil, err
	}
	iov := make([]kernel.Iovec, cnt)
	for i := range iov {
		iov[i] = kernel.Iovec{Base: uintptr(binary.LittleEndian.Uint64(raw[16*i:])), Len: uintptr(binary.LittleEndian.Uint64(raw[16*i+8:]))}
		if int64(iov[i].Len) < 0 {
			return nil, unix.EINVAL
		}
	}
	return iov, nil
}

// localIovecs reads the caller's own iovecs as import_iovec: each must lie
// in user space (access_ok; EFAULT), and the total is cut to MAX_RW_COUNT.
func localIovecs(t *kernel.Task, addr, cnt uintptr) ([]kernel.Iovec, int, error) {
	iov, err := readIovecs(t, addr, cnt)
	if err != nil {
		return nil, 0, err
	}
	total := 0
	for i, v := range iov {
		if v.Base+v.Len < v.Base || v.Base+v.Len > userEnd {
			return nil, 0, unix.EFAULT
		}
		iov[i].Len = min(v.Len, uintptr(maxRW-total))
		total += int(iov[i].Len)
	}
	return iov, total, nil
}

// iovCursor walks a list of iovecs.
type iovCursor struct {
	iov []kernel.Iovec
	i   int
	off uintptr
}

// take returns the next n bytes' worth of buffers (fewer at the end).
func (c *iovCursor) take(n int) []kernel.Iovec {
	var out []kernel.Iovec
	for n > 0 && c.i < len(c.iov) {
		v := c.iov[c.i]
		k := min(uintptr(n), v.Len-c.off)
		if k > 0 {
			out = append(out, kernel.Iovec{Base: v.Base + c.off, Len: k})
		}
		n -= int(k)
		if c.off += k; c.off == v.Len {
			c.i, c.off = c.i+1, 0
		}
	}
	return out
}

// pieces calls fn for the pieces of iov within one page each, in order,
// until fn returns false.
func pieces(iov []kernel.Iovec, fn func(addr, n uintptr) bool) {
	for _, v := range iov {
		for addr, n := v.Base, v.Len; n > 0; {
			k := min(n, (addr|4095)+1-addr)
			if !fn(addr, k) {
				return
			}
			addr, n = addr+k, n-k
		}
	}
}

// processVM moves data between the caller's buffers lvec and process
// pid's rvec, as Linux's process_vm_rw: the transfer stops at the first
// page either side cannot access, and returns what moved, or EFAULT if
// nothing did. The caller's own process is reached directly, another
// guest process through the leader, which answers from its own memory.
func processVM(t *kernel.Task, a kernel.Args, write bool) (uintptr, error) {
	if a[5] != 0 {
		return 0, unix.EINVAL
	}
	local, total, err := localIovecs(t, a[1], a[2])
	if err != nil || total == 0 {
		return 0, err
	}
	remote, err := readIovecs(t, a[3], a[4])
	if err != nil {
		return 0, err
	}
	rtotal := 0
	for _, v := range remote {
		rtotal += int(min(v.Len, maxRW))
	}
	if rtotal == 0 {
		return 0, nil
	}
	total = min(total, rtotal)
	pid := int(int32(a[0]))
	if pid <= 0 {
		return 0, unix.ESRCH
	}
	self := false
	for _, o := range t.P.Tasks() {
		self = self || o.Tid == pid
	}
	lc, rc := iovCursor{iov: local}, iovCursor{iov: remote}
	done, faulted := 0, false
	for done < total && !faulted {
		n := min(total-done, vmChunk)
		lv, rv := lc.take(n), rc.take(n)
		moved := 0
		if write {
			var data []byte
			pieces(lv, func(addr, k uintptr) bool {
				buf := make([]byte, k)
				if t.CopyIn(addr, buf) != nil {
					faulted = true
					return false
				}
				data = append(data, buf...)
				return true
			})
			var rfault bool
			if self {
				moved, rfault = t.P.WriteVM(rv, data)
			} else if _, moved, rfault, err = t.P.MemoryOf(pid, true, rv, data, 0); err != nil {
				break
			}
			faulted = faulted || rfault || moved < n
		} else {
			var data []byte
			var rfault bool
			if self {
				data, rfault = t.P.ReadVM(rv, n)
			} else if data, _, rfault, err = t.P.MemoryOf(pid, false, rv, nil, n); err != nil {
				break
			}
			pieces(lv, func(addr, k uintptr) bool {
				k = min(k, uintptr(len(data)-moved))
				if k == 0 || t.CopyOut(addr, data[moved:moved+int(k)]) != nil {
					return false
				}
				moved += int(k)
				return true
			})
			faulted = rfault || moved < n
		}
		done += moved
	}
	switch {
	case done > 0:
		return uintptr(done), nil
	case err != nil:
		return 0, err
	case faulted:
		return 0, unix.EFAULT
	}
	return 0, nil
}

// ProcessVMReadv implements process_vm_readv(2) for the caller's own
// process and the guest's others; another process must allow it as Linux's
// PTRACE_MODE_ATTACH_REALCREDS would (EPERM).
func ProcessVMReadv(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return processVM(t, a, false)
}

// ProcessVMWritev implements process_vm_writev(2), as ProcessVMReadv.
func ProcessVMWritev(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return processVM(t, a, true)
}
