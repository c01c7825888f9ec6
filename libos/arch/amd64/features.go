package amd64

import (
	"fmt"
	"strings"

	"gophene/libos/kernel"
)

// FeaturesMarkdown renders docs/features.md from the system-call table:
// every x86-64 system call with its support level and notes.
func FeaturesMarkdown() string {
	t := Table()
	var full, partial, missing int
	for _, s := range t {
		switch {
		case s.Name == "":
		case s.Fn == nil || s.Support == kernel.Missing:
			missing++
		case s.Support == kernel.Partial:
			partial++
		default:
			full++
		}
	}
	var b strings.Builder
	b.WriteString("# System-call support\n\n")
	b.WriteString("Generated from the table in `libos/arch/amd64/table.go` by `gophene features`; do not edit.\n\n")
	fmt.Fprintf(&b, "%d system calls: %d supported, %d partly supported, %d missing (ENOSYS).\n\n",
		full+partial+missing, full, partial, missing)
	b.WriteString(scope)
	b.WriteString("| nr | name | support | notes |\n|---:|---|---|---|\n")
	for nr, s := range t {
		if s.Name == "" {
			continue
		}
		level := "supported"
		switch {
		case s.Fn == nil:
			level = "missing"
		case s.Support == kernel.Missing:
			level = "missing"
		case s.Support == kernel.Partial:
			level = "partial"
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s |\n", nr, s.Name, level, s.Note)
	}
	return b.String()
}

// scope says, for families that more than one call makes up, what is
// there and what is not.
const scope = `## Families

- **System V IPC** (message queues, semaphores with SEM_UNDO, shared
  memory) is shared by all the guest's processes and kept by the first
  one; objects are the guest's own, never the host's.
- **Pseudo-terminals** are the host's: /dev/ptmx opens a host master and
  quick mode mounts the host's /dev/pts. Termios, window sizes and the line
  discipline are the host kernel's; TIOCSCTTY follows the guest's sessions,
  and signals the line discipline would send (^C, SIGWINCH) do not reach
  the guest's foreground group.
- **Capabilities** follow the guest's uids, capset and execve as on Linux
  (quick mode starts with gophene's own sets); privilege checks ask for
  capabilities. Files carry no file capabilities.
- **/proc/sys** values can be written (with CAP_SYS_ADMIN) and are read back
  by the process and its later children; the LibOS does not act on them.
- **Out of scope**: block devices (loop devices) and mounting disk file
  systems.

`
