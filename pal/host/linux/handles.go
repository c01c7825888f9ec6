package linux

import (
	"sync/atomic"

	"gophene/pal"
)

// maxHandles bounds host descriptors the LibOS can hold (the usual hard
// RLIMIT_NOFILE).
const maxHandles = 1 << 20

// handleSet records which host descriptors belong to the LibOS, so that a
// LibOS bug can never read, write or close one of the Go runtime's own
// descriptors (its epoll instance, the binary, the log).
type handleSet struct {
	bits [maxHandles / 64]atomic.Uint64
}

func (s *handleSet) add(fd int) pal.Handle {
	if fd >= 0 && fd < maxHandles {
		s.bits[fd/64].Or(1 << (fd % 64))
	}
	return pal.Handle(fd)
}

func (s *handleSet) remove(h pal.Handle) {
	if h >= 0 && h < maxHandles {
		s.bits[h/64].And(^uint64(1 << (h % 64)))
	}
}

func (s *handleSet) valid(h pal.Handle) bool {
	return h >= 0 && h < maxHandles && s.bits[h/64].Load()&(1<<(h%64)) != 0
}
