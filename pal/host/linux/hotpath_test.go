package linux_test

import (
	"errors"
	"runtime"
	"sync"
	"testing"
	"unsafe"

	"gophene/pal"
	"gophene/pal/host/linux"
)

// The trap path end to end, below the LibOS: a page of guest code loops on
// "mov $110,%eax; syscall" (getppid) and ends with exit (60); a guest thread
// runs it with Host.Run, answering every getppid with a constant the guest
// checks. This is the cost of one trapped system call (SIGSYS, the switch
// back to Go and the switch into the guest again) and must not allocate.

// ppidAnswer is what the loop answers to getppid; the guest checks it.
const ppidAnswer = 4242

// guestLoop is the guest code. RBX holds the number of calls to make.
var guestLoop = []byte{
	0xb8, 0x6e, 0x00, 0x00, 0x00, //  0: mov $110,%eax      (getppid)
	0x0f, 0x05, //                     5: syscall
	0x3d, 0x92, 0x10, 0x00, 0x00, //  7: cmp $4242,%eax
	0x75, 0x0e, //                    12: jne 28             (wrong answer)
	0x48, 0xff, 0xcb, //              14: dec %rbx
	0x75, 0xed, //                    17: jnz 0
	0xb8, 0x3c, 0x00, 0x00, 0x00, // 19: mov $60,%eax       (exit)
	0x31, 0xff, //                    24: xor %edi,%edi
	0x0f, 0x05, //                    26: syscall
	0x0f, 0x0b, //                    28: ud2
}

// loopResult is what one run of the guest loop did.
type loopResult struct {
	calls   int // getppid calls answered
	trapped int // of the events, those that came by trap
	exited  bool
	bad     pal.Event // the event that ended the run, if not exit
	badRax  uint64
	mallocs uint64 // heap allocations during the run, if counted
}

type loopRequest struct {
	n           int
	countAllocs bool
}

// guest is the one guest thread the tests and benchmarks share: the host
// starts once per process, and a thread is reused so that runs measure
// system calls, not thread creation.
var guest struct {
	once sync.Once
	err  error
	req  chan loopRequest
	res  chan loopResult
}

// guestCodeAddr picks a page-aligned address inside the guest window for
// the code page: 0x400000 if the window has it (it does not when this test
// binary itself is linked there), else the start of the first big range.
func guestCodeAddr(info *pal.Info) (uintptr, bool) {
	for _, r := range info.GuestRanges {
		if r.Contains(0x400000, 4096) {
			return 0x400000, true
		}
	}
	for _, r := range info.GuestRanges {
		if start := (r.Start + 4095) &^ 4095; r.Contains(start, 1<<20) {
			return start, true
		}
	}
	return 0, false
}

func startGuest(t testing.TB) {
	guest.once.Do(func() {
		h, err := linux.New()
		if err != nil {
			guest.err = err
			return
		}
		addr, ok := guestCodeAddr(h.Info())
		if !ok {
			guest.err = errors.New("no room for a code page in the guest window")
			return
		}
		if err := h.MemoryAlloc(addr, 4096, pal.ProtRead|pal.ProtWrite|pal.ProtExec); err != nil {
			guest.err = err
			return
		}
		copy(unsafe.Slice((*byte)(unsafe.Add(nil, addr)), 4096), guestLoop)
		guest.req = make(chan loopRequest)
		guest.res = make(chan loopResult)
		guest.err = h.ThreadStart(func(cpu *pal.CPU) {
			for req := range guest.req {
				guest.res <- runLoop(h, cpu, addr, req)
			}
		})
	})
	if guest.err != nil {
		t.Fatalf("starting the guest thread: %v", guest.err)
	}
}

// runLoop runs the guest loop for req.n calls on the guest thread. It is
// the serving loop of libos/kernel's Task.run cut to the bone.
func runLoop(h *linux.Host, cpu *pal.CPU, addr uintptr, req loopRequest) loopResult {
	var res loopResult
	var before runtime.MemStats
	if req.countAllocs {
		runtime.ReadMemStats(&before)
	}
	cpu.Rip = uint64(addr)
	cpu.Rsp = uint64(addr) + 4096
	cpu.Rflags = 0x202
	cpu.Rbx = uint64(req.n)
	for {
		ev := h.Run(cpu)
		if ev.Kind != pal.EventSyscall {
			res.bad = ev
			break
		}
		if ev.Trapped {
			res.trapped++
		}
		if cpu.Rax == 110 {
			cpu.Rax = ppidAnswer
			res.calls++
			continue
		}
		if cpu.Rax == 60 {
			res.exited = true
		} else {
			res.bad, res.badRax = ev, cpu.Rax
		}
		break
	}
	if req.countAllocs {
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		res.mallocs = after.Mallocs - before.Mallocs
	}
	return res
}

func runGuestLoop(t testing.TB, n int, countAllocs bool) loopResult {
	if n < 1 {
		n = 1
	}
	guest.req <- loopRequest{n: n, countAllocs: countAllocs}
	res := <-guest.res
	if !res.exited || res.calls != n || res.trapped != n+1 {
		t.Fatalf("guest loop of %d calls: answered %d, %d trapped, exited %v, last event %+v (rax %d)",
			n, res.calls, res.trapped, res.exited, res.bad, res.badRax)
	}
	return res
}

// TestHotPathNoAllocs checks that serving trapped system calls allocates
// nothing: 20000 guest calls through Run must cost fewer than 10 heap
// allocations in total (the few allowed are the runtime's own).
func TestHotPathNoAllocs(t *testing.T) {
	startGuest(t)
	runGuestLoop(t, 100, false) // warm up the thread and the code path
	const n = 20000
	res := runGuestLoop(t, n, true)
	t.Logf("%d guest system calls through Run: %d heap allocations", n, res.mallocs)
	if res.mallocs >= 10 {
		t.Errorf("%d guest system calls through Run made %d heap allocations, want fewer than 10 (none per call)", n, res.mallocs)
	}
}

// BenchmarkTrapSyscall reports the cost of one trapped guest system call
// served through Run (ns/op is per guest syscall).
func BenchmarkTrapSyscall(b *testing.B) {
	startGuest(b)
	runGuestLoop(b, 100, false)
	b.ReportAllocs()
	b.ResetTimer()
	runGuestLoop(b, b.N, false)
}
