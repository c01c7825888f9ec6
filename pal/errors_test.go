package pal

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

func TestErrorRoundTrip(t *testing.T) {
	seen := map[unix.Errno]Error{}
	for c := Error(1); c < errCount; c++ {
		e := c.Errno()
		if e == 0 {
			t.Errorf("code %d has no errno", c)
			continue
		}
		if prev, dup := seen[e]; dup {
			t.Errorf("codes %d and %d both map to %v", prev, c, e)
		}
		seen[e] = c
		if back := ErrorFromErrno(e); back != c {
			t.Errorf("code %d -> %v -> code %d", c, e, back)
		}
		if c.Error() != "pal: "+e.Error() {
			t.Errorf("code %d: Error() = %q", c, c.Error())
		}
	}
	if len(seen) != int(errCount)-1 {
		t.Errorf("%d codes, %d distinct errnos", errCount-1, len(seen))
	}
}

func TestErrorTable(t *testing.T) {
	// A sample of the table, spelled out, so that a shifted entry shows.
	for _, c := range []struct {
		code  Error
		errno unix.Errno
	}{
		{ErrNotImplemented, unix.ENOSYS},
		{ErrInvalid, unix.EINVAL},
		{ErrNotSupported, unix.EOPNOTSUPP},
		{ErrDenied, unix.EACCES},
		{ErrPermission, unix.EPERM},
		{ErrBadHandle, unix.EBADF},
		{ErrNotExist, unix.ENOENT},
		{ErrExist, unix.EEXIST},
		{ErrNoMemory, unix.ENOMEM},
		{ErrTryAgain, unix.EAGAIN},
		{ErrInterrupted, unix.EINTR},
		{ErrFault, unix.EFAULT},
		{ErrLoop, unix.ELOOP},
		{ErrReadOnly, unix.EROFS},
		{ErrCrossDevice, unix.EXDEV},
		{ErrIllegalSeek, unix.ESPIPE},
		{ErrNotTerminal, unix.ENOTTY},
		{ErrBrokenPipe, unix.EPIPE},
		{ErrTimedOut, unix.ETIMEDOUT},
		{ErrNoData, unix.ENODATA},
		{ErrNoDeviceAddress, unix.ENXIO},
		{ErrTooManyFiles, unix.EMFILE},
		{ErrFileTableFull, unix.ENFILE},
		{ErrNoProcess, unix.ESRCH},
		{ErrNoChild, unix.ECHILD},
		{ErrWouldBlockIO, unix.EINPROGRESS},
	} {
		if got := c.code.Errno(); got != c.errno {
			t.Errorf("code %d: Errno() = %v, want %v", c.code, got, c.errno)
		}
	}
}

func TestErrorEdges(t *testing.T) {
	// Codes outside the table are EIO.
	for _, c := range []Error{0, -1, errCount, errCount + 10, 1 << 30} {
		if got := c.Errno(); got != unix.EIO {
			t.Errorf("Error(%d).Errno() = %v, want EIO", c, got)
		}
	}
	// Unknown or out-of-range errnos are ErrIO.
	for _, e := range []unix.Errno{0, unix.ENOTBLK, unix.ECHRNG, 255, 256, 4095, 1 << 20} {
		if got := ErrorFromErrno(e); got != ErrIO {
			t.Errorf("ErrorFromErrno(%d) = %d, want ErrIO", e, got)
		}
	}
	// ENOTSUP is EOPNOTSUPP on Linux and maps back to it.
	if got := ErrorFromErrno(unix.ENOTSUP); got != ErrNotSupported {
		t.Errorf("ErrorFromErrno(ENOTSUP) = %d", got)
	}
	if got := ErrorFromErrno(unix.EWOULDBLOCK); got != ErrTryAgain {
		t.Errorf("ErrorFromErrno(EWOULDBLOCK) = %d", got)
	}
	// A pal.Error is an error value that errors.As finds.
	var err error = ErrNotExist
	var pe Error
	if !errors.As(err, &pe) || pe != ErrNotExist {
		t.Error("errors.As(pal.Error)")
	}
}
