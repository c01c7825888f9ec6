package linux

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// The guest address window. Guest memory lives in two fixed ranges that
// the host reserves (PROT_NONE, no commit) at start-up:
//
//   - low:  [64 KiB, 768 GiB), below the Go heap arenas at 0xc000000000; it
//     holds non-PIE executables at 0x400000 and their brk.
//   - high: [1 TiB, 80 TiB), far below where Linux puts position-independent
//     executables (0x5555... plus up to 1 TiB of randomisation), shared
//     libraries, thread stacks and the vDSO of the gophene process itself.
//
// The window is the same in every gophene process, whatever the host's
// address randomisation did, so a forked guest process can map its
// parent's memory at the same addresses in a new host process. Go's heap
// grows up from 0xc000000000 into the 256 GiB between the two ranges, and
// later falls back to addresses the kernel picks near the top. Because the
// reservation fills the window, no host mapping can land in it, and guest
// MAP_FIXED mappings can only replace the reservation.
const (
	lowStart  = 0x10000
	lowEnd    = 0xc000000000
	highStart = 0x10000000000
	highEnd   = 0x500000000000
	minGap    = 2 << 20
)

// mapping is one line of /proc/self/maps.
type mapping struct {
	start, end uintptr
	perms      string
	name       string
}

func readMaps() ([]mapping, error) {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return nil, fmt.Errorf("reading /proc/self/maps: %w", err)
	}
	var ms []mapping
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 5 {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok {
			continue
		}
		s, err1 := strconv.ParseUint(lo, 16, 64)
		e, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		m := mapping{start: uintptr(s), end: uintptr(e), perms: f[1]}
		if len(f) >= 6 {
			m.name = f[5]
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// gaps returns the parts of [lo, hi) that no mapping covers.
func gaps(maps []mapping, lo, hi uintptr) []pal.Range {
	var out []pal.Range
	cur := lo
	for _, m := range maps {
		if m.end <= cur || m.start >= hi {
			continue
		}
		if m.start > cur && m.start-cur >= minGap {
			out = append(out, pal.Range{Start: cur, End: m.start})
		}
		if m.end > cur {
			cur = m.end
		}
	}
	if hi > cur && hi-cur >= minGap {
		out = append(out, pal.Range{Start: cur, End: hi})
	}
	return out
}

// reserveGuestWindow reserves every free part of the window. Another Go
// thread may map something meanwhile; then the maps are read again.
func (h *Host) reserveGuestWindow(maps []mapping) error {
	for attempt := 0; attempt < 5; attempt++ {
		want := append(gaps(maps, lowStart, lowEnd), gaps(maps, highStart, highEnd)...)
		var got []pal.Range
		var err error
		for _, r := range want {
			_, err = mmap(r.Start, r.Size(), unix.PROT_NONE,
				unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE|unix.MAP_FIXED_NOREPLACE, -1, 0)
			if err != nil {
				break
			}
			got = append(got, r)
		}
		if err == nil {
			h.info.GuestRanges = got
			return nil
		}
		for _, r := range got {
			munmap(r.Start, r.Size())
		}
		if maps, err = readMaps(); err != nil {
			return err
		}
	}
	return fmt.Errorf("cannot reserve the guest address window")
}

// inWindow reports whether [addr, addr+size) lies inside one guest range.
func (h *Host) inWindow(addr, size uintptr) bool {
	for _, r := range h.info.GuestRanges {
		if r.Contains(addr, size) {
			return true
		}
	}
	return false
}

// CodeInWindow reports whether gophene's own code lies where guest
// programs go: a build without the README's flags puts a non-PIE gophene
// at 0x400000, where non-PIE guests must load. The host still works then,
// around the hole, but such guests cannot run.
func CodeInWindow() (uintptr, bool) {
	pc := syscallEntryAddr()
	return pc, pc >= lowStart && pc < lowEnd || pc >= highStart && pc < highEnd
}
