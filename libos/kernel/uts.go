package kernel

// UTS are the names uname(2) reports that a guest may change: the host
// name (sethostname, /proc/sys/kernel/hostname) and the NIS domain name
// (setdomainname, /proc/sys/kernel/domainname). Each holds at most
// UTSNameMax bytes. They belong to the process and are inherited at fork,
// as a UTS namespace of its own would be.
type UTS struct {
	Hostname, Domainname string
}

// UTSNameMax is the longest name (__NEW_UTS_LEN).
const UTSNameMax = 64

// UTS returns the process's names.
func (p *Process) UTS() UTS {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.uts
}

// SetUTS replaces the process's names.
func (p *Process) SetUTS(u UTS) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.uts = u
}

// SetHostname changes the host name.
func (p *Process) SetHostname(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.uts.Hostname = name
}

// SetDomainname changes the domain name.
func (p *Process) SetDomainname(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.uts.Domainname = name
}
