package main

import (
	"os"
	"os/user"
	"path/filepath"
	"syscall"
	"testing"
)

// TestLearnerFilesUnderSudo: run as root under sudo, what prepare --from
// installs goes to the sudo user's folders and is theirs, with the
// folders it had to make; their home and what was there stay as they
// were.
func TestLearnerFilesUnderSudo(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, as sudo gives")
	}
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".local"), 0o755); err != nil {
		t.Fatal(err)
	}
	lookupUser = func(uid string) (*user.User, error) {
		if uid != "4242" {
			t.Fatalf("looked up uid %s, want the SUDO_UID", uid)
		}
		return &user.User{Uid: uid, HomeDir: home}, nil
	}
	t.Cleanup(func() { lookupUser = user.LookupId })
	t.Setenv("SUDO_UID", "4242")
	t.Setenv("SUDO_GID", "4243")
	t.Setenv("TRIVY_CACHE_DIR", "")

	l := learnerOf()
	if l.home != home {
		t.Fatalf("learnerOf under sudo: home %q, want %q", l.home, home)
	}
	if got, want := l.trivyCacheDir("/root/.cache/trivy"), filepath.Join(home, ".cache", "trivy"); got != want {
		t.Errorf("trivy cache under sudo: %s, want %s", got, want)
	}
	target := filepath.Join(l.dataDir(), "courses", "c.new")
	err := l.make(target, func() error {
		if err := os.MkdirAll(filepath.Join(target, "lesson"), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(target, "lesson", "step.md"), []byte("x"), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	owner := func(p string) (int, int) {
		t.Helper()
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		return int(st.Uid), int(st.Gid)
	}
	for _, p := range []string{
		filepath.Join(home, ".local", "share"),
		filepath.Join(home, ".local", "share", "dockertutor"),
		filepath.Join(home, ".local", "share", "dockertutor", "courses"),
		target, filepath.Join(target, "lesson"), filepath.Join(target, "lesson", "step.md"),
	} {
		if uid, gid := owner(p); uid != 4242 || gid != 4243 {
			t.Errorf("%s belongs to %d:%d, want the sudo user's 4242:4243", p, uid, gid)
		}
	}
	for _, p := range []string{home, filepath.Join(home, ".local")} {
		if uid, _ := owner(p); uid != os.Getuid() {
			t.Errorf("%s, which was there before, was given away (uid %d)", p, uid)
		}
	}

	t.Setenv("TRIVY_CACHE_DIR", "/srv/trivy")
	if got := l.trivyCacheDir("/srv/trivy"); got != "/srv/trivy" {
		t.Errorf("trivy cache with TRIVY_CACHE_DIR under sudo: %s", got)
	}
	t.Setenv("SUDO_UID", "")
	if l := learnerOf(); l.home != "" {
		t.Errorf("learnerOf without sudo: home %q, want this user's folders", l.home)
	}
}
