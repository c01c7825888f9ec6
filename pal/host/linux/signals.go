package linux

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sigactionT is the kernel's struct sigaction on x86-64.
type sigactionT struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

const (
	saSiginfo  = 0x4
	saOnstack  = 0x08000000
	saRestorer = 0x04000000
	saNodefer  = 0x40000000
)

func rtSigaction(sig unix.Signal, act, old *sigactionT) error {
	_, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig),
		uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), 8, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// faultSignals are the synchronous signals a guest instruction can raise.
var faultSignals = []unix.Signal{unix.SIGSEGV, unix.SIGBUS, unix.SIGFPE, unix.SIGILL, unix.SIGTRAP}

// installSignalHandlers puts the entry code's handlers in front of the Go
// runtime's: SIGSYS for trapped system calls and the fault signals, which
// are passed on to Go's handler unless they come from guest code.
func installSignalHandlers() error {
	var old sigactionT
	if err := rtSigaction(unix.SIGSYS, nil, &old); err != nil {
		return fmt.Errorf("reading the SIGSYS handler: %w", err)
	}
	goSigsysHandler = old.handler
	sys := sigactionT{
		handler:  sigsysHandlerAddr(),
		flags:    saSiginfo | saOnstack | saNodefer | saRestorer,
		restorer: old.restorer,
	}
	if err := rtSigaction(unix.SIGSYS, &sys, nil); err != nil {
		return fmt.Errorf("installing the SIGSYS handler: %w", err)
	}
	if err := rtSigaction(sigKick, nil, &old); err != nil {
		return fmt.Errorf("reading the %v handler: %w", sigKick, err)
	}
	kick := sigactionT{
		handler:  kickHandlerAddr(),
		flags:    saSiginfo | saOnstack | saNodefer | saRestorer,
		restorer: sys.restorer,
	}
	if err := rtSigaction(sigKick, &kick, nil); err != nil {
		return fmt.Errorf("installing the interrupt handler: %w", err)
	}
	for _, sig := range faultSignals {
		if err := rtSigaction(sig, nil, &old); err != nil {
			return fmt.Errorf("reading the %v handler: %w", sig, err)
		}
		goFaultHandlers[sig] = old.handler
		act := old
		act.handler = faultHandlerAddr()
		if err := rtSigaction(sig, &act, nil); err != nil {
			return fmt.Errorf("installing the %v handler: %w", sig, err)
		}
	}
	return nil
}
