package tests

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gophene/internal/testenv"
)

// The seed's worked example: a guest pins itself to CPU 0. The mask it
// reads back, the CPU it runs on and the errors for bad arguments match a
// native run, and the host thread running it is really pinned.
func TestSchedAffinity(t *testing.T) {
	if n := numCPU(t); n < 2 {
		t.Skipf("needs two CPUs to tell pinned from unpinned, have %d", n)
	}
	bin := guest(t, "affinity", testenv.Dynamic)
	run := func(cmd *exec.Cmd, inspect func(pid int)) string {
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if sc.Text() == "ready" {
				inspect(cmd.Process.Pid)
				stdin.Close()
			}
		}
		io.Copy(io.Discard, stdout)
		if err := cmd.Wait(); err != nil {
			t.Errorf("%v: %v", cmd.Args, err)
		}
		return out.String()
	}
	want := run(testenv.Native(workDir, bin), func(int) {})
	got := run(testenv.Gophene(gopheneBin, workDir, nil, bin), func(pid int) {
		pinned := pinnedThreads(t, pid)
		if len(pinned) != 1 {
			t.Errorf("want exactly one host thread of gophene pinned to CPU 0, found %d: %v", len(pinned), pinned)
		}
	})
	if got != want {
		t.Errorf("output differs\nnative:\n%s\ngophene:\n%s", want, got)
	}
	if !strings.Contains(got, "mask: count=1 cpu0=1\nsamples not on cpu 0: 0\n") {
		t.Errorf("guest was not pinned:\n%s", got)
	}
}

func numCPU(t *testing.T) int {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return 1
	}
	n := 0
	for _, part := range strings.Split(strings.TrimSpace(string(b)), ",") {
		lo, hi, found := strings.Cut(part, "-")
		a, _ := strconv.Atoi(lo)
		c := a
		if found {
			c, _ = strconv.Atoi(hi)
		}
		n += c - a + 1
	}
	return n
}

// pinnedThreads lists the host threads of pid allowed only on CPU 0.
func pinnedThreads(t *testing.T, pid int) []string {
	dirs, err := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/status")
	if err != nil {
		t.Fatal(err)
	}
	var pinned []string
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok && strings.TrimSpace(v) == "0" {
				pinned = append(pinned, d)
			}
		}
	}
	return pinned
}

// A guest that writes system-call instructions at run time and jumps to
// them is still served by the LibOS: getpid returns the virtual pid 1.
func TestRuntimeGeneratedSyscall(t *testing.T) {
	bin := guest(t, "jit", testenv.Static)
	want := native(t, bin)
	got := underGophene(t, nil, bin)
	wantLines := strings.SplitN(want.Stdout, "pid ", 2)
	gotLines := strings.SplitN(got.Stdout, "pid ", 2)
	if got.Code != 0 || want.Code != 0 || wantLines[0] != gotLines[0] {
		t.Errorf("differs from native\nnative: %v\ngophene: %v", want, got)
	}
	if !strings.Contains(got.Stdout, "agree with libc: yes\nrewritten code agrees: yes\nW^X code agrees: yes\npid 1\n") {
		t.Errorf("run-time generated syscalls did not reach the LibOS:\n%v", got)
	}
	// The same on the trap path only.
	trap := underGophene(t, []string{"--no-patch"}, bin)
	if trap.Stdout != got.Stdout {
		t.Errorf("trap path differs from patched path:\n%v\n%v", trap, got)
	}
}

// Paths cannot lead out of the mounts: "..", absolute and relative
// symbolic links, link loops and /proc/self/root all stay inside fs.root.
func TestPathEscape(t *testing.T) {
	top := t.TempDir()
	secret := "TOPSECRET " + strconv.FormatInt(time.Now().UnixNano(), 36)
	writeFile(t, top, "secret.txt", secret+"\n")
	root := filepath.Join(top, "root")
	for _, d := range []string{"bin", "dir/sub", "etc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, root, "etc/inside.txt", "inside\n")
	bin := guest(t, "escape", testenv.Static)
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin/escape"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"abs":        "/../../secret.txt",
		"up":         "../secret.txt",
		"dir/upup":   "../../secret.txt",
		"etcabs":     "/etc/inside.txt",
		"hostabs":    top + "/secret.txt",
		"loop_a":     "loop_b",
		"loop_b":     "loop_a",
		"dir/sub/up": "../../../..",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"/bin/escape",
		"/../secret.txt", "../secret.txt", "/abs", "/up", "/dir/upup", "/etcabs", "/hostabs",
		"/loop_a", "/dir/sub/up/secret.txt", "/dir/sub/up/etc/inside.txt",
		"/proc/self/root/../secret.txt", "/proc/self/root/../../etc/inside.txt",
		"/proc/self/cwd/../../../secret.txt",
		"--cd", "/dir/sub", "../../../secret.txt", "../../etc/inside.txt", "up/etc/inside.txt",
	}
	manifest := writeFile(t, top, "escape.manifest.toml", `
libos.entrypoint = "/bin/escape"
loader.insecure__use_cmdline_argv = true
fs.root.uri = "file:`+root+`"
`)
	r, err := testenv.Run(exec.Command(gopheneBin, append([]string{"run", manifest}, args[1:]...)...))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.Stdout+r.Stderr, "TOPSECRET") {
		t.Fatalf("a host file outside the mounts was read:\n%v", r)
	}
	for _, want := range []string{"/loop_a: ELOOP\n", "/etcabs: \"inside\"\n", "/dir/sub/up/etc/inside.txt: \"inside\"\n",
		"/proc/self/root/../../etc/inside.txt: \"inside\"\n", "up/etc/inside.txt: \"inside\"\n"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("want %q in\n%v", want, r)
		}
	}
	// As root we can compare with the kernel's own chroot; /proc is not
	// mounted there, so the /proc lines are left out of the comparison.
	if os.Geteuid() == 0 {
		want, err := testenv.Run(exec.Command("chroot", append([]string{root}, args...)...))
		if err != nil {
			t.Fatal(err)
		}
		if dropProc(want.Stdout) != dropProc(r.Stdout) || want.Code != r.Code {
			t.Errorf("differs from chroot(8)\nnative: %v\ngophene: %v", want, r)
		}
	}
}

func dropProc(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "/proc/") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
