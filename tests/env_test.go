// Package tests runs real programs under Gophene and compares what they do
// with the same programs run natively: stdout, stderr where it is
// deterministic, and the exit status. Guest programs written for the tests
// live in guests/ and are compiled by the tests with gcc.
package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gophene/internal/testenv"
)

var (
	gopheneBin string // the gophene binary under test
	workDir    string // scratch space for compiled guests

	guestMu    sync.Mutex
	guestCache = map[string]string{}
)

func TestMain(m *testing.M) {
	if err := testenv.Require("gcc", "busybox", "python3"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "gophene-tests-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	workDir = dir
	if gopheneBin, err = testenv.BuildGophene(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// guest compiles guests/name.c in the given mode once per test run.
func guest(t *testing.T, name string, mode testenv.Mode) string {
	t.Helper()
	guestMu.Lock()
	defer guestMu.Unlock()
	key := name + "/" + string(mode)
	if p, ok := guestCache[key]; ok {
		return p
	}
	p, err := testenv.CompileC(workDir, name, mode)
	if err != nil {
		t.Fatal(err)
	}
	guestCache[key] = p
	return p
}

// native runs argv directly.
func native(t *testing.T, argv ...string) testenv.Result {
	t.Helper()
	r, err := testenv.Run(testenv.Native(workDir, argv...))
	if err != nil {
		t.Fatalf("running %v natively: %v", argv, err)
	}
	return r
}

// underGophene runs argv with "gophene run [opts] -- argv".
func underGophene(t *testing.T, opts []string, argv ...string) testenv.Result {
	t.Helper()
	r, err := testenv.Run(testenv.Gophene(gopheneBin, workDir, opts, argv...))
	if err != nil {
		t.Fatalf("running %v under gophene: %v", argv, err)
	}
	return r
}

// sameAsNative runs argv natively and under Gophene and fails unless
// stdout, stderr and the exit status are equal. Output that depends on
// host state that may change between the two runs (time stamps of /tmp)
// gets one more native run to compare with.
func sameAsNative(t *testing.T, argv ...string) testenv.Result {
	t.Helper()
	return sameAsNativeExcept(t, nil, argv...)
}

// sameAsNativeExcept is sameAsNative with both outputs passed through
// mask first, for output that names host state a guest cannot share (the
// number of host processes, say).
func sameAsNativeExcept(t *testing.T, mask func(string) string, argv ...string) testenv.Result {
	t.Helper()
	run := func(r testenv.Result) testenv.Result {
		if mask != nil {
			r.Stdout, r.Stderr = mask(r.Stdout), mask(r.Stderr)
		}
		return r
	}
	want := run(native(t, argv...))
	got := run(underGophene(t, nil, argv...))
	if got != want {
		if again := run(native(t, argv...)); again == got {
			return got
		}
		t.Errorf("%v differs from native\nnative: %v\ngophene: %v", argv, want, got)
	}
	return got
}

// writeFile writes a file for a test and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// suiteSameAsNative runs the C suite guests/name.c, built static and
// dynamic, natively and under Gophene on the patched and the trap path;
// the suite prints "done" last when it ran through natively.
func suiteSameAsNative(t *testing.T, name string) {
	t.Helper()
	for _, mode := range []testenv.Mode{testenv.Static, testenv.Dynamic} {
		bin := guest(t, name, mode)
		want := native(t, bin)
		if !strings.HasSuffix(want.Stdout, "done\n") {
			t.Fatalf("the suite itself fails natively: %v", want)
		}
		for _, opts := range [][]string{nil, {"--no-patch"}} {
			got := underGophene(t, opts, bin)
			if got != want {
				t.Errorf("%s %v differs from native\nnative: %v\ngophene: %v", mode, opts, want, got)
			}
		}
	}
}
