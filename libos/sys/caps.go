package sys

// Implementation of capget and capset, and the capability requests of
// prctl (PR_CAPBSET_*, PR_CAP_AMBIENT, PR_*_KEEPCAPS, PR_*_SECUREBITS).
// The sets live in the process's credentials (kernel/caps.go).

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
)

// Versions of the capget/capset header; v1 carries 32-bit sets, v2 and
// v3 two 32-bit halves.
const (
	capVersion1 = 0x19980330
	capVersion2 = 0x20071026
	capVersion3 = 0x20080522
)

// capHeader reads the header at addr and returns how many 32-bit data
// structures its version uses. An unknown version is answered with the
// preferred one, written back, and EINVAL.
func capHeader(t *kernel.Task, addr uintptr) (words int, pid int32, err error) {
	var hdr [8]byte
	if err := t.CopyIn(addr, hdr[:]); err != nil {
		return 0, 0, err
	}
	switch binary.LittleEndian.Uint32(hdr[:4]) {
	case capVersion1:
		words = 1
	case capVersion2, capVersion3:
		words = 2
	default:
		v := uint32(capVersion3)
		if err := kernel.CopyOutObj(t, addr, &v); err != nil {
			return 0, 0, err
		}
		return 0, 0, unix.EINVAL
	}
	return words, int32(binary.LittleEndian.Uint32(hdr[4:])), nil
}

// Capget implements capget(2).
func Capget(t *kernel.Task, a kernel.Args) (uintptr, error) {
	words, pid, err := capHeader(t, a[0])
	if a[1] == 0 {
		// A probe for the supported version.
		if err == unix.EINVAL {
			return 0, nil
		}
		return 0, err
	}
	if err != nil {
		return 0, err
	}
	if pid < 0 {
		return 0, unix.EINVAL
	}
	if _, err := taskFor(t, uintptr(pid)); err != nil {
		if _, _, err := t.P.IDsOf(int(pid)); err != nil {
			return 0, unix.ESRCH
		}
	}
	// Other guest processes are reported with the caller's sets: the
	// process table does not carry credentials.
	c := t.P.Creds().Cap
	data := make([]byte, 12*words)
	for i := 0; i < words; i++ {
		for j, set := range []uint64{c.Effective, c.Permitted, c.Inheritable} {
			binary.LittleEndian.PutUint32(data[12*i+4*j:], uint32(set>>(32*i)))
		}
	}
	return boolErr(t.CopyOut(a[1], data))
}

// Capset implements capset(2): a thread may change only its own sets.
func Capset(t *kernel.Task, a kernel.Args) (uintptr, error) {
	words, pid, err := capHeader(t, a[0])
	if err != nil {
		return 0, err
	}
	if pid != 0 && pid != int32(t.Tid) {
		return 0, unix.EPERM
	}
	data := make([]byte, 12*words)
	if err := t.CopyIn(a[1], data); err != nil {
		return 0, err
	}
	var sets [3]uint64
	for i := 0; i < words; i++ {
		for j := range sets {
			sets[j] |= uint64(binary.LittleEndian.Uint32(data[12*i+4*j:])) << (32 * i)
		}
	}
	c := t.P.Creds()
	if err := c.SetCaps(sets[0]&kernel.CapAll, sets[1]&kernel.CapAll, sets[2]&kernel.CapAll); err != nil {
		return 0, err
	}
	t.P.SetCreds(c)
	return 0, nil
}

// prctl requests for capabilities (not in x/sys/unix under these names).
const (
	prCapAmbientIsSet    = 1
	prCapAmbientRaise    = 2
	prCapAmbientLower    = 3
	prCapAmbientClearAll = 4
)

// prctlCaps handles prctl's capability requests; ok is false for any
// other request.
func prctlCaps(t *kernel.Task, a kernel.Args) (r uintptr, err error, ok bool) {
	c := t.P.Creds()
	capArg := func() (uint64, error) {
		if a[1] > kernel.CapLast {
			return 0, unix.EINVAL
		}
		return 1 << a[1], nil
	}
	switch int(a[0]) {
	case unix.PR_CAPBSET_READ:
		bit, err := capArg()
		if err != nil {
			return 0, err, true
		}
		return boolInt(c.Cap.Bounding&bit != 0), nil, true
	case unix.PR_CAPBSET_DROP:
		bit, err := capArg()
		if err != nil {
			return 0, err, true
		}
		if !c.Capable(unix.CAP_SETPCAP) {
			return 0, unix.EPERM, true
		}
		c.Cap.Bounding &^= bit
	case unix.PR_GET_KEEPCAPS:
		return boolInt(c.Securebits&kernel.SecbitKeepCaps != 0), nil, true
	case unix.PR_SET_KEEPCAPS:
		if a[1] > 1 {
			return 0, unix.EINVAL, true
		}
		if c.Securebits&(kernel.SecbitKeepCaps<<1) != 0 { // SECBIT_KEEP_CAPS_LOCKED
			return 0, unix.EPERM, true
		}
		c.Securebits &^= kernel.SecbitKeepCaps
		if a[1] == 1 {
			c.Securebits |= kernel.SecbitKeepCaps
		}
	case unix.PR_GET_SECUREBITS:
		return uintptr(c.Securebits), nil, true
	case unix.PR_SET_SECUREBITS:
		bits := uint32(a[1])
		// Locked bits (the odd ones) cannot change, set bits cannot be
		// unlocked, and it takes CAP_SETPCAP.
		locked := (c.Securebits & 0x2a) >> 1
		if bits&^0xff != 0 || (bits^c.Securebits)&locked != 0 || (c.Securebits&^bits)&0x2a != 0 ||
			!c.Capable(unix.CAP_SETPCAP) {
			return 0, unix.EPERM, true
		}
		c.Securebits = bits
	case unix.PR_CAP_AMBIENT:
		if a[1] == prCapAmbientClearAll {
			if a[2] != 0 || a[3] != 0 || a[4] != 0 {
				return 0, unix.EINVAL, true
			}
			c.Cap.Ambient = 0
			break
		}
		if a[3] != 0 || a[4] != 0 || a[2] > kernel.CapLast {
			return 0, unix.EINVAL, true
		}
		bit := uint64(1) << a[2]
		switch a[1] {
		case prCapAmbientIsSet:
			return boolInt(c.Cap.Ambient&bit != 0), nil, true
		case prCapAmbientRaise:
			if c.Cap.Permitted&bit == 0 || c.Cap.Inheritable&bit == 0 || c.Securebits&kernel.SecbitNoCapAmbient != 0 {
				return 0, unix.EPERM, true
			}
			c.Cap.Ambient |= bit
		case prCapAmbientLower:
			c.Cap.Ambient &^= bit
		default:
			return 0, unix.EINVAL, true
		}
	default:
		return 0, nil, false
	}
	t.P.SetCreds(c)
	return 0, nil, true
}

func boolInt(b bool) uintptr {
	if b {
		return 1
	}
	return 0
}
