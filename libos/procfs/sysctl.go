package procfs

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/libos/vfs"
)

// sysctl is one /proc/sys file: its default content and, for a writable
// one, how a written value is checked (nil: read-only). Written values are
// kept per process (kernel.Tunables) and read back; which of them the
// LibOS acts on is said next to the entry.
type sysctl struct {
	def   string
	check func(v string) (string, error)
}

// hostSysctls are the sysctls whose default is the host's own setting
// (def if the host cannot tell): limits the host enforces. inotify
// instances are the host's, so are their limits; a value written is
// read back but does not change the host's.
var hostSysctls = map[string]bool{
	"fs/inotify/max_user_watches":   true,
	"fs/inotify/max_user_instances": true,
	"fs/inotify/max_queued_events":  true,
}

// intRange accepts one integer in [lo, hi], as proc_dointvec_minmax.
func intRange(lo, hi int64) func(string) (string, error) {
	return func(v string) (string, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < lo || n > hi {
			return "", unix.EINVAL
		}
		return strconv.FormatInt(n, 10), nil
	}
}

// anyInt accepts one integer of any size (proc_doulongvec and friends).
var anyInt = func(v string) (string, error) {
	v = strings.TrimSpace(v)
	if _, err := strconv.ParseUint(v, 10, 64); err != nil {
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return "", unix.EINVAL
		}
	}
	return v, nil
}

// ints accepts n integers separated by white space (kernel/sem).
func ints(n int) func(string) (string, error) {
	return func(v string) (string, error) {
		f := strings.Fields(v)
		if len(f) != n {
			return "", unix.EINVAL
		}
		for _, x := range f {
			if _, err := strconv.ParseInt(x, 10, 32); err != nil {
				return "", unix.EINVAL
			}
		}
		return strings.Join(f, "\t"), nil
	}
}

// line accepts one line of text.
var line = func(v string) (string, error) { return strings.TrimRight(v, "\n"), nil }

const maxInt = 1<<31 - 1

// sysctls are the /proc/sys files, by path under /proc/sys. Linux's
// defaults on x86-64.
var sysctls = map[string]sysctl{
	"kernel/pid_max":                   {"4194304", intRange(301, 4194304)},
	"kernel/threads-max":               {"127409", intRange(20, 0x3fffffff)},
	"kernel/tainted":                   {"0", anyInt},
	"kernel/ngroups_max":               {"65536", nil},
	"kernel/cap_last_cap":              {strconv.Itoa(kernel.CapLast), nil},
	"kernel/overflowuid":               {"65534", intRange(0, 65535)},
	"kernel/overflowgid":               {"65534", intRange(0, 65535)},
	"kernel/shm_rmid_forced":           {"0", intRange(0, 1)},
	"kernel/msgmax":                    {"8192", intRange(0, maxInt)},
	"kernel/core_pattern":              {"core", line},
	"kernel/core_uses_pid":             {"0", intRange(0, maxInt)},
	"kernel/randomize_va_space":        {"2", intRange(0, 2)},
	"kernel/panic":                     {"0", anyInt},
	"kernel/panic_on_oops":             {"0", intRange(0, maxInt)},
	"kernel/printk":                    {"4\t4\t1\t7", ints(4)},
	"kernel/perf_event_paranoid":       {"2", intRange(-1, 4)},
	"kernel/sched_child_runs_first":    {"0", intRange(0, 1)},
	"kernel/keys/maxkeys":              {"200", intRange(0, maxInt)},
	"kernel/keys/maxbytes":             {"20000", intRange(0, maxInt)},
	"kernel/keys/root_maxkeys":         {"1000000", intRange(0, maxInt)},
	"kernel/keys/root_maxbytes":        {"25000000", intRange(0, maxInt)},
	"kernel/keys/gc_delay":             {"300", intRange(0, maxInt)},
	"kernel/pty/max":                   {"4096", intRange(0, 1048576)},
	"kernel/pty/nr":                    {"0", nil},
	"kernel/pty/reserve":               {"1024", intRange(0, 1048576)},
	"kernel/yama/ptrace_scope":         {"1", intRange(0, 3)},
	"kernel/unprivileged_userns_clone": {"1", intRange(0, 1)},
	"kernel/sysrq":                     {"438", intRange(0, maxInt)},
	"vm/overcommit_memory":             {"0", intRange(0, 2)},
	"vm/overcommit_ratio":              {"50", intRange(0, maxInt)},
	"vm/overcommit_kbytes":             {"0", anyInt},
	"vm/max_map_count":                 {"65530", intRange(0, maxInt)},
	"vm/mmap_min_addr":                 {"65536", anyInt},
	"vm/swappiness":                    {"60", intRange(0, 200)},
	"vm/dirty_ratio":                   {"20", intRange(0, 100)},
	"vm/dirty_background_ratio":        {"10", intRange(0, 100)},
	"vm/min_free_kbytes":               {"67584", intRange(0, maxInt)},
	"vm/nr_hugepages":                  {"0", anyInt},
	"vm/nr_overcommit_hugepages":       {"0", anyInt},
	"vm/memory_failure_early_kill":     {"0", intRange(0, 1)},
	"fs/pipe-max-size":                 {"1048576", intRange(4096, maxInt)},
	"fs/pipe-user-pages-hard":          {"0", anyInt},
	"fs/pipe-user-pages-soft":          {"16384", anyInt},
	"fs/file-max":                      {"9223372036854775807", anyInt},
	"fs/nr_open":                       {"1048576", intRange(64, 1073741816)},
	"fs/aio-max-nr":                    {"65536", anyInt},
	"fs/aio-nr":                        {"0", nil},
	"fs/leases-enable":                 {"1", intRange(0, maxInt)},
	"fs/lease-break-time":              {"45", intRange(0, maxInt)},
	"fs/dir-notify-enable":             {"1", intRange(0, maxInt)},
	"fs/suid_dumpable":                 {"0", intRange(0, 2)},
	"fs/protected_symlinks":            {"1", intRange(0, 1)},
	"fs/protected_hardlinks":           {"1", intRange(0, 1)},
	"fs/protected_regular":             {"2", intRange(0, 2)},
	"fs/protected_fifos":               {"1", intRange(0, 2)},
	"fs/mqueue/msg_max":                {"10", intRange(1, 65536)},
	"fs/mqueue/msgsize_max":            {"8192", intRange(128, 16777216)},
	"fs/mqueue/queues_max":             {"256", intRange(0, maxInt)},
	"fs/mqueue/msg_default":            {"10", intRange(1, 65536)},
	"fs/mqueue/msgsize_default":        {"8192", intRange(128, 16777216)},
	"fs/inotify/max_user_watches":      {"8192", intRange(1, maxInt)},
	"fs/inotify/max_user_instances":    {"128", intRange(1, maxInt)},
	"fs/inotify/max_queued_events":     {"16384", intRange(1, maxInt)},
}

// sysctlTree builds /proc/sys: the fixed entries of dynamic (the
// process's own, computed on read) and every entry of sysctls.
func sysctlTree(p *kernel.Process, dynamic map[string]func() string) *vfs.Node {
	root := vfs.Dir(map[string]*vfs.Node{})
	dirFor := func(path string) (*vfs.Node, string) {
		d := root
		parts := strings.Split(path, "/")
		for _, c := range parts[:len(parts)-1] {
			next := d.Children[c]
			if next == nil {
				next = vfs.Dir(map[string]*vfs.Node{})
				d.Children[c] = next
			}
			d = next
		}
		return d, parts[len(parts)-1]
	}
	for path, f := range dynamic {
		d, name := dirFor(path)
		d.Children[name] = vfs.RegularFile(func() ([]byte, error) { return []byte(f() + "\n"), nil })
	}
	for path, e := range liveSysctls(p) {
		d, name := dirFor(path)
		d.Children[name] = e
	}
	for path, e := range sysctls {
		d, name := dirFor(path)
		key := "sys/" + path
		read := func() ([]byte, error) {
			def := e.def
			if hostSysctls[path] {
				if v, err := p.Host.SysctlGet(path); err == nil {
					def = v
				}
			}
			return []byte(p.Tunables.Get(key, def) + "\n"), nil
		}
		if e.check == nil {
			d.Children[name] = vfs.RegularFile(read)
			continue
		}
		d.Children[name] = vfs.WritableFile(read, func(b []byte) error {
			if c := p.Creds(); !c.Capable(unix.CAP_SYS_ADMIN) {
				return unix.EPERM
			}
			v, err := e.check(string(b))
			if err != nil {
				return err
			}
			p.Tunables.Set(key, v)
			return nil
		})
	}
	return root
}

// liveSysctls are the /proc/sys files whose value lives in the leader:
// the next SysV IPC ids and the last pid given out.
func liveSysctls(p *kernel.Process) map[string]*vfs.Node {
	admin := func() error {
		if c := p.Creds(); !c.Capable(unix.CAP_SYS_ADMIN) {
			return unix.EPERM
		}
		return nil
	}
	parse := func(b []byte, lo, hi int64) (int64, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || n < lo || n > hi {
			return 0, unix.EINVAL
		}
		return n, nil
	}
	text := func(n int64) ([]byte, error) { return []byte(strconv.FormatInt(n, 10) + "\n"), nil }
	files := map[string]*vfs.Node{}
	for kind, name := range []string{"msg_next_id", "sem_next_id", "shm_next_id"} {
		files["kernel/"+name] = vfs.WritableFile(func() ([]byte, error) {
			n, err := p.SysvNextID(kind, false, 0)
			if err != nil {
				return nil, err
			}
			return text(n)
		}, func(b []byte) error {
			if err := admin(); err != nil {
				return err
			}
			n, err := parse(b, -1, 1<<31-1)
			if err != nil {
				return err
			}
			_, err = p.SysvNextID(kind, true, n)
			return err
		})
	}
	// The SysV limits: check as the sysctls table does, then set each
	// value in the leader. shmmax and shmall are unsigned.
	for path, l := range map[string]struct {
		which []int
		check func(string) (string, error)
	}{
		"kernel/msgmni": {[]int{kernel.LimitMsgmni}, intRange(0, 32768)},
		"kernel/msgmnb": {[]int{kernel.LimitMsgmnb}, intRange(0, maxInt)},
		"kernel/shmmni": {[]int{kernel.LimitShmmni}, intRange(1, 32768)},
		"kernel/shmmax": {[]int{kernel.LimitShmmax}, anyInt},
		"kernel/shmall": {[]int{kernel.LimitShmall}, anyInt},
		"kernel/sem":    {[]int{kernel.LimitSemmsl, kernel.LimitSemmns, kernel.LimitSemopm, kernel.LimitSemmni}, ints(4)},
	} {
		unsigned := path == "kernel/shmmax" || path == "kernel/shmall"
		files[path] = vfs.WritableFile(func() ([]byte, error) {
			var vals []string
			for _, w := range l.which {
				n, err := p.SysvLimit(w, false, 0)
				if err != nil {
					return nil, err
				}
				if unsigned {
					vals = append(vals, strconv.FormatUint(uint64(n), 10))
				} else {
					vals = append(vals, strconv.FormatInt(n, 10))
				}
			}
			return []byte(strings.Join(vals, "\t") + "\n"), nil
		}, func(b []byte) error {
			if err := admin(); err != nil {
				return err
			}
			v, err := l.check(string(b))
			if err != nil {
				return err
			}
			for i, f := range strings.Fields(v) {
				n, err := strconv.ParseInt(f, 10, 64)
				if err != nil {
					u, uerr := strconv.ParseUint(f, 10, 64)
					if uerr != nil {
						return unix.EINVAL
					}
					n = int64(u)
				}
				if _, err := p.SysvLimit(l.which[i], true, n); err != nil {
					return err
				}
			}
			return nil
		})
	}
	files["kernel/ns_last_pid"] = vfs.WritableFile(func() ([]byte, error) {
		n, err := p.LastPid(false, 0)
		if err != nil {
			return nil, err
		}
		return text(int64(n))
	}, func(b []byte) error {
		if err := admin(); err != nil {
			return err
		}
		n, err := parse(b, 0, 4194304-1)
		if err != nil {
			return err
		}
		_, err = p.LastPid(true, int(n))
		return err
	})
	// drop_caches: the host keeps the page cache; a valid request is
	// accepted and changes nothing the guest can see.
	files["vm/drop_caches"] = vfs.WritableFile(func() ([]byte, error) { return text(0) }, func(b []byte) error {
		if err := admin(); err != nil {
			return err
		}
		_, err := parse(b, 1, 4)
		return err
	})
	return files
}

// oomScoreAdj is a process's oom_score_adj (-1000 to 1000).
func oomScoreAdj(p *kernel.Process) int {
	n, _ := strconv.Atoi(p.Tunables.Get("oom_score_adj", "0"))
	return n
}

// setOOMScoreAdj writes oom_score_adj: lowering it below its current value
// takes CAP_SYS_RESOURCE, as on Linux.
func setOOMScoreAdj(p *kernel.Process, n int) error {
	if n < -1000 || n > 1000 {
		return unix.EINVAL
	}
	if c := p.Creds(); n < oomScoreAdj(p) && !c.Capable(unix.CAP_SYS_RESOURCE) {
		return unix.EACCES
	}
	p.Tunables.Set("oom_score_adj", strconv.Itoa(n))
	return nil
}

// oomFiles are /proc/<pid>/oom_score_adj, oom_adj (the old scale, -17 to
// 15) and oom_score.
func oomFiles(p *kernel.Process) map[string]*vfs.Node {
	parse := func(b []byte) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			return 0, unix.EINVAL
		}
		return n, nil
	}
	text := func(f func() string) func() ([]byte, error) {
		return func() ([]byte, error) { return []byte(f() + "\n"), nil }
	}
	return map[string]*vfs.Node{
		"oom_score_adj": vfs.WritableFile(text(func() string { return strconv.Itoa(oomScoreAdj(p)) }),
			func(b []byte) error {
				n, err := parse(b)
				if err != nil {
					return err
				}
				return setOOMScoreAdj(p, n)
			}),
		"oom_adj": vfs.WritableFile(text(func() string {
			adj := oomScoreAdj(p)
			if adj == -1000 {
				return "-17"
			}
			return strconv.Itoa(adj * 15 / 1000)
		}), func(b []byte) error {
			n, err := parse(b)
			if err != nil {
				return err
			}
			if n < -17 || n > 15 {
				return unix.EINVAL
			}
			if n == -17 {
				return setOOMScoreAdj(p, -1000)
			}
			return setOOMScoreAdj(p, n*1000/15)
		}),
		// The badness score of a small process: its adjustment, or 0.
		"oom_score": vfs.RegularFile(text(func() string { return strconv.Itoa(max(0, oomScoreAdj(p))) })),
	}
}
