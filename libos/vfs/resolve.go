package vfs

import (
	"strings"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// Path limits, as Linux's.
const (
	PathMax  = 4096
	maxLinks = 40
)

// Path resolution.
//
// The fast path hands the whole remaining path to the mount's FS in one
// call; hosts refuse to cross a symbolic link (ELOOP). Only then, or when
// the path has a ".." component, does the resolver walk component by
// component, reading links itself. The walk keeps the resolved prefix as a
// list of real directory names, so ".." simply drops the last one and a
// mount point is crossed just by looking the new prefix up in the mount
// table; "/.." stays at "/". Nothing here can name a host file outside a
// mount, because each FS only ever sees paths relative to its own root.

// absolute joins path to base (an absolute, resolved directory) unless it is
// absolute already.
func absolute(base, path string) string {
	if strings.HasPrefix(path, "/") {
		return path
	}
	if base == "/" {
		return "/" + path
	}
	return base + "/" + path
}

// hasDotDot reports whether a path has a ".." component.
func hasDotDot(p string) bool {
	for p != "" {
		var c string
		c, p, _ = strings.Cut(p, "/")
		if c == ".." {
			return true
		}
	}
	return false
}

// cleanNoDotDot removes empty and "." components from an absolute path
// without "..".
func cleanNoDotDot(abs string) string {
	if !strings.Contains(abs, "//") && !strings.Contains(abs, "/.") && !strings.HasSuffix(abs, "/") {
		return abs
	}
	var b strings.Builder
	for p := abs; p != ""; {
		var c string
		c, p, _ = strings.Cut(p, "/")
		if c == "" || c == "." {
			continue
		}
		b.WriteByte('/')
		b.WriteString(c)
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// trimTrail strips trailing "/" and "/." and reports whether there were any
// (the final component must then be a directory, and is followed).
func trimTrail(p string) (string, bool) {
	dir := false
	for len(p) > 1 {
		switch {
		case strings.HasSuffix(p, "/"):
			p = p[:len(p)-1]
		case strings.HasSuffix(p, "/."):
			p = p[:len(p)-1] // keep the "/": "/." must become "/", not ""
		default:
			return p, dir
		}
		dir = true
	}
	return p, dir
}

// locate is the Location of a clean absolute path.
func (ns *Namespace) locate(abs string) (Location, error) {
	m, rel := ns.Lookup(abs)
	if m == nil {
		return Location{}, unix.ENOENT
	}
	return Location{Mount: m, Rel: rel, Path: abs}, nil
}

// Resolve resolves path (relative paths start at base, an absolute
// resolved directory) to an existing object, following a final symbolic
// link if follow is set.
func (ns *Namespace) Resolve(base, path string, follow bool) (Location, error) {
	if path == "" {
		return Location{}, unix.ENOENT
	}
	if len(path) >= PathMax {
		return Location{}, unix.ENAMETOOLONG
	}
	p, mustDir := trimTrail(absolute(base, path))
	if mustDir {
		follow = true
	}
	if !hasDotDot(p) {
		loc, err := ns.locate(cleanNoDotDot(p))
		if err != nil {
			return loc, err
		}
		var st pal.Stat
		err = ns.Stat(loc, &st)
		switch {
		case err == nil && !(follow && IsSymlink(st.Mode)):
			if mustDir && !IsDir(st.Mode) {
				return Location{}, unix.ENOTDIR
			}
			return loc, nil
		case err != nil && err != unix.ELOOP && err != pal.ErrLoop:
			return Location{}, err
		}
	}
	return ns.walk(nil, splitPath(p), follow, mustDir, nil)
}

// Searcher says whether a process may search a directory (look a name up
// in it), given the directory's attributes: the execute permission Linux
// asks for at every step of a path walk. A nil Searcher allows everything.
type Searcher func(dir *pal.Stat) bool

// ResolveAs is Resolve for a process that may not search every directory:
// each directory a component is looked up in, starting with base for a
// relative path (never its ancestors), must satisfy may (EACCES). The walk
// then goes component by component, one host call each.
func (ns *Namespace) ResolveAs(base, path string, follow bool, may Searcher) (Location, error) {
	if may == nil {
		return ns.Resolve(base, path, follow)
	}
	if path == "" {
		return Location{}, unix.ENOENT
	}
	if len(path) >= PathMax {
		return Location{}, unix.ENAMETOOLONG
	}
	var done []string
	if !strings.HasPrefix(path, "/") {
		done = components(base)
	}
	_, mustDir := trimTrail(path)
	return ns.walk(done, splitPath(path), follow || mustDir, mustDir, may)
}

// components are the names of a clean absolute path, none for "/".
func components(abs string) []string {
	if abs == "/" {
		return nil
	}
	return splitPath(abs)[1:]
}

// walk resolves the components todo, component by component, from the
// directory the resolved components done name. With may, each directory a
// component (".", ".." included) is looked up in must be searchable.
func (ns *Namespace) walk(done, todo []string, follow, mustDir bool, may Searcher) (Location, error) {
	links := 0
	var st, dir pal.Stat // dir: the attributes of done, when may is set
	statDone := func() error {
		if may == nil {
			return nil
		}
		loc, err := ns.locate(joinPath(done))
		if err == nil {
			err = ns.Stat(loc, &dir)
		}
		return err
	}
	search := func() error {
		switch {
		case may == nil:
			return nil
		case !IsDir(dir.Mode):
			return unix.ENOTDIR
		case !may(&dir):
			return unix.EACCES
		}
		return nil
	}
	if err := statDone(); err != nil {
		return Location{}, err
	}
	for {
		// Skip empty and "." components; handle "..".
		for len(todo) > 0 && (todo[0] == "" || todo[0] == "." || todo[0] == "..") {
			c := todo[0]
			todo = todo[1:]
			if c == "" {
				continue
			}
			if err := search(); err != nil {
				return Location{}, err
			}
			if c == ".." && len(done) > 0 {
				done = done[:len(done)-1]
				if err := statDone(); err != nil {
					return Location{}, err
				}
			}
		}
		if len(todo) == 0 {
			loc, err := ns.locate(joinPath(done))
			if err != nil {
				return loc, err
			}
			if mustDir {
				if err := ns.Stat(loc, &st); err != nil {
					return Location{}, err
				}
				if !IsDir(st.Mode) {
					return Location{}, unix.ENOTDIR
				}
			}
			return loc, nil
		}
		c := todo[0]
		todo = todo[1:]
		if err := search(); err != nil {
			return Location{}, err
		}
		last := onlyDots(todo)
		cand := append(done, c)
		loc, err := ns.locate(joinPath(cand))
		if err != nil {
			return loc, err
		}
		if err := ns.Stat(loc, &st); err != nil {
			if err == pal.ErrLoop {
				err = unix.ELOOP
			}
			return Location{}, err
		}
		if IsSymlink(st.Mode) && last && follow && isMagic(loc) {
			// A magic link that ends the path stands for its file.
			loc.Magic = true
			if mustDir {
				var fst pal.Stat
				if err := ns.Stat(loc, &fst); err != nil {
					return Location{}, err
				}
				if !IsDir(fst.Mode) {
					return Location{}, unix.ENOTDIR
				}
			}
			return loc, nil
		}
		if IsSymlink(st.Mode) && (!last || follow || len(todo) > 0) {
			links++
			if links > maxLinks {
				return Location{}, unix.ELOOP
			}
			target, err := loc.Mount.FS.Readlink(loc.Rel)
			if err != nil {
				return Location{}, err
			}
			if target == "" {
				return Location{}, unix.ENOENT
			}
			if strings.HasPrefix(target, "/") {
				done = done[:0]
				if err := statDone(); err != nil {
					return Location{}, err
				}
			}
			todo = append(splitPath(target), todo...)
			continue
		}
		if !last && !IsDir(st.Mode) {
			return Location{}, unix.ENOTDIR
		}
		done, dir = cand, st
	}
}

// onlyDots reports whether the remaining components are all "" or ".".
func onlyDots(todo []string) bool {
	for _, c := range todo {
		if c != "" && c != "." {
			return false
		}
	}
	return true
}

func splitPath(p string) []string { return strings.Split(p, "/") }

func joinPath(c []string) string {
	if len(c) == 0 {
		return "/"
	}
	return "/" + strings.Join(c, "/")
}

// ResolveParent resolves everything but the last component of path and
// returns the parent directory and that last name ("" for "/", or "." and
// ".." as written). mustDir reports a trailing slash.
func (ns *Namespace) ResolveParent(base, path string) (Location, string, bool, error) {
	if path == "" {
		return Location{}, "", false, unix.ENOENT
	}
	if len(path) >= PathMax {
		return Location{}, "", false, unix.ENAMETOOLONG
	}
	// Only trailing slashes go: a final "." is a name, as written.
	p, mustDir := absolute(base, path), false
	for len(p) > 1 && strings.HasSuffix(p, "/") {
		p, mustDir = p[:len(p)-1], true
	}
	i := strings.LastIndexByte(p, '/')
	dir, name := p[:i], p[i+1:]
	if dir == "" {
		dir = "/"
	}
	if len(name) > 255 {
		return Location{}, "", false, unix.ENAMETOOLONG
	}
	parent, err := ns.Resolve("/", dir, true)
	if err != nil {
		return Location{}, "", false, err
	}
	var st pal.Stat
	if err := ns.Stat(parent, &st); err != nil {
		return Location{}, "", false, err
	}
	if !IsDir(st.Mode) {
		return Location{}, "", false, unix.ENOTDIR
	}
	return parent, name, mustDir, nil
}

// ResolveParentAs is ResolveParent for a process that may not search
// every directory (see ResolveAs); the parent must let it search for the
// last name too, as Linux checks before it looks the name up.
func (ns *Namespace) ResolveParentAs(base, path string, may Searcher) (Location, string, bool, error) {
	if may == nil {
		return ns.ResolveParent(base, path)
	}
	if path == "" {
		return Location{}, "", false, unix.ENOENT
	}
	if len(path) >= PathMax {
		return Location{}, "", false, unix.ENAMETOOLONG
	}
	p, mustDir := path, false
	for len(p) > 1 && strings.HasSuffix(p, "/") {
		p, mustDir = p[:len(p)-1], true
	}
	dir, name := ".", p // a name alone is looked up in base
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		dir, name = p[:i+1], p[i+1:]
	}
	if len(name) > 255 {
		return Location{}, "", false, unix.ENAMETOOLONG
	}
	var parent Location
	var err error
	if dir == "." {
		parent, err = ns.locate(base)
	} else {
		parent, err = ns.ResolveAs(base, dir, true, may)
	}
	if err != nil {
		return Location{}, "", false, err
	}
	var st pal.Stat
	if err := ns.Stat(parent, &st); err != nil {
		return Location{}, "", false, err
	}
	if !IsDir(st.Mode) {
		return Location{}, "", false, unix.ENOTDIR
	}
	if name != "" && !may(&st) {
		return Location{}, "", false, unix.EACCES
	}
	return parent, name, mustDir, nil
}

// Child is the Location of name inside the resolved directory dir; it may be
// the root of another mount.
func (ns *Namespace) Child(dir Location, name string) Location {
	loc, err := ns.locate(absolute(dir.Path, name))
	if err != nil {
		return Location{Mount: dir.Mount, Rel: joinRel(dir.Rel, name), Path: absolute(dir.Path, name)}
	}
	return loc
}

// Open opens path with Linux open(2) semantics. mode is applied as given:
// the caller has already taken the umask off.
func (ns *Namespace) Open(base, path string, flags int, mode uint32) (*File, error) {
	return ns.OpenAs(base, path, flags, mode, nil)
}

// OpenAs is Open for a process that may not search every directory (see
// ResolveAs). It checks no permission of the file itself.
func (ns *Namespace) OpenAs(base, path string, flags int, mode uint32, may Searcher) (*File, error) {
	if path == "" {
		return nil, unix.ENOENT
	}
	if len(path) >= PathMax {
		return nil, unix.ENAMETOOLONG
	}
	abs := absolute(base, path)
	if flags&unix.O_CREAT != 0 && flags&unix.O_EXCL != 0 {
		flags |= unix.O_NOFOLLOW // O_EXCL never follows a final link
	}
	if flags&unix.O_CREAT != 0 && strings.HasSuffix(abs, "/") {
		return nil, unix.EISDIR
	}
	// Fast path: no "..", no symbolic link on the way, and no trailing
	// slash (which needs the directory check of the slow path).
	if _, mustDir := trimTrail(abs); may == nil && !hasDotDot(abs) && !mustDir {
		clean := cleanNoDotDot(abs)
		if loc, err := ns.locate(clean); err == nil {
			impl, err := ns.openAt(loc, flags, mode)
			if err != unix.ELOOP && err != pal.ErrLoop {
				return ns.opened(impl, loc, flags, err)
			}
		}
	}
	links := 0
	for {
		parent, name, mustDir, err := ns.ResolveParentAs(base, path, may)
		if err != nil {
			return nil, err
		}
		var loc Location
		if name == "" || name == "." || name == ".." || mustDir {
			if flags&unix.O_CREAT != 0 && mustDir {
				return nil, unix.EISDIR
			}
			if loc, err = ns.ResolveAs(base, path, flags&unix.O_NOFOLLOW == 0, may); err != nil {
				return nil, err
			}
		} else {
			loc = ns.Child(parent, name)
		}
		impl, err := ns.openAt(loc, flags, mode)
		if err != unix.ELOOP && err != pal.ErrLoop {
			return ns.opened(impl, loc, flags, err)
		}
		// Either the last component is a symbolic link, or something on
		// the way changed under us.
		var st pal.Stat
		if e := ns.Stat(loc, &st); e != nil || !IsSymlink(st.Mode) {
			if e == nil {
				e = unix.ELOOP
			}
			return nil, e
		}
		if flags&unix.O_NOFOLLOW != 0 {
			if flags&unix.O_CREAT != 0 && flags&unix.O_EXCL != 0 {
				return nil, unix.EEXIST
			}
			return nil, unix.ELOOP
		}
		if links++; links > maxLinks {
			return nil, unix.ELOOP
		}
		target, err := loc.Mount.FS.Readlink(loc.Rel)
		if err != nil {
			return nil, err
		}
		if target == "" {
			return nil, unix.ENOENT
		}
		base, path = parent.Path, target
	}
}

// openAt opens the object at loc; with O_PATH|O_NOFOLLOW a final symbolic
// link itself is opened.
func (ns *Namespace) openAt(loc Location, flags int, mode uint32) (FileImpl, error) {
	if loc.Mount.ReadOnly && (flags&unix.O_ACCMODE != unix.O_RDONLY || flags&(unix.O_CREAT|unix.O_TRUNC) != 0) {
		var st pal.Stat
		if flags&unix.O_CREAT != 0 && loc.Mount.FS.Stat(loc.Rel, &st) != nil {
			return nil, unix.EROFS
		}
		if flags&unix.O_ACCMODE != unix.O_RDONLY || flags&unix.O_TRUNC != 0 {
			return nil, unix.EROFS
		}
	}
	return loc.Mount.FS.Open(loc.Rel, flags, mode)
}

func (ns *Namespace) opened(impl FileImpl, loc Location, flags int, err error) (*File, error) {
	if err != nil {
		if pe, ok := err.(pal.Error); ok {
			err = pe.Errno()
		}
		return nil, err
	}
	keep := flags &^ (unix.O_CREAT | unix.O_EXCL | unix.O_NOCTTY | unix.O_TRUNC | unix.O_CLOEXEC)
	return NewFile(impl, keep, loc.Path, loc.Mount), nil
}
