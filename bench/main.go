// Command bench measures Gophene against native Linux in the same run and
// reports the ratios:
//
//	go run ./bench              # full run (about half a minute)
//	go run ./bench -quick       # fewer iterations, for a smoke test
//	go run ./bench -json r.json # also write the results as JSON
//
// It builds gophene and the guest programs of tests/guests into a
// temporary directory and measures, natively and under gophene:
//
//   - the null system call (getppid) on the patched path, statically and
//     dynamically linked; the static build is the headline number;
//   - the same on the trap path (gophene run --no-patch);
//   - thread create+join, a futex round trip between two threads, a signal
//     delivered to a handler, and fork+exit+wait from a small process and
//     from one with a 256 MiB touched heap (tests/guests/opbench.c);
//   - the start-up of a hello-world program (static and dynamic) and of
//     "python3 -c pass", as the wall time of running them to completion.
//
// Every number is a median over several runs, and native and gophene runs
// alternate so that both see the same background noise. See README.md.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"gophene/internal/testenv"
)

// config says how much to measure.
type config struct {
	// SyscallRuns is how many times each getppid guest runs per side;
	// every run prints the median of seven timed loops.
	SyscallRuns int `json:"syscall_runs"`
	// PatchedIters and TrapIters are the getppid calls per timed loop.
	PatchedIters int `json:"patched_iters"`
	TrapIters    int `json:"trap_iters"`
	// HelloRuns and PythonRuns are the start-up runs per side.
	HelloRuns  int `json:"hello_runs"`
	PythonRuns int `json:"python_runs"`
	// OpRuns is how many times each opbench guest runs per side; every run
	// prints the median of five timed loops of the Ops operations.
	OpRuns int            `json:"op_runs"`
	Ops    map[string]int `json:"ops"`
}

var (
	fullConfig = config{SyscallRuns: 7, PatchedIters: 200000, TrapIters: 20000, HelloRuns: 30, PythonRuns: 15,
		OpRuns: 5, Ops: map[string]int{"thread": 2000, "futex": 20000, "signal": 20000, "fork": 100, "fork256": 20}}
	quickConfig = config{SyscallRuns: 3, PatchedIters: 50000, TrapIters: 5000, HelloRuns: 10, PythonRuns: 5,
		OpRuns: 3, Ops: map[string]int{"thread": 500, "futex": 5000, "signal": 5000, "fork": 30, "fork256": 5}}
)

// Targets from the performance issue: the largest acceptable ratio.
const (
	patchedTarget = 1.5
	trapTarget    = 15
	threadTarget  = 3  // thread create+join, futex ping-pong, signal delivery
	forkTarget    = 5  // fork+exit+wait of a small process
	bigForkTarget = 10 // the same with a 256 MiB touched heap
)

const python = "/usr/bin/python3"

// Row is one line of the results table.
type Row struct {
	Name string `json:"name"`
	// Unit is "ns/call" for the system-call rows, "ms" for start-up and
	// "us/op" for the opbench rows.
	Unit    string  `json:"unit"`
	Native  float64 `json:"native"`
	Gophene float64 `json:"gophene"`
	Ratio   float64 `json:"ratio"`
	// Target is the largest acceptable ratio, 0 if the row has none.
	Target float64 `json:"target,omitempty"`
	// Verdict is PASS, FAIL or "-" (no target).
	Verdict string `json:"verdict"`
	// Headline marks the rows the targets are judged on.
	Headline bool `json:"headline,omitempty"`
	// The individual samples the medians come from.
	NativeSamples  []float64 `json:"native_samples"`
	GopheneSamples []float64 `json:"gophene_samples"`
}

// Report is what -json writes.
type Report struct {
	Date      string `json:"date"`
	Quick     bool   `json:"quick"`
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"go_version"`
	Config    config `json:"config"`
	Rows      []Row  `json:"rows"`
}

func main() {
	quick := flag.Bool("quick", false, "fewer iterations (a smoke test, not a measurement)")
	jsonOut := flag.String("json", "", "also write the results as JSON to `file`")
	flag.Parse()
	if err := run(*quick, *jsonOut); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(quick bool, jsonOut string) error {
	cfg := fullConfig
	if quick {
		cfg = quickConfig
	}
	if err := testenv.Require("gcc"); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "gophene-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	progress("building gophene and the guests in %s", dir)
	gophene, err := testenv.BuildGophene(dir)
	if err != nil {
		return err
	}
	bins := map[string]string{}
	for _, name := range []string{"getppid", "hello", "opbench"} {
		for _, mode := range []testenv.Mode{testenv.Static, testenv.Dynamic} {
			bin, err := testenv.CompileC(dir, name, mode)
			if err != nil {
				return err
			}
			bins[name+"-"+string(mode)] = bin
		}
	}

	b := &bencher{dir: dir, gophene: gophene, cfg: cfg}
	var rows []Row
	add := func(r Row, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
		progress("%-34s native %s  gophene %s  ratio %.2fx", r.Name, format(r.Native, r.Unit), format(r.Gophene, r.Unit), r.Ratio)
		rows = append(rows, r)
		return nil
	}
	steps := []func() (Row, error){
		func() (Row, error) {
			return b.syscall("null syscall, patched (static)", bins["getppid-static"], nil, cfg.PatchedIters, patchedTarget, true)
		},
		func() (Row, error) {
			return b.syscall("null syscall, patched (dynamic)", bins["getppid-dynamic"], nil, cfg.PatchedIters, patchedTarget, false)
		},
		func() (Row, error) {
			return b.syscall("null syscall, trap (static)", bins["getppid-static"], []string{"--no-patch"}, cfg.TrapIters, trapTarget, true)
		},
		func() (Row, error) {
			return b.syscall("null syscall, trap (dynamic)", bins["getppid-dynamic"], []string{"--no-patch"}, cfg.TrapIters, trapTarget, false)
		},
		func() (Row, error) {
			return b.startup("hello start-up (static)", cfg.HelloRuns, "hello, world\n", bins["hello-static"])
		},
		func() (Row, error) {
			return b.startup("hello start-up (dynamic)", cfg.HelloRuns, "hello, world\n", bins["hello-dynamic"])
		},
	}
	opbench := bins["opbench-dynamic"]
	for _, op := range []struct {
		name   string
		args   []string
		target float64
	}{
		{"thread create+join", []string{"thread", strconv.Itoa(cfg.Ops["thread"])}, threadTarget},
		{"futex ping-pong (round trip)", []string{"futex", strconv.Itoa(cfg.Ops["futex"])}, threadTarget},
		{"signal to a handler", []string{"signal", strconv.Itoa(cfg.Ops["signal"])}, threadTarget},
		{"fork+exit+wait (small)", []string{"fork", strconv.Itoa(cfg.Ops["fork"])}, forkTarget},
		{"fork+exit+wait (256 MiB heap)", []string{"fork", strconv.Itoa(cfg.Ops["fork256"]), "256"}, bigForkTarget},
	} {
		steps = append(steps, func() (Row, error) {
			return b.measure(op.name, "us/op", opbench, op.args, nil, b.cfg.OpRuns, op.target, true)
		})
	}
	if _, err := os.Stat(python); err == nil {
		steps = append(steps, func() (Row, error) {
			return b.startup("python3 -c pass start-up", cfg.PythonRuns, "", python, "-c", "pass")
		})
	} else {
		progress("skipping python3 -c pass: %v", err)
	}
	for _, step := range steps {
		if err := add(step()); err != nil {
			return err
		}
	}

	rep := Report{
		Date:      time.Now().UTC().Format(time.RFC3339),
		Quick:     quick,
		CPUs:      runtime.NumCPU(),
		CPUModel:  cpuModel(),
		Kernel:    kernelRelease(),
		GoVersion: runtime.Version(),
		Config:    cfg,
		Rows:      rows,
	}
	printTable(os.Stdout, rep)
	if jsonOut != "" {
		data, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(jsonOut, append(data, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// bencher runs guests natively and under gophene.
type bencher struct {
	dir, gophene string
	cfg          config
}

func (b *bencher) native(argv ...string) *exec.Cmd { return testenv.Native(b.dir, argv...) }

func (b *bencher) underGophene(opts []string, argv ...string) *exec.Cmd {
	return testenv.Gophene(b.gophene, b.dir, opts, argv...)
}

// interleave calls native(i) and gophene(i) for i < n, alternating which
// goes first, and collects their samples.
func interleave(n int, native, gophene func() (float64, error)) (ns, gs []float64, err error) {
	for i := 0; i < n; i++ {
		first, second := native, gophene
		if i%2 == 1 {
			first, second = gophene, native
		}
		a, err := first()
		if err != nil {
			return nil, nil, err
		}
		c, err := second()
		if err != nil {
			return nil, nil, err
		}
		if i%2 == 1 {
			a, c = c, a
		}
		ns = append(ns, a)
		gs = append(gs, c)
	}
	return ns, gs, nil
}

// syscall measures ns per getppid() call of the guest bin, natively and
// under gophene with opts, over cfg.SyscallRuns runs of each.
func (b *bencher) syscall(name, bin string, opts []string, iters int, target float64, headline bool) (Row, error) {
	return b.measure(name, "ns/call", bin, []string{strconv.Itoa(iters)}, opts, b.cfg.SyscallRuns, target, headline)
}

// measure runs a guest that prints its own measurement (one number in
// unit), runs times natively and under gophene with opts.
func (b *bencher) measure(name, unit, bin string, args, opts []string, runs int, target float64, headline bool) (Row, error) {
	r := Row{Name: name, Unit: unit, Target: target, Headline: headline}
	argv := append([]string{bin}, args...)
	sample := func(mk func() *exec.Cmd) func() (float64, error) {
		return func() (float64, error) {
			cmd := mk()
			res, err := testenv.Run(cmd)
			if err != nil {
				return 0, err
			}
			if res.Code != 0 {
				return 0, fmt.Errorf("%v: %v", cmd.Args, res)
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(res.Stdout), 64)
			if err != nil || v <= 0 {
				return 0, fmt.Errorf("%v: unexpected output: %v", cmd.Args, res)
			}
			return v, nil
		}
	}
	native := sample(func() *exec.Cmd { return b.native(argv...) })
	gophene := sample(func() *exec.Cmd { return b.underGophene(opts, argv...) })
	// One unmeasured run of each warms the page cache.
	if _, err := native(); err != nil {
		return r, err
	}
	if _, err := gophene(); err != nil {
		return r, err
	}
	var err error
	r.NativeSamples, r.GopheneSamples, err = interleave(runs, native, gophene)
	if err != nil {
		return r, err
	}
	r.finish()
	return r, nil
}

// startup measures the wall time (ms) of running argv to completion,
// natively and under gophene, runs times each. want, if not empty, is the
// output the program must print.
func (b *bencher) startup(name string, runs int, want string, argv ...string) (Row, error) {
	r := Row{Name: name, Unit: "ms"}
	sample := func(mk func() *exec.Cmd) func() (float64, error) {
		return func() (float64, error) {
			cmd := mk()
			start := time.Now()
			res, err := testenv.Run(cmd)
			d := time.Since(start)
			if err != nil {
				return 0, err
			}
			if res.Code != 0 || (want != "" && res.Stdout != want) {
				return 0, fmt.Errorf("%v: %v", cmd.Args, res)
			}
			return float64(d.Nanoseconds()) / 1e6, nil
		}
	}
	native := sample(func() *exec.Cmd { return b.native(argv...) })
	gophene := sample(func() *exec.Cmd { return b.underGophene(nil, argv...) })
	for i := 0; i < 2; i++ {
		if _, err := native(); err != nil {
			return r, err
		}
		if _, err := gophene(); err != nil {
			return r, err
		}
	}
	var err error
	r.NativeSamples, r.GopheneSamples, err = interleave(runs, native, gophene)
	if err != nil {
		return r, err
	}
	r.finish()
	return r, nil
}

// finish computes the medians, the ratio and the verdict.
func (r *Row) finish() {
	r.Native = median(r.NativeSamples)
	r.Gophene = median(r.GopheneSamples)
	r.Ratio = r.Gophene / r.Native
	switch {
	case r.Target == 0:
		r.Verdict = "-"
	case r.Ratio <= r.Target:
		r.Verdict = "PASS"
	default:
		r.Verdict = "FAIL"
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func format(v float64, unit string) string {
	switch unit {
	case "ms":
		return fmt.Sprintf("%.2f ms", v)
	case "us/op":
		return fmt.Sprintf("%.1f us", v)
	}
	return fmt.Sprintf("%.1f ns", v)
}

func printTable(f *os.File, rep Report) {
	mode := "full"
	if rep.Quick {
		mode = "quick (smoke test, not a measurement)"
	}
	fmt.Fprintf(f, "\nGophene vs native Linux: %s, %d CPUs, kernel %s, %s, %s run\n\n",
		rep.CPUModel, rep.CPUs, rep.Kernel, rep.GoVersion, mode)
	const line = "%-34s %11s %11s %8s %8s  %s\n"
	fmt.Fprintf(f, line, "benchmark", "native", "gophene", "ratio", "target", "verdict")
	for _, r := range rep.Rows {
		target := "-"
		if r.Target != 0 {
			target = fmt.Sprintf("<=%gx", r.Target)
		}
		fmt.Fprintf(f, line, r.Name, format(r.Native, r.Unit), format(r.Gophene, r.Unit), fmt.Sprintf("%.2fx", r.Ratio), target, r.Verdict)
	}
	fmt.Fprintln(f)
	for _, r := range rep.Rows {
		if r.Headline {
			fmt.Fprintf(f, "headline: %s %.2fx (target <= %gx): %s\n", r.Name, r.Ratio, r.Target, r.Verdict)
		}
	}
	// A patched row no faster than its trap row means the call sites were
	// never rewritten: worth saying, since the ratio alone hides why.
	for _, p := range rep.Rows {
		build, ok := strings.CutPrefix(p.Name, "null syscall, patched ")
		if !ok {
			continue
		}
		for _, t := range rep.Rows {
			if t.Name == "null syscall, trap "+build && p.Gophene >= 0.8*t.Gophene {
				if !hostHasFSGSBASE() {
					fmt.Fprintf(f, "note: %s costs almost what the trap path does (%.0f vs %.0f ns): this CPU has no FSGSBASE, so both switch FS with two host system calls per guest one\n",
						p.Name, p.Gophene, t.Gophene)
					continue
				}
				fmt.Fprintf(f, "note: %s costs as much as the trap path (%.0f vs %.0f ns): its call sites were not patched\n",
					p.Name, p.Gophene, t.Gophene)
			}
		}
	}
	fmt.Fprintln(f, "null syscall rows: ns per getppid() call, median of the guest's seven timed loops, then of the runs;")
	fmt.Fprintln(f, "start-up rows: median wall time of running the program to completion;")
	fmt.Fprintln(f, "other rows: microseconds per operation (tests/guests/opbench.c), median of five loops, then of the runs.")
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func kernelRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// hostHasFSGSBASE reports whether the CPU offers the FSGSBASE instructions
// (the "fsgsbase" flag of /proc/cpuinfo), without which gophene's guest
// entry and exit make host system calls (docs/design.md).
func hostHasFSGSBASE() bool {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return true
	}
	for _, f := range strings.Fields(string(b)) {
		if f == "fsgsbase" {
			return true
		}
	}
	return false
}
