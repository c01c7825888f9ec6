package sys

// Implementation of read, write, pread64, pwrite64, readv, writev, preadv,
// pwritev, preadv2, pwritev2, lseek, sendfile and copy_file_range.

import (
	"encoding/binary"
	"io"

	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/vfs"
	"gophene/pal"
)

// maxRW is Linux's MAX_RW_COUNT: larger transfers are cut to it.
const maxRW = 0x7ffff000

func readFile(t *kernel.Task, fd uintptr) (*vfs.File, error) {
	f, err := file(t, fd)
	if err != nil {
		return nil, err
	}
	if !f.Readable() || f.IsPath() {
		f.DecRef()
		return nil, unix.EBADF
	}
	return f, nil
}

func writeFile(t *kernel.Task, fd uintptr) (*vfs.File, error) {
	f, err := file(t, fd)
	if err != nil {
		return nil, err
	}
	if !f.Writable() || f.IsPath() {
		f.DecRef()
		return nil, unix.EBADF
	}
	return f, nil
}

// guestBuf is the guest buffer of a read (write=true) or write call.
func guestBuf(t *kernel.Task, addr, n uintptr, write bool) ([]byte, error) {
	return t.GuestBytes(addr, min(n, maxRW), write)
}

// Read implements read(2).
func Read(t *kernel.Task, a kernel.Args) (uintptr, error) {
	f, err := readFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	buf, err := guestBuf(t, a[1], a[2], true)
	if err != nil {
		return 0, err
	}
	if tr, ok := f.Impl.(taskReader); ok {
		tmp := make([]byte, len(buf))
		n, err := tr.ReadTask(t, tmp, f.Flags()&unix.O_NONBLOCK != 0)
		copy(buf, tmp[:n])
		return uintptr(n), err
	}
	var n int
	err = retryEINTR(t, kernel.ErrRestartSys, func() (e error) { n, e = f.Impl.Read(buf); return })
	return uintptr(n), err
}

// Write implements write(2).
func Write(t *kernel.Task, a kernel.Args) (uintptr, error) {
	f, err := writeFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	buf, err := guestBuf(t, a[1], a[2], false)
	if err != nil {
		return 0, err
	}
	if buf, err = fileSizeLimit(t, f, -1, buf); err != nil {
		return 0, err
	}
	var n int
	err = retryEINTR(t, kernel.ErrRestartSys, func() (e error) { n, e = f.Impl.Write(buf); return })
	return uintptr(n), brokenPipe(t, err)
}

// Pread64 implements pread64(2).
func Pread64(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if int64(a[3]) < 0 {
		return 0, unix.EINVAL
	}
	f, err := readFile(t, a[0])
	if err != nil {
		return 0, positionedErr(t, a[0], int64(a[3]), err)
	}
	defer f.DecRef()
	buf, err := guestBuf(t, a[1], a[2], true)
	if err != nil {
		return 0, err
	}
	n, err := f.Impl.Pread(buf, int64(a[3]))
	return uintptr(n), vfs.Errno(err)
}

// Pwrite64 implements pwrite64(2).
func Pwrite64(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if int64(a[3]) < 0 {
		return 0, unix.EINVAL
	}
	f, err := writeFile(t, a[0])
	if err != nil {
		return 0, positionedErr(t, a[0], int64(a[3]), err)
	}
	defer f.DecRef()
	buf, err := guestBuf(t, a[1], a[2], false)
	if err != nil {
		return 0, err
	}
	if buf, err = fileSizeLimit(t, f, int64(a[3]), buf); err != nil {
		return 0, err
	}
	n, err := f.Impl.Pwrite(buf, int64(a[3]))
	return uintptr(n), vfs.Errno(err)
}

// fileSizeLimit applies RLIMIT_FSIZE to a write of buf at off (-1: the
// file position) on a regular file: the part past the limit is cut off,
// and a write that starts at or past it fails with EFBIG and sends the
// thread SIGXFSZ. The host, where gophene has no such limit, would not.
func fileSizeLimit(t *kernel.Task, f *vfs.File, off int64, buf []byte) ([]byte, error) {
	limit := t.P.Rlimit(unix.RLIMIT_FSIZE).Cur
	if limit == kernel.RlimInfinity || len(buf) == 0 {
		return buf, nil
	}
	var st pal.Stat
	if f.Impl.Stat(&st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return buf, nil
	}
	pos := off
	if pos < 0 {
		if f.Flags()&unix.O_APPEND != 0 {
			pos = st.Size
		} else if p, err := f.Impl.Seek(0, io.SeekCurrent); err == nil {
			pos = p
		}
	}
	if uint64(pos) >= limit {
		t.SignalTask(kernel.NewSigInfo(int(unix.SIGXFSZ), kernel.SiUser).SetSender(t.P.Pid, t.P.Creds().Uid))
		return nil, unix.EFBIG
	}
	if rest := limit - uint64(pos); uint64(len(buf)) > rest {
		buf = buf[:rest]
	}
	return buf, nil
}

// iovecs reads an iovec array and checks every buffer.
func iovecs(t *kernel.Task, addr, cnt uintptr, write bool) ([][]byte, int, error) {
	if cnt > 1024 {
		return nil, 0, unix.EINVAL
	}
	raw := make([]byte, 16*cnt)
	if err := t.CopyIn(addr, raw); err != nil {
		return nil, 0, err
	}
	bufs := make([][]byte, 0, cnt)
	total := 0
	for i := uintptr(0); i < cnt; i++ {
		base := uintptr(binary.LittleEndian.Uint64(raw[16*i:]))
		n := uintptr(binary.LittleEndian.Uint64(raw[16*i+8:]))
		if int64(n) < 0 || total+int(n) < total {
			return nil, 0, unix.EINVAL
		}
		n = min(n, uintptr(maxRW-total))
		b, err := t.GuestBytes(base, n, write)
		if err != nil {
			return nil, 0, err
		}
		total += int(n)
		bufs = append(bufs, b)
	}
	return bufs, total, nil
}

// smallVec is the size up to which vectored I/O is done as one transfer
// through a bounce buffer, which keeps it atomic for pipes and appends.
const smallVec = 64 << 10

// readVec reads into bufs with rd (which reads at off, or at the current
// position when off < 0).
func readVec(bufs [][]byte, total int, rd func(p []byte, off int64) (int, error), off int64) (int, error) {
	if total <= smallVec && len(bufs) > 1 {
		tmp := make([]byte, total)
		n, err := rd(tmp, off)
		if err != nil {
			return 0, err
		}
		rest := tmp[:n]
		for _, b := range bufs {
			rest = rest[copy(b, rest):]
		}
		return n, nil
	}
	done := 0
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		o := off
		if off >= 0 {
			o = off + int64(done)
		}
		n, err := rd(b, o)
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
		done += n
		if n < len(b) {
			break
		}
	}
	return done, nil
}

// writeVec writes bufs with wr.
func writeVec(bufs [][]byte, total int, wr func(p []byte, off int64) (int, error), off int64) (int, error) {
	if total <= smallVec && len(bufs) > 1 {
		tmp := make([]byte, 0, total)
		for _, b := range bufs {
			tmp = append(tmp, b...)
		}
		return wr(tmp, off)
	}
	done := 0
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		o := off
		if off >= 0 {
			o = off + int64(done)
		}
		n, err := wr(b, o)
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
		done += n
		if n < len(b) {
			break
		}
	}
	return done, nil
}

func streamRead(f *vfs.File) func([]byte, int64) (int, error) {
	return func(p []byte, off int64) (int, error) {
		if off >= 0 {
			return f.Impl.Pread(p, off)
		}
		return f.Impl.Read(p)
	}
}

func streamWrite(f *vfs.File) func([]byte, int64) (int, error) {
	return func(p []byte, off int64) (int, error) {
		if off >= 0 {
			return f.Impl.Pwrite(p, off)
		}
		return f.Impl.Write(p)
	}
}

func doReadv(t *kernel.Task, fd, iov, cnt uintptr, off int64) (uintptr, error) {
	f, err := readFile(t, fd)
	if err != nil {
		return 0, positionedErr(t, fd, off, err)
	}
	defer f.DecRef()
	bufs, total, err := iovecs(t, iov, cnt, true)
	if err != nil {
		return 0, err
	}
	var n int
	err = retryEINTR(t, kernel.ErrRestartSys, func() (e error) { n, e = readVec(bufs, total, streamRead(f), off); return })
	return uintptr(n), err
}

func doWritev(t *kernel.Task, fd, iov, cnt uintptr, off int64) (uintptr, error) {
	f, err := writeFile(t, fd)
	if err != nil {
		return 0, positionedErr(t, fd, off, err)
	}
	defer f.DecRef()
	bufs, total, err := iovecs(t, iov, cnt, false)
	if err != nil {
		return 0, err
	}
	var n int
	err = retryEINTR(t, kernel.ErrRestartSys, func() (e error) { n, e = writeVec(bufs, total, streamWrite(f), off); return })
	return uintptr(n), brokenPipe(t, err)
}

// positionedErr is the error of a positioned read or write (off >= 0)
// refused with err: on a pipe or socket, which has no position, Linux
// says ESPIPE before it looks at the access mode.
func positionedErr(t *kernel.Task, fd uintptr, off int64, err error) error {
	if err != unix.EBADF || off < 0 {
		return err
	}
	f, ferr := file(t, fd)
	if ferr != nil {
		return err
	}
	defer f.DecRef()
	var st pal.Stat
	if f.Impl.Stat(&st) == nil && (st.Mode&unix.S_IFMT == unix.S_IFIFO || st.Mode&unix.S_IFMT == unix.S_IFSOCK) {
		return unix.ESPIPE
	}
	return err
}

// Readv implements readv(2).
func Readv(t *kernel.Task, a kernel.Args) (uintptr, error) { return doReadv(t, a[0], a[1], a[2], -1) }

// Writev implements writev(2).
func Writev(t *kernel.Task, a kernel.Args) (uintptr, error) { return doWritev(t, a[0], a[1], a[2], -1) }

// Preadv implements preadv(2).
func Preadv(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if int64(a[3]) < 0 {
		return 0, unix.EINVAL
	}
	return doReadv(t, a[0], a[1], a[2], int64(a[3]))
}

// Pwritev implements pwritev(2).
func Pwritev(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if int64(a[3]) < 0 {
		return 0, unix.EINVAL
	}
	return doWritev(t, a[0], a[1], a[2], int64(a[3]))
}

// Preadv2 implements preadv2(2); offset -1 means the current position.
func Preadv2(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if int64(a[3]) < -1 {
		return 0, unix.EINVAL
	}
	if a[5]&^rwfKnown != 0 {
		return 0, unix.EOPNOTSUPP
	}
	return doReadv(t, a[0], a[1], a[2], int64(a[3]))
}

// rwfKnown are the RWF_* flags of preadv2 and pwritev2 (HIPRI, DSYNC,
// SYNC, NOWAIT, APPEND, NOAPPEND, ATOMIC, DONTCACHE): hints the host's
// page cache makes moot here, except APPEND, which is not yet honoured.
const rwfKnown = 0xff

// Pwritev2 implements pwritev2(2).
func Pwritev2(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if int64(a[3]) < -1 {
		return 0, unix.EINVAL
	}
	if a[5]&^rwfKnown != 0 {
		return 0, unix.EOPNOTSUPP
	}
	return doWritev(t, a[0], a[1], a[2], int64(a[3]))
}

// Lseek implements lseek(2).
func Lseek(t *kernel.Task, a kernel.Args) (uintptr, error) {
	f, err := file(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if f.IsPath() {
		return 0, unix.EBADF
	}
	if a[2] > unix.SEEK_HOLE {
		return 0, unix.EINVAL
	}
	n, err := f.Impl.Seek(int64(a[1]), int(a[2]))
	return uintptr(n), vfs.Errno(err)
}

// filePair gets the files a copying call reads from (inFd) and writes to
// (outFd); the caller releases both.
func filePair(t *kernel.Task, inFd, outFd uintptr) (in, out *vfs.File, err error) {
	if in, err = readFile(t, inFd); err != nil {
		return nil, nil, err
	}
	if out, err = writeFile(t, outFd); err != nil {
		in.DecRef()
		return nil, nil, err
	}
	return in, out, nil
}

// copyData copies up to count bytes from in to out, reading at inOff and
// writing at outOff, or at the files' positions where an offset is < 0.
// It stops at end of input or at a short write; err is the error that
// stopped it, if any.
func copyData(in, out *vfs.File, inOff, outOff int64, count uintptr) (uintptr, error) {
	buf := make([]byte, min(count, 128<<10))
	var done uintptr
	for done < count {
		chunk := buf[:min(uintptr(len(buf)), count-done)]
		n, err := streamRead(in)(chunk, offsetPlus(inOff, done))
		if err != nil || n == 0 {
			return done, err
		}
		w, err := streamWrite(out)(chunk[:n], offsetPlus(outOff, done))
		done += uintptr(w)
		if err != nil || w < n {
			return done, err
		}
	}
	return done, nil
}

// offsetPlus is off advanced by n, or -1 (the file position) if off is.
func offsetPlus(off int64, n uintptr) int64 {
	if off < 0 {
		return -1
	}
	return off + int64(n)
}

// Sendfile implements sendfile(2): copy from in_fd (at *offset, or its
// position) to out_fd.
func Sendfile(t *kernel.Task, a kernel.Args) (uintptr, error) {
	in, out, err := filePair(t, a[1], a[0])
	if err != nil {
		return 0, err
	}
	defer in.DecRef()
	defer out.DecRef()
	if out.Flags()&unix.O_APPEND != 0 {
		return 0, unix.EINVAL
	}
	off, err := optOffset(t, a[2])
	if err != nil {
		return 0, err
	}
	done, err := copyData(in, out, off, -1, min(a[3], maxRW))
	if e := putOffset(t, a[2], off, done); e != nil {
		return 0, e
	}
	if done == 0 && err != nil {
		return 0, brokenPipe(t, vfs.Errno(err))
	}
	return done, nil
}

// regularFile is the stat of f, or the error copy_file_range gives when f
// is not a regular file.
func regularFile(f *vfs.File) (pal.Stat, error) {
	var st pal.Stat
	if err := f.Impl.Stat(&st); err != nil {
		return st, vfs.Errno(err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		return st, nil
	case unix.S_IFDIR:
		return st, unix.EISDIR
	}
	return st, unix.EINVAL
}

// optOffset reads the optional loff_t at addr: -1 (the file position)
// when addr is NULL.
func optOffset(t *kernel.Task, addr uintptr) (int64, error) {
	if addr == 0 {
		return -1, nil
	}
	var o int64
	if err := kernel.CopyInObj(t, addr, &o); err != nil {
		return 0, err
	}
	if o < 0 {
		return 0, unix.EINVAL
	}
	return o, nil
}

// putOffset writes back the optional loff_t at addr, advanced by done.
func putOffset(t *kernel.Task, addr uintptr, off int64, done uintptr) error {
	if addr == 0 {
		return nil
	}
	o := off + int64(done)
	return kernel.CopyOutObj(t, addr, &o)
}

// CopyFileRange implements copy_file_range(2) between regular files by
// reading and writing through the LibOS.
func CopyFileRange(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if a[5] != 0 {
		return 0, unix.EINVAL
	}
	in, out, err := filePair(t, a[0], a[2])
	if err != nil {
		return 0, err
	}
	defer in.DecRef()
	defer out.DecRef()
	if out.Flags()&unix.O_APPEND != 0 {
		return 0, unix.EBADF
	}
	ist, err := regularFile(in)
	if err != nil {
		return 0, err
	}
	ost, err := regularFile(out)
	if err != nil {
		return 0, err
	}
	inOff, err := optOffset(t, a[1])
	if err != nil {
		return 0, err
	}
	outOff, err := optOffset(t, a[3])
	if err != nil {
		return 0, err
	}
	count := min(a[4], maxRW)
	if ist.Dev == ost.Dev && ist.Ino == ost.Ino {
		ip, op := inOff, outOff
		if ip < 0 {
			ip, _ = in.Impl.Seek(0, unix.SEEK_CUR)
		}
		if op < 0 {
			op, _ = out.Impl.Seek(0, unix.SEEK_CUR)
		}
		if ip < op+int64(count) && op < ip+int64(count) {
			return 0, unix.EINVAL
		}
	}
	done, err := copyData(in, out, inOff, outOff, count)
	if e := putOffset(t, a[1], inOff, done); e != nil {
		return 0, e
	}
	if e := putOffset(t, a[3], outOff, done); e != nil {
		return 0, e
	}
	if done == 0 && err != nil {
		return 0, vfs.Errno(err)
	}
	return done, nil
}
