package kernel

import (
	"encoding/binary"
	"errors"
	"sync"

	"golang.org/x/sys/unix"

	"gophene/libos/wire"
	"gophene/pal"
)

// Processes talk to each other through the leader, the first guest
// process (pid 1), which owns the process table as Gramine's IPC leader
// does: it hands out pids, knows every process's parent, group and session,
// routes signals between processes, and tells parents when their children
// exit. Each other process has one link to it: a host stream pair whose
// other end the parent passes to the leader when it forks. Messages are
// length-prefixed frames (package wire); a request carries an ID its reply echoes.

// Message kinds.
const (
	msgReply = iota + 1
	// process → leader
	msgAllocPid
	msgAttach // a child's link follows as a handle
	msgExit
	msgReaped
	msgKill
	msgSetPgid
	msgGetPgid
	msgGetSid
	msgSetSid
	msgExec
	msgList
	msgJobState // the sender stopped or continued
	msgGetFg
	msgSetFg
	msgHostPid     // the sender runs as this host process (Pid)
	msgGuestPid    // which guest process runs as host process Pid?
	msgSysV        // a SysV IPC call (Data: SysvReq; the reply's Data: SysvResp)
	msgSysVWait    // answer once the SysV IPC state moves past generation Status
	msgSysVCount   // a semaphore waiter starts (Status 1) or stops (-1) waiting
	msgState       // process → leader: what state is process Pid in? leader → process: yours?
	msgProcOp      // a scheduling request for process Pid (ProcOp), passed on by the leader
	msgWatch       // tell the sender when process Pid ends (reply Status 1: it has)
	msgLastPid     // the last pid given out (reply Pid); Status >= 0 sets it
	msgSubreaper   // the sender is (Status 1) or is not a child subreaper
	msgMountNS     // the sender leaves its mount namespace for one of its own
	msgMountChange // a change to a mount table, for the sender's mount namespace (MountChange); leader → process: apply it
	msgUTSNS       // the sender leaves its UTS namespace for one of its own
	msgUTSChange   // new host and domain names (Comm, Argv[0]) for the sender's UTS namespace; leader → process: take them
	msgKeys        // a key-management call (Data: KeyReq; the reply's Data: KeyResp)
	// leader → process
	msgSignal
	msgChildExit
	msgReparent
	msgAdopt
	msgPgid
	msgChildJob // a child stopped or continued
	msgPidEnded // a process the receiver watches (msgWatch) has ended
)

// Msg is one message between processes.
type Msg struct {
	Kind, Errno          int
	ID                   uint64
	Pid, Ppid, Pgid, Sid int
	Target, Sig, Status  int
	HostPid              int // msgAttach: the host process the child runs as
	Info                 SigInfo
	Times                pal.Times
	Comm                 string
	Argv                 []string
	Procs                []ProcInfo
	Data                 []byte
	// HasHandle says a handle follows the message on the stream; serve
	// receives it into H.
	HasHandle bool
	H         pal.Handle
}

// ProcInfo is what the leader knows of a process (for /proc/[pid]).
type ProcInfo struct {
	Pid, Ppid, Pgid, Sid int
	Zombie, Stopped      bool
	Comm                 string
	Argv                 []string
}

// Link is a message stream to another process.
type Link struct {
	host pal.Host
	h    pal.Handle
	done chan struct{} // closed when serve returns

	wmu    sync.Mutex
	closed bool // close was called: the handle may already name another stream
	mu     sync.Mutex
	id     uint64
	wait   map[uint64]chan *Msg
	ended  bool // serve has returned: no reply will come any more
}

func newLink(host pal.Host, h pal.Handle) *Link {
	return &Link{host: host, h: h, done: make(chan struct{}), wait: map[uint64]chan *Msg{}}
}

// ErrLinkClosed is returned when the other side is gone.
var ErrLinkClosed = errors.New("ipc: link closed")

// close closes the link's stream. Sends fail from then on; serve, if it
// runs, must be the caller or be waiting on the other side's close: it
// reads no more once it sees the link closed, since the host may give the
// stream's handle to another one.
func (l *Link) close() {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if !l.closed {
		l.closed = true
		l.host.StreamClose(l.h)
	}
}

func (l *Link) isClosed() bool {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	return l.closed
}

func (l *Link) send(m *Msg) error {
	frame := makeFrame(m.encode)
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.closed {
		return ErrLinkClosed
	}
	return writeAll(l.host, l.h, frame)
}

// sendHandle sends m followed by one handle, in one go.
func (l *Link) sendHandle(m *Msg, h pal.Handle) error {
	m.HasHandle = true
	frame := makeFrame(m.encode)
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.closed {
		return ErrLinkClosed
	}
	if err := writeAll(l.host, l.h, frame); err != nil {
		return err
	}
	return l.host.StreamSendHandles(l.h, []pal.Handle{h})
}

// makeFrame encodes a value behind its 4-byte length.
func makeFrame(enc func(*wire.Encoder)) []byte {
	var e wire.Encoder
	enc(&e)
	body := e.Bytes()
	frame := make([]byte, 4+len(body))
	binary.LittleEndian.PutUint32(frame, uint32(len(body)))
	copy(frame[4:], body)
	return frame
}

func (m *Msg) encode(e *wire.Encoder) {
	for _, v := range [...]int{m.Kind, m.Errno, m.Pid, m.Ppid, m.Pgid, m.Sid, m.Target, m.Sig, m.Status, m.HostPid} {
		e.Int(int64(v))
	}
	e.Uint(m.ID)
	wire.Raw(e, &m.Info)
	wire.Raw(e, &m.Times)
	e.String(m.Comm)
	e.Strings(m.Argv)
	wire.Slice(e, m.Procs, func(e *wire.Encoder, p *ProcInfo) {
		for _, v := range [...]int{p.Pid, p.Ppid, p.Pgid, p.Sid} {
			e.Int(int64(v))
		}
		e.Bool(p.Zombie)
		e.Bool(p.Stopped)
		e.String(p.Comm)
		e.Strings(p.Argv)
	})
	e.Data(m.Data)
	e.Bool(m.HasHandle)
}

func (m *Msg) decode(d *wire.Decoder) {
	for _, v := range [...]*int{&m.Kind, &m.Errno, &m.Pid, &m.Ppid, &m.Pgid, &m.Sid, &m.Target, &m.Sig, &m.Status, &m.HostPid} {
		*v = int(d.Int())
	}
	m.ID = d.Uint()
	wire.RawIn(d, &m.Info)
	wire.RawIn(d, &m.Times)
	m.Comm = d.String()
	m.Argv = d.Strings()
	m.Procs = wire.SliceIn(d, func(d *wire.Decoder, p *ProcInfo) {
		for _, v := range [...]*int{&p.Pid, &p.Ppid, &p.Pgid, &p.Sid} {
			*v = int(d.Int())
		}
		p.Zombie = d.Bool()
		p.Stopped = d.Bool()
		p.Comm = d.String()
		p.Argv = d.Strings()
	})
	m.Data = d.Data()
	m.HasHandle = d.Bool()
	m.H = pal.NoHandle
}

// start sends a request and returns the channel its reply arrives on (it
// is closed if the link closes first).
func (l *Link) start(m *Msg) (chan *Msg, error) {
	ch := make(chan *Msg, 1)
	l.mu.Lock()
	if l.ended {
		l.mu.Unlock()
		return nil, ErrLinkClosed
	}
	l.id++
	m.ID = l.id
	l.wait[m.ID] = ch
	l.mu.Unlock()
	send := l.send
	if m.HasHandle { // a request carrying a handle (a mount's root)
		send = func(m *Msg) error { return l.sendHandle(m, m.H) }
	}
	if err := send(m); err != nil {
		l.mu.Lock()
		delete(l.wait, m.ID)
		l.mu.Unlock()
		return nil, err
	}
	return ch, nil
}

// call sends a request and waits for its reply.
func (l *Link) call(m *Msg) (*Msg, error) {
	ch, err := l.start(m)
	if err != nil {
		return nil, err
	}
	r, ok := <-ch
	if !ok {
		return nil, ErrLinkClosed
	}
	if r.Errno != 0 {
		return r, unix.Errno(r.Errno)
	}
	return r, nil
}

func (l *Link) reply(to *Msg, r *Msg) {
	r.Kind, r.ID = msgReply, to.ID
	if r.HasHandle {
		l.sendHandle(r, r.H)
		return
	}
	l.send(r)
}

// serve reads messages until the link closes, handing replies to their
// callers and everything else to handle. A msgAttach carries a handle.
// When handle closes the link, serve stops.
func (l *Link) serve(handle func(m *Msg, h pal.Handle)) {
	defer func() {
		l.mu.Lock()
		l.ended = true
		for id, ch := range l.wait {
			close(ch)
			delete(l.wait, id)
		}
		l.mu.Unlock()
		close(l.done)
	}()
	for {
		if l.isClosed() {
			return
		}
		frame, err := readFrame(l.host, l.h)
		if err != nil {
			handle(nil, pal.NoHandle)
			return
		}
		m := new(Msg)
		d := wire.NewDecoder(frame)
		if m.decode(d); d.Err() != nil {
			handle(nil, pal.NoHandle)
			return
		}
		if m.HasHandle {
			hs, err := l.host.StreamRecvHandles(l.h, 1)
			if err != nil {
				handle(nil, pal.NoHandle)
				return
			}
			m.H = hs[0]
		}
		if m.Kind == msgReply {
			l.mu.Lock()
			ch := l.wait[m.ID]
			delete(l.wait, m.ID)
			l.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		handle(m, m.H)
	}
}

func writeAll(host pal.Host, h pal.Handle, b []byte) error {
	for len(b) > 0 {
		n, err := host.StreamWrite(h, b)
		if err == pal.ErrInterrupted {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func readFull(host pal.Host, h pal.Handle, b []byte) error {
	for len(b) > 0 {
		n, err := host.StreamRead(h, b)
		if err == pal.ErrInterrupted {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrLinkClosed
		}
		b = b[n:]
	}
	return nil
}

func readFrame(host pal.Host, h pal.Handle) ([]byte, error) {
	var n [4]byte
	if err := readFull(host, h, n[:]); err != nil {
		return nil, err
	}
	frame := make([]byte, binary.LittleEndian.Uint32(n[:]))
	return frame, readFull(host, h, frame)
}

// WriteFrame and ReadFrame carry one encoded value over a stream
// (checkpoints): enc writes it, dec reads it back.
func WriteFrame(host pal.Host, h pal.Handle, enc func(*wire.Encoder)) error {
	return writeAll(host, h, makeFrame(enc))
}

// ReadFrame reads a value written by WriteFrame.
func ReadFrame(host pal.Host, h pal.Handle, dec func(*wire.Decoder)) error {
	frame, err := readFrame(host, h)
	if err != nil {
		return err
	}
	d := wire.NewDecoder(frame)
	dec(d)
	return d.Err()
}

// WriteAll and ReadFull move raw bytes over a stream.
func WriteAll(host pal.Host, h pal.Handle, b []byte) error { return writeAll(host, h, b) }

// ReadFull reads exactly len(b) bytes.
func ReadFull(host pal.Host, h pal.Handle, b []byte) error { return readFull(host, h, b) }
