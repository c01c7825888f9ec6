package pal

import "golang.org/x/sys/unix"

// Error is a PAL error code. Hosts translate their native errors into these;
// the LibOS turns them into Linux errno values with Errno. The codes are
// host-neutral names; the table below is the single place that ties each one
// to the Linux errno a guest sees.
type Error int32

// PAL error codes.
const (
	ErrNotImplemented Error = iota + 1
	ErrInvalid
	ErrNotSupported
	ErrDenied
	ErrPermission
	ErrBadHandle
	ErrNotExist
	ErrExist
	ErrNameTooLong
	ErrNoMemory
	ErrTryAgain
	ErrInterrupted
	ErrFault
	ErrNotDir
	ErrIsDir
	ErrNotEmpty
	ErrLoop
	ErrReadOnly
	ErrNoSpace
	ErrBusy
	ErrOverflow
	ErrCrossDevice
	ErrTooManyLinks
	ErrTextBusy
	ErrFileTooBig
	ErrIllegalSeek
	ErrNotTerminal
	ErrBrokenPipe
	ErrTimedOut
	ErrRange
	ErrNoData
	ErrIO
	ErrNoDevice
	ErrNoDeviceAddress
	ErrTooManyFiles
	ErrFileTableFull
	ErrNoProcess
	ErrDeadlock
	ErrQuota
	ErrStale
	ErrNotSocket
	ErrNoLock
	ErrNoChild
	ErrWouldBlockIO
	errCount
)

// errnoOf maps each code to the Linux errno the guest sees.
var errnoOf = [errCount]unix.Errno{
	ErrNotImplemented:  unix.ENOSYS,
	ErrInvalid:         unix.EINVAL,
	ErrNotSupported:    unix.EOPNOTSUPP,
	ErrDenied:          unix.EACCES,
	ErrPermission:      unix.EPERM,
	ErrBadHandle:       unix.EBADF,
	ErrNotExist:        unix.ENOENT,
	ErrExist:           unix.EEXIST,
	ErrNameTooLong:     unix.ENAMETOOLONG,
	ErrNoMemory:        unix.ENOMEM,
	ErrTryAgain:        unix.EAGAIN,
	ErrInterrupted:     unix.EINTR,
	ErrFault:           unix.EFAULT,
	ErrNotDir:          unix.ENOTDIR,
	ErrIsDir:           unix.EISDIR,
	ErrNotEmpty:        unix.ENOTEMPTY,
	ErrLoop:            unix.ELOOP,
	ErrReadOnly:        unix.EROFS,
	ErrNoSpace:         unix.ENOSPC,
	ErrBusy:            unix.EBUSY,
	ErrOverflow:        unix.EOVERFLOW,
	ErrCrossDevice:     unix.EXDEV,
	ErrTooManyLinks:    unix.EMLINK,
	ErrTextBusy:        unix.ETXTBSY,
	ErrFileTooBig:      unix.EFBIG,
	ErrIllegalSeek:     unix.ESPIPE,
	ErrNotTerminal:     unix.ENOTTY,
	ErrBrokenPipe:      unix.EPIPE,
	ErrTimedOut:        unix.ETIMEDOUT,
	ErrRange:           unix.ERANGE,
	ErrNoData:          unix.ENODATA,
	ErrIO:              unix.EIO,
	ErrNoDevice:        unix.ENODEV,
	ErrNoDeviceAddress: unix.ENXIO,
	ErrTooManyFiles:    unix.EMFILE,
	ErrFileTableFull:   unix.ENFILE,
	ErrNoProcess:       unix.ESRCH,
	ErrDeadlock:        unix.EDEADLK,
	ErrQuota:           unix.EDQUOT,
	ErrStale:           unix.ESTALE,
	ErrNotSocket:       unix.ENOTSOCK,
	ErrNoLock:          unix.ENOLCK,
	ErrNoChild:         unix.ECHILD,
	ErrWouldBlockIO:    unix.EINPROGRESS,
}

// Errno is the Linux errno for e.
func (e Error) Errno() unix.Errno {
	if e <= 0 || e >= errCount {
		return unix.EIO
	}
	return errnoOf[e]
}

func (e Error) Error() string { return "pal: " + e.Errno().Error() }

// ErrorFromErrno is the PAL code for a Linux errno, for hosts whose native
// errors are Linux errno values. Unknown values become ErrIO.
func ErrorFromErrno(errno unix.Errno) Error {
	if int(errno) < len(codeOf) {
		if c := codeOf[errno]; c != 0 {
			return c
		}
	}
	return ErrIO
}

var codeOf = func() (m [256]Error) {
	for c := Error(1); c < errCount; c++ {
		m[errnoOf[c]] = c
	}
	m[unix.ENOTSUP] = ErrNotSupported // same value as EOPNOTSUPP on Linux
	return m
}()
