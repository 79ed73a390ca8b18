package embeddedpg

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// serverUser is the OS account PostgreSQL runs under when we are root.
const serverUser = "postgres"

// account is the OS account initdb and postgres run under.
type account struct {
	uid, gid int
	// switchUser is set when we are root: PostgreSQL refuses to run as root,
	// so the children run as serverUser and own their files.
	switchUser bool
}

// serverAccount returns the current account, or serverUser's when root.
func serverAccount() (account, error) {
	if os.Geteuid() != 0 {
		return account{uid: os.Geteuid(), gid: os.Getegid()}, nil
	}
	u, err := user.Lookup(serverUser)
	if err != nil {
		return account{}, fmt.Errorf("running as root, PostgreSQL must run as the %q OS user, which is missing (%w): %s", serverUser, err, installHint)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return account{}, fmt.Errorf("uid of %q: %w", serverUser, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return account{}, fmt.Errorf("gid of %q: %w", serverUser, err)
	}
	return account{uid: uid, gid: gid, switchUser: true}, nil
}

// sysProcAttr makes a child run as the account. newGroup puts the child in a
// process group of its own, so a Ctrl-C meant for the caller's terminal does
// not shut the server down under other users of it.
func (a account) sysProcAttr(newGroup bool) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: newGroup}
	if a.switchUser {
		// An empty Groups drops root's supplementary groups.
		attr.Credential = &syscall.Credential{Uid: uint32(a.uid), Gid: uint32(a.gid), Groups: []uint32{}}
	}
	return attr
}

// own gives path to the account; a no-op unless we switch users.
func (a account) own(path string) error {
	if !a.switchUser {
		return nil
	}
	if err := os.Lchown(path, a.uid, a.gid); err != nil {
		return fmt.Errorf("give %s to %s: %w", path, serverUser, err)
	}
	return nil
}

// makeReachable lets the account walk down to dir: each folder from dir up
// to / that it could not search gets the search bit for others (o+x). Only
// search is granted, never listing. A no-op unless we switch users: then the
// folders may be root's 0700 ones, such as those made by t.TempDir.
func (a account) makeReachable(dir string) error {
	if !a.switchUser {
		return nil
	}
	for {
		info, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("make %s reachable: %w", dir, err)
		}
		if !a.canSearch(info) {
			if err := os.Chmod(dir, info.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("make %s reachable by %s: %w", dir, serverUser, err)
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}

// canSearch reports whether the account may enter the folder.
func (a account) canSearch(info os.FileInfo) bool {
	perm := info.Mode().Perm()
	st, ok := info.Sys().(*syscall.Stat_t)
	switch {
	case ok && int(st.Uid) == a.uid:
		return perm&0o100 != 0
	case ok && int(st.Gid) == a.gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// ownerOf returns the uid owning path, without following a final symlink.
func ownerOf(info os.FileInfo) (int, error) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, fmt.Errorf("no owner for %s", info.Name())
	}
	return int(st.Uid), nil
}
