package tests

import (
	"strings"
	"testing"
)

// /dev/stdin, /dev/stdout, /dev/stderr and /proc/self/fd/N are magic
// links: opening one opens the stream itself (a pipe, the terminal,
// /dev/null), as shell scripts and bash's process substitution expect.
func TestDevStdio(t *testing.T) {
	script := `echo out > /dev/stdout; echo err > /dev/stderr
echo piped | cat /dev/stdin
cat <(echo substituted)
echo fd1 > /proc/self/fd/1
readlink /proc/self/fd/0
stat -L -c %F /dev/stdin
exec 3< <(echo three); cat /dev/fd/3
cat /proc/self/fd/9 2>&1 | sed 's/^cat: //'`
	r := sameAsNative(t, "/bin/bash", "-c", script)
	if !strings.Contains(r.Stdout, "substituted\n") || !strings.Contains(r.Stdout, "piped\n") {
		t.Errorf("unexpected: %v", r)
	}
}
