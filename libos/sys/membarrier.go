package sys

// Implementation of membarrier.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
)

// membarrier commands.
const (
	mbQuery                    = 0
	mbGlobal                   = 1 << 0
	mbGlobalExpedited          = 1 << 1
	mbRegisterGlobalExpedited  = 1 << 2
	mbPrivateExpedited         = 1 << 3
	mbRegisterPrivateExpedited = 1 << 4
	mbPrivateExpeditedSyncCore = 1 << 5
	mbRegisterPrivateSyncCore  = 1 << 6
	mbPrivateExpeditedRseq     = 1 << 7
	mbRegisterPrivateRseq      = 1 << 8
	mbGetRegistrations         = 1 << 9
	mbRseqCommands             = mbPrivateExpeditedRseq | mbRegisterPrivateRseq
	mbFlagCPU                  = 1
	mbStateGlobalReady         = 1 << 0 // MEMBARRIER_STATE_* bits
	mbStateGlobal              = 1 << 1
	mbStatePrivateReady        = 1 << 2
	mbStatePrivate             = 1 << 3
	mbStateSyncCoreReady       = 1 << 4
	mbStateSyncCore            = 1 << 5
)

// Membarrier implements membarrier(2) with the host's: the guest's threads
// are threads of the host process, so the host's private expedited barrier
// reaches all of them, and its global ones every process. The LibOS keeps
// each guest process's registrations (Process.MembarrierState), as Linux
// keeps them per address space: a fork starts with the parent's, execve
// with none. There are no restartable sequences (rseq gives ENOSYS), so
// the RSEQ commands are refused, as by a kernel built without them.
func Membarrier(t *kernel.Task, a kernel.Args) (uintptr, error) {
	cmd, flags := int(int32(a[0])), uint32(a[1])
	if flags != 0 && (cmd != mbPrivateExpeditedRseq || flags != mbFlagCPU) {
		return 0, unix.EINVAL
	}
	host := t.P.Host
	state := &t.P.MembarrierState
	switch cmd {
	case mbQuery:
		mask, err := host.MemoryBarrier(mbQuery)
		if err != nil {
			return 0, mapErr(err)
		}
		return uintptr(mask &^ mbRseqCommands), nil
	case mbGlobal, mbGlobalExpedited:
		_, err := host.MemoryBarrier(cmd)
		return boolErr(mapErr(err))
	case mbRegisterGlobalExpedited, mbRegisterPrivateExpedited, mbRegisterPrivateSyncCore:
		// The host process joins too, so that other processes' global
		// expedited barriers reach it.
		if _, err := host.MemoryBarrier(cmd); err != nil {
			return 0, mapErr(err)
		}
		set := map[int]uint32{
			mbRegisterGlobalExpedited:  mbStateGlobal | mbStateGlobalReady,
			mbRegisterPrivateExpedited: mbStatePrivate | mbStatePrivateReady,
			mbRegisterPrivateSyncCore:  mbStatePrivate | mbStateSyncCore | mbStateSyncCoreReady,
		}[cmd]
		state.Or(set)
		return 0, nil
	case mbPrivateExpedited, mbPrivateExpeditedSyncCore:
		ready := uint32(mbStatePrivateReady)
		if cmd == mbPrivateExpeditedSyncCore {
			ready = mbStateSyncCoreReady
		}
		if state.Load()&ready == 0 {
			return 0, unix.EPERM
		}
		_, err := host.MemoryBarrier(cmd)
		return boolErr(mapErr(err))
	case mbGetRegistrations:
		if mask, err := host.MemoryBarrier(mbQuery); err != nil || mask&mbGetRegistrations == 0 {
			return 0, unix.EINVAL // a host kernel older than the command
		}
		s, regs := state.Load(), uintptr(0)
		if s&(mbStateGlobal|mbStateGlobalReady) != 0 {
			regs |= mbRegisterGlobalExpedited
		}
		if s&(mbStatePrivate|mbStatePrivateReady) != 0 {
			regs |= mbRegisterPrivateExpedited
		}
		if s&(mbStateSyncCore|mbStateSyncCoreReady) != 0 {
			regs |= mbRegisterPrivateSyncCore
		}
		return regs, nil
	}
	return 0, unix.EINVAL
}
