package mm

import (
	"errors"
	"fmt"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

const pg = PageSize

// hostCall is one memory call the fake host received.
type hostCall struct {
	op         string
	addr, size uintptr
	prot       pal.Prot
	shared     bool
	h          pal.Handle
	off        int64
	advice     int
}

// fakeHost implements only the memory part of pal.Host; any other method
// panics through the nil embedded interface.
type fakeHost struct {
	pal.Host
	info  pal.Info
	calls []hostCall
	// fail, if set, makes the named operation fail with ENOMEM.
	fail map[string]bool
}

func newFakeHost(ranges ...pal.Range) *fakeHost {
	if len(ranges) == 0 {
		ranges = []pal.Range{{Start: 0x10000, End: 0x100000000}}
	}
	return &fakeHost{info: pal.Info{Name: "fake", PageSize: pg, GuestRanges: ranges}, fail: map[string]bool{}}
}

func (h *fakeHost) Info() *pal.Info { return &h.info }

func (h *fakeHost) record(c hostCall) error {
	h.calls = append(h.calls, c)
	if h.fail[c.op] {
		return pal.ErrNoMemory
	}
	return nil
}

func (h *fakeHost) MemoryAlloc(addr, size uintptr, prot pal.Prot) error {
	return h.record(hostCall{op: "alloc", addr: addr, size: size, prot: prot})
}

func (h *fakeHost) MemoryMapFile(addr, size uintptr, prot pal.Prot, shared bool, hd pal.Handle, off int64) error {
	return h.record(hostCall{op: "mapfile", addr: addr, size: size, prot: prot, shared: shared, h: hd, off: off})
}

func (h *fakeHost) MemoryFree(addr, size uintptr) error {
	return h.record(hostCall{op: "free", addr: addr, size: size})
}

func (h *fakeHost) MemoryProtect(addr, size uintptr, prot pal.Prot) error {
	return h.record(hostCall{op: "protect", addr: addr, size: size, prot: prot})
}

func (h *fakeHost) MemoryAdvise(addr, size uintptr, advice int) error {
	return h.record(hostCall{op: "advise", addr: addr, size: size, advice: advice})
}

func (h *fakeHost) reset() { h.calls = nil }

// ops returns the recorded calls of one kind.
func (h *fakeHost) ops(op string) []hostCall {
	var out []hostCall
	for _, c := range h.calls {
		if c.op == op {
			out = append(out, c)
		}
	}
	return out
}

// fakeBacking counts references the way a vfs.File does.
type fakeBacking struct {
	t    *testing.T
	h    pal.Handle
	refs int
}

func (b *fakeBacking) MapHandle() (pal.Handle, error) { return b.h, nil }
func (b *fakeBacking) MapName() string                { return "/fake" }
func (b *fakeBacking) MapIdentity() (uint64, uint64)  { return 1, 2 }
func (b *fakeBacking) IncRef()                        { b.refs++ }
func (b *fakeBacking) DecRef() error {
	b.refs--
	if b.refs < 0 {
		b.t.Errorf("backing %d: reference count went negative", b.h)
	}
	return nil
}

const (
	rw  = pal.ProtRead | pal.ProtWrite
	ro  = pal.ProtRead
	rx  = pal.ProtRead | pal.ProtExec
	top = uintptr(0x100000000)
)

// check verifies the invariants of the area list: sorted, page-aligned,
// non-empty, non-overlapping, no two neighbours that should have merged,
// and every backing referenced exactly once per area.
func check(t *testing.T, m *MM, backs ...*fakeBacking) {
	t.Helper()
	as := m.Areas()
	for i, a := range as {
		if a.Start >= a.End || a.Start%pg != 0 || a.End%pg != 0 {
			t.Errorf("area %d [%#x, %#x) is empty or unaligned", i, a.Start, a.End)
		}
		if i > 0 {
			if as[i-1].End > a.Start {
				t.Errorf("areas %d and %d overlap: %s", i-1, i, dump(as))
			}
			if mergeable(&as[i-1], &as[i]) {
				t.Errorf("areas %d and %d should have merged: %s", i-1, i, dump(as))
			}
		}
	}
	for _, b := range backs {
		n := 0
		for _, a := range as {
			if a.Backing == Backing(b) {
				n++
			}
		}
		if b.refs != n {
			t.Errorf("backing %d has %d references, %d areas map it: %s", b.h, b.refs, n, dump(as))
		}
	}
}

func dump(as []Area) string {
	s := ""
	for _, a := range as {
		s += fmt.Sprintf("[%#x-%#x p=%d f=%#x off=%#x] ", a.Start, a.End, a.Prot, a.Flags, a.Offset)
	}
	return s
}

// want compares the area list with the expected ranges, protections and offsets.
type wantArea struct {
	start, end uintptr
	prot       pal.Prot
	off        int64
}

func expectAreas(t *testing.T, m *MM, want ...wantArea) {
	t.Helper()
	as := m.Areas()
	ok := len(as) == len(want)
	for i := 0; ok && i < len(as); i++ {
		w := want[i]
		ok = as[i].Start == w.start && as[i].End == w.end && as[i].Prot == w.prot && as[i].Offset == w.off
	}
	if !ok {
		s := ""
		for _, w := range want {
			s += fmt.Sprintf("[%#x-%#x p=%d off=%#x] ", w.start, w.end, w.prot, w.off)
		}
		t.Fatalf("areas:\n got %s\nwant %s", dump(as), s)
	}
}

func isErr(t *testing.T, what string, err error, want unix.Errno) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: error %v, want %v", what, err, want)
	}
}

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func mustMap(t *testing.T, m *MM, r MapRequest) uintptr {
	t.Helper()
	a, err := m.Map(r)
	if err != nil {
		t.Fatalf("Map(%+v): %v", r, err)
	}
	return a
}

func TestNewWindow(t *testing.T) {
	h := newFakeHost(pal.Range{Start: 0x10000, End: 0x20000}, pal.Range{Start: 0x40000, End: 0x50000})
	m := New(h)
	if m.MmapTop != 0x50000 || m.MmapBottom != 0x10000 {
		t.Fatalf("MmapTop %#x MmapBottom %#x", m.MmapTop, m.MmapBottom)
	}
	if len(m.Areas()) != 0 {
		t.Fatal("new address space is not empty")
	}
}

func TestMapPlacement(t *testing.T) {
	h := newFakeHost()
	m := New(h)

	// No hint: top-down from the top of the window.
	a1 := mustMap(t, m, MapRequest{Length: 2 * pg, Prot: rw})
	if a1 != top-2*pg {
		t.Fatalf("first mapping at %#x, want %#x", a1, top-2*pg)
	}
	if c := h.ops("alloc"); len(c) != 1 || c[0].addr != a1 || c[0].size != 2*pg || c[0].prot != rw {
		t.Fatalf("alloc calls %+v", c)
	}
	// A length that is not a page multiple is rounded up; a different
	// protection keeps the areas apart.
	a2 := mustMap(t, m, MapRequest{Length: pg + 1, Prot: ro})
	if a2 != a1-2*pg {
		t.Fatalf("second mapping at %#x, want %#x", a2, a1-2*pg)
	}
	expectAreas(t, m, wantArea{a2, a1, ro, 0}, wantArea{a1, top, rw, 0})

	// A free hint is used as given.
	a3 := mustMap(t, m, MapRequest{Addr: 0x200000, Length: 3 * pg, Prot: rw})
	if a3 != 0x200000 {
		t.Fatalf("free hint: mapped at %#x", a3)
	}
	// An occupied hint falls back to top-down placement.
	a4 := mustMap(t, m, MapRequest{Addr: 0x201000, Length: pg, Prot: rx})
	if a4 != a2-pg {
		t.Fatalf("occupied hint: mapped at %#x, want %#x", a4, a2-pg)
	}
	// So does a hint outside the window.
	a5 := mustMap(t, m, MapRequest{Addr: 0x1000, Length: pg, Prot: rw})
	if a5 != a4-pg {
		t.Fatalf("hint below window: mapped at %#x, want %#x", a5, a4-pg)
	}
	a6 := mustMap(t, m, MapRequest{Addr: top, Length: pg, Prot: ro})
	if a6 != a5-pg {
		t.Fatalf("hint above window: mapped at %#x, want %#x", a6, a5-pg)
	}
	// A hint straddling the window's end is not usable either.
	a7 := mustMap(t, m, MapRequest{Addr: top - pg, Length: 2 * pg, Prot: rx})
	if a7 != a6-2*pg {
		t.Fatalf("hint across window end: mapped at %#x, want %#x", a7, a6-2*pg)
	}
	check(t, m)
	if got := len(h.ops("free")); got != 0 {
		t.Fatalf("Map freed memory %d times", got)
	}
}

func TestMapFixed(t *testing.T) {
	h := newFakeHost()
	m := New(h)
	base := uintptr(0x400000)
	mustMap(t, m, MapRequest{Addr: base, Length: 8 * pg, Prot: rw})

	// MAP_FIXED replaces the middle of an existing mapping.
	a := mustMap(t, m, MapRequest{Addr: base + 2*pg, Length: 2 * pg, Prot: ro, Fixed: true})
	if a != base+2*pg {
		t.Fatalf("fixed map at %#x", a)
	}
	expectAreas(t, m,
		wantArea{base, base + 2*pg, rw, 0},
		wantArea{base + 2*pg, base + 4*pg, ro, 0},
		wantArea{base + 4*pg, base + 8*pg, rw, 0})
	// The same attributes as the surroundings merge back into one area.
	mustMap(t, m, MapRequest{Addr: base + 2*pg, Length: 2 * pg, Prot: rw, Fixed: true})
	expectAreas(t, m, wantArea{base, base + 8*pg, rw, 0})
	check(t, m)

	// MAP_FIXED_NOREPLACE over anything mapped is EEXIST and changes nothing.
	h.reset()
	_, err := m.Map(MapRequest{Addr: base + 7*pg, Length: 2 * pg, Prot: ro, NoReplace: true})
	isErr(t, "NoReplace over a mapping", err, unix.EEXIST)
	if len(h.calls) != 0 {
		t.Fatalf("failed NoReplace reached the host: %+v", h.calls)
	}
	expectAreas(t, m, wantArea{base, base + 8*pg, rw, 0})
	// Into a hole it maps exactly there, and merges with an equal neighbour.
	a, err = m.Map(MapRequest{Addr: base + 8*pg, Length: 2 * pg, Prot: rw, NoReplace: true})
	noErr(t, "NoReplace into a hole", err)
	if a != base+8*pg {
		t.Fatalf("NoReplace mapped at %#x", a)
	}
	expectAreas(t, m, wantArea{base, base + 10*pg, rw, 0})

	// Outside (or partly outside) the window: ENOMEM.
	for _, r := range []MapRequest{
		{Addr: 0x1000, Length: pg, Prot: rw, Fixed: true},
		{Addr: 0xf000, Length: 2 * pg, Prot: rw, Fixed: true},
		{Addr: top - pg, Length: 2 * pg, Prot: rw, Fixed: true},
		{Addr: top, Length: pg, Prot: rw, Fixed: true},
		{Addr: top, Length: pg, Prot: rw, NoReplace: true},
		{Addr: ^uintptr(0) &^ (pg - 1), Length: 2 * pg, Prot: rw, Fixed: true}, // wraps around
	} {
		_, err := m.Map(r)
		isErr(t, fmt.Sprintf("Map(%+v)", r), err, unix.ENOMEM)
	}
	// Bad arguments: EINVAL.
	for _, r := range []MapRequest{
		{Addr: base, Length: 0, Prot: rw, Fixed: true},
		{Addr: base + 1, Length: pg, Prot: rw, Fixed: true},
		{Addr: base, Length: pg, Prot: rw, Fixed: true, Backing: &fakeBacking{t: t}, Offset: 100},
		{Length: ^uintptr(0) - 10, Prot: rw},
	} {
		_, err := m.Map(r)
		isErr(t, fmt.Sprintf("Map(%+v)", r), err, unix.EINVAL)
	}
	expectAreas(t, m, wantArea{base, base + 10*pg, rw, 0})
}

func TestMapHostFailure(t *testing.T) {
	h := newFakeHost()
	m := New(h)
	b := &fakeBacking{t: t, h: 3}
	h.fail["alloc"] = true
	if _, err := m.Map(MapRequest{Addr: 0x400000, Length: pg, Prot: rw, Fixed: true}); err != pal.ErrNoMemory {
		t.Fatalf("failing alloc: %v", err)
	}
	h.fail["mapfile"] = true
	if _, err := m.Map(MapRequest{Addr: 0x400000, Length: pg, Prot: rw, Fixed: true, Backing: b}); err != pal.ErrNoMemory {
		t.Fatalf("failing file map: %v", err)
	}
	if len(m.Areas()) != 0 {
		t.Fatalf("failed maps left areas: %s", dump(m.Areas()))
	}
	check(t, m, b)
}

func TestFindFreeTopDown(t *testing.T) {
	h := newFakeHost()
	m := New(h)
	mustMap(t, m, MapRequest{Addr: top - 4*pg, Length: 4 * pg, Prot: rw, Fixed: true})
	mustMap(t, m, MapRequest{Addr: top - 10*pg, Length: 4 * pg, Prot: ro, Fixed: true})
	// Hole of 2 pages at [top-6p, top-4p).
	if a := mustMap(t, m, MapRequest{Length: 3 * pg, Prot: rx}); a != top-13*pg {
		t.Fatalf("3 pages went to %#x, want below the second area at %#x", a, top-13*pg)
	}
	if a := mustMap(t, m, MapRequest{Length: 2 * pg, Prot: rx}); a != top-6*pg {
		t.Fatalf("2 pages went to %#x, want the hole at %#x", a, top-6*pg)
	}
	// A lowered MmapTop is where placement starts.
	m.MmapTop = 0x80000000
	if a := mustMap(t, m, MapRequest{Length: pg, Prot: rw}); a != 0x80000000-pg {
		t.Fatalf("below MmapTop: %#x", a)
	}
	check(t, m)

	// FindFreeBelow with a top that falls inside a mapping must not
	// return memory overlapping it.
	a, err := m.FindFreeBelow(2*pg, top-2*pg)
	noErr(t, "FindFreeBelow", err)
	if a+2*pg > top-13*pg && a < top {
		// Everything in [top-13p, top) is taken now.
		t.Fatalf("FindFreeBelow(top inside an area) = %#x overlaps %s", a, dump(m.Areas()))
	}
	if a != top-15*pg {
		t.Fatalf("FindFreeBelow(top inside an area) = %#x, want %#x", a, top-15*pg)
	}
	// A top in the middle of a hole places right below it.
	if a, _ := m.FindFreeBelow(pg, 0x40000000); a != 0x40000000-pg {
		t.Fatalf("FindFreeBelow(hole) = %#x", a)
	}
	// A top below the window finds nothing.
	if _, err := m.FindFreeBelow(pg, 0x10000); err != ErrNoMem {
		t.Fatalf("FindFreeBelow(window start) = %v", err)
	}
}

func TestFindFreeTopInsideArea(t *testing.T) {
	h := newFakeHost(pal.Range{Start: 0x10000, End: 0x30000})
	m := New(h)
	mustMap(t, m, MapRequest{Addr: 0x20000, Length: 8 * pg, Prot: rw, Fixed: true})
	// top = 0x24000 lies inside [0x20000, 0x28000): the free space below
	// it ends at 0x20000.
	a, err := m.FindFreeBelow(pg, 0x24000)
	noErr(t, "FindFreeBelow", err)
	if a != 0x20000-pg {
		t.Fatalf("FindFreeBelow = %#x, want %#x", a, 0x20000-pg)
	}
	// FindFreeNear uses the same search with top = addr + ~2 GiB; near an
	// area's start that top is far above, so it is fine, but placement
	// must still avoid every existing area.
	a, err = m.FindFreeNear(0x20000, pg)
	noErr(t, "FindFreeNear", err)
	if a != 0x30000-pg {
		t.Fatalf("FindFreeNear = %#x", a)
	}
}

func TestFindFreeWindows(t *testing.T) {
	h := newFakeHost(pal.Range{Start: 0x10000, End: 0x20000}, pal.Range{Start: 0x40000, End: 0x50000})
	m := New(h)
	// The upper range is used first.
	if a := mustMap(t, m, MapRequest{Length: 12 * pg, Prot: rw}); a != 0x44000 {
		t.Fatalf("first: %#x", a)
	}
	// 8 pages no longer fit above: the lower range takes them.
	if a := mustMap(t, m, MapRequest{Length: 8 * pg, Prot: rw}); a != 0x18000 {
		t.Fatalf("second: %#x", a)
	}
	// The gap between the ranges is never used.
	if a := mustMap(t, m, MapRequest{Length: 4 * pg, Prot: ro}); a != 0x40000 {
		t.Fatalf("third: %#x", a)
	}
	if a := mustMap(t, m, MapRequest{Length: 8 * pg, Prot: ro}); a != 0x10000 {
		t.Fatalf("fourth: %#x", a)
	}
	_, err := m.Map(MapRequest{Length: pg, Prot: ro})
	isErr(t, "full window", err, unix.ENOMEM)
	// Fixed maps may not span the gap.
	_, err = m.Map(MapRequest{Addr: 0x1f000, Length: 2 * pg, Prot: ro, Fixed: true})
	isErr(t, "fixed across the gap", err, unix.ENOMEM)
	check(t, m)
}

func TestUnmap(t *testing.T) {
	h := newFakeHost()
	m := New(h)
	base := uintptr(0x400000)
	mustMap(t, m, MapRequest{Addr: base, Length: 8 * pg, Prot: rw, Fixed: true})

	h.reset()
	noErr(t, "Unmap middle", m.Unmap(base+3*pg, 2*pg))
	expectAreas(t, m, wantArea{base, base + 3*pg, rw, 0}, wantArea{base + 5*pg, base + 8*pg, rw, 0})
	if c := h.ops("free"); len(c) != 1 || c[0].addr != base+3*pg || c[0].size != 2*pg {
		t.Fatalf("free calls %+v", c)
	}

	// A hole is fine and reaches no host call.
	h.reset()
	noErr(t, "Unmap hole", m.Unmap(base+3*pg, pg))
	noErr(t, "Unmap unmapped", m.Unmap(0x900000, 16*pg))
	if len(h.calls) != 0 {
		t.Fatalf("unmapping holes called the host: %+v", h.calls)
	}

	// Across both pieces and the hole: each piece is freed on its own; the
	// length is rounded up to whole pages.
	h.reset()
	noErr(t, "Unmap across", m.Unmap(base+2*pg, 3*pg+1))
	c := h.ops("free")
	if len(c) != 2 || c[0].addr != base+2*pg || c[0].size != pg || c[1].addr != base+5*pg || c[1].size != pg {
		t.Fatalf("free calls %+v", c)
	}
	expectAreas(t, m, wantArea{base, base + 2*pg, rw, 0}, wantArea{base + 6*pg, base + 8*pg, rw, 0})
	check(t, m)

	isErr(t, "unaligned", m.Unmap(base+1, pg), unix.EINVAL)
	isErr(t, "zero length", m.Unmap(base, 0), unix.EINVAL)
	isErr(t, "below window", m.Unmap(0x1000, pg), unix.EINVAL)
	isErr(t, "across window start", m.Unmap(0xf000, 2*pg), unix.EINVAL)
	isErr(t, "above window", m.Unmap(top, pg), unix.EINVAL)
	isErr(t, "wrapping", m.Unmap(base, ^uintptr(0)-pg), unix.EINVAL)
	expectAreas(t, m, wantArea{base, base + 2*pg, rw, 0}, wantArea{base + 6*pg, base + 8*pg, rw, 0})

	noErr(t, "Unmap all", m.Unmap(base, 8*pg))
	if len(m.Areas()) != 0 {
		t.Fatalf("areas left: %s", dump(m.Areas()))
	}
}

func TestProtect(t *testing.T) {
	h := newFakeHost()
	m := New(h)
	base := uintptr(0x400000)
	mustMap(t, m, MapRequest{Addr: base, Length: 8 * pg, Prot: rw, Fixed: true})

	h.reset()
	noErr(t, "Protect middle", m.Protect(base+2*pg, 2*pg, ro))
	if c := h.ops("protect"); len(c) != 1 || c[0].addr != base+2*pg || c[0].size != 2*pg || c[0].prot != ro {
		t.Fatalf("protect calls %+v", c)
	}
	expectAreas(t, m,
		wantArea{base, base + 2*pg, rw, 0},
		wantArea{base + 2*pg, base + 4*pg, ro, 0},
		wantArea{base + 4*pg, base + 8*pg, rw, 0})
	// Back to the old protection: one area again.
	noErr(t, "Protect back", m.Protect(base+2*pg, 2*pg, rw))
	expectAreas(t, m, wantArea{base, base + 8*pg, rw, 0})
	check(t, m)

	// The whole mapping at once; the length is rounded up.
	noErr(t, "Protect all", m.Protect(base, 7*pg+5, ro))
	expectAreas(t, m, wantArea{base, base + 8*pg, ro, 0})
	// Zero length is a no-op success.
	h.reset()
	noErr(t, "Protect zero", m.Protect(base, 0, rw))
	if len(h.calls) != 0 {
		t.Fatalf("zero-length protect called the host")
	}

	// Holes: ENOMEM, and nothing changes.
	mustMap(t, m, MapRequest{Addr: base + 10*pg, Length: 2 * pg, Prot: ro, Fixed: true})
	h.reset()
	isErr(t, "Protect hole", m.Protect(base+8*pg, 2*pg, rw), unix.ENOMEM)
	isErr(t, "Protect across hole", m.Protect(base+7*pg, 4*pg, rw), unix.ENOMEM)
	isErr(t, "Protect unmapped", m.Protect(0x900000, pg, rw), unix.ENOMEM)
	isErr(t, "Protect outside window", m.Protect(0x1000, pg, rw), unix.ENOMEM)
	isErr(t, "Protect above window", m.Protect(top, pg, rw), unix.ENOMEM)
	isErr(t, "Protect wrapping", m.Protect(base, ^uintptr(0)-pg, rw), unix.ENOMEM)
	isErr(t, "Protect unaligned", m.Protect(base+1, pg, rw), unix.EINVAL)
	if len(h.ops("protect")) != 0 {
		t.Fatalf("failed protects reached the host: %+v", h.calls)
	}
	expectAreas(t, m, wantArea{base, base + 8*pg, ro, 0}, wantArea{base + 10*pg, base + 12*pg, ro, 0})
	check(t, m)
}

// TestProtectMergeMany changes the protection of a range covering several
// areas; the result must merge with both neighbours.
func TestProtectMergeMany(t *testing.T) {
	h := newFakeHost()
	m := New(h)
	base := uintptr(0x400000)
	mustMap(t, m, MapRequest{Addr: base, Length: 4 * pg, Prot: ro, Fixed: true})
	noErr(t, "Protect 1", m.Protect(base+pg, pg, rw))
	noErr(t, "Protect 2", m.Protect(base+2*pg, pg, rx))
	expectAreas(t, m,
		wantArea{base, base + pg, ro, 0},
		wantArea{base + pg, base + 2*pg, rw, 0},
		wantArea{base + 2*pg, base + 3*pg, rx, 0},
		wantArea{base + 3*pg, base + 4*pg, ro, 0})
	noErr(t, "Protect both back", m.Protect(base+pg, 2*pg, ro))
	expectAreas(t, m, wantArea{base, base + 4*pg, ro, 0})
	check(t, m)

	// Five alternating areas made equal at once.
	mustMap(t, m, MapRequest{Addr: base + 4*pg, Length: 6 * pg, Prot: ro, Fixed: true})
	for i := uintptr(1); i < 10; i += 2 {
		noErr(t, "Protect odd page", m.Protect(base+i*pg, pg, rw))
	}
	if n := len(m.Areas()); n != 10 {
		t.Fatalf("%d areas after alternating protections: %s", n, dump(m.Areas()))
	}
	noErr(t, "Protect all", m.Protect(base, 10*pg, rx))
	expectAreas(t, m, wantArea{base, base + 10*pg, rx, 0})
	check(t, m)
}

func TestCheck(t *testing.T) {
	h := newFakeHost()
	m := New(h)
	x := uintptr(0x400000)
	mustMap(t, m, MapRequest{Addr: x, Length: 2 * pg, Prot: rw, Fixed: true})
	mustMap(t, m, MapRequest{Addr: x + 2*pg, Length: 2 * pg, Prot: ro, Fixed: true})
	// hole at [x+4p, x+5p)
	mustMap(t, m, MapRequest{Addr: x + 5*pg, Length: pg, Prot: rw, Fixed: true})
	mustMap(t, m, MapRequest{Addr: x + 6*pg, Length: pg, Prot: pal.ProtNone, Fixed: true})
	mustMap(t, m, MapRequest{Addr: x + 7*pg, Length: pg, Prot: pal.ProtWrite, Fixed: true})

	cases := []struct {
		addr, n uintptr
		want    pal.Prot
		ok      bool
	}{
		{x, 4 * pg, ro, true},             // across two adjacent areas
		{x, 4 * pg, pal.ProtWrite, false}, // the second is read-only
		{x, 2 * pg, rw, true},
		{x + pg, 2 * pg, ro, true},
		{x + 2*pg - 1, 1, pal.ProtWrite, true},
		{x + 2*pg - 1, 2, pal.ProtWrite, false},
		{x + 4*pg - 1, 1, ro, true},
		{x + 4*pg - 1, 2, ro, false}, // runs into the hole
		{x + 4*pg, 1, 0, false},      // in the hole
		{x + 3*pg, 3 * pg, ro, false},
		{x + 5*pg, pg, rw, true},
		{x + 5*pg, pg + 1, 0, true}, // PROT_NONE is mapped: fine for want 0
		{x + 6*pg, 1, ro, false},
		{x + 6*pg, pg, 0, true},
		{x + 7*pg, 8, pal.ProtWrite, true},
		{x + 7*pg, 8, ro, false},
		{x + 8*pg, 1, 0, false}, // past the last area
		{x - 1, 2, ro, false},   // starts before the first
		{x, 0, rw, true},        // empty ranges are always fine
		{0, 0, rw, true},
		{x, ^uintptr(0), 0, false}, // wraps around
		{0, 1, 0, false},
	}
	for _, c := range cases {
		if got := m.Check(c.addr, c.n, c.want); got != c.ok {
			t.Errorf("Check(%#x, %#x, %d) = %v, want %v", c.addr, c.n, c.want, got, c.ok)
		}
	}
}

func TestLibOSAreas(t *testing.T) {
	h := newFakeHost()
	m := New(h)
	var changes [][2]uintptr
	m.BeforeChange = func(s, e uintptr) { changes = append(changes, [2]uintptr{s, e}) }
	stub := uintptr(0x600000)
	mustMap(t, m, MapRequest{Addr: stub, Length: pg, Prot: rx, Fixed: true, Flags: LibOS, Name: "[stubs]"})
	if len(changes) != 0 {
		t.Fatalf("BeforeChange called for the LibOS's own mapping: %v", changes)
	}
	// A guest mapping right next to it with the same protection must not
	// merge with it.
	mustMap(t, m, MapRequest{Addr: stub + pg, Length: pg, Prot: rx, Fixed: true})
	if n := len(m.Areas()); n != 2 {
		t.Fatalf("LibOS area merged with a guest area: %s", dump(m.Areas()))
	}

	h.reset()
	isErr(t, "Unmap stub", m.Unmap(stub, pg), unix.EINVAL)
	isErr(t, "Unmap over stub", m.Unmap(stub-pg, 3*pg), unix.EINVAL)
	isErr(t, "Protect stub", m.Protect(stub, pg, rw), unix.ENOMEM)
	isErr(t, "Protect over stub", m.Protect(stub, 2*pg, ro), unix.ENOMEM)
	_, err := m.Map(MapRequest{Addr: stub, Length: pg, Prot: rw, Fixed: true})
	isErr(t, "Fixed over stub", err, unix.ENOMEM)
	_, err = m.Map(MapRequest{Addr: stub - pg, Length: 2 * pg, Prot: rw, NoReplace: true})
	isErr(t, "NoReplace over stub", err, unix.ENOMEM)
	_, err = m.Remap(stub, pg, 2*pg, true, false, 0)
	isErr(t, "Remap stub", err, unix.EFAULT)
	isErr(t, "Advise stub", m.Advise(stub, pg, unix.MADV_DONTNEED), unix.ENOMEM)
	if len(h.calls) != 0 {
		t.Fatalf("refused operations reached the host: %+v", h.calls)
	}
	// A hint on it is just moved elsewhere.
	if a := mustMap(t, m, MapRequest{Addr: stub, Length: pg, Prot: rw}); a == stub {
		t.Fatal("hint placed a mapping over the LibOS area")
	}
	// The guest never gets to touch it, whatever its protection.
	for _, want := range []pal.Prot{0, ro, pal.ProtExec} {
		if m.Check(stub, 1, want) {
			t.Errorf("Check(stub, %d) = true", want)
		}
		if m.Check(stub-pg, 2*pg, want) {
			t.Errorf("Check(across stub, %d) = true", want)
		}
	}
	if !m.Check(stub+pg, pg, rx) {
		t.Error("Check(guest area next to stub) = false")
	}
	if a, ok := m.Lookup(stub); !ok || a.Flags&LibOS == 0 || a.Name != "[stubs]" {
		t.Fatalf("Lookup(stub) = %+v, %v", a, ok)
	}
}

func TestBrk(t *testing.T) {
	h := newFakeHost()
	m := New(h)
	start := uintptr(0x500000)
	m.SetBrk(start, 64*pg)
	if s, e := m.BrkRange(); s != start || e != start {
		t.Fatalf("BrkRange = %#x, %#x", s, e)
	}
	if b := m.Brk(0); b != start {
		t.Fatalf("Brk(0) = %#x", b)
	}
	if len(m.Areas()) != 0 {
		t.Fatal("Brk(0) mapped something")
	}
	if b := m.Brk(start + 100); b != start+100 {
		t.Fatalf("Brk(+100) = %#x", b)
	}
	expectAreas(t, m, wantArea{start, start + pg, rw, 0})
	if a, _ := m.Lookup(start); a.Flags&Heap == 0 {
		t.Fatalf("heap area flags %#x", a.Flags)
	}
	// Growing within the same page maps nothing new.
	h.reset()
	if b := m.Brk(start + pg); b != start+pg || len(h.calls) != 0 {
		t.Fatalf("Brk(+1 page) = %#x, calls %+v", b, h.calls)
	}
	if b := m.Brk(start + 3*pg + 8); b != start+3*pg+8 {
		t.Fatalf("Brk(+3 pages) = %#x", b)
	}
	if c := h.ops("alloc"); len(c) != 1 || c[0].addr != start+pg || c[0].size != 3*pg || c[0].prot != rw {
		t.Fatalf("alloc calls %+v", c)
	}
	expectAreas(t, m, wantArea{start, start + 4*pg, rw, 0})

	// Shrinking frees the pages past the new break.
	h.reset()
	if b := m.Brk(start + 10); b != start+10 {
		t.Fatalf("shrink: %#x", b)
	}
	if c := h.ops("free"); len(c) != 1 || c[0].addr != start+pg || c[0].size != 3*pg {
		t.Fatalf("free calls %+v", c)
	}
	expectAreas(t, m, wantArea{start, start + pg, rw, 0})

	// Refusals return the current break.
	if b := m.Brk(start - pg); b != start+10 {
		t.Fatalf("below start: %#x", b)
	}
	if b := m.Brk(start + 64*pg + 1); b != start+10 {
		t.Fatalf("past the limit: %#x", b)
	}
	if b := m.Brk(start + 64*pg); b != start+64*pg {
		t.Fatalf("up to the limit: %#x", b)
	}
	if b := m.Brk(start + 10); b != start+10 {
		t.Fatalf("shrink again: %#x", b)
	}
	// Something mapped in the way.
	mustMap(t, m, MapRequest{Addr: start + 5*pg, Length: pg, Prot: ro, Fixed: true})
	h.reset()
	if b := m.Brk(start + 6*pg); b != start+10 {
		t.Fatalf("colliding brk: %#x", b)
	}
	if len(h.ops("alloc")) != 0 {
		t.Fatal("colliding brk allocated")
	}
	if b := m.Brk(start + 5*pg); b != start+5*pg {
		t.Fatalf("brk up to the mapping: %#x", b)
	}
	expectAreas(t, m, wantArea{start, start + 5*pg, rw, 0}, wantArea{start + 5*pg, start + 6*pg, ro, 0})
	// Back to the start: no heap left.
	if b := m.Brk(start); b != start {
		t.Fatalf("brk to start: %#x", b)
	}
	expectAreas(t, m, wantArea{start + 5*pg, start + 6*pg, ro, 0})
	// A failing host leaves the break alone.
	h.fail["alloc"] = true
	if b := m.Brk(start + pg); b != start {
		t.Fatalf("brk with failing host: %#x", b)
	}
	check(t, m)

	// Without a limit, growth stops only at the window's end.
	m2 := New(newFakeHost())
	m2.SetBrk(top-2*pg, 0)
	if b := m2.Brk(top); b != top {
		t.Fatalf("brk to window end: %#x", b)
	}
	if b := m2.Brk(top + pg); b != top {
		t.Fatalf("brk past window end: %#x", b)
	}
}

func TestRemapInPlace(t *testing.T) {
	h := newFakeHost()
	m := New(h)
	x := uintptr(0x400000)
	mustMap(t, m, MapRequest{Addr: x, Length: 2 * pg, Prot: rw, Fixed: true})

	// Grow in place.
	h.reset()
	a, err := m.Remap(x, 2*pg, 4*pg, false, false, 0)
	noErr(t, "grow", err)
	if a != x {
		t.Fatalf("grow moved to %#x", a)
	}
	if c := h.ops("alloc"); len(c) != 1 || c[0].addr != x+2*pg || c[0].size != 2*pg || c[0].prot != rw {
		t.Fatalf("alloc calls %+v", c)
	}
	expectAreas(t, m, wantArea{x, x + 4*pg, rw, 0})

	// Shrink.
	h.reset()
	a, err = m.Remap(x, 4*pg, pg+1, false, false, 0)
	noErr(t, "shrink", err)
	if a != x {
		t.Fatalf("shrink moved to %#x", a)
	}
	if c := h.ops("free"); len(c) != 1 || c[0].addr != x+2*pg || c[0].size != 2*pg {
		t.Fatalf("free calls %+v", c)
	}
	expectAreas(t, m, wantArea{x, x + 2*pg, rw, 0})
	// Same size: nothing happens.
	h.reset()
	if a, err := m.Remap(x, 2*pg, 2*pg, false, false, 0); err != nil || a != x || len(h.calls) != 0 {
		t.Fatalf("same size: %#x %v %+v", a, err, h.calls)
	}

	// Blocked by a neighbour and not allowed to move: ENOMEM.
	mustMap(t, m, MapRequest{Addr: x + 3*pg, Length: pg, Prot: ro, Fixed: true})
	h.reset()
	_, err = m.Remap(x, 2*pg, 4*pg, false, false, 0)
	isErr(t, "blocked grow", err, unix.ENOMEM)
	if len(h.calls) != 0 {
		t.Fatalf("blocked grow called the host: %+v", h.calls)
	}
	// Growing up to the neighbour still works.
	if a, err := m.Remap(x, 2*pg, 3*pg, false, false, 0); err != nil || a != x {
		t.Fatalf("grow to neighbour: %#x %v", a, err)
	}
	// Growing a prefix of an area (old+oldLen inside it) cannot happen in place.
	_, err = m.Remap(x, pg, 2*pg, false, false, 0)
	isErr(t, "grow prefix", err, unix.ENOMEM)

	// Errors.
	_, err = m.Remap(x+1, pg, pg, false, false, 0)
	isErr(t, "unaligned", err, unix.EINVAL)
	_, err = m.Remap(x, pg, 0, false, false, 0)
	isErr(t, "zero new length", err, unix.EINVAL)
	_, err = m.Remap(x, pg, 2*pg, false, true, 0x800000)
	isErr(t, "fixed without maymove", err, unix.EINVAL)
	_, err = m.Remap(x, pg, 2*pg, true, true, 0x800001)
	isErr(t, "fixed unaligned", err, unix.EINVAL)
	_, err = m.Remap(x, 2*pg, 2*pg, true, true, x+pg)
	isErr(t, "fixed overlapping", err, unix.EINVAL)
	_, err = m.Remap(x, pg, 2*pg, true, true, top-pg)
	isErr(t, "fixed outside window", err, unix.EINVAL)
	_, err = m.Remap(0x900000, pg, 2*pg, true, false, 0)
	isErr(t, "unmapped", err, unix.EFAULT)
	_, err = m.Remap(x, 5*pg, 6*pg, true, false, 0)
	isErr(t, "across areas", err, unix.EFAULT)
	_, err = m.Remap(0x1000, pg, pg, true, false, 0)
	isErr(t, "outside window", err, unix.EFAULT)
	check(t, m)
}

// realWindow is a fake host whose whole guest window is real, readable and
// writable memory, so that moves (which copy bytes) can be tested.
func realWindow(t *testing.T, pages int) (*fakeHost, uintptr, []byte) {
	mem, err := unix.Mmap(-1, 0, pages*pg, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(mem) })
	base := uintptr(unsafe.Pointer(&mem[0]))
	return newFakeHost(pal.Range{Start: base, End: base + uintptr(pages)*pg}), base, mem
}

func TestRemapMove(t *testing.T) {
	h, base, mem := realWindow(t, 32)
	at := func(addr, n uintptr) []byte { return mem[addr-base : addr-base+n] }
	m := New(h)
	end := base + 32*pg
	old := mustMap(t, m, MapRequest{Addr: base, Length: 2 * pg, Prot: rw, Fixed: true})
	mustMap(t, m, MapRequest{Addr: base + 2*pg, Length: pg, Prot: ro, Fixed: true})
	src := at(old, 2*pg)
	for i := range src {
		src[i] = byte(i * 7)
	}

	h.reset()
	a, err := m.Remap(old, 2*pg, 4*pg, true, false, 0)
	noErr(t, "move", err)
	if a != end-4*pg {
		t.Fatalf("moved to %#x, want %#x", a, end-4*pg)
	}
	dst := at(a, 2*pg)
	for i := range dst {
		if dst[i] != byte(i*7) {
			t.Fatalf("byte %d not copied: %d", i, dst[i])
		}
	}
	if c := h.ops("alloc"); len(c) != 1 || c[0].addr != a || c[0].size != 4*pg {
		t.Fatalf("alloc calls %+v", c)
	}
	if c := h.ops("free"); len(c) != 1 || c[0].addr != old || c[0].size != 2*pg {
		t.Fatalf("free calls %+v", c)
	}
	expectAreas(t, m, wantArea{base + 2*pg, base + 3*pg, ro, 0}, wantArea{a, end, rw, 0})

	// MREMAP_FIXED to a chosen address, replacing what is there.
	mustMap(t, m, MapRequest{Addr: base + 8*pg, Length: 4 * pg, Prot: rx, Fixed: true})
	b, err := m.Remap(a, 4*pg, 2*pg, true, true, base+9*pg)
	noErr(t, "fixed move", err)
	if b != base+9*pg {
		t.Fatalf("fixed move to %#x", b)
	}
	if got := at(b, 2*pg); got[pg+1] != byte((pg+1)*7%256) {
		t.Fatalf("fixed move did not copy")
	}
	expectAreas(t, m,
		wantArea{base + 2*pg, base + 3*pg, ro, 0},
		wantArea{base + 8*pg, base + 9*pg, rx, 0},
		wantArea{base + 9*pg, base + 11*pg, rw, 0},
		wantArea{base + 11*pg, base + 12*pg, rx, 0})
	check(t, m)

	// A private file mapping moves by copy; its grown tail maps the file
	// at the continuing offset.
	fb := &fakeBacking{t: t, h: 5}
	const off = 0x10000
	mustMap(t, m, MapRequest{Addr: base + 6*pg, Length: 2 * pg, Prot: ro, Fixed: true, Backing: fb, Offset: off})
	h.reset()
	c, err := m.Remap(base+6*pg, 2*pg, 3*pg, true, false, 0)
	noErr(t, "move private file", err)
	if ca := h.ops("alloc"); len(ca) != 1 || ca[0].addr != c || ca[0].size != 3*pg || ca[0].prot != rw {
		t.Fatalf("alloc calls %+v", ca)
	}
	if cf := h.ops("mapfile"); len(cf) != 1 || cf[0].addr != c+2*pg || cf[0].size != pg || cf[0].off != off+2*pg || cf[0].shared || cf[0].h != 5 {
		t.Fatalf("mapfile calls %+v", cf)
	}
	// Read-only in the end.
	if cp := h.ops("protect"); len(cp) != 1 || cp[0].addr != c || cp[0].size != 3*pg || cp[0].prot != ro {
		t.Fatalf("protect calls %+v", cp)
	}
	if a, ok := m.Lookup(c); !ok || a.Backing != Backing(fb) || a.Offset != off || a.End != c+3*pg {
		t.Fatalf("moved file area %+v", a)
	}
	check(t, m, fb)
	if fb.refs != 1 {
		t.Fatalf("refs after move: %d", fb.refs)
	}

	// PROT_NONE memory is made readable to copy it, and the copy gets
	// PROT_NONE back.
	mustMap(t, m, MapRequest{Addr: base + 6*pg, Length: pg, Prot: pal.ProtNone, Fixed: true})
	h.reset()
	d, err := m.Remap(base+6*pg, pg, 2*pg, true, true, base+14*pg)
	noErr(t, "move PROT_NONE", err)
	cp := h.ops("protect")
	if d != base+14*pg || len(cp) != 2 || cp[0].addr != base+6*pg || cp[0].prot != ro ||
		cp[1].addr != d || cp[1].size != 2*pg || cp[1].prot != pal.ProtNone {
		t.Fatalf("PROT_NONE move to %#x: protect calls %+v", d, cp)
	}
	if a, _ := m.Lookup(d); a.Prot != pal.ProtNone {
		t.Fatalf("moved PROT_NONE area %+v", a)
	}
	if _, ok := m.Lookup(base + 6*pg); ok {
		t.Fatal("old PROT_NONE area still mapped")
	}
	check(t, m, fb)
}

func TestFileBacking(t *testing.T) {
	h := newFakeHost()
	m := New(h)
	b := &fakeBacking{t: t, h: 7}
	x := uintptr(0x400000)
	const off = 0x3000

	mustMap(t, m, MapRequest{Addr: x, Length: 8 * pg, Prot: ro, Fixed: true, Backing: b, Offset: off})
	if c := h.ops("mapfile"); len(c) != 1 || c[0].addr != x || c[0].size != 8*pg || c[0].h != 7 || c[0].off != off || c[0].shared {
		t.Fatalf("mapfile calls %+v", c)
	}
	check(t, m, b)
	if b.refs != 1 {
		t.Fatalf("refs %d after one map", b.refs)
	}

	// Unmap a page in the middle: two areas, each with its offset.
	noErr(t, "Unmap", m.Unmap(x+3*pg, pg))
	expectAreas(t, m, wantArea{x, x + 3*pg, ro, off}, wantArea{x + 4*pg, x + 8*pg, ro, off + 4*pg})
	check(t, m, b)

	// Protect splits keep offsets, and protecting back merges them.
	noErr(t, "Protect", m.Protect(x+5*pg, pg, rw))
	expectAreas(t, m,
		wantArea{x, x + 3*pg, ro, off},
		wantArea{x + 4*pg, x + 5*pg, ro, off + 4*pg},
		wantArea{x + 5*pg, x + 6*pg, rw, off + 5*pg},
		wantArea{x + 6*pg, x + 8*pg, ro, off + 6*pg})
	check(t, m, b)
	noErr(t, "Protect back", m.Protect(x+5*pg, pg, ro))
	expectAreas(t, m, wantArea{x, x + 3*pg, ro, off}, wantArea{x + 4*pg, x + 8*pg, ro, off + 4*pg})
	check(t, m, b)

	// Mapping the missing page back at the matching offset merges all.
	mustMap(t, m, MapRequest{Addr: x + 3*pg, Length: pg, Prot: ro, Fixed: true, Backing: b, Offset: off + 3*pg})
	expectAreas(t, m, wantArea{x, x + 8*pg, ro, off})
	check(t, m, b)
	// At a different offset it does not merge.
	mustMap(t, m, MapRequest{Addr: x + 3*pg, Length: pg, Prot: ro, Fixed: true, Backing: b, Offset: 0})
	expectAreas(t, m,
		wantArea{x, x + 3*pg, ro, off},
		wantArea{x + 3*pg, x + 4*pg, ro, 0},
		wantArea{x + 4*pg, x + 8*pg, ro, off + 4*pg})
	check(t, m, b)

	// Anonymous memory over part of it drops that part's reference.
	mustMap(t, m, MapRequest{Addr: x + 2*pg, Length: 3 * pg, Prot: ro, Fixed: true})
	expectAreas(t, m,
		wantArea{x, x + 2*pg, ro, off},
		wantArea{x + 2*pg, x + 5*pg, ro, 0},
		wantArea{x + 5*pg, x + 8*pg, ro, off + 5*pg})
	check(t, m, b)

	// A second file next to the first: never merged with it.
	b2 := &fakeBacking{t: t, h: 9}
	mustMap(t, m, MapRequest{Addr: x + 8*pg, Length: 2 * pg, Prot: ro, Fixed: true, Backing: b2, Offset: off + 8*pg, Shared: true})
	if a, _ := m.Lookup(x + 8*pg); a.Flags&Shared == 0 || a.Backing != Backing(b2) {
		t.Fatalf("shared file area %+v", a)
	}
	if c := h.ops("mapfile"); !c[len(c)-1].shared {
		t.Fatal("shared mapping not passed to the host as shared")
	}
	check(t, m, b, b2)

	// Grow the last file mapping in place: the new part maps the file at
	// the continuing offset.
	h.reset()
	a, err := m.Remap(x+8*pg, 2*pg, 4*pg, false, false, 0)
	noErr(t, "Remap file", err)
	if a != x+8*pg {
		t.Fatalf("grown file mapping moved to %#x", a)
	}
	if c := h.ops("mapfile"); len(c) != 1 || c[0].addr != x+10*pg || c[0].size != 2*pg || c[0].off != off+10*pg || !c[0].shared || c[0].h != 9 {
		t.Fatalf("mapfile calls %+v", c)
	}
	expectAreas(t, m,
		wantArea{x, x + 2*pg, ro, off},
		wantArea{x + 2*pg, x + 5*pg, ro, 0},
		wantArea{x + 5*pg, x + 8*pg, ro, off + 5*pg},
		wantArea{x + 8*pg, x + 12*pg, ro, off + 8*pg})
	check(t, m, b, b2)

	// Move a shared file mapping: it is mapped afresh at its offset.
	mustMap(t, m, MapRequest{Addr: x + 12*pg, Length: pg, Prot: ro, Fixed: true})
	h.reset()
	a, err = m.Remap(x+9*pg, 3*pg, 5*pg, true, false, 0)
	noErr(t, "move shared file", err)
	if c := h.ops("mapfile"); len(c) != 1 || c[0].addr != a || c[0].size != 5*pg || c[0].off != off+9*pg || !c[0].shared {
		t.Fatalf("mapfile calls %+v", c)
	}
	if ar, ok := m.Lookup(a); !ok || ar.Offset != off+9*pg || ar.End != a+5*pg {
		t.Fatalf("moved area %+v", ar)
	}
	check(t, m, b, b2)
	if b2.refs != 2 {
		t.Fatalf("b2 refs %d, want 2 (the stay-behind page and the moved part)", b2.refs)
	}

	// Unmapping everything drops every reference.
	noErr(t, "Unmap all", m.Unmap(x, 16*pg))
	noErr(t, "Unmap moved", m.Unmap(a, 5*pg))
	if len(m.Areas()) != 0 {
		t.Fatalf("areas left: %s", dump(m.Areas()))
	}
	if b.refs != 0 || b2.refs != 0 {
		t.Fatalf("refs after unmapping all: %d, %d", b.refs, b2.refs)
	}
}

func TestFileBackingReset(t *testing.T) {
	h := newFakeHost()
	m := New(h)
	b := &fakeBacking{t: t, h: 4}
	x := uintptr(0x400000)
	mustMap(t, m, MapRequest{Addr: x, Length: 4 * pg, Prot: rx, Fixed: true, Backing: b})
	mustMap(t, m, MapRequest{Addr: x + 6*pg, Length: 4 * pg, Prot: ro, Fixed: true, Backing: b, Offset: 6 * pg})
	noErr(t, "Protect", m.Protect(x+pg, pg, rw))
	check(t, m, b)
	if b.refs != 4 {
		t.Fatalf("refs %d, want 4", b.refs)
	}
	m.SetBrk(0x500000, 0)
	m.Brk(0x502000)
	h.reset()
	m.Reset()
	if b.refs != 0 {
		t.Fatalf("refs after Reset: %d", b.refs)
	}
	if len(h.ops("free")) != 5 || len(m.Areas()) != 0 {
		t.Fatalf("Reset: frees %+v, areas %s", h.ops("free"), dump(m.Areas()))
	}
	if s, e := m.BrkRange(); s != 0 || e != 0 {
		t.Fatalf("Reset left brk %#x-%#x", s, e)
	}
}

func TestBeforeChange(t *testing.T) {
	h := newFakeHost()
	m := New(h)
	var got [][2]uintptr
	m.BeforeChange = func(s, e uintptr) { got = append(got, [2]uintptr{s, e}) }
	expect := func(what string, want ...[2]uintptr) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: BeforeChange calls %x, want %x", what, got, want)
		}
		got = nil
	}
	x := uintptr(0x400000)

	mustMap(t, m, MapRequest{Length: pg, Prot: rw})
	expect("Map without Fixed")
	mustMap(t, m, MapRequest{Addr: x, Length: 4 * pg, Prot: rx, NoReplace: true})
	expect("Map NoReplace")
	mustMap(t, m, MapRequest{Addr: x, Length: 2*pg - 1, Prot: rx, Fixed: true})
	expect("Map Fixed", [2]uintptr{x, x + 2*pg})
	noErr(t, "Protect ro", m.Protect(x, pg, ro))
	expect("Protect without write")
	noErr(t, "Protect rw", m.Protect(x, pg, rw))
	expect("Protect adding write", [2]uintptr{x, x + pg})
	noErr(t, "Protect rwx", m.Protect(x+pg, pg+1, rw|pal.ProtExec))
	expect("Protect adding write", [2]uintptr{x + pg, x + 3*pg})
	noErr(t, "Protect zero", m.Protect(x, 0, rw))
	expect("Protect of nothing")
	noErr(t, "Unmap", m.Unmap(x+3*pg, 1))
	expect("Unmap", [2]uintptr{x + 3*pg, x + 4*pg})
	if _, err := m.Remap(x+pg, 2*pg, pg, false, false, 0); err != nil {
		t.Fatal(err)
	}
	expect("Remap", [2]uintptr{x + pg, x + 3*pg})
}

func TestAdvise(t *testing.T) {
	h := newFakeHost()
	m := New(h)
	x := uintptr(0x400000)
	mustMap(t, m, MapRequest{Addr: x, Length: 2 * pg, Prot: rw, Fixed: true})
	mustMap(t, m, MapRequest{Addr: x + 3*pg, Length: pg, Prot: ro, Fixed: true})
	noErr(t, "Advise mapped", m.Advise(x, 2*pg, unix.MADV_DONTNEED))
	h.reset()
	isErr(t, "Advise with hole", m.Advise(x+pg, 3*pg, unix.MADV_DONTNEED), unix.ENOMEM)
	c := h.ops("advise")
	if len(c) != 2 || c[0].addr != x+pg || c[0].size != pg || c[1].addr != x+3*pg || c[1].size != pg || c[1].advice != unix.MADV_DONTNEED {
		t.Fatalf("advise calls %+v", c)
	}
	isErr(t, "Advise unaligned", m.Advise(x+1, pg, 0), unix.EINVAL)
	noErr(t, "Advise zero", m.Advise(x, 0, 0))
	isErr(t, "Advise outside", m.Advise(0x1000, pg, 0), unix.ENOMEM)
}

func TestAddSpecial(t *testing.T) {
	h := newFakeHost()
	m := New(h)
	vdso := pal.Range{Start: 0x7fff00000000, End: 0x7fff00002000}
	m.AddSpecial(vdso, rx, "[vdso]")
	if !m.Check(vdso.Start, vdso.Size(), rx) || m.Check(vdso.Start, 1, pal.ProtWrite) {
		t.Fatal("Check on the vDSO")
	}
	isErr(t, "Unmap vdso", m.Unmap(vdso.Start, pg), unix.EINVAL)
	isErr(t, "Protect vdso", m.Protect(vdso.Start, pg, rw), unix.ENOMEM)
	_, err := m.Map(MapRequest{Addr: vdso.Start, Length: pg, Prot: rw, Fixed: true})
	isErr(t, "Map over vdso", err, unix.ENOMEM)
	if a, ok := m.Lookup(vdso.Start + 5); !ok || a.Name != "[vdso]" || a.Start != vdso.Start {
		t.Fatalf("Lookup: %+v %v", a, ok)
	}
	if _, ok := m.Lookup(vdso.End); ok {
		t.Fatal("Lookup past the vDSO found something")
	}
}

func TestFindFreeNear(t *testing.T) {
	h := newFakeHost(pal.Range{Start: 0x10000, End: 0x7f0000000000})
	m := New(h)
	site := uintptr(0x400000)
	a, err := m.FindFreeNear(site, 100)
	noErr(t, "FindFreeNear", err)
	if a%pg != 0 || a < site || a+pg > site+(1<<31) {
		t.Fatalf("FindFreeNear(%#x) = %#x, not within reach", site, a)
	}
	// Far from anything free within reach: the whole reach is taken.
	far := uintptr(0x400000000)
	mustMap(t, m, MapRequest{Addr: far - (1 << 32), Length: 1 << 33, Prot: rw, Fixed: true})
	if a, err := m.FindFreeNear(far, pg); err == nil {
		t.Fatalf("FindFreeNear in a full region = %#x", a)
	}
}

func TestPageAlign(t *testing.T) {
	for _, c := range [][2]uintptr{{0, 0}, {1, pg}, {pg, pg}, {pg + 1, 2 * pg}} {
		if got := PageAlign(c[0]); got != c[1] {
			t.Errorf("PageAlign(%#x) = %#x", c[0], got)
		}
	}
}
