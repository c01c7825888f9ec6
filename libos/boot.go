// Package libos is the Linux personality of Gophene. Boot turns a checked
// manifest into a running guest process on a PAL host: it builds the mount
// table, the standard streams, the credentials and limits, loads the program
// and runs its first thread until the process exits.
//
// Subpackages: kernel (processes, tasks, dispatch), sys (handlers), mm
// (address space), vfs (files and mounts), procfs, loader (ELF),
// manifest, arch/amd64 (the system-call table and call-site patching).
package libos

import (
	"fmt"
	"path"
	"strings"

	"golang.org/x/sys/unix"

	"gophene/libos/arch/amd64"
	"gophene/libos/kernel"
	"gophene/libos/loader"
	"gophene/libos/manifest"
	"gophene/libos/procfs"
	"gophene/libos/sys"
	"gophene/libos/vfs"
	"gophene/pal"
)

// Options are what the command line adds to a manifest.
type Options struct {
	Args    []string // the command line's arguments for the program
	HostEnv []string // the host environment, for passthrough
	// NoPatch keeps every system call on the trap path (for measuring it).
	NoPatch bool
}

// Run boots the manifest's program and returns its wait status (exit code
// << 8, or the number of the signal that killed it).
func Run(host pal.Host, cfg *manifest.Config, opt Options) (int, error) {
	level, ok := kernel.LogLevels[cfg.LogLevel]
	if !ok {
		level = kernel.LogError
	}
	log := kernel.NewLogger(host, level)
	p := kernel.NewProcess(host, amd64.Table(), log)
	p.BecomeLeader()
	setupProcess(p, opt.NoPatch)
	uts := kernel.UTS{Hostname: cfg.Hostname, Domainname: "(none)"}
	if uts.Hostname == "" {
		uts.Hostname = host.Info().Hostname
	}
	uts.Hostname = uts.Hostname[:min(len(uts.Hostname), kernel.UTSNameMax)]
	p.SetUTS(uts)
	p.SetCreds(kernel.Creds{Uid: cfg.Uid, Euid: cfg.Uid, Suid: cfg.Uid, Fsuid: cfg.Uid,
		Gid: cfg.Gid, Egid: cfg.Gid, Sgid: cfg.Gid, Fsgid: cfg.Gid, Cap: initialCaps(cfg, host.Info())})
	p.SetRlimit(unix.RLIMIT_STACK, kernel.Rlimit{Cur: cfg.StackSize, Max: kernel.RlimInfinity})
	p.SetRlimit(unix.RLIMIT_NOFILE, kernel.Rlimit{Cur: uint64(cfg.FDsLimit), Max: 1 << 20})

	if err := mountAll(p, cfg); err != nil {
		return 0, err
	}
	if err := openStdio(p); err != nil {
		return 0, err
	}
	if cfg.StartDir != "" {
		loc, err := p.NS.Resolve("/", cfg.StartDir, true)
		if err != nil {
			return 0, fmt.Errorf("fs.start_dir %q: %w", cfg.StartDir, err)
		}
		p.SetCwd(loc.Path)
	}

	argv := cfg.Argv
	if cfg.UseCmdlineArgv || argv == nil {
		argv = append([]string{cfg.Entrypoint}, opt.Args...)
		if !cfg.UseCmdlineArgv && len(opt.Args) > 0 {
			return 0, fmt.Errorf("command-line arguments need loader.insecure__use_cmdline_argv = true (or loader.argv)")
		}
	}
	envp := environment(cfg, opt.HostEnv)

	p.NoASLR, p.BrkMax = cfg.DisableASLR, uintptr(cfg.BrkMaxSize)
	img, err := loader.Load(kernel.LoaderEnv(p), cfg.Entrypoint, argv, envp)
	if err != nil {
		return 0, fmt.Errorf("cannot run %s: %w", cfg.Entrypoint, err)
	}
	p.Exe, p.Argv, p.Envv, p.Auxv = img.Exe, img.Argv, envp, img.Auxv
	p.NotifyExec(comm(img.Exe), img.Argv) // for the process table (ps)
	p.RegisterHostPid()

	if err := p.RunMainTask(func(t *kernel.Task) {
		t.Name = comm(img.Exe)
		cpu := t.CPU
		cpu.Rip = uint64(img.Entry)
		cpu.Rsp = uint64(img.SP)
		cpu.Rflags = 0x202
	}); err != nil {
		return 0, err
	}
	return p.Release(), nil
}

// setupProcess wires the architecture and process machinery into p: signal
// frames, call-site patching, fork, and signals from the world outside
// (Ctrl-C, kill), which reach the guest as process-directed signals.
func setupProcess(p *kernel.Process, noPatch bool) {
	p.Frames = amd64.Frames{Info: p.Info}
	if !noPatch {
		pt := amd64.NewPatcher(p)
		p.Patch, p.Patcher = pt.Patch, pt
	}
	p.Fork = forkProcess
	p.Host.HostSignals(func(sig int) {
		if sig == int(unix.SIGIO) {
			sys.LeaseBreak(p) // a host lease of ours is being broken
			return
		}
		// Every gophene process gets the signals of the host's terminal;
		// the first routes them to the guest's foreground process group.
		if kernel.IsTerminalSignal(sig) {
			p.TerminalSignal(sig)
			return
		}
		p.SignalProcess(kernel.NewSigInfo(sig, kernel.SiUser))
	})
}

// addSpecialAreas records the host's vDSO pages in p's address space.
func addSpecialAreas(p *kernel.Process) { loader.AddSpecialAreas(p.MM, p.Info) }

// comm is the task name Linux derives from an executable path.
func comm(exe string) string {
	c := path.Base(exe)
	if len(c) > 15 {
		c = c[:15]
	}
	return c
}

// environment builds the guest's environment from the manifest.
func environment(cfg *manifest.Config, hostEnv []string) []string {
	vars := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := vars[k]; !ok {
			order = append(order, k)
		}
		vars[k] = v
	}
	host := map[string]string{}
	for _, kv := range hostEnv {
		k, v, _ := strings.Cut(kv, "=")
		host[k] = v
		if cfg.UseHostEnv {
			set(k, v)
		}
	}
	for _, e := range cfg.Env {
		if e.Passthrough {
			if v, ok := host[e.Name]; ok {
				set(e.Name, v)
			}
			continue
		}
		set(e.Name, e.Value)
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+vars[k])
	}
	return out
}

// mountAll builds the mount table: the root, the manifest's mounts, then
// /proc and /dev unless the manifest mounts something there.
func mountAll(p *kernel.Process, cfg *manifest.Config) error {
	host := p.Host
	root, err := vfs.NewHostFS(host, cfg.Root.HostPath)
	if err != nil {
		return fmt.Errorf("fs.root %q: %w", cfg.Root.URI, err)
	}
	p.NS.Add(&vfs.Mount{Path: "/", FS: root, Type: "chroot", Source: cfg.Root.URI})
	taken := map[string]bool{}
	for i, m := range cfg.Mounts {
		taken[m.Path] = true
		switch m.Type {
		case "chroot":
			fs, err := vfs.NewHostFS(host, m.HostPath)
			if err != nil {
				return fmt.Errorf("fs.mounts[%d] (%s): %q: %w", i, m.Path, m.URI, err)
			}
			p.NS.Add(&vfs.Mount{Path: m.Path, FS: fs, Type: "chroot", Source: m.URI})
		case "tmpfs":
			h, err := host.FileTempRoot()
			if err != nil {
				return fmt.Errorf("fs.mounts[%d] (%s): tmpfs: %w", i, m.Path, err)
			}
			p.NS.Add(&vfs.Mount{Path: m.Path, FS: vfs.NewHostFSFromHandle(host, h), Type: "tmpfs", Source: "tmpfs"})
		default:
			return fmt.Errorf("fs.mounts[%d] (%s): mount type %q is not supported yet", i, m.Path, m.Type)
		}
	}
	if !taken["/proc"] {
		p.NS.Add(&vfs.Mount{Path: "/proc", FS: procfs.New(p), Type: "proc", Source: "proc", CoverAttrs: true})
	}
	if !taken["/dev"] {
		p.NS.Add(&vfs.Mount{Path: "/dev", FS: vfs.NewDevFS(host, p.StartTime), Type: "devtmpfs", Source: "udev", CoverAttrs: true})
	}
	return nil
}

// openStdio installs fds 0, 1 and 2 on the host's standard streams.
func openStdio(p *kernel.Process) error {
	hs := p.Host.StdHandles()
	modes := [3]int{unix.O_RDONLY, unix.O_WRONLY, unix.O_WRONLY}
	for i, h := range hs {
		if h == pal.NoHandle {
			continue
		}
		impl := vfs.NewHostFile(p.Host, h)
		f := vfs.NewFile(impl, modes[i], stdioName(impl, i), nil)
		if err := p.FDs.InstallAt(i, f, false); err != nil {
			return err
		}
	}
	return nil
}

// stdioName is what /proc/self/fd/N says of an inherited standard stream:
// Linux's name for a pipe, socket, terminal or /dev/null, and otherwise
// /dev/fd/N, for a host file that may lie outside every mount (opening
// the link reopens the stream itself, whatever its name).
func stdioName(f *vfs.HostFile, fd int) string {
	var st pal.Stat
	if f.Stat(&st) == nil {
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFIFO:
			return fmt.Sprintf("pipe:[%d]", st.Ino)
		case unix.S_IFSOCK:
			return fmt.Sprintf("socket:[%d]", st.Ino)
		case unix.S_IFCHR:
			switch major, minor := unix.Major(st.Rdev), unix.Minor(st.Rdev); {
			case major == 1 && minor == 3:
				return "/dev/null"
			case major == 5 && minor == 0:
				return "/dev/tty"
			case major >= 136 && major < 144:
				return fmt.Sprintf("/dev/pts/%d", (major-136)*256+minor)
			}
		}
	}
	return fmt.Sprintf("/dev/fd/%d", fd)
}

// initialCaps are the first process's capability sets: the host process's
// own in quick mode, otherwise those of loader.uid.
func initialCaps(cfg *manifest.Config, info *pal.Info) kernel.CapSets {
	if !cfg.HostCaps {
		return kernel.InitialCaps(cfg.Uid)
	}
	c := info.Caps
	return kernel.CapSets{Effective: c[0], Permitted: c[1], Inheritable: c[2], Bounding: c[3], Ambient: c[4]}
}
