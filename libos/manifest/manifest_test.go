package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const fullManifest = `
libos.entrypoint = "/usr/bin/python3"

loader.argv = ["python3", "-c", "print(1)"]
loader.insecure__use_host_env = true
loader.log_level = "debug"
loader.log_file = "/tmp/gophene.log"
loader.uid = 1000
loader.gid = 100
loader.insecure__disable_aslr = true

loader.env.LD_LIBRARY_PATH = "/lib:/usr/lib"
loader.env.PLAIN = { value = "v1" }
loader.env.HOME = { passthrough = true }
loader.env.EMPTY = { value = "" }

fs.root.uri = "file:/srv/rootfs"
fs.start_dir = "/home/user"

fs.mounts = [
  { path = "/lib", uri = "file:/usr/lib/x86_64" },
  { type = "chroot", path = "/data/", uri = "file:data" },
  { type = "tmpfs", path = "/tmp" },
]

sys.stack.size = "8M"
sys.brk.max_size = "256K"
sys.fds.limit = 4096
gophene.hostname = "guest"

# Keys for other hosts, accepted and ignored.
sgx.enclave_size = "1G"
sgx.trusted_files = ["file:/a"]
loader.entrypoint.uri = "file:libsysdb.so"
libos.check_invalid_pointers = false
`

func TestParseFull(t *testing.T) {
	c, err := Parse("full.manifest", fullManifest)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Entrypoint:  "/usr/bin/python3",
		Argv:        []string{"python3", "-c", "print(1)"},
		UseHostEnv:  true,
		LogLevel:    "debug",
		LogFile:     "/tmp/gophene.log",
		Uid:         1000,
		Gid:         100,
		DisableASLR: true,
		Env: []EnvVar{
			{Name: "EMPTY", Value: ""},
			{Name: "HOME", Passthrough: true},
			{Name: "LD_LIBRARY_PATH", Value: "/lib:/usr/lib"},
			{Name: "PLAIN", Value: "v1"},
		},
		Root: Mount{Type: "chroot", Path: "/", URI: "file:/srv/rootfs", HostPath: "/srv/rootfs"},
		Mounts: []Mount{
			{Type: "chroot", Path: "/lib", URI: "file:/usr/lib/x86_64", HostPath: "/usr/lib/x86_64"},
			{Type: "chroot", Path: "/data", URI: "file:data", HostPath: "data"},
			{Type: "tmpfs", Path: "/tmp"},
		},
		StartDir:   "/home/user",
		StackSize:  8 << 20,
		BrkMaxSize: 256 << 10,
		FDsLimit:   4096,
		Hostname:   "guest",
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("Parse:\n got %+v\nwant %+v", c, want)
	}
}

func TestParseDefaults(t *testing.T) {
	c, err := Parse("min.manifest", `libos.entrypoint = "/bin/true"`)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Entrypoint: "/bin/true",
		LogLevel:   "error",
		Root:       Mount{Type: "chroot", Path: "/", URI: "file:.", HostPath: "."},
		StackSize:  DefaultStackSize,
		FDsLimit:   DefaultFDsLimit,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", c, want)
	}
	if c.Argv != nil || c.Mounts != nil || c.Env != nil {
		t.Fatal("defaults should leave Argv, Mounts and Env nil")
	}
}

func TestParseTableForms(t *testing.T) {
	// The same settings as TOML tables and arrays of tables.
	c, err := Parse("tables.manifest", `
[libos]
entrypoint = "/app"

[loader]
insecure__use_cmdline_argv = true

[loader.env]
A = "1"
B = { passthrough = true }

[loader.env.C]
value = "3"

[fs.root]
type = "chroot"
uri = "file:"

[[fs.mounts]]
path = "/opt"
uri = "file:/opt"

[[fs.mounts]]
type = "tmpfs"
path = "/run/x/../y"

[sys]
stack.size = 1048576
brk.max_size = "1G"
`)
	if err != nil {
		t.Fatal(err)
	}
	if c.Entrypoint != "/app" || !c.UseCmdlineArgv || c.Argv != nil {
		t.Fatalf("libos/loader: %+v", c)
	}
	wantEnv := []EnvVar{{Name: "A", Value: "1"}, {Name: "B", Passthrough: true}, {Name: "C", Value: "3"}}
	if !reflect.DeepEqual(c.Env, wantEnv) {
		t.Fatalf("env %+v", c.Env)
	}
	if c.Root != (Mount{Type: "chroot", Path: "/", URI: "file:", HostPath: "."}) {
		t.Fatalf("root %+v", c.Root)
	}
	wantMounts := []Mount{
		{Type: "chroot", Path: "/opt", URI: "file:/opt", HostPath: "/opt"},
		{Type: "tmpfs", Path: "/run/y"},
	}
	if !reflect.DeepEqual(c.Mounts, wantMounts) {
		t.Fatalf("mounts %+v", c.Mounts)
	}
	if c.StackSize != 1<<20 || c.BrkMaxSize != 1<<30 {
		t.Fatalf("sizes %d %d", c.StackSize, c.BrkMaxSize)
	}
	// An empty mount list is fine.
	c, err = Parse("m", "libos.entrypoint = \"/a\"\nfs.mounts = []\n")
	if err != nil || len(c.Mounts) != 0 {
		t.Fatalf("empty fs.mounts: %+v %v", c, err)
	}
}

func TestParseSizes(t *testing.T) {
	for _, c := range []struct {
		val  string
		want uint64
	}{
		{`"8M"`, 8 << 20},
		{`"8m"`, 8 << 20},
		{`"256K"`, 256 << 10},
		{`"256k"`, 256 << 10},
		{`"1G"`, 1 << 30},
		{`"3g"`, 3 << 30},
		{`"4096"`, 4096},
		{`" 2M "`, 2 << 20},
		{`"0"`, 0},
		{`65536`, 65536},
		{`0`, 0},
	} {
		cfg, err := Parse("m", "libos.entrypoint = \"/a\"\nsys.stack.size = "+c.val+"\n")
		if err != nil {
			t.Errorf("sys.stack.size = %s: %v", c.val, err)
			continue
		}
		if cfg.StackSize != c.want {
			t.Errorf("sys.stack.size = %s: %d, want %d", c.val, cfg.StackSize, c.want)
		}
	}
	for _, bad := range []string{`"8MB"`, `"M"`, `""`, `"-1"`, `"1.5G"`, `"0x10"`, `"9999999999G"`, `-5`, `true`, `1.5`, `["8M"]`} {
		_, err := Parse("m", "libos.entrypoint = \"/a\"\nsys.brk.max_size = "+bad+"\n")
		expectKeyError(t, "sys.brk.max_size = "+bad, err, "sys.brk.max_size")
	}
}

func TestParseSizeFunc(t *testing.T) {
	if n, err := ParseSize("17K"); err != nil || n != 17<<10 {
		t.Fatalf("ParseSize(17K) = %d, %v", n, err)
	}
	if n, err := ParseSize("8589934591G"); err != nil || n != 8589934591<<30 {
		t.Fatalf("largest G: %d, %v", n, err)
	}
	if _, err := ParseSize("8589934593G"); err == nil {
		t.Fatal("overflowing size accepted")
	}
	if _, err := ParseSize("K"); err == nil {
		t.Fatal("bare suffix accepted")
	}
}

// expectKeyError checks that err is a manifest *Error naming key.
func expectKeyError(t *testing.T, what string, err error, key string) {
	t.Helper()
	var me *Error
	if !errors.As(err, &me) {
		t.Errorf("%s: error %v (%T), want a *manifest.Error for %s", what, err, err, key)
		return
	}
	if me.Key != key || !strings.Contains(err.Error(), key) {
		t.Errorf("%s: error names key %q (%v), want %q", what, me.Key, err, key)
	}
	if me.File != "bad.manifest" && me.File != "m" {
		t.Errorf("%s: error names file %q", what, me.File)
	}
}

func TestParseErrors(t *testing.T) {
	const ep = "libos.entrypoint = \"/a\"\n"
	cases := []struct {
		name, text, key string
	}{
		{"unknown key", ep + "loader.foo = 1\n", "loader.foo"},
		{"unknown nested key", ep + "[fs]\nroot.uri = \"file:/\"\nmystery.x = true\n", "fs.mystery.x"},
		{"unknown top key", ep + "gophene.hostnme = \"x\"\n", "gophene.hostnme"},
		{"missing entrypoint", "loader.log_level = \"error\"\n", "libos.entrypoint"},
		{"empty entrypoint", "libos.entrypoint = \"\"\n", "libos.entrypoint"},
		{"entrypoint type", "libos.entrypoint = 5\n", "libos.entrypoint"},
		{"log level", ep + "loader.log_level = \"verbose\"\n", "loader.log_level"},
		{"log level type", ep + "loader.log_level = 3\n", "loader.log_level"},
		{"log file type", ep + "loader.log_file = false\n", "loader.log_file"},
		{"argv type", ep + "loader.argv = \"a b\"\n", "loader.argv"},
		{"argv element type", ep + "loader.argv = [\"a\", 1]\n", "loader.argv"},
		{"argv with cmdline", ep + "loader.argv = [\"a\"]\nloader.insecure__use_cmdline_argv = true\n", "loader.argv"},
		{"bool type", ep + "loader.insecure__use_cmdline_argv = \"yes\"\n", "loader.insecure__use_cmdline_argv"},
		{"host env type", ep + "loader.insecure__use_host_env = 1\n", "loader.insecure__use_host_env"},
		{"aslr type", ep + "loader.insecure__disable_aslr = \"true\"\n", "loader.insecure__disable_aslr"},
		{"uid type", ep + "loader.uid = \"0\"\n", "loader.uid"},
		{"uid negative", ep + "loader.gid = -1\n", "loader.gid"},
		{"fds type", ep + "sys.fds.limit = \"1024\"\n", "sys.fds.limit"},
		{"env type", ep + "loader.env.X = 1\n", "loader.env.X"},
		{"env not a table", ep + "loader.env = \"X=1\"\n", "loader.env"},
		{"env value type", ep + "loader.env.X = { value = 1 }\n", "loader.env.X.value"},
		{"env passthrough type", ep + "loader.env.X = { passthrough = \"yes\" }\n", "loader.env.X.passthrough"},
		{"env unknown field", ep + "loader.env.X = { valeu = \"1\" }\n", "loader.env.X.valeu"},
		{"relative start dir", ep + "fs.start_dir = \"home\"\n", "fs.start_dir"},
		{"start dir type", ep + "fs.start_dir = 1\n", "fs.start_dir"},
		{"mount type", ep + "fs.mounts = [{ type = \"encrypted\", path = \"/x\", uri = \"file:/x\" }]\n", "fs.mounts[0].type"},
		{"second mount type", ep + "[[fs.mounts]]\npath = \"/a\"\nuri = \"file:/a\"\n[[fs.mounts]]\ntype = \"nfs\"\npath = \"/b\"\n", "fs.mounts[1].type"},
		{"mount uri scheme", ep + "fs.mounts = [{ path = \"/x\", uri = \"dev:/x\" }]\n", "fs.mounts[0].uri"},
		{"mount without path", ep + "fs.mounts = [{ uri = \"file:/x\" }]\n", "fs.mounts[0].path"},
		{"mount relative path", ep + "fs.mounts = [{ path = \"x\", uri = \"file:/x\" }]\n", "fs.mounts[0].path"},
		{"mount unknown key", ep + "fs.mounts = [{ path = \"/x\", uri = \"file:/x\", readonly = true }]\n", "fs.mounts[0].readonly"},
		{"mount path type", ep + "fs.mounts = [{ path = 1, uri = \"file:/x\" }]\n", "fs.mounts[0].path"},
		{"mounts not tables", ep + "fs.mounts = [\"/x\"]\n", "fs.mounts"},
		{"mounts mixed", ep + "fs.mounts = [{ path = \"/x\", uri = \"file:/x\" }, 1]\n", "fs.mounts"},
		{"mounts not an array", ep + "fs.mounts = \"/x\"\n", "fs.mounts"},
		{"root type", ep + "fs.root.type = \"tmpfs2\"\n", "fs.root.type"},
		{"root uri", ep + "fs.root.uri = \"/srv\"\n", "fs.root.uri"},
		{"hostname type", ep + "gophene.hostname = 1\n", "gophene.hostname"},
	}
	for _, c := range cases {
		cfg, err := Parse("bad.manifest", c.text)
		if err == nil {
			t.Errorf("%s: accepted: %+v", c.name, cfg)
			continue
		}
		if cfg != nil {
			t.Errorf("%s: returned a config with the error", c.name)
		}
		expectKeyError(t, c.name, err, c.key)
	}
}

func TestParseSyntaxError(t *testing.T) {
	_, err := Parse("bad.manifest", "libos.entrypoint = \n")
	var me *Error
	if !errors.As(err, &me) || me.File != "bad.manifest" || me.Key != "" || !strings.HasPrefix(err.Error(), "bad.manifest: ") {
		t.Fatalf("syntax error: %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "app.manifest")
	if err := os.WriteFile(file, []byte("libos.entrypoint = \"/bin/ls\"\nloader.bogus = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(file)
	var me *Error
	if !errors.As(err, &me) || me.File != file || me.Key != "loader.bogus" {
		t.Fatalf("Load: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load(missing): %v", err)
	}
}

func TestQuick(t *testing.T) {
	c := Quick("/bin/ls", 1000, 1001, "/home/u")
	if c.Entrypoint != "/bin/ls" || !c.UseCmdlineArgv || !c.UseHostEnv || c.Uid != 1000 || c.Gid != 1001 ||
		c.StartDir != "/home/u" || c.Root.HostPath != "/" || c.Root.Path != "/" || c.StackSize != DefaultStackSize ||
		c.FDsLimit != DefaultFDsLimit || c.LogLevel != "error" {
		t.Fatalf("Quick: %+v", c)
	}
}

func TestRender(t *testing.T) {
	t.Setenv("GOPHENE_TEST_HOME", "/home/tester")
	out, err := Render("t.manifest.template",
		"libos.entrypoint = \"{{ entry }}\"\n"+
			"loader.env.HOME = \"{{env.GOPHENE_TEST_HOME}}\"\n"+
			"loader.env.NONE = \"{{ env.GOPHENE_TEST_UNSET_VARIABLE }}\"\n"+
			"loader.entrypoint.uri = \"file:{{  gramine.libos  }}\"\n"+
			"x = \"{{ a.b_c }}{{entry}}\"\n",
		map[string]string{"entry": "/bin/sh", "a.b_c": "V"})
	if err != nil {
		t.Fatal(err)
	}
	want := "libos.entrypoint = \"/bin/sh\"\n" +
		"loader.env.HOME = \"/home/tester\"\n" +
		"loader.env.NONE = \"\"\n" +
		"loader.entrypoint.uri = \"file:libsysdb.so\"\n" +
		"x = \"V/bin/sh\"\n"
	if out != want {
		t.Fatalf("Render:\n got %q\nwant %q", out, want)
	}

	// Text without expressions passes through unchanged, including braces
	// that are not template expressions.
	plain := "a = \"{ x }\"\nb = \"{{ 1bad }}\"\n"
	if out, err := Render("p", plain, nil); err != nil || out != plain {
		t.Fatalf("plain: %q %v", out, err)
	}

	// The first undefined variable is named.
	_, err = Render("t.manifest.template", "a = \"{{ one }}\"\nb = \"{{ two }}\"\n", map[string]string{})
	if err == nil || !strings.Contains(err.Error(), `"one"`) || strings.Contains(err.Error(), `"two"`) ||
		!strings.HasPrefix(err.Error(), "t.manifest.template: ") {
		t.Fatalf("undefined variable: %v", err)
	}
	// Template statements are refused.
	_, err = Render("t", "{% for x in y %}\n", nil)
	if err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Fatalf("statement: %v", err)
	}
	// A rendered template parses.
	out, err = Render("t", "libos.entrypoint = \"{{ e }}\"\nsys.stack.size = \"{{ s }}\"\n", map[string]string{"e": "/x", "s": "2M"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("t", out)
	if err != nil || c.Entrypoint != "/x" || c.StackSize != 2<<20 {
		t.Fatalf("rendered manifest: %+v %v", c, err)
	}
}
