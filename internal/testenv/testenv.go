// Package testenv builds Gophene and guest programs and runs them natively
// and under Gophene. The tests in tests/ and the benchmarks in bench/ share
// it, so that both compare the same things the same way.
package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
)

// Root is the repository's root directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// BuildFlags are the README's flags for building gophene: a static
// executable linked above the guest address window (non-PIE executables
// default to 0x400000, where guest executables go), which starts faster
// than a PIE since nothing needs relocating.
var BuildFlags = []string{"-ldflags=-T=0x600000001000"}

// BuildGophene builds the gophene command with BuildFlags into dir and
// returns its path.
func BuildGophene(dir string) (string, error) {
	out := filepath.Join(dir, "gophene")
	cmd := exec.Command("go", append(append([]string{"build"}, BuildFlags...), "-o", out, "./cmd/gophene")...)
	cmd.Dir = Root()
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building gophene: %v\n%s", err, b)
	}
	return out, nil
}

// Mode is how a C guest is linked.
type Mode string

// Link modes.
const (
	Static    Mode = "static"
	StaticPIE Mode = "static-pie"
	Dynamic   Mode = "dynamic"
)

// CompileC compiles tests/guests/name.c into dir and returns the binary.
func CompileC(dir, name string, mode Mode) (string, error) {
	src := filepath.Join(Root(), "tests", "guests", name+".c")
	out := filepath.Join(dir, name+"-"+string(mode))
	args := []string{"-O2", "-Wall", "-o", out, src}
	switch mode {
	case Static:
		args = append(args, "-static")
	case StaticPIE:
		args = append(args, "-static-pie")
	}
	cmd := exec.Command("gcc", args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("gcc %s (%s): %v\n%s", name, mode, err, b)
	}
	return out, nil
}

// Result is what a program did.
type Result struct {
	Stdout, Stderr string
	// Code is the exit status, or 128+N for a death by signal N, as a
	// shell reports it.
	Code int
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.Code, r.Stdout, r.Stderr)
}

// Run runs cmd to completion and collects what it did.
func Run(cmd *exec.Cmd) (Result, error) {
	var stdout, stderr bytes.Buffer
	if cmd.Stdout == nil {
		cmd.Stdout = &stdout
	}
	if cmd.Stderr == nil {
		cmd.Stderr = &stderr
	}
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			r.Code = 128 + int(ws.Signal())
		} else {
			r.Code = ws.ExitStatus()
		}
	default:
		return r, err
	}
	return r, nil
}

// Native is a command running argv directly.
func Native(dir string, argv ...string) *exec.Cmd {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	return cmd
}

// Gophene is a command running argv under gophene in quick mode, with
// extra gophene options before the "--".
func Gophene(gophene, dir string, opts []string, argv ...string) *exec.Cmd {
	args := append([]string{"run"}, opts...)
	args = append(args, "--")
	args = append(args, argv...)
	cmd := exec.Command(gophene, args...)
	cmd.Dir = dir
	return cmd
}

// Require fails unless every named program is installed.
func Require(progs ...string) error {
	for _, p := range progs {
		if _, err := exec.LookPath(p); err != nil {
			return fmt.Errorf("%s is needed (Debian: apt-get install gcc busybox-static python3); %v", p, err)
		}
	}
	return nil
}
