package kernel

// UTS are the names uname(2) reports that a guest may change: the host
// name (sethostname, /proc/sys/kernel/hostname) and the NIS domain name
// (setdomainname, /proc/sys/kernel/domainname). Each holds at most
// UTSNameMax bytes. Each process keeps them, inherited at fork; a change
// is shared with the processes of its UTS namespace (mountns.go).
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

// SetHostname changes the host name, for every process of the UTS
// namespace.
func (p *Process) SetHostname(name string) error {
	p.mu.Lock()
	p.uts.Hostname = name
	p.mu.Unlock()
	return p.shareUTS()
}

// SetDomainname changes the domain name, for every process of the UTS
// namespace.
func (p *Process) SetDomainname(name string) error {
	p.mu.Lock()
	p.uts.Domainname = name
	p.mu.Unlock()
	return p.shareUTS()
}
