// Package pal is the Platform Adaptation Layer: the one interface through
// which the LibOS reaches the host.
//
// It owns the Host interface (the export list every host implements, checked
// by the compiler), the plain data types that cross it (CPU state, events,
// file attributes, memory protections) and the PAL error codes with their
// Linux errno mapping. It must not import anything from libos/: the LibOS
// depends on the PAL, never the other way round.
//
// The interface is stateless in Gramine's sense: the host keeps only what it
// needs to run (handles, thread control blocks, the guest address window);
// every Linux concept (file descriptors, paths, mounts, pids, signals,
// address-space layout) lives in the LibOS.
//
// Guest pointers: methods taking a []byte may be handed a slice over guest
// memory. The LibOS checks that such a slice lies in guest memory with the
// right protection before passing it; the host may still fail with Fault.
package pal

// Host is the complete host interface. Adding a PAL call means adding a
// method here and implementing it in every host under pal/host/.
type Host interface {
	// Info describes the host and the guest's address window. It never changes.
	Info() *Info

	// --- Memory. The LibOS chooses every guest address; all of them lie in
	// Info().GuestRanges. Sizes and addresses are page-aligned.

	// MemoryAlloc maps fresh zeroed private memory at addr.
	MemoryAlloc(addr, size uintptr, prot Prot) error
	// MemoryMapFile maps the stream h at offset off to addr.
	MemoryMapFile(addr, size uintptr, prot Prot, shared bool, h Handle, off int64) error
	// MemoryFree releases guest memory; the range goes back to the window.
	MemoryFree(addr, size uintptr) error
	// MemoryProtect changes the protection of mapped guest memory.
	MemoryProtect(addr, size uintptr, prot Prot) error
	// MemoryAdvise passes an madvise hint (Linux MADV_* numbering).
	MemoryAdvise(addr, size uintptr, advice int) error
	// MemorySync writes back shared file mappings (Linux MS_* flags).
	MemorySync(addr, size uintptr, flags int) error
	// MemoryResidency fills vec with one byte per page, bit 0 = resident.
	MemoryResidency(addr, size uintptr, vec []byte) error
	// MemoryFileCreate makes an anonymous memory file (Linux memfd_create;
	// flags MFD_ALLOW_SEALING, MFD_NOEXEC_SEAL, MFD_EXEC): a read-write
	// stream of length 0 that can be mapped shared and passed to other
	// processes.
	MemoryFileCreate(name string, flags int) (Handle, error)
	// MemoryAllocShared maps fresh zeroed memory that other processes can
	// map too, through the returned handle (shared anonymous memory).
	MemoryAllocShared(addr, size uintptr, prot Prot) (Handle, error)
	// MemoryCopyPlan says how to recreate ranges of private guest memory
	// in another process without copying them: for each range, pieces to
	// map privately from a base, plus the pages that differ from it. One
	// call plans a whole address space, in address order.
	MemoryCopyPlan(ranges []CopyRange) ([][]MemoryPiece, error)
	// MemoryMapCopy maps one planned piece in the new process: privately
	// from base at off, or zeros for NoHandle.
	MemoryMapCopy(addr, size uintptr, prot Prot, base Handle, off int64) error
	// MemoryWrite stores p into mapped guest memory at addr whatever its
	// protection, as a debugger's write would: a private mapping gets its
	// own copy of the page.
	MemoryWrite(addr uintptr, p []byte) error

	// --- Files on the host file system. Every path is relative to a
	// directory handle, never absolute, never contains "..", and the host
	// never follows a symbolic link while resolving it: the LibOS resolves
	// links and mounts itself. An empty path names the directory itself.

	// FileOpenRoot opens a host directory or file named by an absolute host
	// path. Only the LibOS's mount setup uses it.
	FileOpenRoot(hostPath string) (Handle, error)
	// FileTempRoot makes a new empty directory (mode 1777) private to this
	// guest instance, in memory where the host allows, and opens it as a
	// mount root: a tmpfs. It is removed when the instance ends.
	FileTempRoot() (Handle, error)
	// FileOpen opens path beneath dir. flags and mode use Linux O_* values.
	FileOpen(dir Handle, path string, flags int, mode uint32) (Handle, error)
	// FileStat describes path beneath dir without following a final link.
	FileStat(dir Handle, path string, st *Stat) error
	// FileReadlink reads the target of the symbolic link path into buf.
	FileReadlink(dir Handle, path string, buf []byte) (int, error)
	// FileMkdir creates a directory.
	FileMkdir(dir Handle, path string, mode uint32) error
	// FileMknod creates a FIFO, socket or regular file node.
	FileMknod(dir Handle, path string, mode uint32, dev uint64) error
	// FileUnlink removes a file, or a directory when isDir is set.
	FileUnlink(dir Handle, path string, isDir bool) error
	// FileRename renames; flags are Linux RENAME_* flags.
	FileRename(oldDir Handle, oldPath string, newDir Handle, newPath string, flags uint) error
	// FileLink makes a hard link.
	FileLink(oldDir Handle, oldPath string, newDir Handle, newPath string) error
	// FileSymlink creates a symbolic link holding target.
	FileSymlink(target string, dir Handle, path string) error
	// FileChmod changes the mode of path (not following a final link).
	FileChmod(dir Handle, path string, mode uint32) error
	// FileChown changes owners; -1 leaves one unchanged.
	FileChown(dir Handle, path string, uid, gid int) error
	// FileUtimes sets access and modification times (Linux UTIME_* rules).
	FileUtimes(dir Handle, path string, times *[2]Timespec) error
	// FileStatfs describes the file system holding path.
	FileStatfs(dir Handle, path string, st *Statfs) error
	// FileXattr gets, lists, sets or removes an extended attribute of path.
	FileXattr(dir Handle, path string, op XattrOp, name string, value []byte, flags int) (int, error)

	// --- Streams: any open handle (file, directory, pipe, console, device).

	// StreamRead reads at the stream's position.
	StreamRead(h Handle, p []byte) (int, error)
	// StreamWrite writes at the stream's position.
	StreamWrite(h Handle, p []byte) (int, error)
	// StreamPread reads at off without moving the position.
	StreamPread(h Handle, p []byte, off int64) (int, error)
	// StreamPwrite writes at off without moving the position.
	StreamPwrite(h Handle, p []byte, off int64) (int, error)
	// StreamSeek moves the position (Linux SEEK_* whence).
	StreamSeek(h Handle, off int64, whence int) (int64, error)
	// StreamStat describes the open stream.
	StreamStat(h Handle, st *Stat) error
	// StreamReaddir reads linux_dirent64 records from a directory stream.
	StreamReaddir(h Handle, p []byte) (int, error)
	// StreamTruncate sets the length of a file stream.
	StreamTruncate(h Handle, size int64) error
	// StreamSync flushes a file stream; dataOnly is fdatasync.
	StreamSync(h Handle, dataOnly bool) error
	// StreamAllocate preallocates (Linux fallocate modes).
	StreamAllocate(h Handle, mode uint32, off, size int64) error
	// StreamAdvise passes a posix_fadvise hint.
	StreamAdvise(h Handle, off, size int64, advice int) error
	// StreamChmod changes the mode of an open file.
	StreamChmod(h Handle, mode uint32) error
	// StreamChown changes the owners of an open file.
	StreamChown(h Handle, uid, gid int) error
	// StreamUtimes sets the times of an open file.
	StreamUtimes(h Handle, times *[2]Timespec) error
	// StreamLock places, removes or tests a record lock on a file stream:
	// cmd is Linux's F_SETLK, F_SETLKW, F_GETLK or an F_OFD_ variant. Locks
	// are the host's, so they hold between all processes. A waiting lock
	// is cut short by an interrupt (ErrInterrupted). A test fills l with a
	// conflicting lock (Pid a host process id) or sets Type to F_UNLCK.
	StreamLock(h Handle, cmd int, l *Lock) error
	// StreamFlock applies a flock(2) operation (LOCK_SH, LOCK_EX, LOCK_UN,
	// LOCK_NB); a waiting one is cut short by an interrupt.
	StreamFlock(h Handle, how int) error
	// StreamControl performs one of a few fcntl requests on a stream:
	// F_GETPIPE_SZ, F_SETPIPE_SZ, F_GET_SEALS, F_ADD_SEALS, F_SETLEASE and
	// F_GETLEASE (Linux numbers and semantics); any other is
	// ErrNotSupported.
	StreamControl(h Handle, cmd int, arg int) (int, error)
	// StreamSetFlags changes the stream's status flags (O_APPEND, O_NONBLOCK).
	StreamSetFlags(h Handle, flags int) error
	// StreamTerminal performs a terminal control request (TCGETS, TCSETS*,
	// TIOCGWINSZ, TIOCSWINSZ, TIOCGPGRP, TIOCSPGRP, FIONREAD) on a stream.
	StreamTerminal(h Handle, req uint, arg uintptr) (int, error)
	// StreamWait waits until one of the streams is ready (poll semantics);
	// timeout < 0 waits forever. It returns the number of ready entries.
	StreamWait(fds []PollFd, timeout int64) (int, error)
	// StreamClose releases the handle.
	StreamClose(h Handle) error
	// EventCreate makes an event counter stream (Linux eventfd semantics:
	// 8-byte reads and writes; flags EFD_NONBLOCK, EFD_SEMAPHORE).
	EventCreate(initval uint32, flags int) (Handle, error)
	// EventSignal adds one to the event counter stream h as the kernel
	// itself does (Linux's eventfd_signal, for AIO completions): it never
	// blocks, and the count stops at 2^64-1, where poll reports POLLERR.
	EventSignal(h Handle) error
	// TimerCreate makes a timer stream on clock (Linux timerfd semantics:
	// reads return the 8-byte expiry count; flags TFD_NONBLOCK).
	TimerCreate(clock int32, flags int) (Handle, error)
	// TimerSet arms or disarms a timer stream; values are {interval, value}
	// pairs and flags Linux's TFD_TIMER_* flags. old, if set, receives the
	// previous setting.
	TimerSet(h Handle, flags int, value *[2]Timespec, old *[2]Timespec) error
	// TimerGet reads a timer stream's interval and time to the next expiry.
	TimerGet(h Handle, cur *[2]Timespec) error
	// PollSetCreate makes a set of streams to wait on (Linux epoll).
	PollSetCreate() (Handle, error)
	// PollSetControl adds (1), deletes (2) or modifies (3) a stream in a
	// set, with Linux EPOLL* event bits and an opaque data word.
	PollSetControl(set Handle, op int, h Handle, events uint32, data uint64) error
	// PollSetWait waits until streams in the set are ready and fills buf
	// with 12-byte records (events uint32, data uint64: Linux's packed
	// epoll_event); timeout in nanoseconds, < 0 forever. It returns the
	// number of records.
	PollSetWait(set Handle, buf []byte, timeout int64) (int, error)
	// InotifyCreate makes a queue of file-system events (Linux inotify:
	// reads return struct inotify_event records; flags IN_NONBLOCK).
	InotifyCreate(flags int) (Handle, error)
	// InotifyAddWatch watches the object open as target (an O_PATH handle
	// will do, and may be closed afterwards) for the events in mask
	// (Linux IN_* bits; the LibOS has resolved the path, so
	// IN_DONT_FOLLOW and IN_ONLYDIR are ignored). It returns the watch
	// descriptor, that of the existing watch if the object has one.
	InotifyAddWatch(in, target Handle, mask uint32) (int, error)
	// InotifyRemoveWatch removes the watch wd from the queue in.
	InotifyRemoveWatch(in Handle, wd int) error
	// InotifyWatches describes the watches of the queue in.
	InotifyWatches(in Handle) ([]InotifyWatch, error)
	// StreamPairCreate makes two connected streams that can be passed to
	// other processes.
	StreamPairCreate() (Handle, Handle, error)
	// StreamSendHandles passes handles to the process at the other end of
	// a stream; it receives them with StreamRecvHandles.
	StreamSendHandles(h Handle, hs []Handle) error
	// StreamRecvHandles receives n handles passed with StreamSendHandles.
	StreamRecvHandles(h Handle, n int) ([]Handle, error)
	// PipeCreate makes an anonymous pipe (flags: O_NONBLOCK, O_DIRECT).
	PipeCreate(flags int) (r, w Handle, err error)
	// PipeTee duplicates up to n bytes queued in the pipe in into the pipe
	// out without consuming them (Linux tee(2); flags are SPLICE_F_*). It
	// waits for data in in and room in out unless SPLICE_F_NONBLOCK is set
	// or either stream is non-blocking.
	PipeTee(in, out Handle, n int, flags int) (int, error)
	// PipeVmsplice moves the buffers iov, which lie in guest memory, into
	// the pipe h if h is open for writing, or fills them from it otherwise
	// (Linux vmsplice(2); flags are SPLICE_F_*). A write waits for room
	// unless SPLICE_F_NONBLOCK is set and then moves what fits.
	PipeVmsplice(h Handle, iov [][]byte, flags int) (int, error)
	// StdHandles returns the host's standard input, output and error.
	StdHandles() [3]Handle
	// DeviceOpen opens a host device by name: "tty" is the controlling
	// terminal, "ptmx" a new pseudo-terminal master (its slave is found
	// under the host's /dev/pts, which the guest must mount to open it).
	DeviceOpen(name string, flags int) (Handle, error)

	// --- Threads and CPU.

	// ThreadStart runs fn on a new host thread dedicated to one guest thread;
	// cpu is that thread's register state, zeroed. The thread ends when fn
	// returns.
	ThreadStart(fn func(cpu *CPU)) error
	// ThreadRun runs fn as a guest thread on the calling goroutine (which
	// it keeps on its host thread meanwhile) and returns when fn does: a
	// process's first thread costs no thread hand-over.
	ThreadRun(fn func(cpu *CPU)) error
	// Run executes guest code on the calling guest thread from the state in
	// cpu until the guest makes a system call or faults.
	Run(cpu *CPU) Event
	// ThreadSetAffinity pins the guest thread whose state is cpu to the
	// CPUs set in mask (bit i of byte i/8 is CPU i).
	ThreadSetAffinity(cpu *CPU, mask []byte) error
	// ThreadGetAffinity stores that thread's CPU mask in mask and returns
	// the size of the host's CPU mask in bytes.
	ThreadGetAffinity(cpu *CPU, mask []byte) (int, error)
	// ThreadGetCPU returns the CPU and NUMA node the caller runs on.
	ThreadGetCPU() (cpu, node int)
	// ThreadYield gives up the CPU.
	ThreadYield()
	// MemoryBarrier runs a Linux membarrier(2) command (MEMBARRIER_CMD_*,
	// no flags) for the calling process and returns its result: the
	// supported commands for MEMBARRIER_CMD_QUERY, 0 otherwise. The host
	// registers the process for the expedited commands it is asked to run.
	MemoryBarrier(cmd int) (int, error)
	// ThreadInterrupt makes the guest thread cpu leave guest code, or a
	// blocking PAL call, as soon as possible: Run returns EventInterrupt and
	// a blocking call fails with ErrInterrupted. The thread must not have
	// finished.
	ThreadInterrupt(cpu *CPU)
	// FutexWait sleeps while *addr == val, until woken by a FutexWake whose
	// bitset shares a bit with bitset, or until deadline on clock passes
	// (nil: no deadline; TimedOut). It fails with TryAgain if *addr != val
	// and Interrupted on ThreadInterrupt. shared futexes may be waited on
	// from another host process mapping the same memory.
	FutexWait(addr *uint32, val, bitset uint32, shared bool, clock int32, deadline *Timespec) error
	// FutexWake wakes up to n sleepers on addr whose bitset matches.
	FutexWake(addr *uint32, n int, bitset uint32, shared bool) (int, error)
	// FutexRequeue wakes up to n sleepers on addr and moves up to n2 others
	// to addr2; with cmp set it first checks *addr == *cmp (TryAgain).
	FutexRequeue(addr *uint32, n int, addr2 *uint32, n2 int, cmp *uint32, shared bool) (int, error)
	// FutexWakeOp applies op (Linux FUTEX_OP encoding) to *addr2, wakes up
	// to n sleepers on addr, and up to n2 on addr2 if the op's comparison
	// held.
	FutexWakeOp(addr *uint32, n int, addr2 *uint32, n2 int, op uint32, shared bool) (int, error)

	// --- Time, randomness, process.

	// ClockGet reads a clock (Linux CLOCK_* numbering).
	ClockGet(clock int32, ts *Timespec) error
	// ClockResolution reads a clock's resolution.
	ClockResolution(clock int32, ts *Timespec) error
	// Sleep waits until deadline on clock; it fails with Interrupted on
	// ThreadInterrupt.
	Sleep(clock int32, deadline Timespec) error
	// ThreadClock reads the CPU time the guest thread cpu has used.
	ThreadClock(cpu *CPU, ts *Timespec) error
	// ThreadTimes reports CPU time used by the calling thread or, with
	// process set, by the whole host process.
	ThreadTimes(process bool, t *Times) error
	// HostSignals asks the host to call fn whenever the world outside sends
	// the process an asynchronous signal meant for the guest (Linux
	// numbering: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGUSR1,
	// SIGUSR2, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU), and SIGIO when a lease
	// on one of the process's streams is being broken.
	HostSignals(fn func(sig int))
	// RandomRead fills p with cryptographically strong random bytes.
	RandomRead(p []byte) error
	// SysctlGet reads a setting of the host kernel, Linux's
	// /proc/sys/<name> without the final newline (name such as
	// "fs/inotify/max_user_watches"): the limits the host enforces on
	// what the guest does through it.
	SysctlGet(name string) (string, error)
	// ProcessCreate starts a new host process for a new guest process and
	// returns a stream to it, and its host process id (its
	// Info().ProcessID); the new process finds its end of the stream as
	// Info().Parent and waits for what the LibOS sends.
	ProcessCreate() (Handle, int, error)
	// ProcessExit ends the whole host process with code; it does not return.
	ProcessExit(code int)
	// DebugLog writes a LibOS log line to the host's log sink.
	DebugLog(msg []byte)
}
