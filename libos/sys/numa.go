package sys

// Implementation of get_mempolicy, set_mempolicy and mbind for a machine
// with one memory node, which is what the guest sees: every policy that
// names node 0 is accepted and changes nothing.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
)

// Memory policy modes and flags (linux/mempolicy.h).
const (
	mpolDefault       = 0
	mpolPreferred     = 1
	mpolBind          = 2
	mpolInterleave    = 3
	mpolLocal         = 4
	mpolPreferredMany = 5
	mpolWeighted      = 6
	mpolModeFlags     = 1<<15 | 1<<14 | 1<<13 // STATIC_NODES, RELATIVE_NODES, NUMA_BALANCING
	mpolFNode         = 1
	mpolFAddr         = 2
	mpolFMemsAllowed  = 4
)

// GetMempolicy implements get_mempolicy(2).
func GetMempolicy(t *kernel.Task, a kernel.Args) (uintptr, error) {
	modeAddr, mask, maxnode, addr, flags := a[0], a[1], a[2], a[3], a[4]
	if flags&^(mpolFNode|mpolFAddr|mpolFMemsAllowed) != 0 {
		return 0, unix.EINVAL
	}
	if flags&mpolFMemsAllowed != 0 && flags&(mpolFNode|mpolFAddr) != 0 {
		return 0, unix.EINVAL
	}
	if flags&mpolFAddr == 0 && addr != 0 {
		return 0, unix.EINVAL
	}
	if flags&mpolFAddr != 0 && !t.P.MM.Check(addr, 1, 0) {
		return 0, unix.EFAULT
	}
	// Linux writes maxnode-1 bits rounded up to whole longs (the sum may
	// wrap, as it does there), at most a page of them.
	maskBytes := (maxnode - 1 + 63) &^ 63 / 8
	if mask != 0 && (maxnode < 1 || maskBytes > 4096) {
		return 0, unix.EINVAL
	}
	if modeAddr != 0 {
		mode := int32(mpolDefault) // MPOL_F_NODE: the node, 0
		if err := kernel.CopyOutObj(t, modeAddr, &mode); err != nil {
			return 0, err
		}
	}
	if mask != 0 {
		// Node 0 is allowed, and the default policy has an empty mask.
		b := make([]byte, maskBytes)
		if len(b) > 0 && flags&mpolFMemsAllowed != 0 {
			b[0] = 1
		}
		if err := t.CopyOut(mask, b); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// checkPolicy validates a mode and node mask as set_mempolicy and mbind
// do, in Linux's order: the mode, then the mask (maxnode-1 bits, at most a
// page of them; maxnode 0 wraps and is refused), then the pair. A mask may
// only name node 0.
func checkPolicy(t *kernel.Task, mode, mask, maxnode uintptr) error {
	base, flags := mode&^mpolModeFlags, mode&mpolModeFlags
	if base > mpolWeighted || flags&(1<<15|1<<14) == 1<<15|1<<14 {
		return unix.EINVAL
	}
	bits := maxnode - 1
	var node0, others bool
	if bits != 0 && mask != 0 {
		if bits > 4096*8 {
			return unix.EINVAL
		}
		b := make([]byte, (bits+63)/64*8)
		if err := t.CopyIn(mask, b); err != nil {
			return err
		}
		for i := uintptr(0); i < bits; i++ {
			if b[i/8]&(1<<(i%8)) != 0 {
				node0, others = node0 || i == 0, others || i != 0
			}
		}
	}
	empty := !node0 && !others
	switch {
	case base == mpolDefault || base == mpolLocal:
		if !empty {
			return unix.EINVAL
		}
	case empty:
		if base != mpolPreferred || flags&(1<<15|1<<14) != 0 {
			return unix.EINVAL // "preferred, no nodes" means local allocation
		}
	case !node0:
		return unix.EINVAL // no node we have
	}
	return nil
}

// SetMempolicy implements set_mempolicy(2).
func SetMempolicy(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return 0, checkPolicy(t, a[0], a[1], a[2])
}

// Mbind implements mbind(2).
func Mbind(t *kernel.Task, a kernel.Args) (uintptr, error) {
	addr, length := a[0], a[1]
	if addr&4095 != 0 {
		return 0, unix.EINVAL
	}
	if err := checkPolicy(t, a[2], a[3], a[4]); err != nil {
		return 0, err
	}
	if length != 0 && !t.P.MM.Check(addr, length, 0) {
		return 0, unix.EFAULT
	}
	return 0, nil
}
