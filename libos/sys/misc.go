package sys

// Implementation of uname, sysinfo, getrandom, prlimit64, getrlimit,
// setrlimit, prctl, arch_prctl, set_tid_address, set_robust_list,
// get_robust_list, rseq, getcpu, personality and umask.

import (
	"golang.org/x/sys/unix"

	"gophene/libos/kernel"
	"gophene/pal"
)

// Uname implements uname(2) with the host kernel's release, so that
// programs checking for kernel features see the truth.
func Uname(t *kernel.Task, a kernel.Args) (uintptr, error) {
	var u unix.Utsname
	info := t.P.Info
	put := func(dst *[65]byte, s string) { copy(dst[:64], s) }
	put(&u.Sysname, "Linux")
	uts := t.P.UTS()
	put(&u.Nodename, uts.Hostname)
	put(&u.Release, info.KernelRelease)
	put(&u.Version, info.KernelVersion)
	put(&u.Machine, "x86_64")
	put(&u.Domainname, uts.Domainname)
	return boolErr(kernel.CopyOutObj(t, a[0], &u))
}

// Sysinfo implements sysinfo(2).
func Sysinfo(t *kernel.Task, a kernel.Args) (uintptr, error) {
	info := t.P.Info
	var now pal.Timespec
	t.P.Host.ClockGet(unix.CLOCK_REALTIME, &now)
	si := unix.Sysinfo_t{
		Uptime:   now.Sec - info.BootTime.Sec,
		Totalram: info.MemTotal,
		Freeram:  info.MemFree,
		Procs:    uint16(len(t.P.Tasks())),
		Unit:     1,
	}
	return boolErr(kernel.CopyOutObj(t, a[0], &si))
}

// Getrandom implements getrandom(2).
func Getrandom(t *kernel.Task, a kernel.Args) (uintptr, error) {
	flags := a[2]
	if flags&^uintptr(unix.GRND_NONBLOCK|unix.GRND_RANDOM|unix.GRND_INSECURE) != 0 ||
		flags&(unix.GRND_RANDOM|unix.GRND_INSECURE) == unix.GRND_RANDOM|unix.GRND_INSECURE {
		return 0, unix.EINVAL
	}
	n := min(a[1], 32<<20)
	buf, err := t.GuestBytes(a[0], n, true)
	if err != nil {
		return 0, err
	}
	tmp := make([]byte, n)
	if err := t.P.Host.RandomRead(tmp); err != nil {
		return 0, mapErr(err)
	}
	copy(buf, tmp)
	return n, nil
}

type rlimit struct{ Cur, Max uint64 }

// maxNoFile is Linux's default fs.nr_open.
const maxNoFile = 1 << 20

func doPrlimit(t *kernel.Task, pid, resource int, newAddr, oldAddr uintptr) error {
	if pid != 0 && pid != t.P.Pid {
		return unix.ESRCH
	}
	if resource < 0 || resource >= kernel.RlimitCount {
		return unix.EINVAL
	}
	var nl rlimit
	if newAddr != 0 {
		if err := kernel.CopyInObj(t, newAddr, &nl); err != nil {
			return err
		}
		if nl.Cur > nl.Max {
			return unix.EINVAL
		}
		cur := t.P.Rlimit(resource)
		if c := t.P.Creds(); nl.Max > cur.Max && !c.Capable(unix.CAP_SYS_RESOURCE) {
			return unix.EPERM
		}
		if resource == unix.RLIMIT_NOFILE && nl.Max > maxNoFile {
			return unix.EPERM
		}
	}
	if oldAddr != 0 {
		cur := t.P.Rlimit(resource)
		old := rlimit{cur.Cur, cur.Max}
		if err := kernel.CopyOutObj(t, oldAddr, &old); err != nil {
			return err
		}
	}
	if newAddr != 0 {
		t.P.SetRlimit(resource, kernel.Rlimit{Cur: nl.Cur, Max: nl.Max})
	}
	return nil
}

// Prlimit64 implements prlimit64(2) for the calling process.
func Prlimit64(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doPrlimit(t, int(int32(a[0])), int(int32(a[1])), a[2], a[3]))
}

// Getrlimit implements getrlimit(2).
func Getrlimit(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doPrlimit(t, 0, int(int32(a[0])), 0, a[1]))
}

// Setrlimit implements setrlimit(2).
func Setrlimit(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return boolErr(doPrlimit(t, 0, int(int32(a[0])), a[1], 0))
}

// Prctl implements the prctl(2) options programs commonly use.
func Prctl(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if r, err, ok := prctlCaps(t, a); ok {
		return r, err
	}
	switch int(a[0]) {
	case unix.PR_SET_NAME:
		name, err := t.CString(a[1], 4096)
		if err != nil && err != unix.ENAMETOOLONG {
			return 0, err
		}
		if len(name) > 15 {
			name = name[:15]
		}
		t.Name = name
		return 0, nil
	case unix.PR_GET_NAME:
		var b [16]byte
		copy(b[:15], t.Name)
		return boolErr(t.CopyOut(a[1], b[:]))
	case unix.PR_SET_PDEATHSIG:
		if a[1] > 64 {
			return 0, unix.EINVAL
		}
		t.P.PdeathSig = int(a[1])
		return 0, nil
	case unix.PR_GET_PDEATHSIG:
		v := int32(t.P.PdeathSig)
		return boolErr(kernel.CopyOutObj(t, a[1], &v))
	case unix.PR_GET_DUMPABLE:
		return uintptr(t.P.Dumpable), nil
	case unix.PR_SET_DUMPABLE:
		if a[1] > 1 {
			return 0, unix.EINVAL
		}
		t.P.Dumpable = int(a[1])
		return 0, nil
	case unix.PR_SET_NO_NEW_PRIVS:
		if a[1] != 1 || a[2] != 0 || a[3] != 0 || a[4] != 0 {
			return 0, unix.EINVAL
		}
		t.P.NoNewPrivs = true
		return 0, nil
	case unix.PR_GET_NO_NEW_PRIVS:
		if t.P.NoNewPrivs {
			return 1, nil
		}
		return 0, nil
	case unix.PR_SET_CHILD_SUBREAPER:
		return boolErr(t.P.SetSubreaper(a[1] != 0))
	case unix.PR_GET_CHILD_SUBREAPER:
		var v int32
		if t.P.Subreaper {
			v = 1
		}
		return boolErr(kernel.CopyOutObj(t, a[1], &v))
	case unix.PR_GET_TID_ADDRESS:
		v := uint64(t.ClearChildTid)
		return boolErr(kernel.CopyOutObj(t, a[1], &v))
	case unix.PR_GET_SECCOMP:
		return 0, nil
	case unix.PR_GET_TIMERSLACK:
		if t.TimerSlack == 0 {
			return defaultTimerSlack, nil
		}
		return uintptr(t.TimerSlack), nil
	case unix.PR_SET_TIMERSLACK:
		// Kept and read back; sleeps are the host's, with its own slack.
		t.TimerSlack = uint64(a[1])
		return 0, nil
	case unix.PR_SET_VMA:
		return 0, unix.EINVAL // anonymous VMA names are not kept
	}
	return 0, unix.EINVAL
}

// defaultTimerSlack is Linux's timer slack, in ns.
const defaultTimerSlack = 50000

// ArchPrctl implements arch_prctl(2).
func ArchPrctl(t *kernel.Task, a kernel.Args) (uintptr, error) {
	const (
		archSetGS        = 0x1001
		archSetFS        = 0x1002
		archGetFS        = 0x1003
		archGetGS        = 0x1004
		archGetCPUID     = 0x1011
		archSetCPUID     = 0x1012
		archGetXcompSup  = 0x1021
		archGetXcompPerm = 0x1022
		archReqXcompPerm = 0x1023
	)
	switch a[0] {
	case archSetFS:
		if a[1] >= 1<<47 {
			return 0, unix.EPERM
		}
		t.CPU.FSBase = uint64(a[1])
		return 0, nil
	case archGetFS:
		v := t.CPU.FSBase
		return boolErr(kernel.CopyOutObj(t, a[1], &v))
	case archSetGS:
		// GS belongs to the host's entry code; the value is remembered
		// for ARCH_GET_GS but guest code cannot use %gs-relative accesses.
		if a[1] >= 1<<47 {
			return 0, unix.EPERM
		}
		t.CPU.GSBase = uint64(a[1])
		return 0, nil
	case archGetGS:
		v := t.CPU.GSBase
		return boolErr(kernel.CopyOutObj(t, a[1], &v))
	case archGetCPUID:
		return 1, nil
	case archSetCPUID:
		return 0, unix.ENODEV
	case archGetXcompSup, archGetXcompPerm:
		return 0, unix.EINVAL
	case archReqXcompPerm:
		return 0, unix.EINVAL
	}
	return 0, unix.EINVAL
}

// SetTidAddress implements set_tid_address(2).
func SetTidAddress(t *kernel.Task, a kernel.Args) (uintptr, error) {
	t.ClearChildTid = a[0]
	return uintptr(t.Tid), nil
}

// SetRobustList implements set_robust_list(2).
func SetRobustList(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if a[1] != 24 {
		return 0, unix.EINVAL
	}
	t.RobustList, t.RobustLen = a[0], a[1]
	return 0, nil
}

// GetRobustList implements get_robust_list(2) for the calling thread.
func GetRobustList(t *kernel.Task, a kernel.Args) (uintptr, error) {
	if a[0] != 0 && int(a[0]) != t.Tid {
		return 0, unix.ESRCH
	}
	head, n := uint64(t.RobustList), uint64(24)
	if err := kernel.CopyOutObj(t, a[1], &head); err != nil {
		return 0, err
	}
	return boolErr(kernel.CopyOutObj(t, a[2], &n))
}

// Rseq is rseq(2): not implemented, by design. glibc and Go notice ENOSYS
// and carry on without restartable sequences.
func Rseq(t *kernel.Task, a kernel.Args) (uintptr, error) { return 0, unix.ENOSYS }

// Getcpu implements getcpu(2).
func Getcpu(t *kernel.Task, a kernel.Args) (uintptr, error) {
	cpu, node := t.P.Host.ThreadGetCPU()
	if a[0] != 0 {
		v := uint32(cpu)
		if err := kernel.CopyOutObj(t, a[0], &v); err != nil {
			return 0, err
		}
	}
	if a[1] != 0 {
		v := uint32(node)
		if err := kernel.CopyOutObj(t, a[1], &v); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// Personality implements personality(2): only PER_LINUX exists here.
func Personality(t *kernel.Task, a kernel.Args) (uintptr, error) {
	old := uintptr(t.P.Personality)
	// Linux takes any value; of its flags, ADDR_NO_RANDOMIZE turns address
	// randomisation off for the next execve.
	if uint32(a[0]) != 0xffffffff {
		t.P.Personality = uint32(a[0])
	}
	return old, nil
}

// Umask implements umask(2).
func Umask(t *kernel.Task, a kernel.Args) (uintptr, error) {
	return uintptr(t.P.SetUmask(uint32(a[0]))), nil
}
