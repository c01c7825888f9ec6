// Package manifest reads Gramine-style TOML manifests into a Config, and
// builds the default one `gophene run -- prog` uses. It owns the list of
// keys Gophene understands: every other key is reported by name, before
// anything runs.
package manifest

import (
	"fmt"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// Mount is one fs.mounts entry (or fs.root).
type Mount struct {
	Type string // "chroot" (the default) or "tmpfs"
	Path string // where the guest sees it
	URI  string // host location: "file:/path"
	// HostPath is URI without its "file:" prefix.
	HostPath string
}

// EnvVar is one loader.env entry.
type EnvVar struct {
	Name, Value string
	Passthrough bool // take the value from the host environment
}

// Config is a checked manifest.
type Config struct {
	Entrypoint     string   // libos.entrypoint: guest path of the program
	Argv           []string // loader.argv (nil: the command line, or [entrypoint])
	UseCmdlineArgv bool     // loader.insecure__use_cmdline_argv
	Env            []EnvVar // loader.env.*
	UseHostEnv     bool     // loader.insecure__use_host_env
	LogLevel       string   // loader.log_level
	LogFile        string   // loader.log_file
	Uid, Gid       int      // loader.uid, loader.gid
	DisableASLR    bool     // loader.insecure__disable_aslr
	Root           Mount    // fs.root
	Mounts         []Mount  // fs.mounts
	StartDir       string   // fs.start_dir
	StackSize      uint64   // sys.stack.size
	BrkMaxSize     uint64   // sys.brk.max_size (0: no limit but the address space)
	FDsLimit       int      // sys.fds.limit
	Hostname       string   // the guest's host name
	// HostCaps (quick mode) starts the guest with the capability sets of
	// the gophene process, as a native run would have them; otherwise
	// they follow loader.uid (all for root, none for others).
	HostCaps bool
}

// Defaults for a manifest that does not say.
const (
	DefaultStackSize = 8 << 20
	DefaultFDsLimit  = 1024
)

// LogLevels are the accepted loader.log_level values.
var LogLevels = []string{"none", "error", "warning", "debug", "trace", "all"}

// ignoredPrefixes are keys Gramine defines for other hosts (SGX) or for its
// own loader; they do not change how Gophene runs a program.
var ignoredPrefixes = []string{"sgx.", "loader.entrypoint.", "libos.check_invalid_pointers",
	"loader.pal_internal_mem_size", "sys.enable_extra_runtime_domain_names_conf"}

// Error is a manifest problem, naming the key.
type Error struct {
	File, Key, Msg string
}

func (e *Error) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.File, e.Key, e.Msg)
}

// Load reads and checks a manifest file.
func Load(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return Parse(file, string(data))
}

// Parse checks manifest text; name is used in error messages.
func Parse(name, text string) (*Config, error) {
	var raw map[string]any
	if _, err := toml.Decode(text, &raw); err != nil {
		return nil, &Error{File: name, Msg: err.Error()}
	}
	p := &parser{file: name, kv: map[string]any{}}
	p.flatten("", raw)
	c := &Config{StackSize: DefaultStackSize, FDsLimit: DefaultFDsLimit, LogLevel: "error"}
	c.Entrypoint = p.str("libos.entrypoint")
	if c.Entrypoint == "" && p.err == nil {
		p.fail("libos.entrypoint", "is required")
	}
	if v, ok := p.take("loader.argv"); ok {
		c.Argv = p.strList("loader.argv", v)
	}
	c.UseCmdlineArgv = p.boolean("loader.insecure__use_cmdline_argv")
	if c.Argv != nil && c.UseCmdlineArgv {
		p.fail("loader.argv", "cannot be used together with loader.insecure__use_cmdline_argv")
	}
	c.UseHostEnv = p.boolean("loader.insecure__use_host_env")
	c.Env = p.env()
	if lvl := p.str("loader.log_level"); lvl != "" {
		if !contains(LogLevels, lvl) {
			p.fail("loader.log_level", fmt.Sprintf("must be one of %s, not %q", strings.Join(LogLevels, ", "), lvl))
		}
		c.LogLevel = lvl
	}
	c.LogFile = p.str("loader.log_file")
	c.Uid = p.integer("loader.uid", 0)
	c.Gid = p.integer("loader.gid", 0)
	c.DisableASLR = p.boolean("loader.insecure__disable_aslr")
	c.Root = p.mount("fs.root", true)
	if c.Root.Type == "" {
		c.Root = Mount{Type: "chroot", Path: "/", URI: "file:.", HostPath: "."}
	}
	c.Root.Path = "/"
	if v, ok := p.take("fs.mounts"); ok {
		list, ok := v.([]map[string]any)
		if !ok {
			// An inline array (fs.mounts = [ {...}, ... ]) decodes as []any.
			arr, isArr := v.([]any)
			for _, e := range arr {
				if m, ok := e.(map[string]any); ok {
					list = append(list, m)
				}
			}
			if !isArr || len(list) != len(arr) {
				list = nil
				p.fail("fs.mounts", "must be an array of tables")
			}
		}
		for i, m := range list {
			key := fmt.Sprintf("fs.mounts[%d]", i)
			sub := &parser{file: p.file, kv: map[string]any{}}
			sub.flatten(key, m)
			mt := sub.mount(key, false)
			for k := range sub.kv {
				sub.fail(k, "unknown key")
			}
			if sub.err != nil && p.err == nil {
				p.err = sub.err
			}
			c.Mounts = append(c.Mounts, mt)
		}
	}
	c.StartDir = p.str("fs.start_dir")
	if c.StartDir != "" && !path.IsAbs(c.StartDir) {
		p.fail("fs.start_dir", "must be an absolute path")
	}
	c.StackSize = p.size("sys.stack.size", DefaultStackSize)
	c.BrkMaxSize = p.size("sys.brk.max_size", 0)
	c.FDsLimit = p.integer("sys.fds.limit", DefaultFDsLimit)
	c.Hostname = p.str("gophene.hostname")
	for _, k := range p.keys() {
		if hasIgnoredPrefix(k) {
			delete(p.kv, k)
		}
	}
	if p.err == nil {
		if ks := p.keys(); len(ks) > 0 {
			p.fail(ks[0], "unknown key")
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	return c, nil
}

func hasIgnoredPrefix(k string) bool {
	for _, pre := range ignoredPrefixes {
		if strings.HasPrefix(k, pre) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// parser holds the flattened key/value pairs still to be consumed.
type parser struct {
	file string
	kv   map[string]any
	err  error
}

func (p *parser) fail(key, msg string) {
	if p.err == nil {
		p.err = &Error{File: p.file, Key: key, Msg: msg}
	}
}

// flatten turns nested tables into dotted keys. loader.env stays a table
// of its own because its values may be tables.
func (p *parser) flatten(prefix string, m map[string]any) {
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok && key != "loader.env" && !strings.HasPrefix(key, "loader.env.") {
			p.flatten(key, sub)
			continue
		}
		p.kv[key] = v
	}
}

func (p *parser) keys() []string {
	ks := make([]string, 0, len(p.kv))
	for k := range p.kv {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (p *parser) take(key string) (any, bool) {
	v, ok := p.kv[key]
	delete(p.kv, key)
	return v, ok
}

func (p *parser) str(key string) string {
	v, ok := p.take(key)
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		p.fail(key, "must be a string")
	}
	return s
}

func (p *parser) boolean(key string) bool {
	v, ok := p.take(key)
	if !ok {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		p.fail(key, "must be true or false")
	}
	return b
}

func (p *parser) integer(key string, def int) int {
	v, ok := p.take(key)
	if !ok {
		return def
	}
	n, ok := v.(int64)
	if !ok || n < 0 || n > 1<<31 {
		p.fail(key, "must be a non-negative integer")
		return def
	}
	return int(n)
}

func (p *parser) strList(key string, v any) []string {
	arr, ok := v.([]any)
	if !ok {
		p.fail(key, "must be an array of strings")
		return nil
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, ok := e.(string)
		if !ok {
			p.fail(key, "must be an array of strings")
			return nil
		}
		out = append(out, s)
	}
	return out
}

// size parses a Gramine size: a number with an optional K, M or G suffix.
func (p *parser) size(key string, def uint64) uint64 {
	v, ok := p.take(key)
	if !ok {
		return def
	}
	switch s := v.(type) {
	case int64:
		if s < 0 {
			p.fail(key, "must not be negative")
		}
		return uint64(s)
	case string:
		n, err := ParseSize(s)
		if err != nil {
			p.fail(key, err.Error())
		}
		return n
	}
	p.fail(key, `must be a size such as "8M"`)
	return def
}

// ParseSize parses "256", "64K", "8M" or "2G".
func ParseSize(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	mult := uint64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		}
		if mult != 1 {
			t = t[:len(t)-1]
		}
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil || n > (1<<63)/mult {
		return 0, fmt.Errorf(`must be a size such as "8M", not %q`, s)
	}
	return n * mult, nil
}

// mount reads {type, path, uri} under key.
func (p *parser) mount(key string, isRoot bool) Mount {
	var m Mount
	m.Type = p.str(key + ".type")
	m.Path = p.str(key + ".path")
	m.URI = p.str(key + ".uri")
	if isRoot && m.Type == "" && m.URI == "" {
		return Mount{}
	}
	if m.Type == "" {
		m.Type = "chroot"
	}
	switch m.Type {
	case "chroot":
		if !strings.HasPrefix(m.URI, "file:") {
			p.fail(key+".uri", `must be a "file:" URI`)
		}
		m.HostPath = strings.TrimPrefix(m.URI, "file:")
		if m.HostPath == "" {
			m.HostPath = "."
		}
	case "tmpfs":
	default:
		p.fail(key+".type", fmt.Sprintf("mount type %q is not supported (chroot and tmpfs are)", m.Type))
	}
	if !isRoot {
		if m.Path == "" {
			p.fail(key+".path", "is required")
		} else if !path.IsAbs(m.Path) {
			p.fail(key+".path", "must be an absolute path")
		}
		m.Path = path.Clean(m.Path)
	}
	return m
}

// env reads loader.env.NAME = "v" | {value="v"} | {passthrough=true}.
func (p *parser) env() []EnvVar {
	var out []EnvVar
	for _, k := range p.keys() {
		if !strings.HasPrefix(k, "loader.env.") {
			continue
		}
		v, _ := p.take(k)
		name := strings.TrimPrefix(k, "loader.env.")
		switch e := v.(type) {
		case string:
			out = append(out, EnvVar{Name: name, Value: e})
		case map[string]any:
			ev := EnvVar{Name: name}
			for ik, iv := range e {
				switch ik {
				case "value":
					s, ok := iv.(string)
					if !ok {
						p.fail(k+".value", "must be a string")
					}
					ev.Value = s
				case "passthrough":
					b, ok := iv.(bool)
					if !ok {
						p.fail(k+".passthrough", "must be true or false")
					}
					ev.Passthrough = b
				default:
					p.fail(k+"."+ik, "unknown key")
				}
			}
			out = append(out, ev)
		default:
			p.fail(k, "must be a string or a table with value or passthrough")
		}
	}
	if v, ok := p.kv["loader.env"]; ok {
		delete(p.kv, "loader.env")
		if m, ok := v.(map[string]any); ok {
			sub := &parser{file: p.file, kv: map[string]any{}}
			for name, val := range m {
				sub.kv["loader.env."+name] = val
			}
			out = append(out, sub.env()...)
			if sub.err != nil && p.err == nil {
				p.err = sub.err
			}
		} else {
			p.fail("loader.env", "must be a table")
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Quick is the manifest `gophene run -- prog args` uses: the host's / as
// the guest's /, the current directory as the start directory, and the
// command line, environment and identity of the caller passed through, so
// the program behaves as when run natively. The host's /dev/shm, when it
// exists, is mounted at /dev/shm so that POSIX shared memory and named
// semaphores work between guest processes as they do between native ones,
// and the host's /dev/pts at /dev/pts, where the slaves of the host
// pseudo-terminals that /dev/ptmx opens appear.
func Quick(prog string, uid, gid int, cwd string) *Config {
	var mounts []Mount
	for _, dir := range []string{"/dev/shm", "/dev/pts"} {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			mounts = append(mounts, Mount{Type: "chroot", Path: dir, URI: "file:" + dir, HostPath: dir})
		}
	}
	return &Config{
		Mounts:         mounts,
		Entrypoint:     prog,
		UseCmdlineArgv: true,
		UseHostEnv:     true,
		LogLevel:       "error",
		Uid:            uid,
		Gid:            gid,
		Root:           Mount{Type: "chroot", Path: "/", URI: "file:/", HostPath: "/"},
		StartDir:       cwd,
		StackSize:      DefaultStackSize,
		FDsLimit:       DefaultFDsLimit,
		HostCaps:       true,
	}
}
