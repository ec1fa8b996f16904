package main

import (
	"errors"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
)

// learnerFiles says where `prepare --from` puts what the learner's own
// programs read (the course pack, trivy's database), and who owns it.
// A lab machine is readied with sudo, whose HOME is root's: the files go
// to the folders of the user who ran sudo instead, and are given to them,
// or the learner's tutor and trivy would not find (or could not read)
// them.
type learnerFiles struct {
	// home is the sudo user's home folder; "" when not run under sudo
	// (the folders of this process's user, as everywhere else).
	home     string
	uid, gid int
}

// lookupUser is user.LookupId; a variable so a test can stand in a user.
var lookupUser = user.LookupId

// learnerOf is the user the files are for: the one who ran sudo, when
// this process is root under sudo (SUDO_UID and SUDO_GID, which sudo
// sets), else this process's user.
func learnerOf() learnerFiles {
	if os.Geteuid() != 0 {
		return learnerFiles{}
	}
	uid, err1 := strconv.Atoi(os.Getenv("SUDO_UID"))
	gid, err2 := strconv.Atoi(os.Getenv("SUDO_GID"))
	if err1 != nil || err2 != nil || uid == 0 {
		return learnerFiles{}
	}
	u, err := lookupUser(strconv.Itoa(uid))
	if err != nil || u.HomeDir == "" {
		return learnerFiles{}
	}
	return learnerFiles{home: u.HomeDir, uid: uid, gid: gid}
}

// dataDir is dockertutor's data folder of the learner.
func (l learnerFiles) dataDir() string {
	if l.home == "" {
		return dataDir()
	}
	return filepath.Join(l.home, ".local", "share", "dockertutor")
}

// trivyCacheDir is the learner's trivy cache folder: $TRIVY_CACHE_DIR
// when set (sudo keeps it only when told to, so it is meant), else their
// ~/.cache/trivy.
func (l learnerFiles) trivyCacheDir(ofThisUser string) string {
	if l.home == "" || os.Getenv("TRIVY_CACHE_DIR") != "" {
		return ofThisUser
	}
	return filepath.Join(l.home, ".cache", "trivy")
}

// make runs write, which creates target (a folder) and what is in it,
// and gives the learner everything it created: target's tree and any of
// its parent folders below the learner's home that did not exist before.
func (l learnerFiles) make(target string, write func() error) error {
	top := target
	if l.home != "" {
		for p := filepath.Dir(target); p != l.home && p != filepath.Dir(p); p = filepath.Dir(p) {
			if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
				top = p
			}
		}
	}
	if err := write(); err != nil {
		return err
	}
	if l.home == "" {
		return nil
	}
	for p := target; ; p = filepath.Dir(p) {
		if p != target {
			if err := os.Lchown(p, l.uid, l.gid); err != nil {
				return err
			}
		}
		if p == top {
			break
		}
	}
	return filepath.WalkDir(target, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, l.uid, l.gid)
	})
}
