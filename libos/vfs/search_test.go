package vfs

import (
	"testing"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// searchNS has a directory others may not search (/closed), one they may
// (/open), and a searchable directory inside the closed one.
func searchNS(t *testing.T) *Namespace {
	t.Helper()
	dir := func(mode uint32, kids map[string]*Node) *Node {
		d := Dir(kids)
		d.Mode = unix.S_IFDIR | mode
		return d
	}
	root := &PseudoFS{Dev: 1, Root: dir(0o755, map[string]*Node{
		"closed": dir(0o700, map[string]*Node{
			"f":   RegularFile(content("closed")),
			"sub": dir(0o755, map[string]*Node{"x": RegularFile(content("x"))}),
		}),
		"open":     dir(0o755, map[string]*Node{"f": RegularFile(content("open"))}),
		"toclosed": link("closed/f"),
		"file":     RegularFile(content("file")),
	})}
	ns := &Namespace{}
	ns.Add(&Mount{Path: "/", FS: root, Type: "pseudo"})
	return ns
}

// others may search a directory when its "others" execute bit is set.
func others(dir *pal.Stat) bool { return dir.Mode&1 != 0 }

func TestResolveAs(t *testing.T) {
	ns := searchNS(t)
	cases := []struct {
		base, path string
		follow     bool
		want       unix.Errno // 0: resolves
	}{
		{"/", "/open/f", true, 0},
		{"/", "open/f", true, 0},
		{"/", "/closed", true, 0},
		{"/", "/closed/", true, 0},
		{"/", "/closed/f", true, unix.EACCES},
		{"/", "/closed/.", true, unix.EACCES},
		{"/", "/closed/..", true, unix.EACCES},
		{"/", "/closed/missing/x", true, unix.EACCES},
		{"/", "/missing/closed/f", true, unix.ENOENT},
		{"/", "/file/.", true, unix.ENOTDIR},
		{"/", "/toclosed", false, 0},
		{"/", "/toclosed", true, unix.EACCES},
		{"/closed", "f", true, unix.EACCES}, // the base is searched
		{"/closed/sub", "x", true, 0},       // but not its ancestors
		{"/closed/sub", ".", true, 0},
		{"/closed/sub", "../f", true, unix.EACCES}, // ".." leads back in
	}
	for _, c := range cases {
		what := c.base + " " + c.path
		_, err := ns.ResolveAs(c.base, c.path, c.follow, others)
		if c.want == 0 && err != nil {
			t.Errorf("%s: %v", what, err)
		}
		if c.want != 0 {
			wantErrno(t, what, err, c.want)
		}
		if _, err := ns.ResolveAs(c.base, c.path, c.follow, nil); c.want == unix.EACCES && err != nil && err != unix.ENOENT {
			t.Errorf("%s without a check: %v", what, err)
		}
	}
}

func TestResolveParentAs(t *testing.T) {
	ns := searchNS(t)
	if _, _, _, err := ns.ResolveParentAs("/", "/closed/new", others); err != unix.EACCES {
		t.Errorf("parent /closed: %v, want EACCES", err)
	}
	if _, _, _, err := ns.ResolveParentAs("/closed", "new", others); err != unix.EACCES {
		t.Errorf("name in base /closed: %v, want EACCES", err)
	}
	loc, name, _, err := ns.ResolveParentAs("/closed/sub", "new", others)
	if err != nil || loc.Path != "/closed/sub" || name != "new" {
		t.Errorf("name in base /closed/sub: %v %q %v", loc, name, err)
	}
	if _, name, _, err := ns.ResolveParentAs("/closed", "/", others); err != nil || name != "" {
		t.Errorf("/: %q %v", name, err)
	}
	if _, err := ns.OpenAs("/", "/closed/f", unix.O_RDONLY, 0, others); err != unix.EACCES {
		t.Errorf("OpenAs /closed/f: %v, want EACCES", err)
	}
	if _, err := ns.OpenAs("/", "/toclosed", unix.O_RDONLY, 0, others); err != unix.EACCES {
		t.Errorf("OpenAs /toclosed: %v, want EACCES", err)
	}
	f, err := ns.OpenAs("/closed/sub", "x", unix.O_RDONLY, 0, others)
	if err != nil {
		t.Fatalf("OpenAs x in /closed/sub: %v", err)
	}
	f.DecRef()
}
