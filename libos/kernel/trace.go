package kernel

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The strace-style trace (loader.log_level = "trace"). Each table entry's
// Args string has one letter per argument:
//
//	d signed decimal   u unsigned decimal   x hex   o octal
//	f fd (AT_FDCWD)    p path string        s string
//	b buffer, its length in the next argument (shown for writes)
//	O open flags       P mmap protection    M mmap flags
//
// A trailing "=x" prints the result in hex (mmap, brk).

func (t *Task) trace(nr uint64, a Args, ret uintptr) {
	var e *Syscall
	if nr < uint64(len(t.P.Table)) {
		e = &t.P.Table[nr]
	}
	name, spec := fmt.Sprintf("syscall_%d", nr), "xxxxxx"
	if e != nil && e.Name != "" {
		name, spec = e.Name, e.Args
	}
	hexResult := strings.HasSuffix(spec, "=x")
	spec = strings.TrimSuffix(spec, "=x")
	var b strings.Builder
	fmt.Fprintf(&b, "[pid %d] %s(", t.Tid, name)
	for i := 0; i < len(spec) && i < 6; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		var next uintptr
		if i+1 < 6 {
			next = a[i+1]
		}
		b.WriteString(t.traceArg(spec[i], a[i], next))
	}
	b.WriteString(") = ")
	r := int64(ret)
	switch {
	case r < 0 && r >= -4095:
		en := unix.Errno(-r)
		fmt.Fprintf(&b, "-1 %s (%s)", errnoName(en), en.Error())
	case hexResult:
		fmt.Fprintf(&b, "%#x", uint64(ret))
	default:
		fmt.Fprintf(&b, "%d", r)
	}
	t.P.Log.Tracef("%s", b.String())
}

func errnoName(e unix.Errno) string {
	if n := unix.ErrnoName(e); n != "" {
		return n
	}
	return "E" + strconv.Itoa(int(e))
}

func (t *Task) traceArg(kind byte, v, next uintptr) string {
	switch kind {
	case 'd':
		return strconv.FormatInt(int64(int32(v)), 10)
	case 'u':
		return strconv.FormatUint(uint64(v), 10)
	case 'o':
		return "0" + strconv.FormatUint(uint64(v), 8)
	case 'f':
		if int32(v) == unix.AT_FDCWD {
			return "AT_FDCWD"
		}
		return strconv.FormatInt(int64(int32(v)), 10)
	case 'p', 's':
		if v == 0 {
			return "NULL"
		}
		s, err := t.CString(v, 4095)
		if err != nil {
			return fmt.Sprintf("%#x", v)
		}
		if kind == 's' && len(s) > 32 {
			return strconv.Quote(s[:32]) + "..."
		}
		return strconv.Quote(s)
	case 'b':
		n := min(next, 32)
		buf := make([]byte, n)
		if v == 0 || t.CopyIn(v, buf) != nil {
			return fmt.Sprintf("%#x", v)
		}
		q := strconv.Quote(string(buf))
		if next > 32 {
			q += "..."
		}
		return q
	case 'O':
		return flagNames(uint64(v), openFlags, "O_RDONLY")
	case 'P':
		return flagNames(uint64(v), protFlags, "PROT_NONE")
	case 'M':
		return flagNames(uint64(v), mapFlags, "0")
	}
	if v == 0 {
		return "NULL"
	}
	return fmt.Sprintf("%#x", v)
}

type flagName struct {
	v    uint64
	name string
}

var openFlags = []flagName{{unix.O_WRONLY, "O_WRONLY"}, {unix.O_RDWR, "O_RDWR"}, {unix.O_CREAT, "O_CREAT"},
	{unix.O_EXCL, "O_EXCL"}, {unix.O_NOCTTY, "O_NOCTTY"}, {unix.O_TRUNC, "O_TRUNC"}, {unix.O_APPEND, "O_APPEND"},
	{unix.O_NONBLOCK, "O_NONBLOCK"}, {unix.O_DSYNC, "O_DSYNC"}, {unix.O_DIRECT, "O_DIRECT"},
	{unix.O_LARGEFILE, "O_LARGEFILE"}, {unix.O_DIRECTORY, "O_DIRECTORY"}, {unix.O_NOFOLLOW, "O_NOFOLLOW"},
	{unix.O_NOATIME, "O_NOATIME"}, {unix.O_CLOEXEC, "O_CLOEXEC"}, {unix.O_PATH, "O_PATH"}}

var protFlags = []flagName{{unix.PROT_READ, "PROT_READ"}, {unix.PROT_WRITE, "PROT_WRITE"}, {unix.PROT_EXEC, "PROT_EXEC"}}

var mapFlags = []flagName{{unix.MAP_SHARED, "MAP_SHARED"}, {unix.MAP_PRIVATE, "MAP_PRIVATE"},
	{unix.MAP_FIXED, "MAP_FIXED"}, {unix.MAP_ANONYMOUS, "MAP_ANONYMOUS"}, {unix.MAP_NORESERVE, "MAP_NORESERVE"},
	{unix.MAP_POPULATE, "MAP_POPULATE"}, {unix.MAP_STACK, "MAP_STACK"}, {unix.MAP_GROWSDOWN, "MAP_GROWSDOWN"},
	{unix.MAP_DENYWRITE, "MAP_DENYWRITE"}, {unix.MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"}}

func flagNames(v uint64, names []flagName, zero string) string {
	var parts []string
	if zero == "O_RDONLY" && v&unix.O_ACCMODE == 0 {
		parts = append(parts, zero)
	}
	for _, f := range names {
		if v&f.v == f.v && f.v != 0 {
			parts = append(parts, f.name)
			v &^= f.v
		}
	}
	if v != 0 {
		parts = append(parts, fmt.Sprintf("%#x", v))
	}
	if len(parts) == 0 {
		return zero
	}
	return strings.Join(parts, "|")
}
