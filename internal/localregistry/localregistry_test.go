package localregistry_test

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/internal/localregistry"
	"golang.org/x/crypto/bcrypt"
)

func needRegistry(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath(localregistry.Binary); err != nil {
		if os.Getenv(dockertest.RequireEnv) == "1" {
			t.Fatalf("%s is required (%s=1) but not installed", localregistry.Binary, dockertest.RequireEnv)
		}
		t.Skip(localregistry.Binary + " is not installed (Debian: apt-get install docker-registry)")
	}
}

func start(t *testing.T, cfg localregistry.Config) *localregistry.Process {
	t.Helper()
	dir := t.TempDir()
	if cfg.Storage == "" {
		cfg.Storage = filepath.Join(dir, "data")
	}
	p, err := localregistry.Start(exec.Command, cfg, filepath.Join(dir, "config.yml"), filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

func get(t *testing.T, addr string) int {
	t.Helper()
	res, err := http.Get("http://" + addr + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// An open registry answers 200, one with users 401 to a stranger; both
// count as started, and Stop ends the process.
func TestStartWaitStop(t *testing.T) {
	needRegistry(t)
	open := start(t, localregistry.Config{Addr: dockertest.FreeAddr(t), LogLevel: "info"})
	if err := open.Wait(http.DefaultClient, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if code := get(t, open.Addr); code != http.StatusOK {
		t.Fatalf("open registry: GET /v2/ = %d, want 200", code)
	}

	htpasswd := filepath.Join(t.TempDir(), "htpasswd")
	hash, err := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(htpasswd, []byte("learner:"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	closed := start(t, localregistry.Config{Addr: dockertest.FreeAddr(t), LogLevel: "error", Htpasswd: htpasswd})
	if err := closed.Wait(http.DefaultClient, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if code := get(t, closed.Addr); code != http.StatusUnauthorized {
		t.Fatalf("registry with users: GET /v2/ = %d, want 401", code)
	}

	open.Stop()
	if _, err := http.Get("http://" + open.Addr + "/v2/"); err == nil {
		t.Fatal("the registry still answers after Stop")
	}
}

// A registry that cannot serve (its port is taken) is reported as
// exited, with its own words, long before the bound.
func TestWaitReportsAnExit(t *testing.T) {
	needRegistry(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// Taken, but nothing answers HTTP on it: close every connection.
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	p := start(t, localregistry.Config{Addr: ln.Addr().String(), LogLevel: "info"})
	began := time.Now()
	err = p.Wait(http.DefaultClient, 30*time.Second)
	if err == nil {
		t.Fatal("Wait said a registry whose port is taken answers")
	}
	if !strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Wait's error does not say the registry exited and why: %v", err)
	}
	if waited := time.Since(began); waited > 20*time.Second {
		t.Fatalf("Wait took %s to see the exit", waited)
	}
}
