package kernel

// Capabilities. Every process has Linux's five capability sets, kept in its
// credentials, and privilege checks ask for a capability (Creds.Capable),
// not for uid 0, so a root guest that drops one is refused what it guards.
// The sets follow the uids as Linux's commoncap does: full for root, empty
// otherwise, adjusted when uids change and at execve (no file
// capabilities: gophene's files carry none).

import "golang.org/x/sys/unix"

// CapLast is the highest capability number (CAP_CHECKPOINT_RESTORE, as in
// /proc/sys/kernel/cap_last_cap).
const CapLast = 40

// CapAll has every capability.
const CapAll = uint64(1)<<(CapLast+1) - 1

// capFS are the capabilities that follow the fsuid (CAP_FS_MASK).
const capFS = 1<<unix.CAP_CHOWN | 1<<unix.CAP_DAC_OVERRIDE | 1<<unix.CAP_DAC_READ_SEARCH |
	1<<unix.CAP_FOWNER | 1<<unix.CAP_FSETID | 1<<unix.CAP_LINUX_IMMUTABLE |
	1<<unix.CAP_MKNOD | 1<<unix.CAP_MAC_OVERRIDE

// Securebits (prctl PR_SET_SECUREBITS).
const (
	SecbitNoroot        = 1 << 0
	SecbitNoSetuidFixup = 1 << 2
	SecbitKeepCaps      = 1 << 4
	SecbitNoCapAmbient  = 1 << 6
)

// CapSets are a process's capability sets, one bit per CAP_* number.
type CapSets struct {
	Effective, Permitted, Inheritable, Bounding, Ambient uint64
}

// InitialCaps are the sets of a first process running as uid: everything
// for root, nothing otherwise; the bounding set is always full.
func InitialCaps(uid int) CapSets {
	if uid == 0 {
		return CapSets{Effective: CapAll, Permitted: CapAll, Bounding: CapAll}
	}
	return CapSets{Bounding: CapAll}
}

// Capable reports whether the credentials hold capability c.
func (c *Creds) Capable(cap int) bool { return c.Cap.Effective&(1<<uint(cap)) != 0 }

// FixCapsForUids adjusts the sets after the real, effective or saved uid
// changed from old (Linux's cap_emulate_setxuid).
func (c *Creds) FixCapsForUids(old Creds) {
	if c.Securebits&SecbitNoSetuidFixup != 0 {
		return
	}
	wasRoot := old.Uid == 0 || old.Euid == 0 || old.Suid == 0
	if wasRoot && c.Uid != 0 && c.Euid != 0 && c.Suid != 0 {
		if c.Securebits&SecbitKeepCaps == 0 {
			c.Cap.Permitted, c.Cap.Effective = 0, 0
		}
		c.Cap.Ambient = 0
	}
	if old.Euid == 0 && c.Euid != 0 {
		c.Cap.Effective = 0
	}
	if old.Euid != 0 && c.Euid == 0 {
		c.Cap.Effective = c.Cap.Permitted
	}
}

// FixCapsForFsuid adjusts the effective set after the fsuid changed from
// old: the file-system capabilities go with fsuid 0.
func (c *Creds) FixCapsForFsuid(old int) {
	if c.Securebits&SecbitNoSetuidFixup != 0 {
		return
	}
	if old == 0 && c.Fsuid != 0 {
		c.Cap.Effective &^= capFS
	}
	if old != 0 && c.Fsuid == 0 {
		c.Cap.Effective |= c.Cap.Permitted & capFS
	}
}

// CapsOnExec computes the sets a program starts with (execve of a file
// without file capabilities): root gets its inheritable and bounding sets,
// others keep their ambient set; keep-caps is cleared.
func (c *Creds) CapsOnExec() {
	root := c.Securebits&SecbitNoroot == 0 && (c.Uid == 0 || c.Euid == 0)
	if root {
		c.Cap.Permitted = (c.Cap.Inheritable | c.Cap.Bounding) & CapAll
		c.Cap.Ambient = 0
	} else {
		c.Cap.Permitted = c.Cap.Ambient
	}
	if root && c.Euid == 0 {
		c.Cap.Effective = c.Cap.Permitted
	} else {
		c.Cap.Effective = c.Cap.Ambient
	}
	c.Securebits &^= SecbitKeepCaps
}

// SetCaps applies capset(2)'s rules to new effective, permitted and
// inheritable sets: nothing is gained that the old sets do not allow.
func (c *Creds) SetCaps(eff, perm, inh uint64) error {
	old := c.Cap
	if !c.Capable(unix.CAP_SETPCAP) && inh&^(old.Inheritable|old.Permitted) != 0 {
		return unix.EPERM
	}
	if inh&^(old.Inheritable|old.Bounding) != 0 || perm&^old.Permitted != 0 || eff&^perm != 0 {
		return unix.EPERM
	}
	c.Cap.Effective, c.Cap.Permitted, c.Cap.Inheritable = eff, perm, inh
	c.Cap.Ambient &= perm & inh
	return nil
}
