package linux

import (
	"encoding/hex"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"gophene/pal"
)

// Inotify queues are the host's own: the host kernel watches the objects
// and produces the events, so reads, poll, epoll and FIONREAD work as
// on any stream, and names in events are relative to the watched
// directory, which needs no translation. A watch is added on the object
// the LibOS resolved and opened (with O_PATH), named through
// /proc/self/fd: following that magic link leads to the object itself,
// whatever its path, and never walks a host path.

// InotifyCreate makes a host inotify instance.
func (h *Host) InotifyCreate(flags int) (pal.Handle, error) {
	fd, err := unix.InotifyInit1(flags&unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return pal.NoHandle, palErr(err)
	}
	return h.handles.add(fd), nil
}

// InotifyAddWatch watches the object open as target.
func (h *Host) InotifyAddWatch(in, target pal.Handle, mask uint32) (int, error) {
	ifd, err := h.fd(in)
	if err != nil {
		return 0, err
	}
	tfd, err := h.fd(target)
	if err != nil {
		return 0, err
	}
	// The magic link must be followed, so IN_DONT_FOLLOW must go; an
	// O_PATH descriptor of a symbolic link leads to the link itself.
	mask &^= unix.IN_DONT_FOLLOW | unix.IN_ONLYDIR
	wd, err := unix.InotifyAddWatch(ifd, "/proc/self/fd/"+strconv.Itoa(tfd), mask)
	if err != nil {
		return 0, palErr(err)
	}
	return wd, nil
}

// InotifyRemoveWatch removes a watch.
func (h *Host) InotifyRemoveWatch(in pal.Handle, wd int) error {
	ifd, err := h.fd(in)
	if err != nil {
		return err
	}
	_, err = unix.InotifyRmWatch(ifd, uint32(wd))
	return palErr(err)
}

// InotifyWatches reads the watches from the host's fdinfo, whose lines
// read "inotify wd:1 ino:2a sdev:800001 mask:2 ignored_mask:0
// fhandle-bytes:8 fhandle-type:1 f_handle:2a00000012345678" (hex).
func (h *Host) InotifyWatches(in pal.Handle) ([]pal.InotifyWatch, error) {
	ifd, err := h.fd(in)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(ifd))
	if err != nil {
		return nil, pal.ErrIO
	}
	var ws []pal.InotifyWatch
	for _, line := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, "inotify ")
		if !ok {
			continue
		}
		w := pal.InotifyWatch{HandleType: -1}
		for _, field := range strings.Fields(rest) {
			key, val, _ := strings.Cut(field, ":")
			n, _ := strconv.ParseUint(val, 16, 64)
			switch key {
			case "wd":
				w.Wd = int(n)
			case "ino":
				w.Ino = n
			case "sdev":
				w.Sdev = uint32(n)
			case "mask":
				w.Mask = uint32(n)
			case "ignored_mask":
				w.IgnoredMask = uint32(n)
			case "fhandle-type":
				w.HandleType = int32(n)
			case "f_handle":
				w.Handle, _ = hex.DecodeString(val)
			}
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// SysctlGet reads /proc/sys/<name> (the inotify limits the host enforces
// on its inotify instances, and the like).
func (h *Host) SysctlGet(name string) (string, error) {
	if err := checkRel(name); err != nil || name == "" {
		return "", pal.ErrInvalid
	}
	b, err := os.ReadFile("/proc/sys/" + name)
	if err != nil {
		if os.IsNotExist(err) {
			return "", pal.ErrNotExist
		}
		return "", pal.ErrDenied
	}
	return strings.TrimSuffix(string(b), "\n"), nil
}
