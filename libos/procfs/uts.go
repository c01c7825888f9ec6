package procfs

import (
	"strings"

	"gophene/libos/kernel"
	"gophene/libos/vfs"
)

// addUTSFiles adds /proc/sys/kernel/hostname and domainname to the sysctl
// tree sys: the process's names (kernel.UTS), which a write changes as
// sethostname and setdomainname do. As Linux's proc_dostring, a write
// stops at a newline or NUL and keeps at most 64 bytes, and the file's
// owner (root) may write it without CAP_SYS_ADMIN.
func addUTSFiles(sys *vfs.Node, p *kernel.Process) {
	dir := sys.Children["kernel"]
	if dir == nil {
		dir = vfs.Dir(map[string]*vfs.Node{})
		sys.Children["kernel"] = dir
	}
	file := func(get func(kernel.UTS) string, set func(string) error) *vfs.Node {
		return vfs.WritableFile(func() ([]byte, error) {
			s := get(p.UTS())
			if i := strings.IndexByte(s, 0); i >= 0 {
				s = s[:i]
			}
			return []byte(s + "\n"), nil
		}, func(b []byte) error {
			s := string(b)
			if i := strings.IndexAny(s, "\x00\n"); i >= 0 {
				s = s[:i]
			}
			return set(s[:min(len(s), kernel.UTSNameMax)])
		})
	}
	dir.Children["hostname"] = file(func(u kernel.UTS) string { return u.Hostname }, p.SetHostname)
	dir.Children["domainname"] = file(func(u kernel.UTS) string { return u.Domainname }, p.SetDomainname)
}
