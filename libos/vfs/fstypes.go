package vfs

import "strings"

// FSType is a file-system type the guest can see: listed in
// /proc/filesystems and numbered by sysfs(2).
type FSType struct {
	Name string
	// NoDev marks a type that needs no block device ("nodev" in
	// /proc/filesystems).
	NoDev bool
}

// FSTypes are the file-system types of the guest's mounts, in the order
// Linux registers them (which numbers them for sysfs(2)): tmpfs, proc and
// devtmpfs for the pseudo file systems, ext4 for the host directories.
var FSTypes = []FSType{
	{Name: "tmpfs", NoDev: true},
	{Name: "proc", NoDev: true},
	{Name: "devtmpfs", NoDev: true},
	{Name: "ext4"},
}

// FilesystemsText is /proc/filesystems: one type a line, "nodev" before
// the types that need no device.
func FilesystemsText() string {
	var b strings.Builder
	for _, t := range FSTypes {
		if t.NoDev {
			b.WriteString("nodev")
		}
		b.WriteString("\t" + t.Name + "\n")
	}
	return b.String()
}
