package tests

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"gophene/internal/testenv"
)

// The conformance issue's families: capabilities and /proc tunables,
// System V IPC, pseudo-terminals and memory locks, each compared with a
// native run.

// Capabilities (capget/capset, prctl, across fork and setuid, a dropped
// capability refusing chroot), oom_score_adj and /proc/sys values.
func TestCapsAndProcTunables(t *testing.T) {
	for _, mode := range []testenv.Mode{testenv.Static, testenv.Dynamic} {
		r := sameAsNative(t, guest(t, "caps", mode))
		if !strings.Contains(r.Stdout, "chroot without CAP_SYS_CHROOT: -1 EPERM") {
			t.Errorf("unexpected: %v", r)
		}
	}
}

// System V message queues, semaphores and shared memory shared by processes: a producer
// and a consumer, a SEM_UNDO hold released by its holder's death, waits
// woken by removal, permissions and errors (tests/guests/sysvipc.c).
// Run from a shell too, so that no call is made by the leader itself.
func TestSysVIPC(t *testing.T) {
	bin := guest(t, "sysvipc", testenv.Dynamic)
	for _, argv := range [][]string{{bin}, {"/bin/sh", "-c", bin}} {
		r := sameAsNative(t, argv...)
		if !strings.Contains(r.Stdout, "after the holder died: ok") || !strings.Contains(r.Stdout, "counter after 4 x 500: 2000") {
			t.Errorf("unexpected: %v", r)
		}
	}
}

// Pseudo-terminals: openpty and the line discipline, window sizes,
// ttyname, forkpty, and script(1) running a shell on a new terminal.
func TestPseudoTerminals(t *testing.T) {
	for _, mode := range []testenv.Mode{testenv.Static, testenv.Dynamic} {
		r := sameAsNative(t, guest(t, "pty", mode))
		if !strings.Contains(r.Stdout, "child: tty 1, session leader 1, window 33x111") {
			t.Errorf("unexpected: %v", r)
		}
	}
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script(1) is not installed")
	}
	// The terminal's number depends on the host's other terminals.
	num := regexp.MustCompile(`/dev/pts/[0-9]+`)
	r := sameAsNativeExcept(t, func(s string) string { return num.ReplaceAllString(s, "/dev/pts/N") },
		"script", "-qc", "tty; stty size; stty -a | grep -o 'rows [0-9]*'", "/dev/null")
	if !strings.Contains(r.Stdout, "/dev/pts/N") {
		t.Errorf("unexpected: %v", r)
	}
}

// The mlock family: accounting in VmLck, RLIMIT_MEMLOCK without
// CAP_IPC_LOCK, no inheritance across fork, errors for holes and flags.
func TestMemoryLocks(t *testing.T) {
	r := sameAsNative(t, guest(t, "mlock", testenv.Dynamic))
	if !strings.Contains(r.Stdout, "unprivileged, limit 0: EPERM") {
		t.Errorf("unexpected: %v", r)
	}
}

// fcntl's file owner and signal (F_SETOWN, F_SETOWN_EX, F_SETSIG).
func TestFileOwner(t *testing.T) {
	r := sameAsNative(t, guest(t, "fowner", testenv.Dynamic))
	if !strings.Contains(r.Stdout, "F_SETOWN self: ok, F_GETOWN is self: 1") {
		t.Errorf("unexpected: %v", r)
	}
}

// unshare and setns: the namespaces a process has of its own, and errors.
func TestUnshare(t *testing.T) {
	r := sameAsNative(t, guest(t, "unshare", testenv.Dynamic))
	if !strings.Contains(r.Stdout, "unprivileged NEWNS: EPERM") {
		t.Errorf("unexpected: %v", r)
	}
}

// execve with an unlimited or huge RLIMIT_STACK (the stack is mapped whole,
// so its size is bounded).
func TestExecUnlimitedStack(t *testing.T) {
	r := sameAsNative(t, "/bin/sh", "-c", "ulimit -s unlimited; /bin/echo one; ulimit -s 100000000; /bin/echo two; ulimit -s")
	if r.Stdout != "one\ntwo\n100000000\n" {
		t.Errorf("unexpected: %v", r)
	}
}

// personality keeps any value; prctl's timer slack is kept.
func TestPersonality(t *testing.T) {
	r := sameAsNative(t, guest(t, "personality", testenv.Dynamic))
	if !strings.Contains(r.Stdout, "now 0x4100001") {
		t.Errorf("unexpected: %v", r)
	}
}

// Files made by a process that dropped root: owners and groups (set-group-ID
// directories included) and the permission checks the host, running as
// root, would not make.
func TestOwnershipAfterSetuid(t *testing.T) {
	r := sameAsNative(t, guest(t, "ownership", testenv.Dynamic))
	if !strings.Contains(r.Stdout, "file in a plain directory: uid 65534 gid 65534") {
		t.Errorf("unexpected: %v", r)
	}
}

// The permission checks Linux makes for a process that is not root and
// the host, running as root, would not: search permission along paths,
// write permission and stickiness of directories, protected hard links,
// O_NOATIME, chmod, chown and utimes by others, set-group-ID bits of new
// files, access() with real and effective ids (tests/guests/perms.c).
func TestPermissionsAfterSetuid(t *testing.T) {
	r := sameAsNative(t, guest(t, "perms", testenv.Dynamic))
	if !strings.Contains(r.Stdout, "stat through a 666 directory") || !strings.HasSuffix(r.Stdout, "done\n") {
		t.Errorf("unexpected: %v", r)
	}
}

// Scheduling calls and rt_sigqueueinfo naming another process, and their
// ESRCH for a pid nobody has.
func TestSchedOtherProcess(t *testing.T) {
	bin := guest(t, "schedother", testenv.Dynamic)
	for _, argv := range [][]string{{bin}, {"/bin/sh", "-c", bin}} {
		r := sameAsNative(t, argv...)
		if !strings.Contains(r.Stdout, "child: nice 5, got the queued signal 1 with value 42") {
			t.Errorf("unexpected: %v", r)
		}
	}
}

// A signal frame that cannot be written becomes a SIGSEGV (Linux's
// force_sigsegv), caught by a handler or, blocked, fatal.
func TestUnwritableSignalFrame(t *testing.T) {
	for _, mode := range []testenv.Mode{testenv.Static, testenv.Dynamic} {
		r := sameAsNative(t, guest(t, "badframe", mode))
		if !strings.Contains(r.Stdout, "SIGSEGV handler ran 1") {
			t.Errorf("unexpected: %v", r)
		}
	}
}

// RLIMIT_FSIZE: writes cut at the limit, EFBIG and SIGXFSZ past it.
func TestFileSizeLimit(t *testing.T) {
	r := sameAsNative(t, guest(t, "fsize", testenv.Dynamic))
	if !strings.Contains(r.Stdout, "child with the default action: XFSZ") {
		t.Errorf("unexpected: %v", r)
	}
}

// POSIX record locks released by closing any descriptor of the file (a
// dup included), OFD locks by closing the last; F_CREATED_QUERY.
func TestRecordLocksOnClose(t *testing.T) {
	r := sameAsNative(t, guest(t, "locks", testenv.Dynamic))
	if !strings.Contains(r.Stdout, "after closing a dup: unlocked") {
		t.Errorf("unexpected: %v", r)
	}
}

// pidfds (open, readiness at the process's end, waitid(P_PIDFD),
// pidfd_send_signal, pidfd_getfd, CLONE_PIDFD, inheritance by fork) and
// kill's permission check between users (tests/guests/pidfd.c).
func TestPidfd(t *testing.T) {
	for _, mode := range []testenv.Mode{testenv.Static, testenv.Dynamic} {
		r := sameAsNative(t, guest(t, "pidfd", mode))
		if !strings.Contains(r.Stdout, "grandchild: inherited pidfd readable 1") ||
			!strings.Contains(r.Stdout, "nobody: kill(root parent, 0) -1 EPERM") {
			t.Errorf("unexpected: %v", r)
		}
	}
}

// Less common calls with valid and invalid arguments (tests/guests/misccalls.c):
// sysfs, ustat, vhangup, ioprio_get/set, kcmp (across fork too),
// sethostname/setdomainname and /proc/sys/kernel/{hostname,domainname},
// sched_setattr/getattr, tee, vmsplice, readahead, membarrier (its
// registrations across fork and execve), process_vm_readv/writev on the
// caller and on a child.
func TestMiscCalls(t *testing.T) {
	for _, mode := range []testenv.Mode{testenv.Static, testenv.Dynamic} {
		r := sameAsNative(t, guest(t, "misccalls", mode))
		if !strings.Contains(r.Stdout, "kcmp child: inherited fd 0, parent's dup 0, own open 1") ||
			!strings.Contains(r.Stdout, "read the child's: 20 the child's own copy") ||
			!strings.HasSuffix(r.Stdout, "done\n") {
			t.Errorf("unexpected: %v", r)
		}
	}
}
