package vfs

import (
	"sort"
	"strings"
	"sync"

	"gophene/pal"
)

// Mount is one entry of the mount table.
type Mount struct {
	// Path is the absolute, clean guest path of the mount point.
	Path string
	FS   FS
	// Type and Source are shown in /proc/self/mounts.
	Type, Source string
	ReadOnly     bool
	// CoverAttrs makes the mount's root show the mode, owners, size and
	// times of the directory it covers, so that a pseudo file system mounted
	// over a host directory (/proc, /dev) lists like the host's own.
	CoverAttrs bool
	// ID numbers the mount in its namespace (mountinfo, statx's
	// stx_mnt_id); given when it is mounted.
	ID int
}

// Namespace is a mount table.
type Namespace struct {
	mu     sync.RWMutex
	mounts []*Mount // longest path first
	order  []*Mount // in mount order
	lastID int      // the last Mount.ID given
}

// numberLocked gives m its ID (mu held).
func (ns *Namespace) numberLocked(m *Mount) {
	if m.ID == 0 {
		ns.lastID++
		m.ID = ns.lastID
	}
}

// Add mounts m, replacing an earlier mount at the same path.
func (ns *Namespace) Add(m *Mount) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	for i, o := range ns.order {
		if o.Path == m.Path {
			ns.order = append(ns.order[:i], ns.order[i+1:]...)
			break
		}
	}
	ns.numberLocked(m)
	ns.order = append(ns.order, m)
	ns.sortLocked()
}

// Push mounts m over whatever is mounted at its path, which umount
// (Remove) brings back, as mount(2) does.
func (ns *Namespace) Push(m *Mount) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.numberLocked(m)
	ns.order = append(ns.order, m)
	ns.sortLocked()
}

// Remove unmounts the latest mount at path (umount2); it reports the
// mount, or nil if nothing is mounted there.
func (ns *Namespace) Remove(path string) *Mount {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	for i := len(ns.order) - 1; i >= 0; i-- {
		if m := ns.order[i]; m.Path == path {
			ns.order = append(ns.order[:i], ns.order[i+1:]...)
			ns.sortLocked()
			return m
		}
	}
	return nil
}

// sortLocked orders the lookup list: longest path first, and of mounts at
// one path the latest first (mu held).
func (ns *Namespace) sortLocked() {
	ns.mounts = make([]*Mount, 0, len(ns.order))
	for i := len(ns.order) - 1; i >= 0; i-- {
		ns.mounts = append(ns.mounts, ns.order[i])
	}
	sort.SliceStable(ns.mounts, func(i, j int) bool { return len(ns.mounts[i].Path) > len(ns.mounts[j].Path) })
}

// Chroot makes the directory at dir the root (chroot(2)): root, mounted
// at "/", stands for dir itself; the mounts on and below dir move up with
// it, and the others go, so that no path (".." included) leads out.
func (ns *Namespace) Chroot(dir string, root *Mount) {
	if dir == "/" {
		return
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	root.Path = "/"
	ns.numberLocked(root)
	kept := []*Mount{root}
	for _, m := range ns.order {
		if m.Path == dir || strings.HasPrefix(m.Path, dir+"/") {
			nm := *m
			nm.Path = "/" + strings.TrimPrefix(strings.TrimPrefix(m.Path, dir), "/")
			kept = append(kept, &nm)
		}
	}
	ns.order = kept
	ns.sortLocked()
}

// Mounts returns the mounts in the order they were made.
func (ns *Namespace) Mounts() []*Mount {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	return append([]*Mount(nil), ns.order...)
}

// Lookup finds the mount holding the clean absolute path abs and the path
// relative to its root.
func (ns *Namespace) Lookup(abs string) (*Mount, string) {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	for _, m := range ns.mounts {
		if m.Path == "/" {
			return m, strings.TrimPrefix(abs, "/")
		}
		if abs == m.Path {
			return m, ""
		}
		if strings.HasPrefix(abs, m.Path) && abs[len(m.Path)] == '/' {
			return m, abs[len(m.Path)+1:]
		}
	}
	return nil, ""
}

// IsMountPoint reports whether abs is where something is mounted.
func (ns *Namespace) IsMountPoint(abs string) bool {
	m, rel := ns.Lookup(abs)
	return m != nil && rel == "" && m.Path == abs
}

// Location is a resolved path: a mount, the path inside it and the
// absolute guest path (free of symbolic links except possibly the last
// component when it was not followed).
type Location struct {
	Mount *Mount
	Rel   string
	Path  string
	// Magic says that the resolution stopped at a magic link it was to
	// follow (/proc/<pid>/fd/N): the location stands for the file the
	// link leads to, which Stat describes and opening opens.
	Magic bool
}

// magicLinker is a file system with magic links (procfs).
type magicLinker interface {
	IsMagicLink(rel string) bool
	StatMagicLink(rel string, st *pal.Stat) error
}

// isMagic reports whether loc is a magic link.
func isMagic(loc Location) bool {
	ml, ok := loc.Mount.FS.(magicLinker)
	return ok && ml.IsMagicLink(loc.Rel)
}

// Stat describes the object at loc without following a final link.
func (ns *Namespace) Stat(loc Location, st *pal.Stat) error {
	if loc.Magic {
		return loc.Mount.FS.(magicLinker).StatMagicLink(loc.Rel, st)
	}
	if err := loc.Mount.FS.Stat(loc.Rel, st); err != nil {
		return err
	}
	st.MountID = uint64(loc.Mount.ID)
	if loc.Rel == "" && loc.Mount.CoverAttrs && loc.Path != "/" {
		parent, prel := ns.Lookup(parentPath(loc.Path))
		var cov pal.Stat
		if parent != nil && parent.FS.Stat(joinRel(prel, lastElem(loc.Path)), &cov) == nil && IsDir(cov.Mode) {
			st.Mode, st.Nlink, st.Uid, st.Gid, st.Size = cov.Mode, cov.Nlink, cov.Uid, cov.Gid, cov.Size
			st.Atime, st.Mtime, st.Ctime, st.Btime = cov.Atime, cov.Mtime, cov.Ctime, cov.Btime
		}
	}
	return nil
}

// parentPath is the clean absolute path of abs's parent directory.
func parentPath(abs string) string {
	i := strings.LastIndexByte(abs, '/')
	if i <= 0 {
		return "/"
	}
	return abs[:i]
}

// lastElem is the last component of a clean absolute path.
func lastElem(abs string) string {
	return abs[strings.LastIndexByte(abs, '/')+1:]
}
