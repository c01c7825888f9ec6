package kernel

import (
	"math/rand/v2"
	"sync/atomic"
)

// I/O priorities (ioprio_get, ioprio_set). As on Linux, a thread has an
// I/O context only once something gave it one (ioprio_set, or a parent
// whose priority was set); the context holds the priority, threads made
// with CLONE_IO share it, and other new threads and processes get a copy
// when the creator's class is not NONE. The priority is kept, not applied:
// the host's I/O scheduler sees the LibOS's own requests.

// I/O priority classes and values (linux/ioprio.h).
const (
	IOPrioClassNone  = 0
	IOPrioClassRT    = 1
	IOPrioClassBE    = 2
	IOPrioClassIdle  = 3
	ioprioClassShift = 13
	// IOPrioDefault is what a thread without a context counts as when
	// priorities are compared (IOPRIO_DEFAULT: best effort, level 4).
	IOPrioDefault = IOPrioClassBE<<ioprioClassShift | 4
)

// IOPrioClass is the class of an I/O priority value.
func IOPrioClass(v int) int { return v >> ioprioClassShift & 7 }

// IOContext is an I/O context: the priority of the threads sharing it.
type IOContext struct {
	prio atomic.Uint32
	// ID names the context for kcmp(KCMP_IO).
	ID uint64
}

func newIOContext(prio int) *IOContext {
	c := &IOContext{ID: rand.Uint64() | 1}
	c.prio.Store(uint32(uint16(prio)))
	return c
}

// IOContext returns the thread's I/O context, nil if it has none.
func (t *Task) IOContext() *IOContext { return t.io.Load() }

// IOPrio is the raw priority ioprio_get reports for the thread alone:
// IOPRIO_CLASS_NONE with level 0 when it has no context.
func (t *Task) IOPrio() int {
	if c := t.io.Load(); c != nil {
		return int(c.prio.Load())
	}
	return 0
}

// SetIOPrio sets the thread's I/O priority, giving it a context if it has
// none. The value is kept as Linux keeps it, in 16 bits.
func (t *Task) SetIOPrio(v int) {
	for {
		if c := t.io.Load(); c != nil {
			c.prio.Store(uint32(uint16(v)))
			return
		}
		if t.io.CompareAndSwap(nil, newIOContext(v)) {
			return
		}
	}
}

// EffectiveIOPrio is the priority ioprio_get compares for a process group
// or a user: the default without a context, and for class NONE the one
// the thread's nice value and policy imply.
func (t *Task) EffectiveIOPrio() int {
	c := t.io.Load()
	if c == nil {
		return IOPrioDefault
	}
	v := int(c.prio.Load())
	if IOPrioClass(v) != IOPrioClassNone {
		return v
	}
	class := IOPrioClassBE
	switch t.Policy {
	case SchedIdle:
		class = IOPrioClassIdle
	case SchedFIFO, SchedRR, SchedDeadline:
		class = IOPrioClassRT
	}
	return class<<ioprioClassShift | (t.P.Nice+20)/5
}

// inheritIO gives a new thread or process's first thread n its creator t's
// I/O context: the same one with CLONE_IO, otherwise a copy when t's class
// is not NONE.
func (t *Task) inheritIO(n *Task, share bool) {
	c := t.io.Load()
	switch {
	case c == nil:
	case share:
		n.io.Store(c)
	case IOPrioClass(int(c.prio.Load())) != IOPrioClassNone:
		n.io.Store(newIOContext(int(c.prio.Load())))
	}
}

// ForkIOPrio is the I/O priority a forked child's thread starts with, -1
// for no context: the creator's, when its class is not NONE.
func (t *Task) ForkIOPrio() int {
	if c := t.io.Load(); c != nil {
		if v := int(c.prio.Load()); IOPrioClass(v) != IOPrioClassNone {
			return v
		}
	}
	return -1
}
