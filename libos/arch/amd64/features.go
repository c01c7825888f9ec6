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
