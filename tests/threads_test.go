package tests

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gophene/internal/testenv"
)

// The C signal suite: handlers with SA_SIGINFO, faults (SEGV, FPE, ILL,
// TRAP, BUS) with their si_code and si_addr, nesting, SA_NODEFER,
// SA_RESETHAND, an overflow handled on sigaltstack, SA_RESTART versus
// EINTR, sigsuspend, sigtimedwait, POSIX timers with SIGEV_THREAD_ID,
// timerfd, signalfd, an itimer on CPU time: all as natively, on both the
// patched and the trap path.
func TestSignals(t *testing.T) { suiteSameAsNative(t, "signals") }

// A hundred children send their parent SIGUSR1 (SA_RESTART) while it is
// blocked in waitpid, read, nanosleep and futex: the calls restart again
// and again at call sites that have been rewritten, and every later call
// through them works (docs/design.md, "Rewritten call sites").
func TestRestartAtPatchedSites(t *testing.T) { suiteSameAsNative(t, "restart") }

// 64 threads on a mutex and a condition variable, a robust mutex whose
// owner died, pthread_kill, and the three ways a threaded process ends.
func TestThreads(t *testing.T) {
	bin := guest(t, "threads", testenv.Dynamic)
	for _, mode := range []string{"", "exit_group", "main_exits"} {
		t.Run("mode="+mode, func(t *testing.T) {
			r := sameAsNative(t, bin, mode)
			if !strings.Contains(r.Stdout, "counter=1000000, threads with their own tid=64") ||
				!strings.Contains(r.Stdout, "robust lock after owner died: EOWNERDEAD") {
				t.Errorf("unexpected: %v", r)
			}
		})
	}
}

// A static Go program: goroutines, GC, asynchronous preemption, os/signal.
func TestGoRuntime(t *testing.T) {
	bin := filepath.Join(workDir, "goruntime")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join(testenv.Root(), "tests", "guests", "goruntime")
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the Go guest: %v\n%s", err, out)
	}
	r := sameAsNative(t, bin)
	if !strings.Contains(r.Stdout, "GC stopped the spinning goroutine: true") || !strings.Contains(r.Stdout, "caught: user defined signal 1") {
		t.Errorf("unexpected: %v", r)
	}
}

// CPython: threads with a Queue and an Event, SIGALRM from setitimer, a
// sleep resumed after a handler (PEP 475), sigwait and faulthandler.
func TestPythonThreadsSignals(t *testing.T) {
	script := filepath.Join(testenv.Root(), "tests", "guests", "pythreads.py")
	r := sameAsNative(t, "/usr/bin/python3", script)
	if strings.Count(r.Stdout, "True") != 7 {
		t.Errorf("unexpected: %v", r)
	}
}

// Ctrl-C (SIGINT to gophene) ends a sleeping guest with status 130.
func TestInterruptFromHost(t *testing.T) {
	for _, c := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		cmd := testenv.Gophene(gopheneBin, workDir, nil, "/usr/bin/sleep", "100")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		start := time.Now()
		cmd.Process.Signal(c.sig)
		err := cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		if code != c.code || time.Since(start) > 5*time.Second {
			t.Errorf("%v: exit status %d (%v) after %v, want %d at once", c.sig, code, err, time.Since(start), c.code)
		}
	}
}
