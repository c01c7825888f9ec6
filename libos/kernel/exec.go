package kernel

import (
	"path"

	"golang.org/x/sys/unix"

	"gophene/libos/loader"
	"gophene/libos/vfs"
	"gophene/pal"
)

// LoaderEnv is what the ELF loader needs from process p.
func LoaderEnv(p *Process) *loader.Env {
	c := p.Creds()
	return &loader.Env{
		MM:        p.MM,
		Info:      p.Info,
		Open:      func(name string) (*vfs.File, error) { return p.OpenExec(name) },
		Random:    func(b []byte) { p.Host.RandomRead(b) },
		Randomize: !p.NoASLR && p.Personality&addrNoRandomize == 0,
		StackSize: uintptr(p.Rlimit(unix.RLIMIT_STACK).Cur),
		BrkMax:    p.BrkMax,
		Uid:       c.Uid, Euid: c.Euid, Gid: c.Gid, Egid: c.Egid,
	}
}

// OpenExec opens a program for execution: a regular file the process may
// execute (EACCES otherwise).
func (p *Process) OpenExec(name string) (*vfs.File, error) {
	f, err := p.NS.Open(p.Cwd(), name, unix.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	var st pal.Stat
	if err := f.Impl.Stat(&st); err != nil {
		f.DecRef()
		return nil, vfs.Errno(err)
	}
	c := p.Creds()
	exec := st.Mode&0o111 != 0
	if !c.Capable(unix.CAP_DAC_OVERRIDE) {
		switch {
		case int(st.Uid) == c.Euid:
			exec = st.Mode&0o100 != 0
		case int(st.Gid) == c.Egid:
			exec = st.Mode&0o010 != 0
		default:
			exec = st.Mode&0o001 != 0
		}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || !exec {
		f.DecRef()
		return nil, unix.EACCES
	}
	return f, nil
}

// Comm is the task name Linux derives from an executable path.
func Comm(exe string) string {
	c := path.Base(exe)
	if len(c) > 15 {
		c = c[:15]
	}
	return c
}

// Exec replaces the program the calling thread's process runs (execve):
// the other threads end, the address space is rebuilt from the new
// program, close-on-exec files close and caught signals return to their
// default. The file has been checked beforehand (CheckExec), so that
// failures that Linux reports to the caller are reported here too.
func (t *Task) Exec(name string, argv, envp []string) error {
	p := t.P
	t.KillOthers()
	if t.Tid != p.Pid {
		// The thread that execs takes over the process id.
		p.tasksMu.Lock()
		delete(p.tasks, t.Tid)
		t.Tid = p.Pid
		p.tasks[t.Tid] = t
		p.tasksMu.Unlock()
	}
	p.releaseVfork() // the point of no return: the old memory goes
	p.MM.Reset()
	if r, ok := p.Patcher.(interface{ Reset() }); ok {
		r.Reset()
	}
	img, err := loader.Load(LoaderEnv(p), name, argv, envp)
	if err != nil {
		// Past the point of no return: the old program is gone.
		p.Log.Debugf("execve %s: %v", name, err)
		t.KillProcess(int(unix.SIGSEGV))
		return err
	}
	p.FDs.CloseOnExec()
	c := p.Creds()
	c.CapsOnExec()
	p.SetCreds(c)
	p.ResetActionsForExec()
	p.DeleteTimers()
	p.MembarrierState.Store(0)
	t.AltStack = [3]uint64{}
	t.ClearChildTid, t.RobustList, t.RobustLen = 0, 0, 0
	p.Exe, p.Argv, p.Envv, p.Auxv = img.Exe, img.Argv, envp, img.Auxv
	t.Name = Comm(img.Exe)
	p.NotifyExec(t.Name, img.Argv)
	cpu := t.CPU
	fp, fpSize := cpu.FP, cpu.FPSize
	*cpu = pal.CPU{Rip: uint64(img.Entry), Rsp: uint64(img.SP), Rflags: 0x202, FP: fp, FPSize: fpSize}
	img2 := cpu.FPState()
	clear(img2)
	img2[0], img2[1] = 0x7f, 0x03   // x87 control word 0x37f
	img2[24], img2[25] = 0x80, 0x1f // MXCSR 0x1f80
	return nil
}

// CheckExec checks, before anything is torn down, that name can be
// executed: it exists, is executable, and is an ELF program or a script
// whose interpreter is (one level of "#!" checked).
func (p *Process) CheckExec(name string) error {
	f, err := p.OpenExec(name)
	if err != nil {
		return err
	}
	defer f.DecRef()
	hdr := make([]byte, 256)
	n, err := f.Impl.Pread(hdr, 0)
	if err != nil {
		return vfs.Errno(err)
	}
	return loader.CheckHeader(hdr[:n], func(interp string) error {
		g, err := p.OpenExec(interp)
		if err == nil {
			g.DecRef()
		}
		return err
	})
}

// addrNoRandomize is personality's ADDR_NO_RANDOMIZE.
const addrNoRandomize = 0x0040000
