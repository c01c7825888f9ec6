package libos

// vfork across host processes.
//
// A vfork child shares its parent's memory until it execs or exits, and
// programs count on it: glibc's posix_spawn reports a failed exec through a
// variable the child writes on the parent's stack. Here the child is
// another host process with a copy-on-write copy, so when it execs or exits
// it works out which bytes it changed (pages the pagemap shows as private
// copies, compared with what it started from) and sends them to the
// parent, which is still waiting in vfork and writes them into its own
// memory before it goes on. Other threads of the parent keep running during
// vfork, as on Linux; byte-granular write-back leaves their writes alone.

import (
	"bytes"

	"gophene/libos/kernel"
	"gophene/libos/mm"
	"gophene/libos/umem"
	"gophene/libos/vfs"
	"gophene/pal"
)

const pageSize = 4096

// memRun is a run of bytes a vfork child changed.
type memRun struct {
	Addr uintptr
	Data []byte
}

// vforkChild is what a vfork child remembers of the memory it started with.
type vforkChild struct {
	p     *kernel.Process
	areas []areaState
	files []*vfs.File
	hs    []pal.Handle
	orig  map[uintptr][]byte // pages the parent sent as bytes, by address
}

// keepPages records the pages just read into [start, end).
func (v *vforkChild) keepPages(start, end uintptr) {
	data := make([]byte, end-start)
	copy(data, umem.Bytes(start, end-start))
	for a := start; a < end; a += pageSize {
		v.orig[a] = data[a-start : a-start+pageSize]
	}
}

// original is the content page addr had when the child started.
func (v *vforkChild) original(a *areaState, pc *pieceState, addr uintptr, buf []byte) {
	if b, ok := v.orig[addr]; ok {
		copy(buf, b)
		return
	}
	clear(buf)
	switch {
	case pc.Base >= 0:
		v.p.Host.StreamPread(v.hs[pc.Base], buf, pc.BaseOff+int64(addr-pc.Start))
	case a.File >= 0:
		v.files[a.File].Impl.Pread(buf, a.Offset+int64(addr-a.Start))
	}
}

// changes lists the bytes of the private writable memory the child
// started with that now differ.
func (v *vforkChild) changes() []memRun {
	var runs []memRun
	orig := make([]byte, pageSize)
	cur := make([]byte, pageSize)
	for i := range v.areas {
		a := &v.areas[i]
		if a.Shared >= 0 || a.Flags&mm.Shared != 0 || a.Prot&pal.ProtWrite == 0 {
			continue
		}
		for j := range a.Pieces {
			pc := &a.Pieces[j]
			plan, err := v.p.Host.MemoryCopyPlan([]pal.CopyRange{{Start: pc.Start, End: pc.End, File: true}})
			if err != nil {
				continue
			}
			for _, piece := range plan[0] {
				for _, r := range piece.Dirty {
					for page := r.Start; page < r.End; page += pageSize {
						if !v.p.MM.Check(page, pageSize, pal.ProtRead) || umem.CopyIn(cur, page) != nil {
							continue
						}
						v.original(a, pc, page, orig)
						runs = appendDiff(runs, page, orig, cur)
					}
				}
			}
		}
	}
	return runs
}

// appendDiff adds the runs where cur differs from orig; page is cur's
// address.
func appendDiff(runs []memRun, page uintptr, orig, cur []byte) []memRun {
	if bytes.Equal(orig, cur) {
		return runs
	}
	for i := 0; i < len(cur); {
		if orig[i] == cur[i] {
			i++
			continue
		}
		j := i
		for j < len(cur) && orig[j] != cur[j] {
			j++
		}
		addr := page + uintptr(i)
		if k := len(runs); k > 0 && runs[k-1].Addr+uintptr(len(runs[k-1].Data)) == addr {
			runs[k-1].Data = append(runs[k-1].Data, cur[i:j]...)
		} else {
			runs = append(runs, memRun{Addr: addr, Data: append([]byte(nil), cur[i:j]...)})
		}
		i = j
	}
	return runs
}

// release sends the parent the child's changes and lets it go on.
func (v *vforkChild) release(parent pal.Handle) {
	kernel.WriteFrame(v.p.Host, parent, encodeRuns(v.changes()))
	v.p.Host.StreamClose(parent)
}

// waitVforkChild holds a vfork parent until the child execs or exits, then
// writes what the child changed into the parent's memory. Like Linux's,
// the wait ends early only when the parent is killed.
func waitVforkChild(t *kernel.Task, ch pal.Handle) {
	var runs []memRun
	if err := kernel.ReadFrame(t.P.Host, ch, decodeRuns(&runs)); err != nil {
		return // the child died without a word: nothing to apply
	}
	for _, r := range runs {
		if t.P.MM.Check(r.Addr, uintptr(len(r.Data)), pal.ProtWrite) {
			umem.CopyOut(r.Addr, r.Data)
		}
	}
}
