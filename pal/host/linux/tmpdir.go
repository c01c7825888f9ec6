package linux

// Directories for tmpfs mounts. Every process of a guest instance puts
// them under one base directory, named by the first gophene process and
// handed to the zygote and through it to every child in the environment;
// the first process, which outlives all others, removes the base when it
// exits. The base is in /dev/shm when that is a writable tmpfs, so that
// the guest's tmpfs is memory as Linux's is.

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// tmpBaseEnv passes the base directory to the zygote and the children.
const tmpBaseEnv = "GOPHENE_TMP_BASE"

// tmpBase names the instance's base directory (made on first use).
func tmpBase() string {
	if b := os.Getenv(tmpBaseEnv); b != "" {
		return b
	}
	dir := os.TempDir()
	var st unix.Statfs_t
	if unix.Statfs("/dev/shm", &st) == nil && st.Type == unix.TMPFS_MAGIC && unix.Access("/dev/shm", unix.W_OK) == nil {
		dir = "/dev/shm"
	}
	b := filepath.Join(dir, fmt.Sprintf("gophene-%d-%d", os.Getpid(), time.Now().UnixNano()))
	os.Setenv(tmpBaseEnv, b)
	return b
}

// FileTempRoot makes a new empty directory, mode 1777, for a tmpfs mount
// and opens it as a mount root.
func (h *Host) FileTempRoot() (pal.Handle, error) {
	base := h.tmpBase
	if err := os.MkdirAll(base, 0o700); err != nil {
		return pal.NoHandle, palErr(err)
	}
	dir, err := os.MkdirTemp(base, "tmpfs-")
	if err != nil {
		return pal.NoHandle, palErr(err)
	}
	if err := unix.Chmod(dir, 0o1777); err != nil {
		return pal.NoHandle, palErr(err)
	}
	return h.FileOpenRoot(dir)
}

// removeTmpBase deletes the instance's tmpfs directories (first process,
// once every other has ended).
func (h *Host) removeTmpBase() {
	if !IsChild() && h.tmpBase != "" {
		os.RemoveAll(h.tmpBase)
	}
}
