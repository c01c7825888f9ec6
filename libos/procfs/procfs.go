// Package procfs builds the guest's /proc from the LibOS's own state: the
// process (pid, credentials, cwd, fds, memory map, mounts) and what the PAL
// reports of the machine. Nothing in it reads the host's /proc.
package procfs

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/big"
	"path"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/mm"
	"gophene/libos/vfs"
	"gophene/pal"
)

// procMagic is PROC_SUPER_MAGIC.
const procMagic = 0x9fa0

// New builds /proc for process p.
func New(p *kernel.Process) *vfs.PseudoFS {
	fs := &vfs.PseudoFS{Dev: unix.Mkdev(0, 21), Magic: procMagic, Time: p.StartTime}
	pid := strconv.Itoa(p.Pid)
	text := func(f func() string) *vfs.Node {
		return vfs.RegularFile(func() ([]byte, error) { return []byte(f()), nil })
	}
	link := func(f func() string) *vfs.Node {
		return vfs.Symlink(func() (string, error) { return f(), nil })
	}
	info := p.Info
	root := vfs.Dir(map[string]*vfs.Node{
		"self":        link(func() string { return pid }),
		"thread-self": link(func() string { return pid + "/task/" + pid }),
		"cpuinfo":     text(func() string { return cpuinfo(info) }),
		"meminfo":     text(func() string { return meminfo(info) }),
		"stat":        text(func() string { return stat(p) }),
		"uptime":      text(func() string { return uptime(p) }),
		"version": text(func() string {
			return fmt.Sprintf("Linux version %s (gophene) %s\n", info.KernelRelease, info.KernelVersion)
		}),
		"loadavg":     text(func() string { return fmt.Sprintf("0.00 0.00 0.00 1/%d %d\n", len(p.Tasks()), p.Pid) }),
		"filesystems": text(vfs.FilesystemsText),
		"mounts":      link(func() string { return "self/mounts" }),
		"sysvipc": vfs.Dir(map[string]*vfs.Node{
			"msg": text(func() string { return p.SysvTable(0) }),
			"sem": text(func() string { return p.SysvTable(1) }),
			"shm": text(func() string { return p.SysvTable(2) }),
		}),
		"sys": sysctlTree(p, map[string]func() string{
			"kernel/osrelease":      func() string { return info.KernelRelease },
			"kernel/ostype":         func() string { return "Linux" },
			"kernel/version":        func() string { return info.KernelVersion },
			"kernel/random/boot_id": func() string { return strings.TrimSpace(uuid(p, "boot")) },
			"kernel/random/uuid":    func() string { return strings.TrimSpace(uuid(p, "")) },
		}),
	})
	addUTSFiles(root.Children["sys"], p)
	addKeyFiles(root, p)
	root.Children[pid] = processDir(p)
	// The guest's other processes, from the leader's process table: what
	// it knows of them (ids, state, command line), enough for ps.
	root.List = func() []string {
		var names []string
		for _, pi := range p.ListProcs() {
			if pi.Pid != p.Pid {
				names = append(names, strconv.Itoa(pi.Pid))
			}
		}
		return names
	}
	root.Lookup = func(name string) *vfs.Node {
		n, err := strconv.Atoi(name)
		if err != nil || n <= 0 || strconv.Itoa(n) != name {
			return nil
		}
		for _, pi := range p.ListProcs() {
			if pi.Pid == n {
				return otherProcessDir(p, pi)
			}
		}
		return nil
	}
	fs.Root = root
	return fs
}

// otherProcessDir is /proc/<pid> for another guest process.
func otherProcessDir(p *kernel.Process, pi kernel.ProcInfo) *vfs.Node {
	text := func(s string) *vfs.Node {
		return vfs.RegularFile(func() ([]byte, error) { return []byte(s), nil })
	}
	// The state is asked of the process when the file is read: programs
	// poll it to see a process go to sleep.
	state := func() (string, string) {
		switch {
		case pi.Zombie:
			return "Z", "Z (zombie)"
		case pi.Stopped:
			return "T", "T (stopped)"
		}
		switch p.StateOf(pi.Pid) {
		case 'R':
			return "R", "R (running)"
		case 'T':
			return "T", "T (stopped)"
		case 0:
			return "Z", "Z (zombie)"
		}
		return "S", "S (sleeping)"
	}
	var argv []string
	if !pi.Zombie {
		argv = pi.Argv
	}
	stat := func() ([]byte, error) {
		s, _ := state()
		f := []any{pi.Pid, "(" + pi.Comm + ")", s, pi.Ppid, pi.Pgid, pi.Sid, 0, -1, 4194304,
			0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 1, 0, 0, 0, 0,
			uint64(kernel.RlimInfinity), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 0, 0,
			0, 0, 0, 0, 0, 0, 0}
		parts := make([]string, len(f))
		for i, v := range f {
			parts[i] = fmt.Sprint(v)
		}
		return []byte(strings.Join(parts, " ") + "\n"), nil
	}
	status := func() ([]byte, error) {
		_, name := state()
		return []byte(fmt.Sprintf("Name:\t%s\nState:\t%s\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\n", pi.Comm, name, pi.Pid, pi.Pid, pi.Ppid)), nil
	}
	return vfs.Dir(map[string]*vfs.Node{
		"stat":    vfs.RegularFile(stat),
		"status":  vfs.RegularFile(status),
		"comm":    text(pi.Comm + "\n"),
		"cmdline": vfs.RegularFile(func() ([]byte, error) { return nulJoin(argv), nil }),
	})
}

// processDir is /proc/<pid>.
func processDir(p *kernel.Process) *vfs.Node {
	text := func(f func() string) *vfs.Node {
		return vfs.RegularFile(func() ([]byte, error) { return []byte(f()), nil })
	}
	bin := func(f func() []byte) *vfs.Node {
		return vfs.RegularFile(func() ([]byte, error) { return f(), nil })
	}
	link := func(f func() string) *vfs.Node {
		return vfs.Symlink(func() (string, error) { return f(), nil })
	}
	d := vfs.Dir(map[string]*vfs.Node{
		"exe":     link(func() string { return p.Exe }),
		"cwd":     link(p.Cwd),
		"root":    link(func() string { return "/" }),
		"cmdline": bin(func() []byte { return nulJoin(p.Argv) }),
		"environ": bin(func() []byte { return nulJoin(p.Envv) }),
		"auxv": bin(func() []byte {
			b := make([]byte, 8*len(p.Auxv))
			for i, v := range p.Auxv {
				binary.LittleEndian.PutUint64(b[8*i:], v)
			}
			return b
		}),
		"comm":      text(func() string { return mainTask(p).Name + "\n" }),
		"maps":      text(func() string { return maps(p) }),
		"stat":      text(func() string { return pidStat(p, mainTask(p)) }),
		"statm":     text(func() string { return statm(p) }),
		"status":    text(func() string { return status(p, mainTask(p)) }),
		"mounts":    text(func() string { return mounts(p) }),
		"mountinfo": text(func() string { return mountinfo(p) }),
		"limits":    text(func() string { return limits(p) }),
		"loginuid":  text(func() string { return "4294967295\n" }),
		"cgroup":    text(func() string { return "0::/\n" }),
	})
	for name, n := range oomFiles(p) {
		d.Children[name] = n
	}
	d.Children["fd"] = fdDir(p, true)
	d.Children["fdinfo"] = fdDir(p, false)
	d.Children["task"] = &vfs.Node{Mode: unix.S_IFDIR | 0o555,
		List: func() []string {
			var names []string
			for _, t := range p.Tasks() {
				names = append(names, strconv.Itoa(t.Tid))
			}
			sort.Slice(names, func(i, j int) bool { return len(names[i]) < len(names[j]) || names[i] < names[j] })
			return names
		},
		Lookup: func(name string) *vfs.Node {
			for _, t := range p.Tasks() {
				if strconv.Itoa(t.Tid) == name {
					t := t
					return vfs.Dir(map[string]*vfs.Node{
						"comm":   text(func() string { return t.Name + "\n" }),
						"stat":   text(func() string { return pidStat(p, t) }),
						"status": text(func() string { return status(p, t) }),
					})
				}
			}
			return nil
		}}
	return d
}

// fdDir is /proc/<pid>/fd (links) or fdinfo (files).
func fdDir(p *kernel.Process, links bool) *vfs.Node {
	mode := uint32(unix.S_IFDIR | 0o500)
	return &vfs.Node{Mode: mode,
		// The process's euid owns it, so that it may search it.
		Owner: func() (uint32, uint32) {
			c := p.Creds()
			return uint32(c.Euid), uint32(c.Egid)
		},
		List: func() []string {
			var names []string
			p.FDs.Each(func(fd int, _ *vfs.File) { names = append(names, strconv.Itoa(fd)) })
			return names
		},
		Lookup: func(name string) *vfs.Node {
			fd, err := strconv.Atoi(name)
			if err != nil {
				return nil
			}
			f, err := p.FDs.Get(fd)
			if err != nil {
				return nil
			}
			defer f.DecRef()
			target := f.Path
			if links {
				n := vfs.Symlink(func() (string, error) { return target, nil })
				n.Mode = unix.S_IFLNK | 0o700
				n.Open = func(flags int) (vfs.FileImpl, error) { return reopen(p, fd, flags) }
				n.Follow = func(st *pal.Stat) error {
					f, err := p.FDs.Get(fd)
					if err != nil {
						return unix.ENOENT
					}
					defer f.DecRef()
					return f.Impl.Stat(st)
				}
				return n
			}
			flags := f.Flags()
			mntID := 0
			if f.Mount != nil {
				mntID = f.Mount.ID
			}
			return vfs.RegularFile(func() ([]byte, error) {
				s := fmt.Sprintf("pos:\t0\nflags:\t0%o\nmnt_id:\t%d\nino:\t0\n", flags, mntID)
				return []byte(s + fdInfoOf(p, fd)), nil
			})
		}}
}

// fdInfoOf is what the file open as fd adds to its fdinfo (an inotify
// instance: its watches), if it says.
func fdInfoOf(p *kernel.Process, fd int) string {
	f, err := p.FDs.Get(fd)
	if err != nil {
		return ""
	}
	defer f.DecRef()
	if fi, ok := f.Impl.(interface{ FdInfo() string }); ok {
		return fi.FdInfo()
	}
	return ""
}

// reopen opens the file behind descriptor fd anew, as following the
// magic link /proc/<pid>/fd/<fd> does on Linux: a host file (pipes and
// terminals included, however it was named) through its host handle,
// one of the LibOS's own by its path.
func reopen(p *kernel.Process, fd, flags int) (vfs.FileImpl, error) {
	f, err := p.FDs.Get(fd)
	if err != nil {
		return nil, unix.ENOENT
	}
	defer f.DecRef()
	if h := f.Impl.Handle(); h != pal.NoHandle && !f.IsPath() {
		var st pal.Stat
		if err := f.Impl.Stat(&st); err == nil && st.Mode&unix.S_IFMT == unix.S_IFSOCK {
			return nil, unix.ENXIO
		}
		nh, err := p.Host.FileOpen(h, "", flags&^(unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW), 0)
		if err != nil {
			return nil, vfs.Errno(err)
		}
		return vfs.NewHostFile(p.Host, nh), nil
	}
	if !strings.HasPrefix(f.Path, "/") {
		return nil, unix.ENXIO // an anonymous object the LibOS keeps
	}
	nf, err := p.NS.Open("/", f.Path, flags&^unix.O_CREAT, 0)
	if err != nil {
		return nil, err
	}
	// The new open file's implementation is handed on; the wrapper goes.
	impl := nf.Impl
	return impl, nil
}

func mainTask(p *kernel.Process) *kernel.Task {
	ts := p.Tasks()
	if len(ts) == 0 {
		return &kernel.Task{P: p, Tid: p.Pid}
	}
	best := ts[0]
	for _, t := range ts {
		if t.Tid < best.Tid {
			best = t
		}
	}
	return best
}

func nulJoin(ss []string) []byte {
	var b bytes.Buffer
	for _, s := range ss {
		b.WriteString(s)
		b.WriteByte(0)
	}
	return b.Bytes()
}

// maps renders /proc/<pid>/maps in Linux's format.
func maps(p *kernel.Process) string {
	var b strings.Builder
	start, end := p.MM.BrkRange()
	for _, a := range p.MM.Areas() {
		if a.Flags&mm.LibOS != 0 {
			continue
		}
		perm := []byte("---p")
		if a.Prot&pal.ProtRead != 0 {
			perm[0] = 'r'
		}
		if a.Prot&pal.ProtWrite != 0 {
			perm[1] = 'w'
		}
		if a.Prot&pal.ProtExec != 0 {
			perm[2] = 'x'
		}
		if a.Flags&mm.Shared != 0 {
			perm[3] = 's'
		}
		var dev, ino uint64
		name := a.Name
		var off int64
		if a.Backing != nil {
			dev, ino = a.Backing.MapIdentity()
			name = a.Backing.MapName()
			off = a.Offset
		} else if a.Flags&mm.Heap != 0 && a.Start >= start && a.Start < mm.PageAlign(end)+mm.PageSize {
			name = "[heap]"
		}
		line := fmt.Sprintf("%08x-%08x %s %08x %02x:%02x %d", a.Start, a.End, perm, off,
			unix.Major(dev), unix.Minor(dev), ino)
		if name != "" {
			line += strings.Repeat(" ", max(1, 73-len(line))) + name
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

func rss(p *kernel.Process) (size uintptr) {
	for _, a := range p.MM.Areas() {
		if a.Flags&mm.LibOS == 0 {
			size += a.End - a.Start
		}
	}
	return size
}

func statm(p *kernel.Process) string {
	pages := rss(p) / mm.PageSize
	return fmt.Sprintf("%d %d 0 0 0 %d 0\n", pages, pages, pages)
}

// pidStat renders /proc/<pid>/stat.
func pidStat(p *kernel.Process, t *kernel.Task) string {
	var start pal.Timespec
	start = p.StartTime
	ticks := (start.Sec - p.Info.BootTime.Sec) * 100
	vsize := rss(p)
	_, stack := p.MM.BrkRange()
	f := []any{t.Tid, "(" + t.Name + ")", "R", p.Ppid(), p.Pgid(), p.Sid(), 0, -1, 4194304,
		0, 0, 0, 0, 0, 0, 0, 0, 20, 0, len(p.Tasks()), 0, ticks, vsize, vsize / mm.PageSize,
		uint64(kernel.RlimInfinity), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 0, 0,
		0, stack, 0, 0, 0, 0, 0}
	parts := make([]string, len(f))
	for i, v := range f {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, " ") + "\n"
}

// status renders /proc/<pid>/status with every field Linux 6.x prints,
// in its order. Memory sizes come from the LibOS's map of the process:
// data is private writable memory, text the executable's mappings, libraries
// every other executable file mapping, and resident is everything mapped.
func status(p *kernel.Process, t *kernel.Task) string {
	c := p.Creds()
	groups := make([]string, len(c.Groups))
	for i, g := range c.Groups {
		groups[i] = strconv.Itoa(g)
	}
	var size, data, stk, exe, lib, anon, file, shm uintptr
	for _, a := range p.MM.Areas() {
		if a.Flags&mm.LibOS != 0 {
			continue
		}
		n := a.End - a.Start
		size += n
		switch {
		case a.Flags&mm.Stack != 0:
			stk += n
		case a.Prot&pal.ProtExec != 0 && a.Backing != nil && a.Backing.MapName() == p.Exe:
			exe += n
		case a.Prot&pal.ProtExec != 0 && a.Backing != nil:
			lib += n
		case a.Prot&pal.ProtWrite != 0 && a.Flags&mm.Shared == 0:
			data += n
		}
		switch {
		case a.Flags&mm.Shared != 0:
			shm += n
		case a.Backing != nil:
			file += n
		default:
			anon += n
		}
	}
	kb := func(v uintptr) string { return fmt.Sprintf("%8d kB", v/1024) }
	ppid := p.Ppid()
	var b strings.Builder
	fmt.Fprintf(&b, "Name:\t%s\nUmask:\t%04o\nState:\tR (running)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n",
		t.Name, p.Umask(), p.Pid, t.Tid, ppid)
	fmt.Fprintf(&b, "Uid:\t%d\t%d\t%d\t%d\nGid:\t%d\t%d\t%d\t%d\nFDSize:\t%d\nGroups:\t%s \n",
		c.Uid, c.Euid, c.Suid, c.Fsuid, c.Gid, c.Egid, c.Sgid, c.Fsgid, 64, strings.Join(groups, " "))
	fmt.Fprintf(&b, "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\nKthread:\t0\n", p.Pid, t.Tid, p.Pgid(), p.Sid())
	fmt.Fprintf(&b, "VmPeak:\t%s\nVmSize:\t%s\nVmLck:\t%s\nVmPin:\t%s\nVmHWM:\t%s\nVmRSS:\t%s\n",
		kb(size), kb(size), kb(p.MM.LockedBytes(0, 0)), kb(0), kb(size), kb(size))
	fmt.Fprintf(&b, "RssAnon:\t%s\nRssFile:\t%s\nRssShmem:\t%s\nVmData:\t%s\nVmStk:\t%s\nVmExe:\t%s\nVmLib:\t%s\nVmPTE:\t%s\nVmSwap:\t%s\nHugetlbPages:\t%s\n",
		kb(anon), kb(file), kb(shm), kb(data), kb(stk), kb(exe), kb(lib), kb(size/512), kb(0), kb(0))
	fmt.Fprintf(&b, "CoreDumping:\t0\nTHP_enabled:\t1\nuntag_mask:\t0xffffffffffffffff\nThreads:\t%d\n", len(p.Tasks()))
	var ign, cgt uint64
	for sig, a := range p.Actions() {
		switch {
		case sig == 0:
		case a.Handler == kernel.SigIgn:
			ign |= kernel.SigBit(sig)
		case a.Handler != kernel.SigDfl:
			cgt |= kernel.SigBit(sig)
		}
	}
	pnd, shd := t.PendingSets()
	fmt.Fprintf(&b, "SigQ:\t0/%d\nSigPnd:\t%016x\nShdPnd:\t%016x\nSigBlk:\t%016x\nSigIgn:\t%016x\nSigCgt:\t%016x\n",
		p.Rlimit(unix.RLIMIT_SIGPENDING).Cur, pnd, shd, t.SigMask(), ign, cgt)
	fmt.Fprintf(&b, "CapInh:\t%016x\nCapPrm:\t%016x\nCapEff:\t%016x\nCapBnd:\t%016x\nCapAmb:\t%016x\n",
		c.Cap.Inheritable, c.Cap.Permitted, c.Cap.Effective, c.Cap.Bounding, c.Cap.Ambient)
	cpus := p.Info.CPUCount
	mask := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(cpus)), big.NewInt(1))
	fmt.Fprintf(&b, "NoNewPrivs:\t%d\nSeccomp:\t0\nSeccomp_filters:\t0\nSpeculation_Store_Bypass:\tvulnerable\nSpeculationIndirectBranch:\talways enabled\n",
		boolInt(p.NoNewPrivs))
	fmt.Fprintf(&b, "Cpus_allowed:\t%x\nCpus_allowed_list:\t0-%d\nMems_allowed:\t%s00000001\nMems_allowed_list:\t0\n",
		mask, cpus-1, strings.Repeat("00000000,", 31))
	b.WriteString("voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n")
	return b.String()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func mounts(p *kernel.Process) string {
	var b strings.Builder
	for _, m := range p.NS.Mounts() {
		opts := "rw"
		if m.ReadOnly {
			opts = "ro"
		}
		fmt.Fprintf(&b, "%s %s %s %s,relatime 0 0\n", m.Source, m.Path, m.Type, opts)
	}
	return b.String()
}

func mountinfo(p *kernel.Process) string {
	var b strings.Builder
	for _, m := range p.NS.Mounts() {
		parent := m.ID // the root's parent is itself, as Linux shows it
		if m.Path != "/" {
			if pm, _ := p.NS.Lookup(path.Dir(m.Path)); pm != nil {
				parent = pm.ID
			}
		}
		opts := "rw"
		if m.ReadOnly {
			opts = "ro"
		}
		// The device numbers are those stat reports for the mount's files.
		var st pal.Stat
		m.FS.Stat("", &st)
		fmt.Fprintf(&b, "%d %d %d:%d / %s %s,relatime - %s %s %s\n", m.ID, parent, unix.Major(st.Dev), unix.Minor(st.Dev),
			m.Path, opts, m.Type, m.Source, opts)
	}
	return b.String()
}

func limits(p *kernel.Process) string {
	names := []struct {
		name, unit string
		r          int
	}{
		{"Max cpu time", "seconds", unix.RLIMIT_CPU}, {"Max file size", "bytes", unix.RLIMIT_FSIZE},
		{"Max data size", "bytes", unix.RLIMIT_DATA}, {"Max stack size", "bytes", unix.RLIMIT_STACK},
		{"Max core file size", "bytes", unix.RLIMIT_CORE}, {"Max resident set", "bytes", unix.RLIMIT_RSS},
		{"Max processes", "processes", unix.RLIMIT_NPROC}, {"Max open files", "files", unix.RLIMIT_NOFILE},
		{"Max locked memory", "bytes", unix.RLIMIT_MEMLOCK}, {"Max address space", "bytes", unix.RLIMIT_AS},
		{"Max file locks", "locks", unix.RLIMIT_LOCKS}, {"Max pending signals", "signals", unix.RLIMIT_SIGPENDING},
		{"Max msgqueue size", "bytes", unix.RLIMIT_MSGQUEUE}, {"Max nice priority", "", unix.RLIMIT_NICE},
		{"Max realtime priority", "", unix.RLIMIT_RTPRIO}, {"Max realtime timeout", "us", 15},
	}
	val := func(v uint64) string {
		if v == kernel.RlimInfinity {
			return "unlimited"
		}
		return strconv.FormatUint(v, 10)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units")
	for _, n := range names {
		l := p.Rlimit(n.r)
		fmt.Fprintf(&b, "%-25s %-20s %-20s %-10s\n", n.name, val(l.Cur), val(l.Max), n.unit)
	}
	return b.String()
}

func cpuinfo(info *pal.Info) string {
	if info.CPUInfo == nil {
		return ""
	}
	return info.CPUInfo()
}

func meminfo(info *pal.Info) string {
	kb := func(v uint64) uint64 { return v / 1024 }
	return fmt.Sprintf("MemTotal:       %8d kB\nMemFree:        %8d kB\nMemAvailable:   %8d kB\nBuffers:               0 kB\nCached:                0 kB\nSwapCached:            0 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n"+
		"AnonHugePages:         0 kB\nShmemHugePages:        0 kB\nFileHugePages:         0 kB\n"+
		"HugePages_Total:       0\nHugePages_Free:        0\nHugePages_Rsvd:        0\nHugePages_Surp:        0\n"+
		"Hugepagesize:       2048 kB\nHugetlb:               0 kB\n",
		kb(info.MemTotal), kb(info.MemFree), kb(info.MemFree))
}

func stat(p *kernel.Process) string {
	var b strings.Builder
	b.WriteString("cpu  0 0 0 0 0 0 0 0 0 0\n")
	for i := 0; i < p.Info.CPUCount; i++ {
		fmt.Fprintf(&b, "cpu%d 0 0 0 0 0 0 0 0 0 0\n", i)
	}
	fmt.Fprintf(&b, "intr 0\nctxt 0\nbtime %d\nprocesses %d\nprocs_running 1\nprocs_blocked 0\nsoftirq 0\n",
		p.Info.BootTime.Sec, p.Pid)
	return b.String()
}

func uptime(p *kernel.Process) string {
	var now pal.Timespec
	p.Host.ClockGet(unix.CLOCK_REALTIME, &now)
	up := float64(now.Nano()-p.Info.BootTime.Nano()) / 1e9
	return fmt.Sprintf("%.2f %.2f\n", up, up*float64(p.Info.CPUCount))
}

// uuid makes a random version-4 UUID (boot_id is fixed for the process,
// uuid new at every read, as on Linux).
func uuid(p *kernel.Process, kind string) string {
	var b [16]byte
	if kind == "boot" {
		b = p.BootID
	} else {
		p.Host.RandomRead(b[:])
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x\n", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
