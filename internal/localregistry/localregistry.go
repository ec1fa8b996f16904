// Package localregistry is the one way this project runs Debian's
// docker-registry (the distribution registry) of its own on a loopback
// address: its configuration, its start, the wait until it answers and
// its stop. The tests' registries (exercises/dockertest), the private
// daemon's registry in its namespace (internal/privatedaemon) and the lab
// bench (bench/lab) all start it so, each with the command and the
// address that suit it.
package localregistry

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Binary is the program's name as Debian installs it.
const Binary = "docker-registry"

// Config is what a registry of this project serves.
type Config struct {
	// Addr is host:port, on loopback.
	Addr string
	// Storage is the folder its blobs and manifests go to.
	Storage string
	// LogLevel is logrus's: "error", "warn" or "info" (info writes a
	// "response completed" line for each request, which tests read).
	LogLevel string
	// Htpasswd, when set, is the path of an htpasswd file: the registry
	// then answers only its users, as a private repository does.
	Htpasswd string
}

// YAML is the registry's config.yml. Deletes are on, so a test can take
// back what it pushed; the access log is off, as the info level already
// logs each request.
func (c Config) YAML() string {
	var b strings.Builder
	fmt.Fprintf(&b, "version: 0.1\nlog:\n  level: %s\n  accesslog:\n    disabled: true\n", c.LogLevel)
	fmt.Fprintf(&b, "storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n", c.Storage)
	fmt.Fprintf(&b, "http:\n  addr: %s\n", c.Addr)
	if c.Htpasswd != "" {
		fmt.Fprintf(&b, "auth:\n  htpasswd:\n    realm: dockertutor\n    path: %s\n", c.Htpasswd)
	}
	return b.String()
}

// Process is a running registry.
type Process struct {
	// Addr is the address it serves, from its Config.
	Addr string

	cmd      *exec.Cmd
	log      string
	exited   chan struct{}
	stopOnce sync.Once
}

// Start writes cfg to configPath and starts the registry with command,
// which runs Binary (exec.Command, or a command that enters a network
// namespace first) with its arguments; "serve" and configPath are added.
// Its output goes to logPath. Wait says when it answers.
func Start(command func(name string, args ...string) *exec.Cmd, cfg Config, configPath, logPath string) (*Process, error) {
	if err := os.WriteFile(configPath, []byte(cfg.YAML()), 0o644); err != nil {
		return nil, err
	}
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := command(Binary, "serve", configPath)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (Debian: apt-get install docker-registry): %w", Binary, err)
	}
	p := &Process{Addr: cfg.Addr, cmd: cmd, log: logPath, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(p.exited) }()
	return p, nil
}

// Wait polls GET /v2/ through hc until the registry answers (any status:
// one with users answers 401 to a client that is not signed in), exits,
// or bound passes. Its error holds the registry's output.
func (p *Process) Wait(hc *http.Client, bound time.Duration) error {
	deadline := time.Now().Add(bound)
	for {
		res, err := hc.Get("http://" + p.Addr + "/v2/")
		if err == nil {
			res.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer on %s within %s: %w\n%s", Binary, p.Addr, bound, err, p.Output())
		}
		select {
		case <-p.exited:
			return errors.New(Binary + " exited: " + p.Output())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Output is what the registry has written so far.
func (p *Process) Output() string {
	data, _ := os.ReadFile(p.log)
	return string(data)
}

// Stop stops the registry, asking first (SIGTERM) and killing it after
// 10 s. Its storage stays for the caller to remove.
func (p *Process) Stop() {
	p.stopOnce.Do(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
}
