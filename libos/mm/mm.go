// Package mm owns a guest process's address-space map: every guest mapping
// (its range, protection, flags and backing), brk, and the placement of new
// mappings inside the host's guest window.
//
// Memory is only ever created, changed or released through the PAL; this
// package keeps the bookkeeping Linux keeps in its VMAs, answers "may the
// guest touch [addr, addr+n) this way?" for EFAULT checks, and renders
// /proc/self/maps. It knows nothing of files beyond the Backing interface.
package mm

import (
	"errors"
	"sort"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"gophene/libos/umem"
	"gophene/pal"
)

// PageSize is the guest page size.
const PageSize = 4096

// Backing is what a file mapping maps: a host stream plus its identity for
// /proc/self/maps. Anonymous mappings have none.
type Backing interface {
	// MapHandle returns the host stream to map and whether it can be mapped
	// shared and writable.
	MapHandle() (h pal.Handle, err error)
	// MapName is the path shown in /proc/self/maps.
	MapName() string
	// MapIdentity returns device and inode numbers for /proc/self/maps.
	MapIdentity() (dev, ino uint64)
	// IncRef and DecRef keep the file alive while any area maps it, as a
	// Linux mapping keeps its file open after the fd is closed.
	IncRef()
	DecRef() error
}

// Flags of an area.
const (
	Shared = 1 << iota // MAP_SHARED
	Stack              // the main thread's stack
	Heap               // the brk area
	GrowsDown
	LibOS  // memory the LibOS placed for itself inside the window (patch stubs)
	Locked // mlock: accounted, never swapped out anyway (nothing is pinned)
	// NoMayWrite marks a shared mapping of a file not open for writing:
	// mprotect may never make it writable (Linux's missing VM_MAYWRITE).
	NoMayWrite
)

// Area is one mapping, like a Linux VMA.
type Area struct {
	Start, End uintptr
	Prot       pal.Prot
	Flags      int
	Backing    Backing // nil for anonymous memory
	Offset     int64   // file offset of Start
	Name       string  // "[vdso]" etc. for special areas without Backing
}

// MM is a guest address space.
type MM struct {
	host   pal.Host
	mu     sync.RWMutex
	areas  []Area // sorted by Start, never overlapping
	window []pal.Range

	// MmapTop is where top-down placement starts; MmapBottom its floor.
	MmapTop, MmapBottom uintptr

	brkStart, brk, brkLimit uintptr

	// BeforeChange, if set, is called (without the lock held) before a
	// range of guest memory is replaced, unmapped or made writable, so
	// that code rewritten by the LibOS can be put back first.
	BeforeChange func(start, end uintptr)

	// LockNew (mlockall with MCL_FUTURE) locks every new mapping; it is
	// read and written under the MM's lock (SetLockNew).
	LockNew bool
}

// SetLockNew sets LockNew.
func (m *MM) SetLockNew(on bool) {
	m.mu.Lock()
	m.LockNew = on
	m.mu.Unlock()
}

func (m *MM) beforeChange(start, end uintptr) {
	if m.BeforeChange != nil && end > start {
		m.BeforeChange(start, end)
	}
}

// Errors from this package map directly to Linux errno values.
var (
	ErrNoMem = unix.ENOMEM
	ErrInval = unix.EINVAL
	ErrFault = unix.EFAULT
	ErrExist = unix.EEXIST
	ErrAcces = unix.EACCES
)

// New returns an empty address space over the host's guest window.
func New(host pal.Host) *MM {
	w := host.Info().GuestRanges
	m := &MM{host: host, window: w}
	if len(w) > 0 {
		m.MmapTop = w[len(w)-1].End
		m.MmapBottom = w[0].Start
	}
	return m
}

// PageAlign rounds n up to a page boundary.
func PageAlign(n uintptr) uintptr { return (n + PageSize - 1) &^ (PageSize - 1) }

// inWindow reports whether [addr, end) lies in one window range.
func (m *MM) inWindow(addr, end uintptr) bool {
	for _, r := range m.window {
		if addr >= r.Start && end <= r.End && addr < end {
			return true
		}
	}
	return false
}

// find returns the index of the first area with End > addr.
func (m *MM) find(addr uintptr) int {
	return sort.Search(len(m.areas), func(i int) bool { return m.areas[i].End > addr })
}

// overlaps reports whether any area intersects [start, end).
func (m *MM) overlaps(start, end uintptr) bool {
	i := m.find(start)
	return i < len(m.areas) && m.areas[i].Start < end
}

// hasLibOS reports whether a LibOS-owned area intersects [start, end).
func (m *MM) hasLibOS(start, end uintptr) bool {
	for i := m.find(start); i < len(m.areas) && m.areas[i].Start < end; i++ {
		if m.areas[i].Flags&LibOS != 0 {
			return true
		}
	}
	return false
}

// split makes addr an area boundary if it falls inside an area.
func (m *MM) split(addr uintptr) {
	i := m.find(addr)
	if i >= len(m.areas) || m.areas[i].Start >= addr {
		return
	}
	a := m.areas[i]
	left, right := a, a
	left.End = addr
	right.Start = addr
	if right.Backing != nil {
		right.Offset += int64(addr - a.Start)
	}
	if right.Backing != nil {
		right.Backing.IncRef()
	}
	m.areas = append(m.areas, Area{})
	copy(m.areas[i+2:], m.areas[i+1:])
	m.areas[i] = left
	m.areas[i+1] = right
}

// remove drops the bookkeeping for [start, end).
func (m *MM) remove(start, end uintptr) {
	m.split(start)
	m.split(end)
	i := m.find(start)
	j := i
	for j < len(m.areas) && m.areas[j].Start < end {
		if b := m.areas[j].Backing; b != nil {
			b.DecRef()
		}
		j++
	}
	m.areas = append(m.areas[:i], m.areas[j:]...)
}

// insert adds an area, taking a new reference on its backing; the range
// must be free.
func (m *MM) insert(a Area) {
	if a.Backing != nil {
		a.Backing.IncRef()
	}
	if m.LockNew && a.Flags&LibOS == 0 {
		a.Flags |= Locked
	}
	i := m.find(a.Start)
	m.areas = append(m.areas, Area{})
	copy(m.areas[i+1:], m.areas[i:])
	m.areas[i] = a
	m.merge(i)
}

// mergeable reports whether b continues a exactly.
func mergeable(a, b *Area) bool {
	if a.End != b.Start || a.Prot != b.Prot || a.Flags != b.Flags || a.Name != b.Name || a.Backing != b.Backing {
		return false
	}
	return a.Backing == nil || a.Offset+int64(a.End-a.Start) == b.Offset
}

// merge joins area i with its neighbours where they continue each other.
func (m *MM) merge(i int) {
	if i+1 < len(m.areas) && mergeable(&m.areas[i], &m.areas[i+1]) {
		m.areas[i].End = m.areas[i+1].End
		m.drop(i + 1)
	}
	if i > 0 && mergeable(&m.areas[i-1], &m.areas[i]) {
		m.areas[i-1].End = m.areas[i].End
		m.drop(i)
	}
}

// drop deletes area i after a merge absorbed it.
func (m *MM) drop(i int) {
	if b := m.areas[i].Backing; b != nil {
		b.DecRef()
	}
	m.areas = append(m.areas[:i], m.areas[i+1:]...)
}

// findFree finds a free range of size bytes, highest first below top, or at
// the lowest address at or above hint when bottomUp is set.
func (m *MM) findFree(size, top uintptr) (uintptr, error) {
	for wi := len(m.window) - 1; wi >= 0; wi-- {
		r := m.window[wi]
		end := r.End
		if end > top {
			end = top
		}
		// Walk areas below end from the top.
		i := m.find(end) // first area with End > end
		if i < len(m.areas) && m.areas[i].Start < end {
			end = m.areas[i].Start // top falls inside that area
		}
		for end > r.Start && end-r.Start >= size {
			// The area just below end, if any.
			j := i - 1
			lo := r.Start
			if j >= 0 && m.areas[j].End > lo {
				lo = m.areas[j].End
			}
			if lo < end && end-lo >= size {
				return end - size, nil
			}
			if j < 0 || m.areas[j].Start <= r.Start {
				break
			}
			end = m.areas[j].Start
			i = j
		}
	}
	return 0, ErrNoMem
}

// MapRequest describes an mmap call.
type MapRequest struct {
	Addr, Length uintptr
	Prot         pal.Prot
	Fixed        bool // MAP_FIXED: replace what is there
	NoReplace    bool // MAP_FIXED_NOREPLACE
	Shared       bool
	Flags        int // extra area flags (Stack, GrowsDown, LibOS)
	Backing      Backing
	Offset       int64
	Name         string
}

// Map creates a mapping and returns its address.
func (m *MM) Map(r MapRequest) (uintptr, error) {
	if r.Length == 0 {
		return 0, ErrInval
	}
	length := PageAlign(r.Length)
	if length < r.Length || r.Addr%PageSize != 0 || r.Offset%PageSize != 0 {
		return 0, ErrInval
	}
	if r.Fixed && r.Flags&LibOS == 0 {
		m.beforeChange(r.Addr, r.Addr+length)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	addr := r.Addr
	switch {
	case r.Fixed || r.NoReplace:
		if !m.inWindow(addr, addr+length) {
			return 0, ErrNoMem
		}
		if m.hasLibOS(addr, addr+length) {
			return 0, ErrNoMem
		}
		if r.NoReplace && m.overlaps(addr, addr+length) {
			return 0, ErrExist
		}
	default:
		if addr != 0 && m.inWindow(addr, addr+length) && !m.overlaps(addr, addr+length) {
			break // the hint is free: use it, as Linux does
		}
		var err error
		if addr, err = m.findFree(length, m.MmapTop); err != nil {
			return 0, err
		}
	}
	var err error
	if r.Backing != nil {
		var h pal.Handle
		if h, err = r.Backing.MapHandle(); err == nil {
			err = m.host.MemoryMapFile(addr, length, r.Prot, r.Shared, h, r.Offset)
		}
	} else {
		err = m.host.MemoryAlloc(addr, length, r.Prot)
	}
	if err != nil {
		return 0, err
	}
	m.remove(addr, addr+length)
	flags := r.Flags
	if r.Shared {
		flags |= Shared
	}
	m.insert(Area{Start: addr, End: addr + length, Prot: r.Prot, Flags: flags,
		Backing: r.Backing, Offset: r.Offset, Name: r.Name})
	return addr, nil
}

// Unmap releases [addr, addr+length). Unmapped holes are fine, as on Linux;
// anything outside the guest window is refused.
func (m *MM) Unmap(addr, length uintptr) error {
	if addr%PageSize != 0 || length == 0 {
		return ErrInval
	}
	end := addr + PageAlign(length)
	if end < addr {
		return ErrInval
	}
	m.beforeChange(addr, end)
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.inWindow(addr, end) || m.hasLibOS(addr, end) {
		return ErrInval
	}
	return m.unmapLocked(addr, end)
}

func (m *MM) unmapLocked(addr, end uintptr) error {
	for i := m.find(addr); i < len(m.areas) && m.areas[i].Start < end; i++ {
		a := m.areas[i]
		s, e := max(a.Start, addr), min(a.End, end)
		if err := m.host.MemoryFree(s, e-s); err != nil {
			return err
		}
	}
	m.remove(addr, end)
	return nil
}

// Protect changes the protection of [addr, addr+length), which must be
// fully mapped (ENOMEM otherwise, as on Linux).
func (m *MM) Protect(addr, length uintptr, prot pal.Prot) error {
	if addr%PageSize != 0 {
		return ErrInval
	}
	end := addr + PageAlign(length)
	if end < addr {
		return ErrNoMem
	}
	if end == addr {
		return nil
	}
	if prot&pal.ProtWrite != 0 {
		m.beforeChange(addr, end)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.inWindow(addr, end) || m.hasLibOS(addr, end) || !m.coveredLocked(addr, end) {
		return ErrNoMem
	}
	if prot&pal.ProtWrite != 0 {
		for i := m.find(addr); i < len(m.areas) && m.areas[i].Start < end; i++ {
			if m.areas[i].Flags&NoMayWrite != 0 {
				return ErrAcces
			}
		}
	}
	if err := m.host.MemoryProtect(addr, end-addr, prot); err != nil {
		return err
	}
	m.split(addr)
	m.split(end)
	for i := m.find(addr); i < len(m.areas) && m.areas[i].Start < end; i++ {
		m.areas[i].Prot = prot
	}
	m.mergeAround(addr, end)
	return nil
}

// mergeAround joins the areas from the one before [start, end) up to the
// one after it where they continue each other; a merge leaves i in place
// so that the grown area is compared again (lock held).
func (m *MM) mergeAround(start, end uintptr) {
	i := m.find(start)
	if i > 0 {
		i--
	}
	for i+1 < len(m.areas) && m.areas[i].Start <= end {
		if mergeable(&m.areas[i], &m.areas[i+1]) {
			m.areas[i].End = m.areas[i+1].End
			m.drop(i + 1)
			continue
		}
		i++
	}
}

// SetLocked marks [addr, addr+length) locked or unlocked (mlock, munlock).
// As on Linux, a hole ends the change where it starts, with ENOMEM.
func (m *MM) SetLocked(addr, length uintptr, on bool) error {
	start := addr &^ (PageSize - 1)
	end := PageAlign(addr + length)
	if end < start || addr+length < addr {
		return ErrNoMem
	}
	if end == start {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.inWindow(start, end) || m.hasLibOS(start, end) {
		return ErrNoMem
	}
	var hole error
	covered := start
	for i := m.find(start); i < len(m.areas) && m.areas[i].Start <= covered && covered < end; i++ {
		covered = max(covered, m.areas[i].End)
	}
	if covered < end {
		end, hole = covered, ErrNoMem
	}
	if end <= start {
		return hole
	}
	m.split(start)
	m.split(end)
	for i := m.find(start); i < len(m.areas) && m.areas[i].Start < end; i++ {
		if on {
			m.areas[i].Flags |= Locked
		} else {
			m.areas[i].Flags &^= Locked
		}
	}
	m.mergeAround(start, end)
	return hole
}

// Populate faults in the pages of [addr, addr+length) as mlock and
// MAP_POPULATE do: written for writable areas (breaking copy-on-write of
// private ones), read for read-only ones; inaccessible areas are skipped.
// Nothing is pinned; the pages are simply resident.
func (m *MM) Populate(addr, length uintptr) {
	end := PageAlign(addr + length)
	m.mu.RLock()
	var todo []Area
	for i := m.find(addr &^ (PageSize - 1)); i < len(m.areas) && m.areas[i].Start < end; i++ {
		todo = append(todo, m.areas[i])
	}
	m.mu.RUnlock()
	for _, a := range todo {
		s, e := max(a.Start, addr&^(PageSize-1)), min(a.End, end)
		switch {
		case a.Prot&pal.ProtWrite != 0:
			m.host.MemoryAdvise(s, e-s, unix.MADV_POPULATE_WRITE)
		case a.Prot&pal.ProtRead != 0:
			m.host.MemoryAdvise(s, e-s, unix.MADV_POPULATE_READ)
		}
	}
}

// stackGuardGap is Linux's stack_guard_gap: a MAP_GROWSDOWN area does
// not grow closer than this to the area below it.
const stackGuardGap = 256 * PageSize

// GrowDown extends the MAP_GROWSDOWN area just above addr down to addr's
// page, as Linux does when an access faults below such an area, and
// reports whether it did. The area may not exceed limit bytes
// (RLIMIT_STACK); it keeps stackGuardGap free below it and stays in the
// guest window; private anonymous areas only.
func (m *MM) GrowDown(addr, limit uintptr) bool {
	addr &^= PageSize - 1
	m.mu.Lock()
	defer m.mu.Unlock()
	i := m.find(addr)
	for i < len(m.areas) && m.areas[i].End <= addr {
		i++
	}
	if i == len(m.areas) {
		return false
	}
	a := m.areas[i]
	if a.Start <= addr || a.Flags&GrowsDown == 0 || a.Flags&(Shared|LibOS) != 0 || a.Backing != nil {
		return false
	}
	if a.End-addr > limit {
		return false
	}
	if i > 0 && m.areas[i-1].End+stackGuardGap > addr {
		return false
	}
	if addr < stackGuardGap || !m.inWindow(addr, a.Start) {
		return false
	}
	if m.host.MemoryAlloc(addr, a.Start-addr, a.Prot) != nil {
		return false
	}
	m.areas[i].Start = addr
	return true
}

// HasLocked reports whether any area in [addr, addr+length) is locked.
func (m *MM) HasLocked(addr, length uintptr) bool {
	end := PageAlign(addr + length)
	m.mu.RLock()
	defer m.mu.RUnlock()
	for i := m.find(addr &^ (PageSize - 1)); i < len(m.areas) && m.areas[i].Start < end; i++ {
		if m.areas[i].Flags&Locked != 0 {
			return true
		}
	}
	return false
}

// SetAllLocked locks or unlocks every guest area (mlockall with
// MCL_CURRENT, munlockall).
func (m *MM) SetAllLocked(on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.areas {
		if m.areas[i].Flags&LibOS != 0 {
			continue
		}
		if on {
			m.areas[i].Flags |= Locked
		} else {
			m.areas[i].Flags &^= Locked
		}
	}
	m.mergeAround(0, ^uintptr(0))
}

// LockedBytes counts the locked bytes in [start, end) (all of them if end
// is 0).
func (m *MM) LockedBytes(start, end uintptr) uintptr {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n uintptr
	for _, a := range m.areas {
		if a.Flags&Locked == 0 {
			continue
		}
		s, e := a.Start, a.End
		if end != 0 {
			s, e = max(s, start), min(e, end)
		}
		if e > s {
			n += e - s
		}
	}
	return n
}

// coveredLocked reports whether [addr, end) is mapped without holes.
func (m *MM) coveredLocked(addr, end uintptr) bool {
	cur := addr
	for i := m.find(addr); i < len(m.areas) && cur < end; i++ {
		if m.areas[i].Start > cur {
			return false
		}
		cur = m.areas[i].End
	}
	return cur >= end
}

// Check reports whether the guest may access [addr, addr+n) with want
// (read and/or write). It is the EFAULT test for system-call arguments.
func (m *MM) Check(addr, n uintptr, want pal.Prot) bool {
	if n == 0 {
		return true
	}
	end := addr + n
	if end < addr {
		return false
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	cur := addr
	for i := m.find(addr); i < len(m.areas) && cur < end; i++ {
		a := &m.areas[i]
		if a.Start > cur || a.Prot&want != want || a.Flags&LibOS != 0 {
			return false
		}
		cur = a.End
	}
	return cur >= end
}

// Lookup returns a copy of the area holding addr.
func (m *MM) Lookup(addr uintptr) (Area, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	i := m.find(addr)
	if i < len(m.areas) && m.areas[i].Start <= addr {
		return m.areas[i], true
	}
	return Area{}, false
}

// Areas returns a snapshot of all areas in address order.
func (m *MM) Areas() []Area {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return append([]Area(nil), m.areas...)
}

// Advise applies madvise to mapped memory.
func (m *MM) Advise(addr, length uintptr, advice int) error {
	if addr%PageSize != 0 {
		return ErrInval
	}
	end := addr + PageAlign(length)
	if end < addr {
		return ErrInval
	}
	if end == addr {
		return nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if !m.inWindow(addr, end) || m.hasLibOS(addr, end) {
		return ErrNoMem
	}
	// Linux applies the advice to the mapped parts and reports ENOMEM for
	// holes afterwards.
	hole := !m.coveredLocked(addr, end)
	for i := m.find(addr); i < len(m.areas) && m.areas[i].Start < end; i++ {
		a := m.areas[i]
		switch {
		case (advice == unix.MADV_DONTNEED || advice == unix.MADV_FREE) && a.Flags&Locked != 0,
			advice == unix.MADV_FREE && (a.Backing != nil || a.Flags&Shared != 0):
			return ErrInval // Linux: locked pages stay; MADV_FREE is for private anonymous memory
		}
	}
	for i := m.find(addr); i < len(m.areas) && m.areas[i].Start < end; i++ {
		a := m.areas[i]
		s, e := max(a.Start, addr), min(a.End, end)
		if err := m.host.MemoryAdvise(s, e-s, advice); err != nil {
			return err
		}
	}
	if hole {
		return ErrNoMem
	}
	return nil
}

// Remap implements mremap: grow or shrink in place, or move when allowed.
func (m *MM) Remap(old, oldLen, newLen uintptr, mayMove, fixed bool, newAddr uintptr) (uintptr, error) {
	if old%PageSize != 0 || newLen == 0 {
		return 0, ErrInval
	}
	oldLen, newLen = PageAlign(oldLen), PageAlign(newLen)
	if fixed && (!mayMove || newAddr%PageSize != 0) {
		return 0, ErrInval
	}
	m.beforeChange(old, old+oldLen)
	if fixed {
		m.beforeChange(newAddr, newAddr+newLen)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.inWindow(old, old+max(oldLen, PageSize)) || m.hasLibOS(old, old+oldLen) {
		return 0, unix.EFAULT
	}
	i := m.find(old)
	if i >= len(m.areas) || m.areas[i].Start > old {
		return 0, unix.EFAULT
	}
	a := m.areas[i]
	if oldLen == 0 || old+oldLen > a.End {
		return 0, unix.EFAULT // must lie inside one mapping
	}
	if !fixed && newLen <= oldLen {
		if newLen < oldLen {
			if err := m.unmapLocked(old+newLen, old+oldLen); err != nil {
				return 0, err
			}
		}
		return old, nil
	}
	// Grow in place if the pages after are free.
	if !fixed && old+oldLen == a.End && m.inWindow(old, old+newLen) && !m.overlaps(a.End, old+newLen) {
		if err := m.extendLocked(a, old+oldLen, old+newLen); err == nil {
			return old, nil
		}
	}
	if !mayMove {
		return 0, ErrNoMem
	}
	dst := newAddr
	if fixed {
		if !m.inWindow(dst, dst+newLen) || m.hasLibOS(dst, dst+newLen) ||
			(dst < old+oldLen && old < dst+newLen) {
			return 0, ErrInval
		}
	} else {
		var err error
		if dst, err = m.findFree(newLen, m.MmapTop); err != nil {
			return 0, err
		}
	}
	return m.moveLocked(a, old, oldLen, dst, newLen)
}

// extendLocked grows area a (whose end is at from) to end to.
func (m *MM) extendLocked(a Area, from, to uintptr) error {
	var err error
	if a.Backing != nil {
		var h pal.Handle
		if h, err = a.Backing.MapHandle(); err == nil {
			err = m.host.MemoryMapFile(from, to-from, a.Prot, a.Flags&Shared != 0, h,
				a.Offset+int64(from-a.Start))
		}
	} else if a.Flags&Shared != 0 {
		return ErrNoMem // shared anonymous memory cannot grow in place here
	} else {
		err = m.host.MemoryAlloc(from, to-from, a.Prot)
	}
	if err != nil {
		return err
	}
	b := a
	b.Start, b.End = from, to
	if b.Backing != nil {
		b.Offset = a.Offset + int64(from-a.Start)
	}
	m.insert(b)
	return nil
}

// moveLocked moves [old, old+oldLen) of area a to dst and grows it to newLen.
// The bytes are copied; file mappings are mapped afresh at their offset.
func (m *MM) moveLocked(a Area, old, oldLen, dst, newLen uintptr) (uintptr, error) {
	off := a.Offset + int64(old-a.Start)
	n := Area{Start: dst, End: dst + newLen, Prot: a.Prot, Flags: a.Flags, Backing: a.Backing, Offset: off, Name: a.Name}
	if n.Backing == nil {
		n.Offset = 0
	}
	if a.Backing != nil && a.Flags&Shared != 0 {
		h, err := a.Backing.MapHandle()
		if err == nil {
			err = m.host.MemoryMapFile(dst, newLen, a.Prot, true, h, off)
		}
		if err != nil {
			return 0, err
		}
	} else {
		if err := m.host.MemoryAlloc(dst, newLen, a.Prot|pal.ProtRead|pal.ProtWrite); err != nil {
			return 0, err
		}
		if a.Prot&pal.ProtRead == 0 {
			m.host.MemoryProtect(old, oldLen, a.Prot|pal.ProtRead)
		}
		copyMemory(dst, old, min(oldLen, newLen))
		if a.Backing != nil && newLen > oldLen {
			// Private file mapping: the grown tail maps the file.
			h, err := a.Backing.MapHandle()
			if err == nil {
				err = m.host.MemoryMapFile(dst+oldLen, newLen-oldLen, a.Prot, false, h, off+int64(oldLen))
			}
			if err != nil {
				return 0, err
			}
		}
		if a.Prot&(pal.ProtRead|pal.ProtWrite) != pal.ProtRead|pal.ProtWrite {
			m.host.MemoryProtect(dst, newLen, a.Prot)
		}
	}
	m.remove(dst, dst+newLen)
	if err := m.unmapLocked(old, old+oldLen); err != nil {
		return 0, err
	}
	m.insert(n)
	return dst, nil
}

// SetBrk places the program break after the executable.
func (m *MM) SetBrk(start, limit uintptr) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.brkStart, m.brk, m.brkLimit = start, start, limit
}

// Brk implements brk: it returns the new break, or the old one on failure.
func (m *MM) Brk(want uintptr) uintptr {
	m.mu.Lock()
	defer m.mu.Unlock()
	if want < m.brkStart || (m.brkLimit != 0 && want-m.brkStart > m.brkLimit) {
		return m.brk
	}
	oldEnd, newEnd := PageAlign(m.brk), PageAlign(want)
	switch {
	case newEnd > oldEnd:
		if !m.inWindow(oldEnd, newEnd) || m.overlaps(oldEnd, newEnd) {
			return m.brk
		}
		if err := m.host.MemoryAlloc(oldEnd, newEnd-oldEnd, pal.ProtRead|pal.ProtWrite); err != nil {
			return m.brk
		}
		m.insert(Area{Start: oldEnd, End: newEnd, Prot: pal.ProtRead | pal.ProtWrite, Flags: Heap})
	case newEnd < oldEnd:
		if err := m.unmapLocked(newEnd, oldEnd); err != nil {
			return m.brk
		}
	}
	m.brk = want
	return m.brk
}

// BrkRange returns the start and current end of the break area.
func (m *MM) BrkRange() (uintptr, uintptr) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.brkStart, m.brk
}

// FindFreeBelow finds space for size bytes below top (top-down).
func (m *MM) FindFreeBelow(size, top uintptr) (uintptr, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.findFree(PageAlign(size), top)
}

// FindFreeNear finds space for size bytes within ±2 GiB of addr, for code
// that must be reachable by a 32-bit relative jump.
func (m *MM) FindFreeNear(addr, size uintptr) (uintptr, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	const reach = 1<<31 - 1<<20
	top := (addr + reach) &^ (PageSize - 1)
	if top < addr {
		top = ^uintptr(0) &^ (PageSize - 1)
	}
	a, err := m.findFree(PageAlign(size), top)
	if err != nil {
		return 0, err
	}
	if a+size > addr+reach || (addr > reach && a < addr-reach) {
		return 0, errors.New("mm: no room near address")
	}
	return a, nil
}

// Reset drops every area (execve). The host memory is released.
func (m *MM) Reset() {
	m.beforeChange(0, ^uintptr(0))
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, a := range m.areas {
		m.host.MemoryFree(a.Start, a.End-a.Start)
		if a.Backing != nil {
			a.Backing.DecRef()
		}
	}
	m.areas = nil
	m.LockNew = false
	m.brkStart, m.brk, m.brkLimit = 0, 0, 0
	if len(m.window) > 0 {
		m.MmapTop = m.window[len(m.window)-1].End
	}
}

func copyMemory(dst, src, n uintptr) { umem.Copy(dst, src, n) }

// AddSpecial records memory the host provides outside the guest window
// (the vDSO and its data pages): the guest may read it and it shows in
// /proc/self/maps, but it cannot be unmapped or changed.
func (m *MM) AddSpecial(r pal.Range, prot pal.Prot, name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.remove(r.Start, r.End)
	m.insert(Area{Start: r.Start, End: r.End, Prot: prot, Name: name})
}

// Adopt records an area whose memory the caller has already mapped (a
// process rebuilt from its parent's checkpoint).
func (m *MM) Adopt(a Area) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.remove(a.Start, a.End)
	m.insert(a)
}

// BrkState returns the break's start, current value and limit.
func (m *MM) BrkState() (start, cur, limit uintptr) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.brkStart, m.brk, m.brkLimit
}

// SetBrkState restores the break.
func (m *MM) SetBrkState(start, cur, limit uintptr) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.brkStart, m.brk, m.brkLimit = start, cur, limit
}

// SharedMemory backs shared anonymous mappings (MAP_SHARED|MAP_ANONYMOUS):
// memory the host can hand to other processes.
type SharedMemory struct {
	Host pal.Host
	H    pal.Handle
	refs atomic.Int32
}

// MapHandle implements Backing.
func (s *SharedMemory) MapHandle() (pal.Handle, error) { return s.H, nil }

// MapName implements Backing: Linux shows shared anonymous memory so.
func (s *SharedMemory) MapName() string { return "/dev/zero (deleted)" }

// MapIdentity implements Backing.
func (s *SharedMemory) MapIdentity() (uint64, uint64) { return 0, 0 }

// IncRef implements Backing.
func (s *SharedMemory) IncRef() { s.refs.Add(1) }

// DecRef implements Backing: the memory goes with the last mapping.
func (s *SharedMemory) DecRef() error {
	if s.refs.Add(-1) == 0 {
		return s.Host.StreamClose(s.H)
	}
	return nil
}

// MapSharedAnon maps shared anonymous memory (see Map for the request).
func (m *MM) MapSharedAnon(r MapRequest) (uintptr, error) {
	if r.Length == 0 {
		return 0, ErrInval
	}
	length := PageAlign(r.Length)
	m.mu.Lock()
	addr := r.Addr
	switch {
	case r.Fixed || r.NoReplace:
		if !m.inWindow(addr, addr+length) || m.hasLibOS(addr, addr+length) {
			m.mu.Unlock()
			return 0, ErrNoMem
		}
		if r.NoReplace && m.overlaps(addr, addr+length) {
			m.mu.Unlock()
			return 0, ErrExist
		}
	default:
		if !(addr != 0 && m.inWindow(addr, addr+length) && !m.overlaps(addr, addr+length)) {
			var err error
			if addr, err = m.findFree(length, m.MmapTop); err != nil {
				m.mu.Unlock()
				return 0, err
			}
		}
	}
	m.mu.Unlock()
	if r.Fixed {
		m.beforeChange(addr, addr+length)
	}
	h, err := m.host.MemoryAllocShared(addr, length, r.Prot)
	if err != nil {
		return 0, err
	}
	sm := &SharedMemory{Host: m.host, H: h}
	m.mu.Lock()
	m.remove(addr, addr+length)
	m.insert(Area{Start: addr, End: addr + length, Prot: r.Prot, Flags: r.Flags | Shared, Backing: sm})
	m.mu.Unlock()
	return addr, nil
}
