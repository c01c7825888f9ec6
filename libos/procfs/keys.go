package procfs

import (
	"gophene/libos/kernel"
	"gophene/libos/vfs"
)

// addKeyFiles adds /proc/keys (the keys the process may view) and
// /proc/key-users (every user's key counts and quotas), from the leader's
// key store.
func addKeyFiles(root *vfs.Node, p *kernel.Process) {
	root.Children["keys"] = vfs.RegularFile(func() ([]byte, error) { return []byte(p.KeysFile(false)), nil })
	root.Children["key-users"] = vfs.RegularFile(func() ([]byte, error) { return []byte(p.KeysFile(true)), nil })
}
