package libos

import (
	"reflect"
	"testing"

	"gophene/libos/kernel"
	"gophene/libos/wire"
	"gophene/pal"
)

// A checkpoint survives encoding field for field.
func TestCheckpointRoundTrip(t *testing.T) {
	cp := checkpoint{
		Pid: 7, Ppid: 1, Pgid: 7, Sid: 1,
		Creds: kernel.Creds{Uid: 1000, Euid: 1000, Gid: 100, Groups: []int{4, 24}, Cap: kernel.CapSets{Effective: 1, Permitted: 3, Inheritable: 2, Bounding: 7, Ambient: 2}, Securebits: 16},
		Cwd:   "/tmp", Umask: 0o22,
		Rlimits: []kernel.Rlimit{{Cur: 1024, Max: 4096}},
		Exe:     "/bin/sh", Argv: []string{"sh", "-c", "x"}, Envv: []string{"A=1"},
		Auxv: []uint64{6, 4096}, UTS: kernel.UTS{Hostname: "h", Domainname: "d"}, BootID: [16]byte{1, 2},
		StartTime: pal.Timespec{Sec: 5, Nsec: 6}, Personality: 8, Dumpable: 1, Nice: -2,
		NoNewPrivs: true, Tunables: []string{"sys/vm/overcommit_memory=1"}, Actions: []kernel.SigAction{{Handler: 1, Flags: 2, Restorer: 3, Mask: 4}},
		LogLevel: 2, Patch: []byte{9, 9},
		Mounts: []mountState{{Path: "/", Type: "chroot", Source: "file:/", Handle: 0, CoverAttrs: true}},
		Files:  []fileState{{ID: 77, Handle: 1, Flags: 2, Path: "/dev/null", Mount: "/dev", State: []byte("s")}},
		FDs:    []fdState{{FD: 0, File: 0, Cloexec: true}},
		Areas: []areaState{{Start: 0x1000, End: 0x3000, Prot: pal.ProtRead, Flags: 2, Name: "[heap]", Offset: 4, File: -1, Shared: -1,
			Pieces: []pieceState{{Start: 0x1000, End: 0x3000, Base: 2, BaseOff: 0x1000, Dirty: []pal.Range{{Start: 0x2000, End: 0x3000}}}}}},
		Brk: [3]uintptr{1, 2, 3}, MmapTop: 10, MmapBottom: 11,
		Task: taskState{Regs: pal.CPU{Rax: 1, Rip: 2, FSBase: 3, GSBase: 4}, FP: []byte{7}, Name: "sh", SigMask: 5,
			AltStack: [3]uint64{1, 2, 3}, Policy: 1, Prio: 2, IOPrio: 0x4003, ClearChildTid: 3, ChildTid: 4},
		NumHandles: 3, Vfork: true, Membarrier: 0x1c, DirtyBytes: 4096,
	}
	var e wire.Encoder
	cp.encode(&e)
	var got checkpoint
	d := wire.NewDecoder(e.Bytes())
	got.decode(d)
	if d.Err() != nil || !reflect.DeepEqual(got, cp) {
		t.Errorf("round trip: err %v\n got %+v\nwant %+v", d.Err(), got, cp)
	}
	// Every field must be carried: a new one that encode forgets shows up
	// here as a difference.
	if n := reflect.TypeOf(cp).NumField(); n != 35 {
		t.Errorf("checkpoint has %d fields: extend encode, decode and this test", n)
	}
}

// wire.Raw copies memory images: only types without pointers may use it.
func TestRawTypesHoldNoPointers(t *testing.T) {
	for _, v := range []any{kernel.Rlimit{}, kernel.SigAction{}, kernel.SigInfo{}, pal.Range{}, pal.Timespec{},
		pal.Times{}, [16]byte{}, [3]uintptr{}, [3]uint64{}, uint64(0)} {
		if typ := reflect.TypeOf(v); hasPointers(typ) {
			t.Errorf("%v holds pointers", typ)
		}
	}
}

func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.String, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return true
	case reflect.Array:
		return hasPointers(t.Elem())
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}
