package sys

// Implementation of msgget, msgsnd, msgrcv, msgctl, semget, semop,
// semtimedop and semctl: the arguments are checked and copied here, the
// objects live in the leader process (kernel/sysvipc.go).

import (
	"encoding/binary"
	"time"

	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/mm"
	"gophene/pal"
)

const (
	ipc64     = 0x100 // IPC_64, which some callers add to the command
	msgMaxLen = 8192
	semOpMax  = 500
	ipcNowait = 0o4000
	msgCopy   = 0o40000
	msgExcept = 0o20000
)

func sysv(t *kernel.Task, op int, args ...int64) (kernel.SysvResp, error) {
	q := &kernel.SysvReq{Op: op}
	copy(q.A[:], args)
	return t.SysV(q, 0)
}

// Msgget implements msgget(2).
func Msgget(t *kernel.Task, a kernel.Args) (uintptr, error) {
	r, err := sysv(t, kernel.SysvMsgget, int64(int32(a[0])), int64(int32(a[1])))
	return uintptr(r.R), err
}

// Msgsnd implements msgsnd(2).
func Msgsnd(t *kernel.Task, a kernel.Args) (uintptr, error) {
	id, size := int64(int32(a[0])), int64(a[2])
	if size < 0 || size > msgMaxLen || id < 0 {
		return 0, unix.EINVAL
	}
	var mtype int64
	if err := kernel.CopyInObj(t, a[1], &mtype); err != nil {
		return 0, err
	}
	if mtype < 1 {
		return 0, unix.EINVAL
	}
	text := make([]byte, size)
	if err := t.CopyIn(a[1]+8, text); err != nil {
		return 0, err
	}
	q := &kernel.SysvReq{Op: kernel.SysvMsgsnd, A: [4]int64{id, mtype, int64(int32(a[3]))}, Data: text}
	_, err := t.SysV(q, 0)
	return 0, err
}

// Msgrcv implements msgrcv(2). A message taken from the queue is lost if
// it cannot be copied out (EFAULT), as on Linux.
func Msgrcv(t *kernel.Task, a kernel.Args) (uintptr, error) {
	id, size, flags := int64(int32(a[0])), int64(a[2]), int64(int32(a[4]))
	if size < 0 || id < 0 {
		return 0, unix.EINVAL
	}
	if flags&msgCopy != 0 && (flags&ipcNowait == 0 || flags&msgExcept != 0) {
		return 0, unix.EINVAL
	}
	q := &kernel.SysvReq{Op: kernel.SysvMsgrcv, A: [4]int64{id, size, int64(a[3]), flags}}
	r, err := t.SysV(q, 0)
	if err != nil {
		return 0, err
	}
	mtype := r.R
	if err := kernel.CopyOutObj(t, a[1], &mtype); err != nil {
		return 0, err
	}
	if err := t.CopyOut(a[1]+8, r.Data); err != nil {
		return 0, err
	}
	return uintptr(len(r.Data)), nil
}

// Msgctl implements msgctl(2).
func Msgctl(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return ipcCtl(t, kernel.SysvMsgctl, int64(int32(a[0])), 0, int(a[1])&^ipc64, a[2], 120)
}

// ipcCtl is msgctl, semctl and shmctl's data movement: IPC_SET reads the
// caller's structure (setSize bytes); the *_STAT and *_INFO commands write
// what the leader answers.
func ipcCtl(t *kernel.Task, op int, id int64, num int64, cmd int, buf uintptr, setSize int) (uintptr, error) {
	q := &kernel.SysvReq{Op: op}
	if op != kernel.SysvSemctl {
		q.A = [4]int64{id, int64(cmd)}
	} else {
		q.A = [4]int64{id, num, int64(cmd), int64(int32(buf))}
	}
	switch cmd {
	case 1: // IPC_SET
		q.Data = make([]byte, setSize)
		if err := t.CopyIn(buf, q.Data); err != nil {
			return 0, err
		}
	}
	r, err := t.SysV(q, 0)
	if err != nil {
		return 0, err
	}
	if len(r.Data) > 0 {
		if err := t.CopyOut(buf, r.Data); err != nil {
			return 0, err
		}
	}
	return uintptr(r.R), nil
}

// Semget implements semget(2).
func Semget(t *kernel.Task, a kernel.Args) (uintptr, error) {
	r, err := sysv(t, kernel.SysvSemget, int64(int32(a[0])), int64(int32(a[1])), int64(int32(a[2])))
	return uintptr(r.R), err
}

// Semop implements semop(2).
func Semop(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return doSemop(t, a[0], a[1], a[2], 0)
}

// Semtimedop implements semtimedop(2).
func Semtimedop(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return doSemop(t, a[0], a[1], a[2], a[3])
}

func doSemop(t *kernel.Task, id, sops, nsops, timeout uintptr) (uintptr, error) {
	n := int64(nsops)
	if n < 1 || int32(id) < 0 {
		return 0, unix.EINVAL
	}
	if n > semOpMax {
		return 0, unix.E2BIG
	}
	data := make([]byte, 6*n)
	if err := t.CopyIn(sops, data); err != nil {
		return 0, err
	}
	var d time.Duration
	if timeout != 0 {
		var ts unix.Timespec
		if err := kernel.CopyInObj(t, timeout, &ts); err != nil {
			return 0, err
		}
		if ts.Sec < 0 || ts.Nsec < 0 || ts.Nsec >= 1e9 {
			return 0, unix.EINVAL
		}
		d = time.Duration(ts.Sec)*time.Second + time.Duration(ts.Nsec)
		if d == 0 {
			d = 1 // an expired timeout still tries once
		}
	}
	q := &kernel.SysvReq{Op: kernel.SysvSemop, A: [4]int64{int64(int32(id))}, Data: data}
	_, err := t.SysV(q, d)
	if err == nil || err == unix.EAGAIN {
		// An operation with SEM_UNDO gave the process an undo list
		// (kcmp KCMP_SYSVSEM).
		for i := int64(0); i < n; i++ {
			if binary.LittleEndian.Uint16(data[6*i+4:])&0x1000 != 0 {
				t.P.SemUndo.Store(true)
			}
		}
	}
	return 0, err
}

// Semctl implements semctl(2); the fourth argument is union semun,
// passed by value.
func Semctl(t *kernel.Task, a kernel.Args) (uintptr, error) {
	id, num, cmd, arg := int64(int32(a[0])), int64(int32(a[1])), int(a[2])&^ipc64, a[3]
	switch cmd {
	case 13: // GETALL
		r, err := sysv(t, kernel.SysvSemctl, id, num, int64(cmd))
		if err != nil {
			return 0, err
		}
		return 0, t.CopyOut(arg, r.Data)
	case 17: // SETALL
		n, err := sysv(t, kernel.SysvSemNsems, id)
		if err != nil {
			return 0, err
		}
		vals := make([]byte, 2*n.R)
		if err := t.CopyIn(arg, vals); err != nil {
			return 0, err
		}
		q := &kernel.SysvReq{Op: kernel.SysvSemctl, A: [4]int64{id, num, int64(cmd)}, Data: vals}
		_, err = t.SysV(q, 0)
		return 0, err
	case 12, 11, 14, 15, 16, 0: // GETVAL, GETPID, GETNCNT, GETZCNT, SETVAL, IPC_RMID
		r, err := sysv(t, kernel.SysvSemctl, id, num, int64(cmd), int64(int32(arg)))
		return uintptr(r.R), err
	}
	return ipcCtl(t, kernel.SysvSemctl, id, num, cmd, arg, 104)
}

// Shared memory flags.
const (
	shmRdonly = 0o10000
	shmRnd    = 0o20000
	shmRemap  = 0o40000
	shmExec   = 0o100000
	shmLBA    = 4096
)

// Shmget implements shmget(2).
func Shmget(t *kernel.Task, a kernel.Args) (uintptr, error) {
	r, err := sysv(t, kernel.SysvShmget, int64(int32(a[0])), int64(a[1]), int64(int32(a[2])))
	return uintptr(r.R), err
}

// Shmat implements shmat(2): the segment's memory file, received from the
// leader, is mapped shared.
func Shmat(t *kernel.Task, a kernel.Args) (uintptr, error) {
	id, addr, flags := int64(int32(a[0])), a[1], int(int32(a[2]))
	if id < 0 {
		return 0, unix.EINVAL
	}
	if addr != 0 {
		if flags&shmRnd != 0 {
			addr &^= shmLBA - 1
		}
		if addr%shmLBA != 0 {
			return 0, unix.EINVAL
		}
	} else if flags&shmRemap != 0 {
		return 0, unix.EINVAL
	}
	r, err := sysv(t, kernel.SysvShmat, id, int64(flags))
	if err != nil {
		return 0, err
	}
	p := t.P
	b := p.NewShmBacking(int(id), r.H)
	prot := pal.ProtRead
	if flags&shmRdonly == 0 {
		prot |= pal.ProtWrite
	}
	if flags&shmExec != 0 {
		prot |= pal.ProtExec
	}
	req := mm.MapRequest{Addr: addr, Length: uintptr(r.R), Prot: prot, Shared: true, Backing: b}
	if addr != 0 {
		req.Fixed, req.NoReplace = true, flags&shmRemap == 0
	}
	at, err := p.MM.Map(req)
	if err != nil {
		// Count the attachment as ended (DecRef of an unused backing).
		b.IncRef()
		b.DecRef()
		if err == mm.ErrExist {
			return 0, unix.EINVAL
		}
		return 0, mapErr(err)
	}
	return at, nil
}

// Shmdt implements shmdt(2): every area of the attachment that starts at
// addr is unmapped.
func Shmdt(t *kernel.Task, a kernel.Args) (uintptr, error) {
	addr := a[0]
	if addr%mm.PageSize != 0 {
		return 0, unix.EINVAL
	}
	area, ok := t.P.MM.Lookup(addr)
	b, isShm := area.Backing.(*kernel.ShmBacking)
	if !ok || !isShm || area.Start != addr || area.Offset != 0 {
		return 0, unix.EINVAL
	}
	for _, ar := range t.P.MM.Areas() {
		if ar.Backing == mm.Backing(b) {
			if err := t.P.MM.Unmap(ar.Start, ar.End-ar.Start); err != nil {
				return 0, mapErr(err)
			}
		}
	}
	return 0, nil
}

// Shmctl implements shmctl(2).
func Shmctl(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return ipcCtl(t, kernel.SysvShmctl, int64(int32(a[0])), 0, int(a[1])&^ipc64, a[2], 112)
}
