package linux

import (
	"sync/atomic"
	"unsafe"
	_ "unsafe" // for go:linkname

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// The vDSO at one address in every gophene process.
//
// Guests call the host's vDSO (clock_gettime without a system call) and
// keep pointers into it, so a forked guest must find it where its parent
// did. The kernel puts the vDSO and its data pages (vvar) at a random
// address in every process; gophene moves them with mremap, which the
// kernel supports for these special mappings, to vdsoBase, just below
// gophene's own code and outside the guest window.
//
// The Go runtime also calls the vDSO, through two pointers it found at
// start-up; they are pointed at the new place. A runtime thread that loaded
// a pointer just before the move may still call the old place, so the old
// text is left behind as a copy: without its data pages (zero pages there
// now) it takes its own system-call fallback and still gets the time. The
// runtime's third pointer, to vDSO getrandom, cannot be reached from
// outside the runtime and keeps pointing at the copy, which likewise falls
// back to the getrandom system call; the seccomp filter lets the copy make
// the vDSO's calls.

// vdsoBase is where the vvar pages start; the vDSO follows them.
const vdsoBase = 0x5fffffe00000

// Pointers the runtime exports for this kind of use.
//
//go:linkname vdsoClockgettimeSym runtime.vdsoClockgettimeSym
var vdsoClockgettimeSym uintptr

//go:linkname vdsoGettimeofdaySym runtime.vdsoGettimeofdaySym
var vdsoGettimeofdaySym uintptr

// relocateVDSO moves the vvar pages and the vDSO found in maps to
// vdsoBase and returns their new ranges. ok is false if the layout is not
// the expected one (vvar pages right before the vDSO) or a move failed;
// the guest then gets no vDSO.
func relocateVDSO(maps []mapping) (vvar []pal.Range, vdso, old pal.Range, ok bool) {
	var start uintptr
	for _, m := range maps {
		switch m.name {
		case "[vvar]", "[vvar_vclock]":
			if start == 0 {
				start = m.start
			}
			vvar = append(vvar, pal.Range{Start: m.start, End: m.end})
		case "[vdso]":
			vdso = pal.Range{Start: m.start, End: m.end}
		}
	}
	if vdso.Start == 0 || start == 0 || vvar[len(vvar)-1].End != vdso.Start {
		return nil, pal.Range{}, pal.Range{}, false
	}
	delta := vdsoBase - start
	moved := func() ([]pal.Range, pal.Range) {
		out := make([]pal.Range, len(vvar))
		for i, r := range vvar {
			out[i] = pal.Range{Start: r.Start + delta, End: r.End + delta}
		}
		return out, pal.Range{Start: vdso.Start + delta, End: vdso.End + delta}
	}
	if delta == 0 {
		v, d := moved()
		return v, d, pal.Range{}, true
	}
	text := append([]byte(nil), unsafe.Slice((*byte)(unsafe.Add(nil, vdso.Start)), vdso.Size())...)
	clock, tod := atomic.LoadUintptr(&vdsoClockgettimeSym), atomic.LoadUintptr(&vdsoGettimeofdaySym)
	atomic.StoreUintptr(&vdsoClockgettimeSym, 0) // the runtime makes the system call meanwhile
	atomic.StoreUintptr(&vdsoGettimeofdaySym, 0)
	size := vdso.End - start
	if _, _, e := unix.RawSyscall6(unix.SYS_MREMAP, start, size, size,
		unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, vdsoBase, 0); e != 0 {
		atomic.StoreUintptr(&vdsoClockgettimeSym, clock)
		atomic.StoreUintptr(&vdsoGettimeofdaySym, tod)
		return nil, pal.Range{}, pal.Range{}, false
	}
	// The copy left behind for a late caller.
	if _, err := mmap(start, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED, -1, 0); err == nil {
		copy(unsafe.Slice((*byte)(unsafe.Add(nil, vdso.Start)), vdso.Size()), text)
		unix.RawSyscall(unix.SYS_MPROTECT, start, size, unix.PROT_READ|unix.PROT_EXEC)
	}
	if clock != 0 {
		atomic.StoreUintptr(&vdsoClockgettimeSym, clock+delta)
	}
	if tod != 0 {
		atomic.StoreUintptr(&vdsoGettimeofdaySym, tod+delta)
	}
	v, d := moved()
	return v, d, vdso, true
}
