// Command gophene runs unmodified Linux x86-64 programs inside the Gophene
// library OS.
//
//	gophene run [--trace] [--log-level L] app.manifest.toml [args...]
//	gophene run [--trace] [--log-level L] -- /path/to/prog [args...]
//	gophene manifest [-D name=value]... app.manifest.template > app.manifest.toml
//	gophene features > docs/features.md
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"golang.org/x/sys/unix"

	"gophene/libos"
	"gophene/libos/arch/amd64"
	"gophene/libos/manifest"
	"gophene/pal/host/linux"
)

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  gophene run [options] app.manifest.toml [args...]   run a program described by a manifest
  gophene run [options] -- /path/to/prog [args...]     run a program with a default manifest
  gophene manifest [-D name=value]... TEMPLATE         render a manifest template to stdout
  gophene features                                     print the system-call support table

run options:
  --trace           print every system call, strace-style (loader.log_level = "trace")
  --log-level L     none, error, warning, debug, trace or all
  --no-patch        keep every system call on the trap path (for measurements)
`)
}

func main() {
	linux.RunRole()
	if linux.IsChild() {
		os.Exit(runChild())
	}
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var code int
	switch os.Args[1] {
	case "run":
		code = run(os.Args[2:])
	case "manifest":
		code = renderManifest(os.Args[2:])
	case "features":
		os.Stdout.WriteString(amd64.FeaturesMarkdown())
	case "-h", "--help", "help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "gophene: unknown command %q\n", os.Args[1])
		usage()
		code = 2
	}
	os.Exit(code)
}

func run(args []string) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.Usage = usage
	trace := fs.Bool("trace", false, "")
	level := fs.String("log-level", "", "")
	noPatch := fs.Bool("no-patch", false, "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rest := fs.Args()
	quick := len(args) > len(rest) && args[len(args)-len(rest)-1] == "--"
	if len(rest) == 0 {
		usage()
		return 2
	}
	var cfg *manifest.Config
	var progArgs []string
	if quick {
		prog := rest[0]
		if !strings.Contains(prog, "/") {
			p, err := exec.LookPath(prog)
			if err != nil {
				fmt.Fprintf(os.Stderr, "gophene: %s: command not found\n", prog)
				return 127
			}
			prog = p
		}
		cwd, err := os.Getwd()
		if err != nil {
			cwd = "/"
		}
		cfg = manifest.Quick(prog, os.Getuid(), os.Getgid(), cwd)
		cfg.LogLevel = "warning"
		progArgs = rest[1:]
	} else {
		c, err := manifest.Load(rest[0])
		if err != nil {
			fmt.Fprintf(os.Stderr, "gophene: bad manifest: %v\n", err)
			return 2
		}
		cfg, progArgs = c, rest[1:]
	}
	if *level != "" {
		if _, ok := libosLevels[*level]; !ok {
			fmt.Fprintf(os.Stderr, "gophene: --log-level must be one of %s\n", strings.Join(manifest.LogLevels, ", "))
			return 2
		}
		cfg.LogLevel = *level
	}
	if *trace {
		cfg.LogLevel = "trace"
	}
	if pc, bad := linux.CodeInWindow(); bad {
		fmt.Fprintf(os.Stderr, "gophene: this binary's code is at %#x, where guest programs go; build it as the README says:\n"+
			"  go build -ldflags=-T=0x600000001000 -o gophene ./cmd/gophene\n", pc)
		return 2
	}
	host, err := linux.New()
	if err != nil {
		fmt.Fprintf(os.Stderr, "gophene: cannot start the host: %v\n", err)
		return 1
	}
	status, err := libos.Run(host, cfg, libos.Options{Args: progArgs, HostEnv: os.Environ(), NoPatch: *noPatch})
	// ProcessExit also ends and reaps every other gophene process.
	host.ProcessExit(exitCode(status, err))
	return 0
}

// exitCode is gophene's exit status for the guest's wait status, or for the
// error that kept the guest from starting, with a shell-like message.
func exitCode(status int, err error) int {
	if err != nil {
		fmt.Fprintf(os.Stderr, "gophene: %v\n", err)
		var errno unix.Errno
		if errors.As(err, &errno) && (errno == unix.ENOENT || errno == unix.EACCES || errno == unix.ENOEXEC) {
			if errno == unix.ENOENT {
				return 127
			}
			return 126
		}
		return 1
	}
	if sig := status & 0x7f; sig != 0 {
		if msg := signalMessage(unix.Signal(sig)); msg != "" {
			fmt.Fprintln(os.Stderr, msg)
		}
		return 128 + sig
	}
	return status >> 8 & 0xff
}

var libosLevels = map[string]bool{"none": true, "error": true, "warning": true, "debug": true, "trace": true, "all": true}

// signalMessage is what a shell prints when a job dies by sig.
func signalMessage(sig unix.Signal) string {
	switch sig {
	case unix.SIGINT, unix.SIGPIPE:
		return ""
	case unix.SIGSEGV:
		return "Segmentation fault"
	case unix.SIGBUS:
		return "Bus error"
	case unix.SIGFPE:
		return "Floating point exception"
	case unix.SIGILL:
		return "Illegal instruction"
	case unix.SIGTRAP:
		return "Trace/breakpoint trap"
	case unix.SIGABRT:
		return "Aborted"
	case unix.SIGKILL:
		return "Killed"
	case unix.SIGTERM:
		return "Terminated"
	}
	name := unix.SignalName(sig)
	if name == "" {
		name = fmt.Sprintf("signal %d", sig)
	}
	return name
}

// renderManifest implements "gophene manifest": it fills a template and
// checks the result like "gophene run" would.
func renderManifest(args []string) int {
	vars := map[string]string{}
	var file string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-D" && i+1 < len(args):
			i++
			k, v, _ := strings.Cut(args[i], "=")
			vars[k] = v
		case strings.HasPrefix(a, "-D"):
			k, v, _ := strings.Cut(a[2:], "=")
			vars[k] = v
		case file == "":
			file = a
		default:
			usage()
			return 2
		}
	}
	if file == "" {
		usage()
		return 2
	}
	text, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gophene: %v\n", err)
		return 1
	}
	out, err := manifest.Render(file, string(text), vars)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gophene: %v\n", err)
		return 2
	}
	if _, err := manifest.Parse(file, out); err != nil {
		fmt.Fprintf(os.Stderr, "gophene: bad manifest: %v\n", err)
		return 2
	}
	os.Stdout.WriteString(out)
	return 0
}

// runChild is a gophene process spawned to become a forked guest process;
// when that process ends, it may be reused for another (Host.Recycle).
func runChild() int {
	host, err := linux.New()
	if err != nil {
		fmt.Fprintf(os.Stderr, "gophene: cannot start the host: %v\n", err)
		return 1
	}
	for {
		status, reusable, err := libos.RunChild(host)
		if err == libos.ErrNoCheckpoint {
			return 0
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "gophene: forked process: %v\n", err)
			return 1
		}
		if !reusable || !host.Recycle() {
			if sig := status & 0x7f; sig != 0 {
				return 128 + sig
			}
			return status >> 8 & 0xff
		}
	}
}
