package vfs

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

func content(s string) func() ([]byte, error) {
	return func() ([]byte, error) { return []byte(s), nil }
}

func link(target string) *Node {
	return Symlink(func() (string, error) { return target, nil })
}

// chain makes a directory holding links l0 -> l1 -> ... -> l(n-1) -> final.
func chain(n int, final string) *Node {
	kids := map[string]*Node{}
	for i := 0; i < n-1; i++ {
		kids[fmt.Sprintf("l%d", i)] = link(fmt.Sprintf("l%d", i+1))
	}
	kids[fmt.Sprintf("l%d", n-1)] = link(final)
	return Dir(kids)
}

// testNS builds a namespace: a root PseudoFS and a second one mounted at
// /mnt (over the root's /mnt directory, whose attributes differ).
func testNS(t *testing.T) (*Namespace, *Mount, *Mount) {
	t.Helper()
	covered := Dir(map[string]*Node{})
	covered.Mode = unix.S_IFDIR | 0o711
	covered.Uid, covered.Gid = 42, 43
	root := &PseudoFS{Dev: 1, Root: Dir(map[string]*Node{
		"etc": Dir(map[string]*Node{
			"passwd": RegularFile(content("root:x:0:0")),
			"hosts":  RegularFile(content("127.0.0.1 localhost")),
		}),
		"bin": Dir(map[string]*Node{"sh": RegularFile(content("#!sh"))}),
		"usr": Dir(map[string]*Node{
			"bin": Dir(map[string]*Node{
				"env":   RegularFile(content("env")),
				"up":    link("../../etc"),
				"toabs": link("/bin/sh"),
			}),
		}),
		"lnk_rel":   link("etc/passwd"),
		"lnk_abs":   link("/etc/hosts"),
		"lnk_dir":   link("usr/bin"),
		"lnk_dots":  link("./usr/./bin/../bin"),
		"lnk_chain": link("lnk_rel"),
		"loop_a":    link("loop_b"),
		"loop_b":    link("/loop_a"),
		"self":      link("self"),
		"dangling":  link("/nope"),
		"empty":     link(""),
		"to_mnt":    link("/mnt/sub"),
		"c40":       chain(40, "/etc/passwd"),
		"c41":       chain(41, "/etc/passwd"),
		"mnt":       covered,
	})}
	mnt := &PseudoFS{Dev: 2, Root: Dir(map[string]*Node{
		"sub": Dir(map[string]*Node{"x": RegularFile(content("x in mnt"))}),
		"up":  link("../etc"),
		"abs": link("/etc/passwd"),
		"rel": link("sub/x"),
	})}
	ns := &Namespace{}
	rm := &Mount{Path: "/", FS: root, Type: "pseudo"}
	mm := &Mount{Path: "/mnt", FS: mnt, Type: "pseudo2", CoverAttrs: true}
	ns.Add(rm)
	ns.Add(mm)
	return ns, rm, mm
}

func wantErrno(t *testing.T, what string, err error, want unix.Errno) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: error %v, want %v", what, err, want)
	}
}

func TestResolve(t *testing.T) {
	ns, rm, mm := testNS(t)
	cases := []struct {
		base, path string
		follow     bool
		want       string // resolved path
		mount      *Mount
		rel        string
	}{
		{"/", "/", true, "/", rm, ""},
		{"/etc", "/", true, "/", rm, ""},
		{"/", "/etc/passwd", true, "/etc/passwd", rm, "etc/passwd"},
		{"/", "etc/passwd", true, "/etc/passwd", rm, "etc/passwd"},
		{"/etc", "passwd", true, "/etc/passwd", rm, "etc/passwd"},
		{"/etc", "./passwd", true, "/etc/passwd", rm, "etc/passwd"},
		{"/etc", ".", true, "/etc", rm, "etc"},
		{"/", ".", true, "/", rm, ""},
		{"/", "/.", true, "/", rm, ""},
		{"/", "/./", true, "/", rm, ""},
		{"/", "//etc///passwd", true, "/etc/passwd", rm, "etc/passwd"},
		{"/", "/./etc/./passwd", true, "/etc/passwd", rm, "etc/passwd"},
		{"/", "/..", true, "/", rm, ""},
		{"/", "/../../..", true, "/", rm, ""},
		{"/", "..", true, "/", rm, ""},
		{"/", "/../etc/../../etc/hosts", true, "/etc/hosts", rm, "etc/hosts"},
		{"/", "/etc/..", true, "/", rm, ""},
		{"/", "/etc/../bin/sh", true, "/bin/sh", rm, "bin/sh"},
		{"/usr/bin", "..", true, "/usr", rm, "usr"},
		{"/usr/bin", "../../etc/hosts", true, "/etc/hosts", rm, "etc/hosts"},
		{"/", "/etc/", true, "/etc", rm, "etc"},
		{"/", "/etc//", true, "/etc", rm, "etc"},
		{"/", "/etc/.", true, "/etc", rm, "etc"},
		{"/", "/etc/./", true, "/etc", rm, "etc"},
		// Symbolic links.
		{"/", "/lnk_rel", true, "/etc/passwd", rm, "etc/passwd"},
		{"/", "/lnk_rel", false, "/lnk_rel", rm, "lnk_rel"},
		{"/", "/lnk_abs", true, "/etc/hosts", rm, "etc/hosts"},
		{"/", "/lnk_dir/env", false, "/usr/bin/env", rm, "usr/bin/env"},
		{"/", "/lnk_dir", true, "/usr/bin", rm, "usr/bin"},
		{"/", "/lnk_dir/", false, "/usr/bin", rm, "usr/bin"}, // a trailing slash follows
		{"/", "/lnk_dir/.", false, "/usr/bin", rm, "usr/bin"},
		{"/", "/lnk_dir/..", true, "/usr", rm, "usr"}, // ".." after a link is physical
		{"/", "/lnk_dots/env", true, "/usr/bin/env", rm, "usr/bin/env"},
		{"/", "/usr/bin/up/passwd", true, "/etc/passwd", rm, "etc/passwd"},
		{"/", "/usr/bin/up", true, "/etc", rm, "etc"},
		{"/usr", "bin/toabs", true, "/bin/sh", rm, "bin/sh"},
		{"/", "/lnk_chain", true, "/etc/passwd", rm, "etc/passwd"},
		{"/", "/lnk_chain", false, "/lnk_chain", rm, "lnk_chain"},
		{"/", "/c40/l0", true, "/etc/passwd", rm, "etc/passwd"},
		{"/", "/c41/l0", false, "/c41/l0", rm, "c41/l0"},
		{"/", "/dangling", false, "/dangling", rm, "dangling"},
		{"/", "/self", false, "/self", rm, "self"},
		// Mounts.
		{"/", "/mnt", true, "/mnt", mm, ""},
		{"/", "/mnt/", true, "/mnt", mm, ""},
		{"/", "/mnt/sub/x", true, "/mnt/sub/x", mm, "sub/x"},
		{"/mnt", "sub/x", true, "/mnt/sub/x", mm, "sub/x"},
		{"/mnt/sub", "x", true, "/mnt/sub/x", mm, "sub/x"},
		{"/", "/mnt/..", true, "/", rm, ""},
		{"/", "/mnt/sub/../..", true, "/", rm, ""},
		{"/", "/mnt/sub/../../etc/passwd", true, "/etc/passwd", rm, "etc/passwd"},
		{"/mnt/sub", "../../etc", true, "/etc", rm, "etc"},
		{"/mnt/sub", "../../mnt/sub/./x", true, "/mnt/sub/x", mm, "sub/x"},
		{"/", "/mnt/up/passwd", true, "/etc/passwd", rm, "etc/passwd"},
		{"/", "/mnt/abs", true, "/etc/passwd", rm, "etc/passwd"},
		{"/", "/mnt/rel", true, "/mnt/sub/x", mm, "sub/x"},
		{"/", "/to_mnt/x", true, "/mnt/sub/x", mm, "sub/x"},
		{"/", "/to_mnt/../up", false, "/mnt/up", mm, "up"},
		{"/", "/to_mnt", true, "/mnt/sub", mm, "sub"},
	}
	for _, c := range cases {
		loc, err := ns.Resolve(c.base, c.path, c.follow)
		if err != nil {
			t.Errorf("Resolve(%q, %q, %v): %v", c.base, c.path, c.follow, err)
			continue
		}
		if loc.Path != c.want || loc.Mount != c.mount || loc.Rel != c.rel {
			t.Errorf("Resolve(%q, %q, %v) = {%s %q %q}, want {%s %q %q}", c.base, c.path, c.follow,
				loc.Mount.Type, loc.Path, loc.Rel, c.mount.Type, c.want, c.rel)
		}
	}
}

func TestResolveErrors(t *testing.T) {
	ns, _, _ := testNS(t)
	cases := []struct {
		base, path string
		follow     bool
		want       unix.Errno
	}{
		{"/", "", true, unix.ENOENT},
		{"/", strings.Repeat("a/", PathMax/2), true, unix.ENAMETOOLONG},
		{"/", "/nope", true, unix.ENOENT},
		{"/", "/etc/nope", false, unix.ENOENT},
		{"/", "/nope/passwd", true, unix.ENOENT},
		{"/", "/nope/../etc", true, unix.ENOENT}, // ".." needs the directory to exist
		{"/", "/etc/passwd/", true, unix.ENOTDIR},
		{"/", "/etc/passwd/", false, unix.ENOTDIR},
		{"/", "/etc/passwd/.", true, unix.ENOTDIR},
		{"/", "/etc/passwd/x", true, unix.ENOTDIR},
		{"/", "/etc/passwd/..", true, unix.ENOTDIR},
		{"/", "/etc/passwd/../hosts", true, unix.ENOTDIR},
		{"/etc", "passwd/", true, unix.ENOTDIR},
		{"/", "/lnk_rel/", false, unix.ENOTDIR},
		{"/", "/lnk_rel/x", true, unix.ENOTDIR},
		{"/", "/mnt/sub/x/", true, unix.ENOTDIR},
		{"/", "/mnt/nope", true, unix.ENOENT},
		{"/", "/dangling", true, unix.ENOENT},
		{"/", "/dangling/", false, unix.ENOENT},
		{"/", "/empty", true, unix.ENOENT},
		{"/", "/loop_a", true, unix.ELOOP},
		{"/", "/loop_a/x", false, unix.ELOOP},
		{"/", "/self", true, unix.ELOOP},
		{"/", "/self/", false, unix.ELOOP},
		{"/", "/c41/l0", true, unix.ELOOP},
		{"/", "/c41/l0/..", true, unix.ELOOP},
	}
	for _, c := range cases {
		loc, err := ns.Resolve(c.base, c.path, c.follow)
		if err == nil {
			t.Errorf("Resolve(%q, %.40q, %v) = %q, want %v", c.base, c.path, c.follow, loc.Path, c.want)
			continue
		}
		wantErrno(t, fmt.Sprintf("Resolve(%q, %.40q, %v)", c.base, c.path, c.follow), err, c.want)
	}
}

// TestResolveChainLimit checks the 40-link limit on one chain: 40 links
// resolve, the 41st is too many.
func TestResolveChainLimit(t *testing.T) {
	ns, _, _ := testNS(t)
	for n := 38; n <= 42; n++ {
		root := &PseudoFS{Root: Dir(map[string]*Node{
			"c":      chain(n, "/target"),
			"target": RegularFile(content("t")),
		})}
		ns.Add(&Mount{Path: "/", FS: root})
		loc, err := ns.Resolve("/", "/c/l0", true)
		if n <= maxLinks {
			if err != nil || loc.Path != "/target" {
				t.Errorf("chain of %d links: %q %v", n, loc.Path, err)
			}
		} else {
			wantErrno(t, fmt.Sprintf("chain of %d links", n), err, unix.ELOOP)
		}
	}
}

func TestResolveStat(t *testing.T) {
	ns, _, _ := testNS(t)
	var st pal.Stat
	loc, err := ns.Resolve("/", "/lnk_rel", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.Stat(loc, &st); err != nil || !IsSymlink(st.Mode) {
		t.Fatalf("lstat of a link: mode %#o, %v", st.Mode, err)
	}
	loc, _ = ns.Resolve("/", "/lnk_rel", true)
	if err := ns.Stat(loc, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		t.Fatalf("stat through a link: mode %#o, %v", st.Mode, err)
	}
}

func TestCoverAttrs(t *testing.T) {
	ns, _, mm := testNS(t)
	var st pal.Stat
	loc, err := ns.Resolve("/", "/mnt", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.Stat(loc, &st); err != nil {
		t.Fatal(err)
	}
	// Mode and owners from the covered directory, identity from the mount.
	if st.Mode != unix.S_IFDIR|0o711 || st.Uid != 42 || st.Gid != 43 {
		t.Fatalf("covered root: mode %#o uid %d gid %d", st.Mode, st.Uid, st.Gid)
	}
	if st.Dev != 2 || st.Ino != 1 {
		t.Fatalf("covered root: dev %d ino %d, want the mount's own", st.Dev, st.Ino)
	}
	// Only the root is covered.
	sub, _ := ns.Resolve("/", "/mnt/sub", true)
	if err := ns.Stat(sub, &st); err != nil || st.Mode != unix.S_IFDIR|0o555 || st.Uid != 0 {
		t.Fatalf("below the mount root: mode %#o uid %d %v", st.Mode, st.Uid, err)
	}
	// Without CoverAttrs the mount's own attributes show.
	mm.CoverAttrs = false
	if err := ns.Stat(loc, &st); err != nil || st.Mode != unix.S_IFDIR|0o555 || st.Uid != 0 {
		t.Fatalf("uncovered root: mode %#o uid %d %v", st.Mode, st.Uid, err)
	}
	// A mount over a path the parent does not have keeps its own too.
	ns.Add(&Mount{Path: "/ghost", FS: &PseudoFS{Root: Dir(nil)}, CoverAttrs: true})
	g, err := ns.Resolve("/", "/ghost", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.Stat(g, &st); err != nil || st.Mode != unix.S_IFDIR|0o555 {
		t.Fatalf("mount over nothing: mode %#o %v", st.Mode, err)
	}
	// The root mount is never covered.
	ns.Add(&Mount{Path: "/", FS: &PseudoFS{Root: Dir(nil)}, CoverAttrs: true})
	r, _ := ns.Resolve("/", "/", true)
	if err := ns.Stat(r, &st); err != nil || st.Mode != unix.S_IFDIR|0o555 {
		t.Fatalf("root: mode %#o %v", st.Mode, err)
	}
}

func TestResolveParent(t *testing.T) {
	ns, rm, mm := testNS(t)
	cases := []struct {
		base, path string
		dir, name  string
		mustDir    bool
		mount      *Mount
	}{
		{"/", "/etc/passwd", "/etc", "passwd", false, rm},
		{"/", "/etc/newfile", "/etc", "newfile", false, rm},
		{"/etc", "newfile", "/etc", "newfile", false, rm},
		{"/", "newdir/", "/", "newdir", true, rm},
		{"/", "/etc/", "/", "etc", true, rm},
		{"/", "/etc//", "/", "etc", true, rm},
		{"/", "/", "/", "", false, rm},
		{"/", "/.", "/", ".", false, rm},
		{"/", ".", "/", ".", false, rm},
		{"/etc", ".", "/etc", ".", false, rm},
		{"/etc", "./", "/etc", ".", true, rm},
		{"/", "/etc/./", "/etc", ".", true, rm},
		{"/", "/etc/..", "/etc", "..", false, rm},
		{"/", "/lnk_dir/new", "/usr/bin", "new", false, rm},
		{"/", "/lnk_rel", "/", "lnk_rel", false, rm}, // the last component is not followed
		{"/", "/mnt/sub/new", "/mnt/sub", "new", false, mm},
		{"/", "/mnt/new", "/mnt", "new", false, mm},
		{"/", "/mnt", "/", "mnt", false, rm},
		{"/", "/mnt/up/new", "/etc", "new", false, rm},
		{"/mnt/sub", "../../etc/x", "/etc", "x", false, rm},
	}
	for _, c := range cases {
		dir, name, mustDir, err := ns.ResolveParent(c.base, c.path)
		if err != nil {
			t.Errorf("ResolveParent(%q, %q): %v", c.base, c.path, err)
			continue
		}
		if dir.Path != c.dir || name != c.name || mustDir != c.mustDir || dir.Mount != c.mount {
			t.Errorf("ResolveParent(%q, %q) = %q %q %v %s, want %q %q %v %s", c.base, c.path,
				dir.Path, name, mustDir, dir.Mount.Type, c.dir, c.name, c.mustDir, c.mount.Type)
		}
	}
	errs := []struct {
		path string
		want unix.Errno
	}{
		{"", unix.ENOENT},
		{"/etc/passwd/x", unix.ENOTDIR},
		{"/etc/passwd/..", unix.ENOTDIR},
		{"/lnk_rel/x", unix.ENOTDIR},
		{"/nope/x", unix.ENOENT},
		{"/dangling/x", unix.ENOENT},
		{"/loop_a/x", unix.ELOOP},
		{"/etc/" + strings.Repeat("n", 256), unix.ENAMETOOLONG},
		{"/" + strings.Repeat("d/", PathMax/2), unix.ENAMETOOLONG},
	}
	for _, c := range errs {
		_, _, _, err := ns.ResolveParent("/", c.path)
		wantErrno(t, fmt.Sprintf("ResolveParent(%.40q)", c.path), err, c.want)
	}
	// 255 bytes is a valid name.
	if _, name, _, err := ns.ResolveParent("/", "/etc/"+strings.Repeat("n", 255)); err != nil || len(name) != 255 {
		t.Fatalf("255-byte name: %v", err)
	}
}

func TestChild(t *testing.T) {
	ns, rm, mm := testNS(t)
	root, _ := ns.Resolve("/", "/", true)
	if c := ns.Child(root, "mnt"); c.Mount != mm || c.Rel != "" || c.Path != "/mnt" {
		t.Fatalf("Child(/, mnt) = %+v", c)
	}
	etc, _ := ns.Resolve("/", "/etc", true)
	if c := ns.Child(etc, "passwd"); c.Mount != rm || c.Rel != "etc/passwd" || c.Path != "/etc/passwd" {
		t.Fatalf("Child(/etc, passwd) = %+v", c)
	}
	if c := ns.Child(root, "etc"); c.Mount != rm || c.Rel != "etc" || c.Path != "/etc" {
		t.Fatalf("Child(/, etc) = %+v", c)
	}
}

func readAll(t *testing.T, f *File) string {
	t.Helper()
	buf := make([]byte, 256)
	n, err := f.Impl.Read(buf)
	if err != nil {
		t.Fatalf("read %s: %v", f.Path, err)
	}
	return string(buf[:n])
}

func TestOpen(t *testing.T) {
	ns, rm, mm := testNS(t)
	cases := []struct {
		base, path string
		flags      int
		path2      string // the File's Path
		data       string
		mount      *Mount
	}{
		{"/", "/etc/passwd", unix.O_RDONLY, "/etc/passwd", "root:x:0:0", rm},
		{"/etc", "hosts", unix.O_RDONLY | unix.O_CLOEXEC, "/etc/hosts", "127.0.0.1 localhost", rm},
		{"/", "/lnk_rel", unix.O_RDONLY, "/etc/passwd", "root:x:0:0", rm},
		{"/", "lnk_chain", unix.O_RDONLY, "/etc/passwd", "root:x:0:0", rm},
		{"/", "/lnk_dir/env", unix.O_RDONLY | unix.O_NOFOLLOW, "/usr/bin/env", "env", rm},
		{"/", "/usr/bin/toabs", unix.O_RDONLY, "/bin/sh", "#!sh", rm},
		{"/", "/usr/bin/up/../bin/sh", unix.O_RDONLY, "/bin/sh", "#!sh", rm},
		{"/", "/mnt/sub/x", unix.O_RDONLY, "/mnt/sub/x", "x in mnt", mm},
		{"/", "/mnt/sub/../../etc/hosts", unix.O_RDONLY, "/etc/hosts", "127.0.0.1 localhost", rm},
		{"/", "/mnt/up/passwd", unix.O_RDONLY, "/etc/passwd", "root:x:0:0", rm},
		{"/", "/mnt/rel", unix.O_RDONLY, "/mnt/sub/x", "x in mnt", mm},
		{"/", "/to_mnt/x", unix.O_RDONLY, "/mnt/sub/x", "x in mnt", mm},
		{"/", "/c40/l0", unix.O_RDONLY, "/etc/passwd", "root:x:0:0", rm},
	}
	for _, c := range cases {
		f, err := ns.Open(c.base, c.path, c.flags, 0)
		if err != nil {
			t.Errorf("Open(%q, %q, %#x): %v", c.base, c.path, c.flags, err)
			continue
		}
		if f.Path != c.path2 || f.Mount != c.mount {
			t.Errorf("Open(%q, %q) path %q mount %v, want %q", c.base, c.path, f.Path, f.Mount.Type, c.path2)
		}
		if got := readAll(t, f); got != c.data {
			t.Errorf("Open(%q, %q) read %q, want %q", c.base, c.path, got, c.data)
		}
		if f.Flags()&unix.O_CLOEXEC != 0 {
			t.Errorf("Open(%q, %q) kept O_CLOEXEC in the file flags", c.base, c.path)
		}
		f.DecRef()
	}

	// Directories.
	for _, p := range []string{"/etc", "/etc/", "/lnk_dir", "/lnk_dir/", "/mnt", "/", "/.", "."} {
		f, err := ns.Open("/", p, unix.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			t.Errorf("Open(%q, O_DIRECTORY): %v", p, err)
			continue
		}
		var st pal.Stat
		if err := f.Impl.Stat(&st); err != nil || !IsDir(st.Mode) {
			t.Errorf("Open(%q, O_DIRECTORY): not a directory (%#o, %v)", p, st.Mode, err)
		}
		f.DecRef()
	}
}

func TestOpenErrors(t *testing.T) {
	ns, _, _ := testNS(t)
	cases := []struct {
		path  string
		flags int
		want  unix.Errno
	}{
		{"", unix.O_RDONLY, unix.ENOENT},
		{strings.Repeat("x", PathMax), unix.O_RDONLY, unix.ENAMETOOLONG},
		{"/nope", unix.O_RDONLY, unix.ENOENT},
		{"/nope/x", unix.O_RDONLY, unix.ENOENT},
		{"/etc/passwd/x", unix.O_RDONLY, unix.ENOTDIR},
		{"/etc/passwd/", unix.O_RDONLY, unix.ENOTDIR},
		{"/etc/passwd/.", unix.O_RDONLY, unix.ENOTDIR},
		{"/lnk_rel/", unix.O_RDONLY, unix.ENOTDIR},
		{"/etc/passwd", unix.O_RDONLY | unix.O_DIRECTORY, unix.ENOTDIR},
		{"/lnk_rel", unix.O_RDONLY | unix.O_DIRECTORY, unix.ENOTDIR},
		{"/etc", unix.O_WRONLY, unix.EISDIR},
		{"/etc/", unix.O_RDWR, unix.EISDIR},
		{"/lnk_rel", unix.O_RDONLY | unix.O_NOFOLLOW, unix.ELOOP},
		{"/lnk_dir", unix.O_RDONLY | unix.O_NOFOLLOW, unix.ELOOP},
		{"/mnt/abs", unix.O_RDONLY | unix.O_NOFOLLOW, unix.ELOOP},
		{"/loop_a", unix.O_RDONLY, unix.ELOOP},
		{"/loop_a/x", unix.O_RDONLY, unix.ELOOP},
		{"/self", unix.O_RDONLY, unix.ELOOP},
		{"/c41/l0", unix.O_RDONLY, unix.ELOOP},
		{"/dangling", unix.O_RDONLY, unix.ENOENT},
		{"/empty", unix.O_RDONLY, unix.ENOENT},
		{"/etc/passwd", unix.O_CREAT | unix.O_EXCL | unix.O_RDONLY, unix.EEXIST},
		{"/lnk_rel", unix.O_CREAT | unix.O_EXCL | unix.O_RDONLY, unix.EEXIST},
		{"/newdir/", unix.O_CREAT | unix.O_RDWR, unix.EISDIR},
		{"/etc/", unix.O_CREAT | unix.O_RDONLY, unix.EISDIR},
		{"/etc/passwd", unix.O_WRONLY, unix.EACCES}, // the pseudo file is read-only
		{"/etc/new", unix.O_CREAT | unix.O_WRONLY, unix.EACCES},
	}
	for _, c := range cases {
		f, err := ns.Open("/", c.path, c.flags, 0o644)
		if err == nil {
			t.Errorf("Open(%.40q, %#x) opened %q, want %v", c.path, c.flags, f.Path, c.want)
			continue
		}
		wantErrno(t, fmt.Sprintf("Open(%.40q, %#x)", c.path, c.flags), err, c.want)
	}
}

func TestOpenPath(t *testing.T) {
	ns, _, _ := testNS(t)
	var st pal.Stat

	// O_PATH|O_NOFOLLOW opens the link itself.
	f, err := ns.Open("/", "/lnk_rel", unix.O_PATH|unix.O_NOFOLLOW, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Impl.Stat(&st); err != nil || !IsSymlink(st.Mode) {
		t.Fatalf("O_PATH|O_NOFOLLOW: mode %#o, %v", st.Mode, err)
	}
	if f.Path != "/lnk_rel" || !f.IsPath() {
		t.Fatalf("O_PATH|O_NOFOLLOW: path %q flags %#x", f.Path, f.Flags())
	}
	// Even a link into a loop or nowhere.
	for _, p := range []string{"/self", "/dangling", "/mnt/up"} {
		f, err := ns.Open("/", p, unix.O_PATH|unix.O_NOFOLLOW, 0)
		if err != nil {
			t.Errorf("O_PATH|O_NOFOLLOW %s: %v", p, err)
			continue
		}
		if err := f.Impl.Stat(&st); err != nil || !IsSymlink(st.Mode) || f.Path != p {
			t.Errorf("O_PATH|O_NOFOLLOW %s: mode %#o path %q %v", p, st.Mode, f.Path, err)
		}
	}

	// O_PATH without O_NOFOLLOW follows the link like any open.
	for _, c := range []struct{ path, want string }{
		{"/lnk_rel", "/etc/passwd"},
		{"/lnk_dir", "/usr/bin"},
		{"/mnt/abs", "/etc/passwd"},
		{"/etc/hosts", "/etc/hosts"},
	} {
		f, err := ns.Open("/", c.path, unix.O_PATH, 0)
		if err != nil {
			t.Errorf("O_PATH %s: %v", c.path, err)
			continue
		}
		if err := f.Impl.Stat(&st); err != nil || IsSymlink(st.Mode) {
			t.Errorf("O_PATH %s: opened the link itself (mode %#o, %v)", c.path, st.Mode, err)
		}
		if f.Path != c.want {
			t.Errorf("O_PATH %s: path %q, want %q", c.path, f.Path, c.want)
		}
	}
	_, err = ns.Open("/", "/loop_a", unix.O_PATH, 0)
	wantErrno(t, "O_PATH loop", err, unix.ELOOP)
	_, err = ns.Open("/", "/lnk_rel/", unix.O_PATH|unix.O_NOFOLLOW, 0)
	wantErrno(t, "O_PATH|O_NOFOLLOW trailing slash on a link to a file", err, unix.ENOTDIR)
}

func TestOpenReadOnlyMount(t *testing.T) {
	ns, _, mm := testNS(t)
	mm.ReadOnly = true
	for _, c := range []struct {
		path  string
		flags int
		want  unix.Errno
	}{
		{"/mnt/sub/x", unix.O_WRONLY, unix.EROFS},
		{"/mnt/sub/x", unix.O_RDONLY | unix.O_TRUNC, unix.EROFS},
		{"/mnt/sub/new", unix.O_CREAT | unix.O_RDONLY, unix.EROFS},
		{"/mnt/sub/x", unix.O_CREAT | unix.O_EXCL | unix.O_RDONLY, unix.EEXIST},
	} {
		_, err := ns.Open("/", c.path, c.flags, 0o644)
		wantErrno(t, fmt.Sprintf("Open(%s, %#x) on a read-only mount", c.path, c.flags), err, c.want)
	}
	if f, err := ns.Open("/", "/mnt/sub/x", unix.O_RDONLY|unix.O_CREAT, 0); err != nil {
		t.Fatalf("O_CREAT of an existing file on a read-only mount: %v", err)
	} else {
		f.DecRef()
	}
}

func TestNamespace(t *testing.T) {
	ns, rm, mm := testNS(t)
	if m := ns.Mounts(); len(m) != 2 || m[0] != rm || m[1] != mm {
		t.Fatalf("Mounts = %v", m)
	}
	for _, c := range []struct {
		abs   string
		mount *Mount
		rel   string
	}{
		{"/", rm, ""},
		{"/mnt", mm, ""},
		{"/mnt/a/b", mm, "a/b"},
		{"/mntx", rm, "mntx"},
		{"/mn", rm, "mn"},
		{"/etc/mnt", rm, "etc/mnt"},
	} {
		m, rel := ns.Lookup(c.abs)
		if m != c.mount || rel != c.rel {
			t.Errorf("Lookup(%q) = %v %q", c.abs, m, rel)
		}
	}
	if !ns.IsMountPoint("/mnt") || !ns.IsMountPoint("/") || ns.IsMountPoint("/mnt/sub") || ns.IsMountPoint("/etc") {
		t.Error("IsMountPoint")
	}
	// A nested mount wins over its parent; replacing a mount keeps one entry.
	deep := &Mount{Path: "/mnt/sub", FS: &PseudoFS{Root: Dir(map[string]*Node{"y": RegularFile(content("y"))})}, Type: "deep"}
	ns.Add(deep)
	if m, rel := ns.Lookup("/mnt/sub/y"); m != deep || rel != "y" {
		t.Fatalf("nested Lookup = %v %q", m, rel)
	}
	loc, err := ns.Resolve("/", "/mnt/sub/../rel", false)
	if err != nil || loc.Mount != mm || loc.Rel != "rel" {
		t.Fatalf("out of a nested mount: %+v %v", loc, err)
	}
	_, err = ns.Resolve("/", "/mnt/sub/x", true)
	wantErrno(t, "file hidden by a nested mount", err, unix.ENOENT)
	mm2 := &Mount{Path: "/mnt", FS: mm.FS, Type: "again"}
	ns.Add(mm2)
	ms := ns.Mounts()
	if len(ms) != 3 || ms[2] != mm2 {
		t.Fatalf("replacing a mount: %v", ms)
	}
	if m, _ := ns.Lookup("/mnt/up"); m != mm2 {
		t.Fatalf("Lookup after replacing: %v", m)
	}
	// Without a root mount nothing resolves.
	empty := &Namespace{}
	_, err = empty.Resolve("/", "/etc", true)
	wantErrno(t, "empty namespace", err, unix.ENOENT)
}
