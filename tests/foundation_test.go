package tests

import (
	"crypto/sha256"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gophene/internal/testenv"
)

// A C program built static, static-PIE and dynamic prints the same as
// natively and exits with the same status.
func TestHelloAllLinkModes(t *testing.T) {
	for _, mode := range []testenv.Mode{testenv.Static, testenv.StaticPIE, testenv.Dynamic} {
		t.Run(string(mode), func(t *testing.T) {
			bin := guest(t, "hello", mode)
			r := sameAsNative(t, bin, "7", "two words", "")
			if r.Code != 7 || !strings.HasPrefix(r.Stdout, "hello, world\n") {
				t.Errorf("unexpected result %v", r)
			}
		})
	}
}

// Debian's busybox-static, applet by applet, as separate runs.
func TestBusybox(t *testing.T) {
	doc := "/usr/share/doc"
	cases := [][]string{
		{"echo", "hello", "from", "busybox"},
		{"ls", "-la", "/usr"},
		{"cat", "/etc/os-release"},
		{"wc", "/etc/passwd", "/etc/os-release"},
		{"md5sum", "/usr/bin/busybox"},
		{"sort", "/etc/passwd"},
		{"grep", "-r", "Debian", "/etc/os-release", "/usr/share/doc/busybox-static"},
		{"find", doc, "-name", "*.gz"},
		{"sh", "-c", "i=0; while [ $i -lt 5 ]; do echo $i; i=$((i+1)); done"},
		{"sh", "-c", "echo $((6*7)); exit 4"},
		{"ls", "/nonexistent"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c, " "), func(t *testing.T) {
			sameAsNative(t, append([]string{"/bin/busybox"}, c...)...)
		})
	}
}

// Dynamic Debian binaries: ld.so, libc, locale files, python.
func TestDebianDynamic(t *testing.T) {
	big := filepath.Join(workDir, "big.bin")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.New(rand.NewSource(1)), 100<<20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cases := [][]string{
		{"/bin/ls", "-la", "/"},
		{"/bin/cat", "/etc/os-release"},
		{"/usr/bin/sha256sum", big},
		{"/usr/bin/python3", "-c", `import json, os, hashlib; print(json.dumps(sorted(os.listdir("/"))), hashlib.sha256(b"x").hexdigest())`},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c[0]), func(t *testing.T) {
			// /proc's link count is the number of host processes, which
			// gophene's own add to.
			r := sameAsNativeExcept(t, procLinks, c...)
			if c[0] == "/usr/bin/sha256sum" {
				data, _ := os.ReadFile(big)
				sum := sha256.Sum256(data)
				if !strings.HasPrefix(r.Stdout, hexString(sum[:])) {
					t.Errorf("sha256sum printed %q", r.Stdout)
				}
			}
		})
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// The guest's exit status becomes gophene's; a guest killed by a signal
// makes gophene exit with 128+N and print what a shell prints.
func TestExitStatusAndCrash(t *testing.T) {
	bin := guest(t, "crash", testenv.Static)
	if r := sameAsNative(t, bin, "exit"); r.Code != 3 {
		t.Errorf("exit: got status %d, want 3", r.Code)
	}
	for _, c := range []struct {
		how  string
		code int
		msg  string
	}{{"null", 139, "Segmentation fault"}, {"abort", 134, "Aborted"}} {
		want := native(t, bin, c.how)
		got := underGophene(t, nil, bin, c.how)
		if got.Code != c.code || want.Code != c.code {
			t.Errorf("%s: status native %d, gophene %d, want %d", c.how, want.Code, got.Code, c.code)
		}
		if strings.TrimSpace(got.Stderr) != c.msg {
			t.Errorf("%s: gophene printed %q, want %q", c.how, got.Stderr, c.msg)
		}
	}
}

// procLinks hides the link count in ls -l's line for /proc.
func procLinks(s string) string {
	return procLinkRE.ReplaceAllString(s, "$1 N $2")
}

var procLinkRE = regexp.MustCompile(`(?m)^(dr-xr-xr-x) +[0-9]+ (.* proc)$`)
