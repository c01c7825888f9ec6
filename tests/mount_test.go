package tests

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"gophene/internal/testenv"
)

// mount and umount2 in the process's mount table: tmpfs with options,
// bind mounts, read-only remounts, MS_MOVE, busy mounts, the mount below
// coming back, inheritance by a child, errors (tests/guests/mount.c).
func TestMount(t *testing.T) {
	tmp := regexp.MustCompile(`/tmp/mount[A-Za-z0-9]{6}`)
	r := sameAsNativeExcept(t, func(s string) string { return tmp.ReplaceAllString(s, "/tmp/mountX") },
		guest(t, "mount", testenv.Dynamic))
	if !strings.Contains(r.Stdout, "umount a with the cwd inside: -1 EBUSY") || !strings.Contains(r.Stdout, "a/file: lower") {
		t.Errorf("unexpected: %v", r)
	}
}

// A manifest's tmpfs mount: an empty, writable, private directory that
// goes when the guest ends.
func TestManifestTmpfs(t *testing.T) {
	top := t.TempDir()
	manifest := writeFile(t, top, "tmpfs.manifest.toml", `
libos.entrypoint = "/bin/sh"
loader.insecure__use_cmdline_argv = true
fs.root.uri = "file:/"
fs.mounts = [ { path = "/tmp", type = "tmpfs" } ]
`)
	script := `ls -A /tmp | wc -l; echo hello > /tmp/f; cat /tmp/f; grep ' /tmp ' /proc/self/mounts | cut -d' ' -f3; stat -c %a /tmp`
	r, err := testenv.Run(exec.Command(gopheneBin, "run", manifest, "-c", script))
	if err != nil {
		t.Fatal(err)
	}
	if r.Stdout != "0\nhello\ntmpfs\n1777\n" || r.Code != 0 {
		t.Errorf("unexpected: %v", r)
	}
}

// chroot(2): the process's mount table re-rooted at the directory, ".."
// held at the new root, the current directory kept inside it, children
// inheriting the root, errors (tests/guests/chroot.c).
func TestChroot(t *testing.T) {
	tmp := regexp.MustCompile(`/tmp/chroot[A-Za-z0-9]{6}`)
	r := sameAsNativeExcept(t, func(s string) string { return tmp.ReplaceAllString(s, "/tmp/chrootX") },
		guest(t, "chroot", testenv.Dynamic))
	if !strings.Contains(r.Stdout, "/../../outside: -1 ENOENT") || !strings.Contains(r.Stdout, "getcwd: /sub") {
		t.Errorf("unexpected: %v", r)
	}
}

// mount(8) and umount(8) run from a shell: a change one process makes is
// seen by the others of its mount namespace (the shell, its next
// children); unshare -m keeps one's own changes to itself. Natively the
// script runs in a mount namespace of its own.
func TestMountFromShell(t *testing.T) {
	script := `d=$(mktemp -d /tmp/mountshXXXXXX); mkdir $d/a $d/b
mount -t tmpfs none $d/a && echo hi > $d/a/f && cat $d/a/f
mount --bind $d/a $d/b && cat $d/b/f
mount -o remount,ro,bind $d/b; (echo x > $d/b/g) 2>&1 | sed 's/.*: //'
grep " $d/" /proc/self/mounts | cut -d' ' -f3 | sort
umount $d/b; umount $d/a; ls -A $d/a | wc -l
unshare -m sh -c "mount -t tmpfs x $d/a; ls -A $d/a | wc -l; touch $d/a/private"; ls -A $d/a | wc -l
rmdir $d/a $d/b $d`
	r := sameAsNative(t, "unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script)
	if r.Stdout != "hi\nhi\nRead-only file system\ntmpfs\ntmpfs\n0\n0\n0\n" {
		t.Errorf("unexpected: %v", r)
	}
}

// hostname(1) run from a shell renames the host for the shell and its
// other children, within the UTS namespace only.
func TestHostnameFromShell(t *testing.T) {
	script := `hostname renamed.example; hostname; sh -c hostname; cat /proc/sys/kernel/hostname
unshare -u sh -c "hostname inner; hostname"; hostname`
	r := sameAsNative(t, "unshare", "--uts", "/bin/sh", "-c", script)
	if r.Stdout != "renamed.example\nrenamed.example\nrenamed.example\ninner\nrenamed.example\n" {
		t.Errorf("unexpected: %v", r)
	}
}
