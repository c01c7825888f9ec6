package linux

import (
	"sort"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// Guest memory.
//
// Private anonymous guest memory is not plain anonymous memory: it is a
// shared mapping of a memfd, the current "generation", at an offset equal to
// its address. Its bytes are therefore in a file that another process can
// map. When the guest forks (MemoryCopyPlan), the ranges it hands over are
// frozen: this process remaps them privately, copy-on-write, from that
// memfd, the child maps them privately from the same memfd, and nobody ever
// writes the memfd again; new memory goes to a new generation. A fork
// therefore copies no guest bytes, except pages written since the range
// was frozen, which the pagemap tells apart (private anonymous copies) and
// the LibOS sends along.
//
// Because the memfd keeps data a mapping has dropped, freshly allocated or
// discarded ranges get a hole punched into it, and discarding a frozen
// range maps fresh memory instead, so the guest sees zeros as with
// anonymous memory.

// memGen is one memfd holding guest memory.
type memGen struct {
	fd    int
	h     pal.Handle
	refs  int  // ranges mapping it
	fresh bool // nothing was ever written to it
}

// backed is a range of guest memory mapped from a generation: shared (the
// generation holds its bytes) or frozen (mapped privately, copy-on-write,
// from a generation nobody writes any more).
type backed struct {
	start, end uintptr
	gen        *memGen
	frozen     bool
}

// memState is the host's bookkeeping of how anonymous guest memory is
// backed.
type memState struct {
	mu         sync.Mutex
	cur        *memGen  // where new memory goes; nil after a freeze
	ranges     []backed // sorted, disjoint
	pagemap    int
	pagemapBuf []byte // for reading the pagemap (mu held)
	// pmStart, pmEnd: the pages whose pagemap entries pagemapBuf holds,
	// while pmValid (within one MemoryCopyPlan).
	pmStart, pmEnd    uintptr
	pmWant            uintptr // while planning: read the pagemap up to here
	pmValid, planning bool
	// scan holds the private pages of the range being planned, found with
	// PAGEMAP_SCAN, while scanned; noScan: the kernel has no such ioctl.
	scan            []pal.Range
	scanBuf         []pageRegion
	scanned, noScan bool
	self            int // /proc/self/mem (MemoryWrite)
}

func (h *Host) memGenLocked() (*memGen, error) {
	ms := &h.mem
	if ms.cur != nil {
		return ms.cur, nil
	}
	fd, err := unix.MemfdCreate("gophene-guest", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, palErr(err)
	}
	if err := unix.Ftruncate(fd, highEnd); err != nil {
		unix.Close(fd)
		return nil, palErr(err)
	}
	ms.cur = &memGen{fd: fd, h: h.handles.add(fd), fresh: true}
	return ms.cur, nil
}

// forgetLocked drops the bookkeeping of [addr, end).
func (h *Host) forgetLocked(addr, end uintptr) {
	ms := &h.mem
	var out []backed
	for _, b := range ms.ranges {
		if b.end <= addr || b.start >= end {
			out = append(out, b)
			continue
		}
		if b.start < addr {
			out = append(out, backed{b.start, addr, b.gen, b.frozen})
			b.gen.refs++
		}
		if b.end > end {
			out = append(out, backed{end, b.end, b.gen, b.frozen})
			b.gen.refs++
		}
		h.releaseGenLocked(b.gen)
	}
	ms.ranges = out
}

func (h *Host) releaseGenLocked(g *memGen) {
	g.refs--
	if g.refs <= 0 && g != h.mem.cur {
		h.handles.remove(g.h)
		unix.Close(g.fd)
	}
}

// recordLocked notes that [addr, end) is now mapped from g.
func (h *Host) recordLocked(addr, end uintptr, g *memGen, frozen bool) {
	h.forgetLocked(addr, end)
	g.refs++
	ms := &h.mem
	ms.ranges = append(ms.ranges, backed{addr, end, g, frozen})
	sort.Slice(ms.ranges, func(i, j int) bool { return ms.ranges[i].start < ms.ranges[j].start })
}

func punch(fd int, addr, size uintptr) {
	unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, int64(addr), int64(size))
}

// MemoryAlloc maps fresh zeroed private memory at addr, replacing whatever
// guest memory or reservation was there.
func (h *Host) MemoryAlloc(addr, size uintptr, prot pal.Prot) error {
	if !h.inWindow(addr, size) {
		return pal.ErrInvalid
	}
	h.mem.mu.Lock()
	defer h.mem.mu.Unlock()
	return h.allocLocked(addr, size, prot)
}

func (h *Host) allocLocked(addr, size uintptr, prot pal.Prot) error {
	g, err := h.memGenLocked()
	if err != nil {
		return err
	}
	if !g.fresh {
		punch(g.fd, addr, size)
	}
	if _, err := mmap(addr, size, int(prot), unix.MAP_SHARED|unix.MAP_FIXED, g.fd, int64(addr)); err != nil {
		return err
	}
	h.recordLocked(addr, addr+size, g, false)
	return nil
}

// MemoryFileCreate makes a memfd for the guest.
func (h *Host) MemoryFileCreate(name string, flags int) (pal.Handle, error) {
	const allowed = unix.MFD_ALLOW_SEALING | unix.MFD_NOEXEC_SEAL | unix.MFD_EXEC
	if flags&^allowed != 0 {
		return pal.NoHandle, pal.ErrInvalid
	}
	fd, err := unix.MemfdCreate(name, flags|unix.MFD_CLOEXEC)
	if err != nil {
		return pal.NoHandle, palErr(err)
	}
	return h.handles.add(fd), nil
}

// MemoryAllocShared maps fresh zeroed memory at addr that can be shared
// with other processes through the returned handle (MAP_SHARED|MAP_ANONYMOUS).
func (h *Host) MemoryAllocShared(addr, size uintptr, prot pal.Prot) (pal.Handle, error) {
	if !h.inWindow(addr, size) {
		return pal.NoHandle, pal.ErrInvalid
	}
	fd, err := unix.MemfdCreate("gophene-shared", unix.MFD_CLOEXEC)
	if err != nil {
		return pal.NoHandle, palErr(err)
	}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		unix.Close(fd)
		return pal.NoHandle, palErr(err)
	}
	if _, err := mmap(addr, size, int(prot), unix.MAP_SHARED|unix.MAP_FIXED, fd, 0); err != nil {
		unix.Close(fd)
		return pal.NoHandle, err
	}
	h.mem.mu.Lock()
	h.forgetLocked(addr, addr+size)
	h.mem.mu.Unlock()
	return h.handles.add(fd), nil
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
	if _, err := mmap(addr, size, int(prot), flags, int(hd), off); err != nil {
		return err
	}
	h.mem.mu.Lock()
	h.forgetLocked(addr, addr+size)
	h.mem.mu.Unlock()
	return nil
}

// MemoryFree returns guest memory to the reserved window.
func (h *Host) MemoryFree(addr, size uintptr) error {
	if !h.inWindow(addr, size) {
		return pal.ErrInvalid
	}
	_, err := mmap(addr, size, unix.PROT_NONE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE|unix.MAP_FIXED, -1, 0)
	h.mem.mu.Lock()
	defer h.mem.mu.Unlock()
	h.punchSharedLocked(addr, addr+size)
	h.forgetLocked(addr, addr+size)
	return err
}

// punchSharedLocked frees the generation pages behind the shared ranges in
// [addr, end); frozen generations are never written.
func (h *Host) punchSharedLocked(addr, end uintptr) {
	for _, b := range h.mem.ranges {
		if s, e := max(b.start, addr), min(b.end, end); s < e && !b.frozen {
			punch(b.gen.fd, s, e-s)
		}
	}
}

// MemoryProtect changes the protection of guest memory.
func (h *Host) MemoryProtect(addr, size uintptr, prot pal.Prot) error {
	if !h.inWindow(addr, size) {
		return pal.ErrInvalid
	}
	_, _, e := unix.RawSyscall(unix.SYS_MPROTECT, addr, size, uintptr(prot))
	return errnoErr(e)
}

// MemoryAdvise passes an madvise hint for guest memory. Discarding advice
// on anonymous memory gives zeros back, as Linux's does.
func (h *Host) MemoryAdvise(addr, size uintptr, advice int) error {
	if !h.inWindow(addr, size) {
		return pal.ErrInvalid
	}
	if advice == unix.MADV_DONTNEED || advice == unix.MADV_FREE {
		h.mem.mu.Lock()
		defer h.mem.mu.Unlock()
		// Frozen parts get fresh memory; shared parts lose their pages
		// from the generation too.
		end := addr + size
		for _, b := range append([]backed(nil), h.mem.ranges...) {
			s, e := max(b.start, addr), min(b.end, end)
			if s >= e || !b.frozen {
				continue
			}
			if err := h.allocLocked(s, e-s, h.protOf(s)); err != nil {
				return err
			}
		}
		h.punchSharedLocked(addr, end)
		if h.backedLocked(addr, end) {
			// Every page was remapped or punched (which unmaps it too):
			// nothing is left for madvise to drop.
			return nil
		}
		advice = unix.MADV_DONTNEED
	}
	_, _, e := unix.Syscall(unix.SYS_MADVISE, addr, size, uintptr(advice))
	return errnoErr(e)
}

// backedLocked reports whether [addr, end) is all anonymous memory backed
// by generations.
func (h *Host) backedLocked(addr, end uintptr) bool {
	cur := addr
	for _, b := range h.mem.ranges {
		if b.end <= cur {
			continue
		}
		if b.start > cur {
			return false
		}
		cur = b.end
		if cur >= end {
			return true
		}
	}
	return cur >= end
}

// protOf reads the protection of the page at addr from the kernel's map.
func (h *Host) protOf(addr uintptr) pal.Prot {
	maps, err := readMaps()
	if err != nil {
		return pal.ProtRead | pal.ProtWrite
	}
	for _, m := range maps {
		if m.start <= addr && addr < m.end {
			var p pal.Prot
			if m.perms[0] == 'r' {
				p |= pal.ProtRead
			}
			if m.perms[1] == 'w' {
				p |= pal.ProtWrite
			}
			if m.perms[2] == 'x' {
				p |= pal.ProtExec
			}
			return p
		}
	}
	return pal.ProtRead | pal.ProtWrite
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

// MemoryCopyPlan prepares ranges of private guest memory to be recreated
// in another process, and says how: each piece is to be mapped privately
// from Base at BaseOffset (NoHandle: from the file the LibOS mapped, or
// zeros) and then have its Dirty pages copied over. Anonymous memory is
// frozen here, as described above.
func (h *Host) MemoryCopyPlan(ranges []pal.CopyRange) ([][]pal.MemoryPiece, error) {
	for _, r := range ranges {
		if r.End < r.Start || !h.inWindow(r.Start, r.End-r.Start) {
			return nil, pal.ErrInvalid
		}
	}
	h.mem.mu.Lock()
	defer h.mem.mu.Unlock()
	h.mem.planning, h.mem.pmValid = true, false // the pagemap read ahead serves this call only
	defer func() { h.mem.planning, h.mem.pmValid, h.mem.scanned = false, false, false }()
	// A scan finds the changed pages of a run of ranges close together
	// (a library's segments) at once.
	h.mem.scan = h.mem.scan[:0]
	h.mem.scanned = true
	for i := 0; i < len(ranges) && h.mem.scanned; {
		j := i + 1
		for j < len(ranges) && ranges[j].Start >= ranges[j-1].End && ranges[j].Start-ranges[j-1].End <= 64<<10 {
			j++
		}
		h.mem.scanned = h.scanLocked(ranges[i].Start, ranges[j-1].End) == nil
		i = j
	}
	out := make([][]pal.MemoryPiece, len(ranges))
	for i, r := range ranges {
		// Without the scan, a pagemap read costs some microseconds however
		// short: one read serves a run of ranges close together (a
		// library's segments).
		h.mem.pmWant = r.End
		for _, next := range ranges[i+1:] {
			if next.Start < h.mem.pmWant || next.Start-h.mem.pmWant > 64<<10 || next.End-r.Start > pmChunk*4096 {
				break
			}
			h.mem.pmWant = next.End
		}
		var err error
		if out[i], err = h.copyPlanLocked(r.Start, r.End, r.File); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PAGEMAP_SCAN (Linux 6.7): the pagemap as an ioctl that reports only the
// ranges of pages in the categories asked for (linux/fs.h).
type pmScanArg struct {
	Size, Flags, Start, End, WalkEnd, Vec, VecLen, MaxPages   uint64
	CategoryInverted, CategoryMask, CategoryAnyof, ReturnMask uint64
}

type pageRegion struct{ Start, End, Categories uint64 }

const (
	pagemapScan   = 0xc0606610 // _IOWR('f', 16, struct pm_scan_arg)
	pageIsFile    = 1 << 2
	pageIsPresent = 1 << 3
	pageIsSwapped = 1 << 4
	pageIsPFNZero = 1 << 5
)

// scanLocked adds to scan the pages of [addr, end) that are private
// copies (present or swapped, not file pages, not the zero page): what
// dirtyLocked reports, for the whole range in one go.
func (h *Host) scanLocked(addr, end uintptr) error {
	ms := &h.mem
	if err := h.openPagemapLocked(); err != nil {
		return err
	}
	if ms.noScan {
		return pal.ErrNotSupported
	}
	if ms.scanBuf == nil {
		ms.scanBuf = make([]pageRegion, 256)
	}
	for addr < end {
		arg := pmScanArg{
			Size: uint64(unsafe.Sizeof(pmScanArg{})), Start: uint64(addr), End: uint64(end),
			Vec: uint64(uintptr(unsafe.Pointer(&ms.scanBuf[0]))), VecLen: uint64(len(ms.scanBuf)),
			CategoryInverted: pageIsFile | pageIsPFNZero, CategoryMask: pageIsFile | pageIsPFNZero,
			CategoryAnyof: pageIsPresent | pageIsSwapped, ReturnMask: pageIsPresent | pageIsSwapped,
		}
		n, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(ms.pagemap), pagemapScan, uintptr(unsafe.Pointer(&arg)))
		if e != 0 {
			if e == unix.EINVAL || e == unix.ENOTTY {
				ms.noScan = true // an older kernel
			}
			return errnoErr(e)
		}
		for _, r := range ms.scanBuf[:n] {
			s, e := uintptr(r.Start), uintptr(r.End)
			if k := len(ms.scan); k > 0 && ms.scan[k-1].End == s {
				ms.scan[k-1].End = e
			} else {
				ms.scan = append(ms.scan, pal.Range{Start: s, End: e})
			}
		}
		if uintptr(arg.WalkEnd) <= addr {
			return pal.ErrFault
		}
		addr = uintptr(arg.WalkEnd)
	}
	return nil
}

func (h *Host) copyPlanLocked(addr, end uintptr, file bool) ([]pal.MemoryPiece, error) {
	if file {
		dirty, err := h.dirtyLocked(addr, end)
		if err != nil {
			return nil, err
		}
		return []pal.MemoryPiece{{Start: addr, End: end, Base: pal.NoHandle, Dirty: dirty}}, nil
	}
	var pieces []pal.MemoryPiece
	cur := addr
	for _, b := range append([]backed(nil), h.mem.ranges...) {
		s, e := max(b.start, addr), min(b.end, end)
		if s >= e {
			continue
		}
		if s > cur {
			// Not backed by a generation (never allocated): zeros.
			pieces = append(pieces, pal.MemoryPiece{Start: cur, End: s, Base: pal.NoHandle})
		}
		var dirty []pal.Range
		if b.frozen {
			var err error
			if dirty, err = h.dirtyLocked(s, e); err != nil {
				return nil, err
			}
		} else {
			// Freeze it: from now on this process has a private copy,
			// and nobody writes these pages of the generation again.
			if _, err := mmap(s, e-s, int(h.protOf(s)), unix.MAP_PRIVATE|unix.MAP_FIXED, b.gen.fd, int64(s)); err != nil {
				return nil, err
			}
			h.mem.pmValid = false
			h.recordLocked(s, e, b.gen, true)
			b.gen.fresh = false
			if b.gen == h.mem.cur {
				h.mem.cur = nil // new memory goes to a new generation
			}
		}
		pieces = append(pieces, pal.MemoryPiece{Start: s, End: e, Base: b.gen.h, BaseOffset: int64(s), Dirty: dirty})
		cur = e
	}
	if cur < end {
		pieces = append(pieces, pal.MemoryPiece{Start: cur, End: end, Base: pal.NoHandle})
	}
	return pieces, nil
}

// MemoryMapCopy maps a piece planned by MemoryCopyPlan in another process:
// privately from base (or zeros for NoHandle); the LibOS then writes the
// dirty pages.
func (h *Host) MemoryMapCopy(addr, size uintptr, prot pal.Prot, base pal.Handle, off int64) error {
	if base == pal.NoHandle {
		return h.MemoryAlloc(addr, size, prot)
	}
	if !h.inWindow(addr, size) {
		return pal.ErrInvalid
	}
	fd, err := h.fd(base)
	if err != nil {
		return err
	}
	if _, err := mmap(addr, size, int(prot), unix.MAP_PRIVATE|unix.MAP_FIXED, fd, off); err != nil {
		return err
	}
	h.mem.mu.Lock()
	defer h.mem.mu.Unlock()
	h.recordLocked(addr, addr+size, h.genOf(base, fd), true)
	return nil
}

// MemoryWrite stores p into guest memory through /proc/self/mem, which
// ignores the protection (and so needs no mprotect, whose TLB flush
// reaches every CPU the process ran on).
func (h *Host) MemoryWrite(addr uintptr, p []byte) error {
	if !h.inWindow(addr, uintptr(len(p))) {
		return pal.ErrInvalid
	}
	fd, err := h.selfMem()
	if err != nil {
		return err
	}
	for len(p) > 0 {
		n, err := unix.Pwrite(fd, p, int64(addr))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return palErr(err)
		}
		if n == 0 {
			return pal.ErrFault
		}
		p, addr = p[n:], addr+uintptr(n)
	}
	return nil
}

// selfMem opens /proc/self/mem once.
func (h *Host) selfMem() (int, error) {
	h.mem.mu.Lock()
	defer h.mem.mu.Unlock()
	if h.mem.self == 0 {
		fd, err := unix.Open("/proc/self/mem", unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, palErr(err)
		}
		h.mem.self = fd
	}
	return h.mem.self, nil
}

// genOf finds or wraps the generation a received handle is.
func (h *Host) genOf(hd pal.Handle, fd int) *memGen {
	for _, b := range h.mem.ranges {
		if b.gen.h == hd {
			return b.gen
		}
	}
	return &memGen{fd: fd, h: hd}
}

func (h *Host) openPagemapLocked() error {
	if h.mem.pagemap == 0 {
		fd, err := unix.Open("/proc/self/pagemap", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return palErr(err)
		}
		h.mem.pagemap = fd
	}
	return nil
}

// pmChunk is the most pagemap entries read at once.
const pmChunk = 8192

// dirtyLocked lists the pages of [addr, end) that are private copies (or
// swapped out): the pagemap says they are present and not file pages.
func (h *Host) dirtyLocked(addr, end uintptr) ([]pal.Range, error) {
	ms := &h.mem
	if ms.scanned {
		// From the scan of the whole plan.
		i := sort.Search(len(ms.scan), func(i int) bool { return ms.scan[i].End > addr })
		var out []pal.Range
		for ; i < len(ms.scan) && ms.scan[i].Start < end; i++ {
			out = append(out, pal.Range{Start: max(ms.scan[i].Start, addr), End: min(ms.scan[i].End, end)})
		}
		return out, nil
	}
	if err := h.openPagemapLocked(); err != nil {
		return nil, err
	}
	const (
		present = 1 << 63
		swapped = 1 << 62
		isFile  = 1 << 61
		chunk   = pmChunk
	)
	var out []pal.Range
	if ms.pagemapBuf == nil {
		ms.pagemapBuf = make([]byte, 8*chunk)
	}
	buf := ms.pagemapBuf
	for page := addr; page < end; {
		var b []byte
		n := min(uintptr(chunk), (end-page)/4096)
		if ms.pmValid && page >= ms.pmStart && end <= ms.pmEnd {
			b = buf[(page-ms.pmStart)/4096*8:]
		} else {
			// Read ahead, so the planning of the next ranges needs no read.
			want := n
			if ms.planning && ms.pmWant > end {
				want = min(uintptr(chunk), (ms.pmWant-page)/4096)
			}
			got, err := unix.Pread(ms.pagemap, buf[:8*want], int64(page/4096*8))
			if err != nil {
				return nil, palErr(err)
			}
			b = buf[:got/8*8]
			ms.pmStart, ms.pmEnd, ms.pmValid = page, page+uintptr(got/8)*4096, ms.planning
			n = min(n, uintptr(got/8))
			if n == 0 {
				return nil, pal.ErrFault
			}
		}
		for i := uintptr(0); i < n; i++ {
			e := *(*uint64)(unsafe.Pointer(&b[8*i]))
			if e&swapped != 0 || (e&present != 0 && e&isFile == 0) {
				p := page + 4096*i
				if k := len(out); k > 0 && out[k-1].End == p {
					out[k-1].End = p + 4096
				} else {
					out = append(out, pal.Range{Start: p, End: p + 4096})
				}
			}
		}
		page += 4096 * n
	}
	return out, nil
}
