package sys

// Implementation of Linux native AIO: io_setup, io_destroy, io_submit,
// io_cancel, io_getevents and io_pgetevents.
//
// Reads, writes and syncs are done inside io_submit, which the host's page
// cache makes honest for regular files (Linux itself does buffered AIO
// synchronously); their completion events are queued on the context for
// io_getevents. IOCB_CMD_POLL completes at once when the file is ready and
// otherwise waits in a goroutine until it is, or until io_cancel or
// io_destroy cuts it short.
//
// The context id is, as on Linux, the address of a ring mapped in the
// process ("/[aio] (deleted)" in /proc/self/maps), whose header holds the
// context's index; a lookup reads the index from there, as Linux does.
// The ring does not carry the events: its header's magic is not
// AIO_RING_MAGIC, which tells libaio (and any program that reaps events
// from the ring itself) to make the system call instead.
//
// Contexts belong to a process (aioStates, keyed by *kernel.Process). A
// forked child is a new Process with none: its calls on its parent's
// context fail with EINVAL, as on Linux. execve unmaps the rings, which
// makes the old contexts unreachable; the next io_setup drops them.

import (
	"encoding/binary"
	"math"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/mm"
	"gophene/libos/vfs"
	"gophene/pal"
)

// The ABI of <linux/aio_abi.h>.
const (
	iocbCmdPread   = 0
	iocbCmdPwrite  = 1
	iocbCmdFsync   = 2
	iocbCmdFdsync  = 3
	iocbCmdPoll    = 5
	iocbCmdPreadv  = 7
	iocbCmdPwritev = 8

	iocbFlagResfd  = 1 << 0 // signal the eventfd aio_resfd at completion
	iocbFlagIoprio = 1 << 1 // aio_reqprio is an I/O priority

	aioRingHeader = 32 // struct aio_ring, before the events
	ioEventSize   = 32 // struct io_event
	aioMaxIovecs  = 1024
	aioUserTop    = 0x7ffffffff000 // the end of the user address range
	aioRingName   = "/[aio] (deleted)"
)

// aioIocb is struct iocb.
type aioIocb struct {
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

// ioEvent is struct io_event.
type ioEvent struct {
	Data, Obj uint64
	Res, Res2 int64
}

// aioState is a process's AIO contexts.
type aioState struct {
	mu     sync.Mutex
	ctxs   map[uint32]*aioCtx // by index (the ring header's id)
	nextID uint32
	nr     uint64 // the events io_setup asked for, counted against aio-max-nr
}

var aioStates sync.Map // *kernel.Process → *aioState

func aioStateOf(p *kernel.Process) *aioState {
	if s, ok := aioStates.Load(p); ok {
		return s.(*aioState)
	}
	s, _ := aioStates.LoadOrStore(p, &aioState{ctxs: map[uint32]*aioCtx{}})
	return s.(*aioState)
}

// aioCtx is an AIO context.
type aioCtx struct {
	id         uint32
	ring, size uintptr // the ring (its address is the context id)
	maxReqs    uint32  // what io_setup asked for
	nrEvents   int     // the ring's capacity; one slot less may be in use

	mu      sync.Mutex
	events  []ioEvent // completed, not yet reaped
	inUse   int       // requests submitted and not yet reaped
	polls   []*aioPoll
	waiting int // polls not yet complete
	dead    bool
	changed chan struct{} // closed and replaced when an event comes or the context dies
}

// aioPoll is an IOCB_CMD_POLL waiting for its file.
type aioPoll struct {
	obj  uint64     // the iocb's address
	wake pal.Handle // a host event counter that cuts the wait short
}

// notify wakes whoever waits on the context (its lock held).
func (c *aioCtx) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// reserve takes a slot for a new request: false if the ring is full.
func (c *aioCtx) reserve() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inUse >= c.nrEvents-1 {
		return false
	}
	c.inUse++
	return true
}

// unreserve gives back the slot of a request that was refused.
func (c *aioCtx) unreserve() {
	c.mu.Lock()
	c.inUse--
	c.mu.Unlock()
}

// complete queues a completion event.
func (c *aioCtx) complete(ev ioEvent) {
	c.mu.Lock()
	c.events = append(c.events, ev)
	c.notify()
	c.mu.Unlock()
}

// take copies up to limit events to the guest array at addr and drops
// them from the queue. It also says whether the context is dead and
// returns the channel that tells of the next change.
func (c *aioCtx) take(t *kernel.Task, addr uintptr, limit int64) (int64, bool, <-chan struct{}, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	var err error
	for n < limit && n < int64(len(c.events)) {
		if err = kernel.CopyOutObj(t, addr+uintptr(n)*ioEventSize, &c.events[n]); err != nil {
			break
		}
		n++
	}
	c.events = append(c.events[:0], c.events[n:]...)
	c.inUse -= int(n)
	return n, c.dead, c.changed, err
}

// kill marks the context destroyed, cancels its waiting polls and wakes
// its io_getevents callers.
func (c *aioCtx) kill(host pal.Host) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dead = true
	for _, p := range c.polls {
		aioWake(host, p.wake)
	}
	c.polls = nil
	c.notify()
}

// cancel cuts short the waiting poll of the iocb at obj.
func (c *aioCtx) cancel(host pal.Host, obj uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.polls {
		if p.obj == obj {
			aioWake(host, p.wake)
			c.polls = append(c.polls[:i], c.polls[i+1:]...)
			return true
		}
	}
	return false
}

// finishPoll queues the event of a poll that stopped waiting.
func (c *aioCtx) finishPoll(p *aioPoll, ev ioEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, q := range c.polls {
		if q == p {
			c.polls = append(c.polls[:i], c.polls[i+1:]...)
			break
		}
	}
	c.waiting--
	c.events = append(c.events, ev)
	c.notify()
}

// drain waits until no poll of the context is waiting any more.
func (c *aioCtx) drain() {
	for {
		c.mu.Lock()
		n, ch := c.waiting, c.changed
		c.mu.Unlock()
		if n == 0 {
			return
		}
		<-ch
	}
}

// aioWake ends the wait of a poll through its wake counter.
func aioWake(host pal.Host, h pal.Handle) {
	one := [8]byte{1}
	host.StreamWrite(h, one[:])
}

// aioLookup finds the context whose id (ring address) is id, as Linux's
// lookup_ioctx: through the index in the ring's header.
func aioLookup(t *kernel.Task, id uintptr) *aioCtx {
	var idx uint32
	if kernel.CopyInObj(t, id, &idx) != nil {
		return nil
	}
	if a, ok := t.P.MM.Lookup(id); !ok || a.Name != aioRingName {
		return nil
	}
	s := aioStateOf(t.P)
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.ctxs[idx]; c != nil && c.ring == id {
		return c
	}
	return nil
}

// prune drops the contexts whose ring is gone or no longer names them
// (execve replaced the address space), so that they stop counting
// against aio-max-nr.
func (s *aioState) prune(t *kernel.Task) {
	for id, c := range s.ctxs {
		var idx uint32
		a, ok := t.P.MM.Lookup(c.ring)
		if !ok || a.Name != aioRingName || kernel.CopyInObj(t, c.ring, &idx) != nil || idx != id {
			c.kill(t.P.Host)
			delete(s.ctxs, id)
			s.nr -= uint64(c.maxReqs)
		}
	}
}

// publish shows the process's count in /proc/sys/fs/aio-nr.
func (s *aioState) publish(p *kernel.Process) {
	p.Tunables.Set("sys/fs/aio-nr", strconv.FormatUint(s.nr, 10))
}

// aioMaxNr is /proc/sys/fs/aio-max-nr.
func aioMaxNr(p *kernel.Process) uint64 {
	v, err := strconv.ParseUint(p.Tunables.Get("sys/fs/aio-max-nr", "65536"), 10, 64)
	if err != nil {
		return 65536
	}
	return v
}

// IoSetup implements io_setup(2).
func IoSetup(t *kernel.Task, a kernel.Args) (uintptr, error) {
	nr := uint32(a[0])
	var cur uint64
	if err := kernel.CopyInObj(t, a[1], &cur); err != nil {
		return 0, err
	}
	if cur != 0 || nr == 0 {
		return 0, unix.EINVAL
	}
	// Linux's sizing: at least 4 events per CPU, doubled (in 32 bits).
	n := max(nr, uint32(max(t.P.Info.CPUCount, 1)*4)) * 2
	if n > 0x10000000/ioEventSize {
		return 0, unix.EINVAL
	}
	limit := aioMaxNr(t.P)
	if n == 0 || uint64(nr) > limit {
		return 0, unix.EAGAIN
	}
	size := mm.PageAlign(aioRingHeader + ioEventSize*(uintptr(n)+2))
	ringEvents := (size - aioRingHeader) / ioEventSize

	s := aioStateOf(t.P)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune(t)
	if s.nr+uint64(nr) > limit {
		return 0, unix.EAGAIN
	}
	ring, err := t.P.MM.Map(mm.MapRequest{Length: size, Prot: pal.ProtRead | pal.ProtWrite, Name: aioRingName})
	if err != nil {
		return 0, mapErr(err)
	}
	for s.ctxs[s.nextID] != nil {
		s.nextID++
	}
	id := s.nextID
	s.nextID++
	// id, nr, head, tail, magic (0, not AIO_RING_MAGIC: no events in the
	// ring), compat_features, incompat_features, header_length.
	hdr := [8]uint32{id, uint32(ringEvents), 0, 0, 0, 1, 0, aioRingHeader}
	id64 := uint64(ring)
	if err := kernel.CopyOutObj(t, ring, &hdr); err != nil {
		t.P.MM.Unmap(ring, size)
		return 0, err
	}
	if err := kernel.CopyOutObj(t, a[1], &id64); err != nil {
		t.P.MM.Unmap(ring, size)
		return 0, err
	}
	s.ctxs[id] = &aioCtx{id: id, ring: ring, size: size, maxReqs: nr, nrEvents: int(ringEvents),
		changed: make(chan struct{})}
	s.nr += uint64(nr)
	s.publish(t.P)
	return 0, nil
}

// IoDestroy implements io_destroy(2): waiting polls are cancelled and
// io_getevents callers wake (with EINVAL if they got no event).
func IoDestroy(t *kernel.Task, a kernel.Args) (uintptr, error) {
	c := aioLookup(t, a[0])
	if c == nil {
		return 0, unix.EINVAL
	}
	s := aioStateOf(t.P)
	s.mu.Lock()
	if s.ctxs[c.id] != c {
		s.mu.Unlock()
		return 0, unix.EINVAL // destroyed meanwhile
	}
	delete(s.ctxs, c.id)
	s.nr -= uint64(c.maxReqs)
	s.publish(t.P)
	s.mu.Unlock()
	c.kill(t.P.Host)
	t.P.MM.Unmap(c.ring, c.size)
	c.drain()
	return 0, nil
}

// IoSubmit implements io_submit(2). It returns how many iocbs were
// submitted, or the error of the first if none was.
func IoSubmit(t *kernel.Task, a kernel.Args) (uintptr, error) {
	nr := int64(a[1])
	if nr < 0 {
		return 0, unix.EINVAL
	}
	c := aioLookup(t, a[0])
	if c == nil {
		return 0, unix.EINVAL
	}
	nr = min(nr, int64(c.nrEvents))
	var i int64
	var err error
	for ; i < nr; i++ {
		var cb uint64
		if err = kernel.CopyInObj(t, a[2]+uintptr(8*i), &cb); err != nil {
			break
		}
		if err = aioSubmitOne(t, c, uintptr(cb)); err != nil {
			break
		}
	}
	if i > 0 {
		return uintptr(i), nil
	}
	return 0, err
}

// aioSubmitOne submits the iocb at addr.
func aioSubmitOne(t *kernel.Task, c *aioCtx, addr uintptr) error {
	var cb aioIocb
	if err := kernel.CopyInObj(t, addr, &cb); err != nil {
		return err
	}
	if cb.Reserved2 != 0 || int64(cb.Nbytes) < 0 {
		return unix.EINVAL
	}
	if !c.reserve() {
		return unix.EAGAIN
	}
	if err := aioStart(t, c, addr, &cb); err != nil {
		c.unreserve()
		return err
	}
	return nil
}

// aioStart checks an iocb and performs it, or starts it (a poll).
func aioStart(t *kernel.Task, c *aioCtx, addr uintptr, cb *aioIocb) error {
	f, err := file(t, uintptr(cb.Fildes))
	if err != nil {
		return err
	}
	defer f.DecRef()
	if f.IsPath() {
		return unix.EBADF
	}
	var efd *vfs.File
	if cb.Flags&iocbFlagResfd != 0 {
		if efd, err = aioEventfd(t, cb.Resfd); err != nil {
			return err
		}
		defer efd.DecRef()
	}
	var key uint32 // KIOCB_KEY, which io_cancel checks
	if err := kernel.CopyOutObj(t, addr+8, &key); err != nil {
		return err
	}
	ev := ioEvent{Data: cb.Data, Obj: uint64(addr)}
	switch cb.Opcode {
	case iocbCmdPread, iocbCmdPwrite, iocbCmdPreadv, iocbCmdPwritev:
		ev.Res, err = aioRW(t, f, cb)
	case iocbCmdFsync, iocbCmdFdsync:
		ev.Res, err = aioFsync(f, cb)
	case iocbCmdPoll:
		return aioPollStart(t, c, f, efd, cb, ev)
	default:
		return unix.EINVAL
	}
	if err != nil {
		return err
	}
	c.complete(ev)
	aioSignal(t.P.Host, efd)
	return nil
}

// aioEventfd is the eventfd of IOCB_FLAG_RESFD.
func aioEventfd(t *kernel.Task, fd uint32) (*vfs.File, error) {
	f, err := file(t, uintptr(fd))
	if err != nil {
		return nil, err
	}
	if f.IsPath() {
		f.DecRef()
		return nil, unix.EBADF
	}
	if f.Path != "anon_inode:[eventfd]" || f.Impl.Handle() == pal.NoHandle {
		f.DecRef()
		return nil, unix.EINVAL
	}
	return f, nil
}

// aioSignal signals the eventfd of a completed request, if any, as the
// kernel does (pal.EventSignal).
func aioSignal(host pal.Host, efd *vfs.File) {
	if efd != nil {
		host.EventSignal(efd.Impl.Handle())
	}
}

// errnoRes is the event result of a failed operation: -errno.
func errnoRes(err error) int64 {
	if e, ok := vfs.Errno(err).(unix.Errno); ok {
		return -int64(e)
	}
	return -int64(unix.EIO)
}

// aioRW performs a read or write. The error is the submission's; the
// result (a count or -errno) the event's.
func aioRW(t *kernel.Task, f *vfs.File, cb *aioIocb) (int64, error) {
	write := cb.Opcode == iocbCmdPwrite || cb.Opcode == iocbCmdPwritev
	if cb.Flags&iocbFlagIoprio != 0 {
		if err := checkIOPrio(t, int(cb.Reqprio)); err != nil {
			return 0, err
		}
	}
	rwf := uintptr(cb.RWFlags)
	if rwf&^rwfKnown != 0 || rwf&unix.RWF_ATOMIC != 0 {
		return 0, unix.EOPNOTSUPP // no file here can write atomically
	}
	if rwf&unix.RWF_APPEND != 0 && rwf&unix.RWF_NOAPPEND != 0 {
		return 0, unix.EINVAL
	}
	if write && !f.Writable() || !write && !f.Readable() {
		return 0, unix.EBADF
	}
	var st pal.Stat
	if f.Impl.Stat(&st) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return 0, unix.EINVAL // no read_iter
	}
	segs, err := aioSegments(t, cb, cb.Opcode == iocbCmdPreadv || cb.Opcode == iocbCmdPwritev)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, s := range segs {
		total += int64(s[1])
	}
	off := cb.Offset
	if off < 0 || off+total < 0 {
		return 0, unix.EINVAL
	}
	if st.Mode&unix.S_IFMT == unix.S_IFSOCK && off != 0 {
		return -int64(unix.ESPIPE), nil // sockets take no offset but 0
	}
	// The transfer: from here on, errors are the event's.
	bufs := make([][]byte, 0, len(segs))
	for _, s := range segs {
		b, err := t.GuestBytes(s[0], s[1], !write)
		if err != nil {
			return errnoRes(err), nil
		}
		bufs = append(bufs, b)
	}
	if rwf&unix.RWF_NOWAIT != 0 && !aioReady(t, f, write) {
		return -int64(unix.EAGAIN), nil
	}
	var n int
	if !write {
		err = retryEINTR(t, unix.EINTR, func() (e error) { n, e = readVec(bufs, int(total), aioRead(f), off); return })
	} else {
		if rwf&unix.RWF_APPEND != 0 && f.Impl.Stat(&st) == nil {
			off = st.Size
		}
		err = retryEINTR(t, unix.EINTR, func() (e error) { n, e = writeVec(bufs, int(total), aioWrite(f), off); return })
		err = brokenPipe(t, err)
		if err == nil && rwf&(unix.RWF_DSYNC|unix.RWF_SYNC) != 0 {
			err = f.Impl.Sync(rwf&unix.RWF_SYNC == 0)
		}
	}
	if err != nil {
		return errnoRes(err), nil
	}
	return int64(n), nil
}

// aioSegments are the buffers (address, length) of a read or write:
// aio_buf and aio_nbytes, or the iovec array they describe. As on Linux,
// a bad iovec array or an address beyond the user range fails the
// submission, while a buffer that is merely not mapped fails the
// transfer.
func aioSegments(t *kernel.Task, cb *aioIocb, vectored bool) ([][2]uintptr, error) {
	if !vectored {
		n := min(uintptr(cb.Nbytes), maxRW)
		if !aioUserRange(uintptr(cb.Buf), n) {
			return nil, unix.EFAULT
		}
		return [][2]uintptr{{uintptr(cb.Buf), n}}, nil
	}
	if cb.Nbytes > aioMaxIovecs {
		return nil, unix.EINVAL
	}
	raw := make([]byte, 16*cb.Nbytes)
	if err := t.CopyIn(uintptr(cb.Buf), raw); err != nil {
		return nil, err
	}
	segs := make([][2]uintptr, 0, cb.Nbytes)
	var total uintptr
	for i := 0; i < len(raw); i += 16 {
		base := uintptr(binary.LittleEndian.Uint64(raw[i:]))
		n := uintptr(binary.LittleEndian.Uint64(raw[i+8:]))
		if int64(n) < 0 {
			return nil, unix.EINVAL
		}
		n = min(n, maxRW-total)
		if !aioUserRange(base, n) {
			return nil, unix.EFAULT
		}
		total += n
		segs = append(segs, [2]uintptr{base, n})
	}
	return segs, nil
}

// aioUserRange reports whether [addr, addr+n) lies in the user address
// range (Linux's access_ok).
func aioUserRange(addr, n uintptr) bool {
	return addr <= aioUserTop && n <= aioUserTop-addr
}

// aioRead reads at off, or from the stream of a file without a position
// (a pipe, a socket), which Linux's read_iter does too.
func aioRead(f *vfs.File) func([]byte, int64) (int, error) {
	return func(p []byte, off int64) (int, error) {
		n, err := f.Impl.Pread(p, off)
		if vfs.Errno(err) == unix.ESPIPE {
			return f.Impl.Read(p)
		}
		return n, err
	}
}

// aioWrite writes at off, or to the stream of a file without a position.
func aioWrite(f *vfs.File) func([]byte, int64) (int, error) {
	return func(p []byte, off int64) (int, error) {
		n, err := f.Impl.Pwrite(p, off)
		if vfs.Errno(err) == unix.ESPIPE {
			return f.Impl.Write(p)
		}
		return n, err
	}
}

// aioReady reports whether a read (or write) of f would not block, for
// RWF_NOWAIT: host streams are polled; files of the LibOS's own and
// regular files do not block.
func aioReady(t *kernel.Task, f *vfs.File, write bool) bool {
	h := f.Impl.Handle()
	if h == pal.NoHandle {
		return true
	}
	events := int16(unix.POLLIN)
	if write {
		events = unix.POLLOUT
	}
	fds := []pal.PollFd{{H: h, Events: events}}
	if _, err := t.P.Host.StreamWait(fds, 0); err != nil {
		return true
	}
	return fds[0].Revents != 0
}

// aioFsync performs IOCB_CMD_FSYNC or IOCB_CMD_FDSYNC: as on Linux, only
// files with data to flush (regular files, directories, block devices)
// accept it.
func aioFsync(f *vfs.File, cb *aioIocb) (int64, error) {
	if cb.Buf != 0 || cb.Offset != 0 || cb.Nbytes != 0 || cb.RWFlags != 0 {
		return 0, unix.EINVAL
	}
	var st pal.Stat
	if err := f.Impl.Stat(&st); err == nil {
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFREG, unix.S_IFDIR, unix.S_IFBLK:
		default:
			return 0, unix.EINVAL
		}
	}
	if err := f.Impl.Sync(cb.Opcode == iocbCmdFdsync); err != nil {
		return errnoRes(err), nil
	}
	return 0, nil
}

// aioPollStart performs IOCB_CMD_POLL: the event comes at once if the
// file is ready, else when it becomes ready or the poll is cancelled
// (with no events).
func aioPollStart(t *kernel.Task, c *aioCtx, f, efd *vfs.File, cb *aioIocb, ev ioEvent) error {
	if uint64(uint16(cb.Buf)) != cb.Buf || cb.Offset != 0 || cb.Nbytes != 0 || cb.RWFlags != 0 {
		return unix.EINVAL
	}
	events := int16(cb.Buf) | unix.POLLERR | unix.POLLHUP
	h := f.Impl.Handle()
	var st pal.Stat
	f.Impl.Stat(&st)
	if typ := st.Mode & unix.S_IFMT; h == pal.NoHandle || typ == unix.S_IFREG || typ == unix.S_IFDIR || typ == unix.S_IFBLK {
		// Files that cannot be waited for (regular files, the LibOS's own)
		// are always ready; a poll for nothing they report is refused, as
		// on Linux.
		ready := events & (unix.POLLIN | unix.POLLOUT | pollRdnorm | pollWrnorm)
		if ready == 0 {
			return unix.EINVAL
		}
		ev.Res = int64(ready)
		c.complete(ev)
		aioSignal(t.P.Host, efd)
		return nil
	}
	fds := []pal.PollFd{{H: h, Events: events}}
	if _, err := t.P.Host.StreamWait(fds, 0); err == nil && fds[0].Revents&events != 0 {
		ev.Res = int64(fds[0].Revents & events)
		c.complete(ev)
		aioSignal(t.P.Host, efd)
		return nil
	}
	wake, err := t.P.Host.EventCreate(0, unix.EFD_NONBLOCK)
	if err != nil {
		return mapErr(err)
	}
	p := &aioPoll{obj: ev.Obj, wake: wake}
	c.mu.Lock()
	if c.dead {
		aioWake(t.P.Host, wake) // io_destroy is under way
	} else {
		c.polls = append(c.polls, p)
	}
	c.waiting++
	c.mu.Unlock()
	f.IncRef()
	if efd != nil {
		efd.IncRef()
	}
	go aioPollWait(t.P.Host, c, p, f, efd, events, ev)
	return nil
}

// aioPollWait waits for a poll's file or its cancellation, then completes
// the poll.
func aioPollWait(host pal.Host, c *aioCtx, p *aioPoll, f, efd *vfs.File, events int16, ev ioEvent) {
	// Linux reports the events its waker names, such as POLLIN|POLLRDNORM
	// for data written to a pipe: the host's poll says as much when asked
	// for the "normal data" bits too.
	if events&unix.POLLIN != 0 {
		events |= pollRdnorm
	}
	if events&unix.POLLOUT != 0 {
		events |= pollWrnorm
	}
	fds := []pal.PollFd{{H: f.Impl.Handle(), Events: events}, {H: p.wake, Events: unix.POLLIN}}
	for {
		_, err := host.StreamWait(fds, -1)
		if err == pal.ErrInterrupted {
			continue
		}
		if err != nil || fds[1].Revents != 0 || fds[0].Revents != 0 {
			break
		}
	}
	if fds[1].Revents == 0 {
		ev.Res = int64(fds[0].Revents)
	}
	c.finishPoll(p, ev)
	host.StreamClose(p.wake) // after finishPoll: no cancel writes to it any more
	f.DecRef()
	if efd != nil {
		aioSignal(host, efd)
		efd.DecRef()
	}
}

// IoCancel implements io_cancel(2). Reads, writes and syncs are complete
// once submitted, so only a waiting poll can be cancelled: its event then
// comes with no events, and the call says EINPROGRESS, as Linux's does.
func IoCancel(t *kernel.Task, a kernel.Args) (uintptr, error) {
	var key uint32
	if err := kernel.CopyInObj(t, a[1]+8, &key); err != nil {
		return 0, err
	}
	if key != 0 {
		return 0, unix.EINVAL
	}
	c := aioLookup(t, a[0])
	if c == nil {
		return 0, unix.EINVAL
	}
	if c.cancel(t.P.Host, uint64(a[1])) {
		return 0, unix.EINPROGRESS
	}
	return 0, unix.EINVAL
}

// aioTimeout reads io_getevents's timeout: -1 (none: wait as long as it
// takes) or nanoseconds. Like Linux it takes any value: seconds out of
// range (negative ones too, compared unsigned) and negative totals, which
// Linux's timer saturates, mean no limit.
func aioTimeout(t *kernel.Task, addr uintptr) (int64, error) {
	if addr == 0 {
		return -1, nil
	}
	var ts unix.Timespec
	if err := kernel.CopyInObj(t, addr, &ts); err != nil {
		return 0, err
	}
	ns := ts.Sec*1e9 + ts.Nsec
	if uint64(ts.Sec) >= math.MaxInt64/uint64(time.Second) || ns < 0 {
		return -1, nil
	}
	return ns, nil
}

// aioGetevents reaps between minNr and nr events, waiting up to timeout
// ns (< 0: without limit) for minNr of them. A signal ends the wait with
// what has come (the callers turn none into their error).
func aioGetevents(t *kernel.Task, id uintptr, minNr, nr int64, events uintptr, timeout int64) (uintptr, error) {
	c := aioLookup(t, id)
	if c == nil || minNr < 0 || minNr > nr {
		return 0, unix.EINVAL
	}
	var timer <-chan time.Time
	expired := timeout == 0
	var got int64
	for {
		n, dead, changed, err := c.take(t, events+uintptr(got)*ioEventSize, nr-got)
		got += n
		switch {
		case err != nil && got == 0:
			return 0, err
		case dead && got == 0:
			return 0, unix.EINVAL
		case err != nil || dead || got >= minNr || expired:
			return uintptr(got), nil
		}
		if t.SignalPending() {
			return uintptr(got), nil
		}
		if timer == nil && timeout > 0 {
			tm := time.NewTimer(time.Duration(timeout))
			defer tm.Stop()
			timer = tm.C
		}
		select {
		case <-changed:
		case <-t.Interrupted():
		case <-timer:
			expired = true
		}
	}
}

// IoGetevents implements io_getevents(2).
func IoGetevents(t *kernel.Task, a kernel.Args) (uintptr, error) {
	timeout, err := aioTimeout(t, a[4])
	if err != nil {
		return 0, err
	}
	n, err := aioGetevents(t, a[0], int64(a[1]), int64(a[2]), a[3], timeout)
	if err == nil && n == 0 && t.SignalPending() {
		return 0, unix.EINTR
	}
	return n, err
}

// IoPgetevents implements io_pgetevents(2): io_getevents with a signal
// mask in force while it waits.
func IoPgetevents(t *kernel.Task, a kernel.Args) (uintptr, error) {
	timeout, err := aioTimeout(t, a[4])
	if err != nil {
		return 0, err
	}
	var sig [2]uint64 // struct __aio_sigset: the mask's address and size
	if a[5] != 0 {
		if err := kernel.CopyInObj(t, a[5], &sig); err != nil {
			return 0, err
		}
	}
	return withMask(t, uintptr(sig[0]), uintptr(sig[1]), func() (uintptr, error) {
		n, err := aioGetevents(t, a[0], int64(a[1]), int64(a[2]), a[3], timeout)
		if err == nil && n == 0 && t.SignalPending() {
			return 0, kernel.ErrRestartNoHand
		}
		return n, err
	})
}
