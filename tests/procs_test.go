package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gophene/internal/testenv"
)

// The C process suite: fork (memory copied, MAP_SHARED shared), wait4 and
// waitid, SIGCHLD, zombies, orphans, shared file offsets and O_APPEND,
// pipes through exec, SIGPIPE, process groups and sessions, stop and
// continue, execve's effects, #! scripts, vfork, posix_spawn, and fork in
// a threaded process: all as natively, on the patched and the trap path.
func TestProcesses(t *testing.T) { suiteSameAsNative(t, "procs") }

// Children forked one after another each start from their parent's state
// alone: Gophene runs them in reused host processes, and nothing of one
// child (memory, descriptors, handlers, CPU mask, threads, CPU time) may
// show in the next.
func TestForkReuse(t *testing.T) { suiteSameAsNative(t, "recycle") }

// Debian's bash and busybox sh run a script with pipelines, redirections,
// here-documents, command substitution, subshells, background jobs and
// wait, traps, killed children and `yes | head -1`.
func TestShells(t *testing.T) {
	script := filepath.Join(testenv.Root(), "tests", "guests", "pipeline.sh")
	for _, sh := range [][]string{{"/bin/bash"}, {"/bin/busybox", "sh"}} {
		t.Run(filepath.Base(sh[0]), func(t *testing.T) {
			argv := append(append([]string{}, sh...), script, t.TempDir())
			r := sameAsNative(t, argv...)
			if !strings.HasSuffix(r.Stdout, "done\n") || !strings.Contains(r.Stdout, "997\n987\n979\n") {
				t.Errorf("unexpected: %v", r)
			}
		})
	}
	// PIPESTATUS shows that yes died of SIGPIPE.
	r := sameAsNative(t, "/bin/bash", "-c", `yes | head -1; echo "${PIPESTATUS[*]}"`)
	if r.Stdout != "y\n141 0\n" {
		t.Errorf("yes | head -1: %v", r)
	}
}

// Python: subprocess, os.fork with a pipe, multiprocessing.Pool and
// Process with a Queue.
func TestPythonProcesses(t *testing.T) {
	script := filepath.Join(testenv.Root(), "tests", "guests", "pyprocs.py")
	r := sameAsNative(t, "/usr/bin/python3", script)
	if !strings.Contains(r.Stdout, "pool: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]") {
		t.Errorf("unexpected: %v", r)
	}
}

// make drives gcc over a three-file project inside Gophene, and the
// program it built runs inside Gophene too.
func TestMakeBuildsProject(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is not installed (the CI script installs it)")
	}
	src := filepath.Join(testenv.Root(), "tests", "guests", "mkproj")
	dir := t.TempDir()
	for _, f := range []string{"Makefile", "util.h", "add.c", "mul.c", "main.c"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, f, string(b))
	}
	mk := testenv.Gophene(gopheneBin, dir, nil, "/usr/bin/make", "-j2")
	r, err := testenv.Run(mk)
	if err != nil || r.Code != 0 {
		t.Fatalf("make under gophene: %v %v", err, r)
	}
	for _, o := range []string{"main.o", "add.o", "mul.o", "prog"} {
		if _, err := os.Stat(filepath.Join(dir, o)); err != nil {
			t.Errorf("make did not build %s: %v", o, err)
		}
	}
	run, err := testenv.Run(testenv.Gophene(gopheneBin, dir, nil, "./prog"))
	if err != nil || run.Stdout != "add=5 mul=42\n" || run.Code != 0 {
		t.Errorf("the built program: %v %v", err, run)
	}
}

// Ctrl-C on `bash -c 'sleep 100 | sleep 100'`: the terminal sends SIGINT to
// the foreground process group, which holds every gophene process. gophene
// ends with 130 at once, and none of its host processes is left, not even
// as a zombie.
func TestInterruptPipeline(t *testing.T) {
	cmd := testenv.Gophene(gopheneBin, workDir, nil, "/bin/bash", "-c", "sleep 100 | sleep 100")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	deadline := time.Now().Add(10 * time.Second)
	for len(groupMembers(pgid)) < 4 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond) // gophene, its zygote, bash's two children
	}
	before := groupMembers(pgid)
	start := time.Now()
	syscall.Kill(-pgid, syscall.SIGINT)
	cmd.Wait()
	took := time.Since(start)
	if code := cmd.ProcessState.ExitCode(); code != 130 || took > 5*time.Second {
		t.Errorf("exit status %d after %v, want 130 at once", code, took)
	}
	time.Sleep(100 * time.Millisecond)
	if left := groupMembers(pgid); len(left) != 0 {
		t.Errorf("host processes left behind: %v (there were %v)", left, before)
	}
}

// groupMembers lists the host processes in process group pgid, zombies
// included, from /proc.
func groupMembers(pgid int) []string {
	ents, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:]) // state, ppid, pgrp, ...
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) {
			out = append(out, e.Name()+":"+f[0])
		}
	}
	return out
}

// PR_SET_CHILD_SUBREAPER: an orphaned grandchild is reparented to the
// subreaper, which waits for it (tests/guests/subreaper.c).
func TestChildSubreaper(t *testing.T) {
	r := sameAsNative(t, guest(t, "subreaper", testenv.Dynamic))
	if !strings.Contains(r.Stdout, "grandchild: parent is the subreaper 1") {
		t.Errorf("unexpected: %v", r)
	}
}
