package linux

import (
	"math/bits"
	"sync/atomic"

	"golang.org/x/sys/unix"

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
	top  atomic.Int64 // no bit is set at or above this descriptor
}

func (s *handleSet) add(fd int) pal.Handle {
	if fd >= 0 && fd < maxHandles {
		s.bits[fd/64].Or(1 << (fd % 64))
		for t := s.top.Load(); int64(fd) >= t && !s.top.CompareAndSwap(t, int64(fd)+1); t = s.top.Load() {
		}
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

// closeAll closes every descriptor in the set and empties it.
func (s *handleSet) closeAll() {
	for i := range s.bits[:(s.top.Load()+63)/64] {
		w := s.bits[i].Swap(0)
		for w != 0 {
			b := bits.TrailingZeros64(w)
			w &^= 1 << b
			unix.Close(i*64 + b)
		}
	}
}
