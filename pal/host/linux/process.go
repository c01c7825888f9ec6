package linux

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// Host processes.
//
// Every guest process is a gophene host process. New ones cannot simply be
// forked: the Go runtime cannot be forked. So the first gophene process
// starts a zygote when the guest first forks: a plain gophene process that
// never runs guest code and only spawns others. The zygote keeps one
// spare child started ahead of time, so a fork does not wait for a binary
// to load and a Go runtime to start. Each child gets two sockets: fd 3 to
// the guest process that asked for it (its parent, which sends it its
// state) and fd 4 back to the zygote (to ask for children of its own).
//
// Reuse: a child whose guest process has ended does not exit. Starting a
// process costs milliseconds (a Go runtime starting, and every page of
// gophene's code and heap faulted in again), far more than a small guest's
// fork itself. So the ended child empties itself (Recycle) and offers
// itself to the zygote, which hands it out for the next fork before it
// hands out a fresh spare. It keeps at most maxIdle of them.
//
// Lifetimes: when the first gophene process ends (ProcessExit) it closes
// its link to the zygote and waits for the zygote, which kills every child
// it spawned, reaps them all and exits; so gophene leaves neither running
// processes nor zombies behind. If the first process is killed outright,
// PR_SET_PDEATHSIG still takes the zygote and, through it, every child.

const (
	roleEnv    = "GOPHENE_HOST_ROLE"
	roleZygote = "zygote"
	roleChild  = "child"
	parentFD   = 3
	zygoteFD   = 4
)

// RunRole must be the first thing a gophene binary's main does: in the
// zygote role it serves spawn requests and never returns; otherwise it
// returns at once.
func RunRole() {
	if os.Getenv(roleEnv) == roleZygote {
		runZygote()
		os.Exit(0)
	}
}

// IsChild reports whether this process was spawned to become a forked
// guest process (Info().Parent is then its parent's stream).
func IsChild() bool { return os.Getenv(roleEnv) == roleChild }

// setupProcessLinks takes over the links a child process starts with; the
// first process has none yet and starts its zygote on its first fork.
func (h *Host) setupProcessLinks() {
	h.info.Parent = pal.NoHandle
	h.zygote = -1
	if IsChild() {
		h.zygote = zygoteFD
		h.info.Parent = h.handles.add(parentFD)
		unix.CloseOnExec(parentFD)
		unix.CloseOnExec(zygoteFD)
	}
}

// spawner runs functions on one OS thread that lives as long as the
// process: PR_SET_PDEATHSIG fires when the thread that forked a child
// ends, so the zygote must be forked from a thread that never does.
var spawner = sync.OnceValue(func() chan func() {
	c := make(chan func())
	go func() {
		runtime.LockOSThread()
		for f := range c {
			f()
		}
	}()
	return c
})

// startZygote spawns the zygote (zygoteMu held). It runs under our seccomp
// filter, which the zygote and every child inherit; they install their
// own as well, and since gophene sits at the same address in every
// process, the inherited one allows what theirs does.
func (h *Host) startZygote() error {
	done := make(chan error)
	spawner() <- func() { done <- h.forkZygote() }
	return <-done
}

func (h *Host) forkZygote() error {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("zygote socket: %w", err)
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer devnull.Close()
	pid, err := syscall.ForkExec("/proc/self/exe", []string{"gophene-zygote"}, &syscall.ProcAttr{
		Env:   []string{roleEnv + "=" + roleZygote, tmpBaseEnv + "=" + h.tmpBase},
		Files: []uintptr{devnull.Fd(), devnull.Fd(), 2, uintptr(fds[1])},
		Sys:   &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	})
	unix.Close(fds[1])
	if err != nil {
		unix.Close(fds[0])
		return fmt.Errorf("starting the zygote: %w", err)
	}
	h.zygote, h.zygotePid = fds[0], pid
	return nil
}

// stopZygote ends the zygote and with it every other gophene process, and
// reaps it; only the first gophene process has one to stop.
func (h *Host) stopZygote() {
	h.zygoteMu.Lock()
	defer h.zygoteMu.Unlock()
	if h.zygotePid <= 0 {
		return
	}
	unix.Close(h.zygote)
	for {
		_, err := unix.Wait4(h.zygotePid, nil, 0, nil)
		if err != unix.EINTR {
			return
		}
	}
}

// ProcessCreate starts a new host process that will become a guest
// process, and returns a stream connected to it. The new process waits for
// what the LibOS sends it.
//
// A process that forks once is likely to fork again (a shell, make, a
// benchmark loop), so after each fork the next child is fetched from the
// zygote in the background, and the next fork finds it waiting.
func (h *Host) ProcessCreate() (pal.Handle, int, error) {
	select {
	case c := <-h.ahead:
		go h.fetchAhead()
		return h.handles.add(c.link), c.pid, nil
	default:
	}
	h.zygoteMu.Lock()
	defer h.zygoteMu.Unlock()
	select {
	case c := <-h.ahead: // fetched while we waited for the lock
		go h.fetchAhead()
		return h.handles.add(c.link), c.pid, nil
	default:
	}
	c, err := h.requestChildLocked()
	if err != nil {
		return pal.NoHandle, 0, err
	}
	go h.fetchAhead()
	return h.handles.add(c.link), c.pid, nil
}

// fetchAhead asks the zygote for the child the next ProcessCreate takes.
func (h *Host) fetchAhead() {
	h.zygoteMu.Lock()
	defer h.zygoteMu.Unlock()
	if len(h.ahead) > 0 {
		return
	}
	if c, err := h.requestChildLocked(); err == nil {
		h.ahead <- c // only zygoteMu holders send, so there is room
	}
}

// requestChildLocked gets a child from the zygote (zygoteMu held),
// starting the zygote first if there is none yet. The zygote answers with
// the child's pid and the stream to it.
func (h *Host) requestChildLocked() (spare, error) {
	if h.zygote < 0 {
		if err := h.startZygote(); err != nil {
			return spare{}, palErr(err)
		}
	}
	for {
		_, err := unix.Write(h.zygote, []byte{'C'})
		if err == nil {
			break
		}
		if err != unix.EINTR {
			return spare{}, palErr(err)
		}
	}
	var b [4]byte
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(h.zygote, b[:], oob, unix.MSG_CMSG_CLOEXEC)
	for err == unix.EINTR {
		n, oobn, _, _, err = unix.Recvmsg(h.zygote, b[:], oob, unix.MSG_CMSG_CLOEXEC)
	}
	if err != nil {
		return spare{}, palErr(err)
	}
	fds := parseRights(oob[:oobn])
	if n != len(b) || len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return spare{}, pal.ErrBrokenPipe
	}
	return spare{link: fds[0], pid: int(binary.LittleEndian.Uint32(b[:]))}, nil
}

// StreamPairCreate makes a pair of connected streams that can be passed to
// other processes.
func (h *Host) StreamPairCreate() (pal.Handle, pal.Handle, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return pal.NoHandle, pal.NoHandle, palErr(err)
	}
	return h.handles.add(fds[0]), h.handles.add(fds[1]), nil
}

// maxFDsPerMessage stays under the kernel's SCM_MAX_FD (253).
const maxFDsPerMessage = 250

// StreamSendHandles passes handles over a stream to another process.
func (h *Host) StreamSendHandles(s pal.Handle, hs []pal.Handle) error {
	fd, err := h.fd(s)
	if err != nil {
		return err
	}
	for len(hs) > 0 {
		n := min(len(hs), maxFDsPerMessage)
		fds := make([]int, n)
		for i, x := range hs[:n] {
			if fds[i], err = h.fd(x); err != nil {
				return err
			}
		}
		err := unix.Sendmsg(fd, []byte{byte(n)}, unix.UnixRights(fds...), nil, 0)
		for err == unix.EINTR {
			err = unix.Sendmsg(fd, []byte{byte(n)}, unix.UnixRights(fds...), nil, 0)
		}
		if err != nil {
			return palErr(err)
		}
		hs = hs[n:]
	}
	return nil
}

// StreamRecvHandles receives n handles passed with StreamSendHandles.
func (h *Host) StreamRecvHandles(s pal.Handle, n int) ([]pal.Handle, error) {
	fd, err := h.fd(s)
	if err != nil {
		return nil, err
	}
	var out []pal.Handle
	for len(out) < n {
		fds, err := recvFDs(fd, min(n-len(out), maxFDsPerMessage))
		if err != nil {
			return nil, err
		}
		for _, f := range fds {
			out = append(out, h.handles.add(f))
		}
	}
	return out, nil
}

// recvFDs reads one handle message carrying want descriptors.
func recvFDs(fd, want int) ([]int, error) {
	var b [1]byte
	oob := make([]byte, unix.CmsgSpace(4*want))
	n, oobn, _, _, err := unix.Recvmsg(fd, b[:], oob, unix.MSG_CMSG_CLOEXEC)
	for err == unix.EINTR {
		n, oobn, _, _, err = unix.Recvmsg(fd, b[:], oob, unix.MSG_CMSG_CLOEXEC)
	}
	if err != nil {
		return nil, palErr(err)
	}
	if n == 0 {
		return nil, pal.ErrBrokenPipe
	}
	fds := parseRights(oob[:oobn])
	if len(fds) != want {
		for _, f := range fds {
			unix.Close(f)
		}
		return nil, pal.ErrInvalid
	}
	return fds, nil
}

// parseRights returns the descriptors a message's control data carries.
func parseRights(oob []byte) []int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var fds []int
	for i := range msgs {
		if got, err := unix.ParseUnixRights(&msgs[i]); err == nil {
			fds = append(fds, got...)
		}
	}
	return fds
}

// Recycle readies a child whose guest process has ended, and left nothing
// running, to become another forked guest process: it offers itself to
// the zygote with a new parent stream, then frees the whole guest window
// and closes every handle the LibOS still held. A parent may already be
// sending the next checkpoint meanwhile: it waits in the stream until
// RunChild reads it. Recycle reports false when the process cannot be
// reused; it should then exit.
func (h *Host) Recycle() bool {
	if !IsChild() || h.zygote < 0 {
		return false
	}
	// Guest threads end just after the LibOS learns that they did.
	deadline := time.After(time.Second)
	for h.guestThreads.Load() != 0 {
		select {
		case <-h.threadsIdle:
		case <-deadline:
			return false
		}
	}
	link, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	h.zygoteMu.Lock()
	err = unix.Sendmsg(h.zygote, []byte{'R'}, unix.UnixRights(link[1]), nil, 0)
	for err == unix.EINTR {
		err = unix.Sendmsg(h.zygote, []byte{'R'}, unix.UnixRights(link[1]), nil, 0)
	}
	h.zygoteMu.Unlock()
	unix.Close(link[1])
	if err != nil {
		unix.Close(link[0])
		return false
	}
	// Free the memory first: it closes the generations' handles itself.
	for _, r := range h.info.GuestRanges {
		if h.MemoryFree(r.Start, r.Size()) != nil {
			return false // the parent's checkpoint finds the stream closed
		}
	}
	h.mem.mu.Lock()
	if g := h.mem.cur; g != nil && g.refs == 0 {
		h.mem.cur = nil
		h.handles.remove(g.h)
		unix.Close(g.fd)
	}
	h.mem.mu.Unlock()
	h.handles.closeAll()
	h.info.Parent = h.handles.add(link[0])
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts)
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	h.cpuBase.clock = ts.Nano()
	h.cpuBase.user, h.cpuBase.sys = ru.Utime.Nano(), ru.Stime.Nano()
	return true
}

// --- The zygote.

// maxIdle bounds the ended children the zygote keeps for reuse.
const maxIdle = 4

type spare struct {
	link int // the parent's end of the new child's fd 3
	pid  int
}

type zygote struct {
	devnull uintptr
	spawn   chan chan spare // requests for a child, served on the locked thread

	mu      sync.Mutex
	live    map[int]bool // children not yet reaped
	idle    []spare      // ended children offered for reuse, newest last
	closing bool         // shutting down: kill children as they appear
}

// offer keeps an ended child for reuse, or lets it go (closing its link
// makes it exit).
func (z *zygote) offer(s spare) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.closing || !z.live[s.pid] || len(z.idle) >= maxIdle {
		unix.Close(s.link)
		return
	}
	z.idle = append(z.idle, s)
}

// takeIdle returns an ended child to reuse, if there is one.
func (z *zygote) takeIdle() (spare, bool) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if n := len(z.idle); n > 0 {
		s := z.idle[n-1]
		z.idle = z.idle[:n-1]
		return s, true
	}
	return spare{}, false
}

// reap collects every child that has ended.
func (z *zygote) reap() {
	for {
		pid, err := unix.Wait4(-1, nil, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
		z.mu.Lock()
		delete(z.live, pid)
		z.idle = slices.DeleteFunc(z.idle, func(s spare) bool {
			if s.pid == pid {
				unix.Close(s.link)
			}
			return s.pid == pid
		})
		z.mu.Unlock()
	}
}

// shutdown kills every child and waits until all are reaped, then exits.
func (z *zygote) shutdown() {
	z.mu.Lock()
	z.closing = true
	for pid := range z.live {
		unix.Kill(pid, unix.SIGKILL)
	}
	z.mu.Unlock()
	for {
		_, err := unix.Wait4(-1, nil, 0, nil)
		if err == unix.ECHILD {
			os.Exit(0)
		}
	}
}

func runZygote() {
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGTSTP,
		syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGPIPE, syscall.SIGWINCH, syscall.SIGUSR1, syscall.SIGUSR2)
	if os.Getppid() == 1 {
		return // our parent is already gone
	}
	devnull, err := unix.Open(os.DevNull, unix.O_RDWR, 0)
	if err != nil {
		return
	}
	z := &zygote{devnull: uintptr(devnull), spawn: make(chan chan spare), live: map[int]bool{}}
	// Reap children; their guest-level exit status travels through the
	// LibOS, not through us.
	sigc := make(chan os.Signal, 16)
	signal.Notify(sigc, syscall.SIGCHLD)
	go func() {
		for range sigc {
			z.reap()
		}
	}()
	go z.serve(parentFD, 0)
	// Children must be forked from one thread that lives as long as the
	// zygote: PR_SET_PDEATHSIG fires when the forking thread ends.
	runtime.LockOSThread()
	next := z.newSpare()
	for req := range z.spawn {
		if s, ok := z.takeIdle(); ok {
			req <- s
			continue
		}
		req <- next
		next = z.newSpare()
	}
}

// serve answers the requests arriving on one connection: 'C' asks for a
// child, 'R' (from child pid) offers the sender for reuse, with its new
// parent stream.
func (z *zygote) serve(conn, pid int) {
	defer unix.Close(conn)
	var b [1]byte
	oob := make([]byte, unix.CmsgSpace(4))
	for {
		n, oobn, _, _, err := unix.Recvmsg(conn, b[:], oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if n != 1 || err != nil {
			if conn == parentFD {
				z.shutdown() // the first gophene process is ending
			}
			return
		}
		if b[0] == 'R' {
			if fds := parseRights(oob[:oobn]); len(fds) == 1 {
				z.offer(spare{link: fds[0], pid: pid})
			} else {
				for _, fd := range fds {
					unix.Close(fd)
				}
			}
			continue
		}
		s, ok := z.takeIdle()
		if !ok {
			reply := make(chan spare)
			z.spawn <- reply
			s = <-reply
		}
		if s.link < 0 {
			unix.Close(conn)
			return
		}
		var pid [4]byte
		binary.LittleEndian.PutUint32(pid[:], uint32(s.pid))
		unix.Sendmsg(conn, pid[:], unix.UnixRights(s.link), nil, 0)
		unix.Close(s.link)
	}
}

// newSpare starts a child process that waits for its state.
func (z *zygote) newSpare() spare {
	link, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return spare{link: -1}
	}
	zl, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		unix.Close(link[0])
		unix.Close(link[1])
		return spare{link: -1}
	}
	pid, err := syscall.ForkExec("/proc/self/exe", []string{"gophene"}, &syscall.ProcAttr{
		Env:   []string{roleEnv + "=" + roleChild, tmpBaseEnv + "=" + os.Getenv(tmpBaseEnv)},
		Files: []uintptr{z.devnull, z.devnull, 2, uintptr(link[1]), uintptr(zl[1])},
		Sys:   &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	})
	unix.Close(link[1])
	unix.Close(zl[1])
	if err != nil {
		unix.Close(link[0])
		unix.Close(zl[0])
		return spare{link: -1}
	}
	z.mu.Lock()
	z.live[pid] = true
	if z.closing {
		unix.Kill(pid, unix.SIGKILL) // started while shutting down
	}
	z.mu.Unlock()
	go z.serve(zl[0], pid)
	return spare{link: link[0], pid: pid}
}
