package engine

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

func dialErr(errno syscall.Errno) error { return dialErrAt("/var/run/docker.sock", errno) }

// dialErrAt is the error dialling a unix socket at path fails with.
func dialErrAt(path string, errno syscall.Errno) error {
	return &net.OpError{Op: "dial", Net: "unix", Addr: &net.UnixAddr{Name: path, Net: "unix"},
		Err: os.NewSyscallError("connect", errno)}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want Class
	}{
		{"EACCES from dial", dialErr(syscall.EACCES), ClassPermission},
		{"EACCES wrapped", fmt.Errorf("ping: %w", dialErr(syscall.EACCES)), ClassPermission},
		{"moby client's permission text", errors.New("permission denied while trying to connect to the docker API at unix:///var/run/docker.sock"), ClassPermission},
		{"Windows access denied", errors.New("open //./pipe/docker_engine: Access is denied."), ClassPermission},
		{"ENOENT from dial", dialErr(syscall.ENOENT), ClassNoSocket},
		{"Windows pipe missing", errors.New("open //./pipe/docker_engine: The system cannot find the file specified."), ClassNoSocket},
		{"ECONNREFUSED from dial", dialErr(syscall.ECONNREFUSED), ClassDaemonDown},
		{"moby client's daemon text", errors.New("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"), ClassDaemonDown},
		{"Windows tcp refused", errors.New("connectex: No connection could be made because the target machine actively refused it."), ClassDaemonDown},
		{"deadline", fmt.Errorf("ping: %w", context.DeadlineExceeded), ClassTimeout},
		{"ETIMEDOUT", dialErr(syscall.ETIMEDOUT), ClassTimeout},
		{"cancelled", fmt.Errorf("ping: %w", context.Canceled), ClassCanceled},
		{"unknown CA", x509.UnknownAuthorityError{}, ClassTLS},
		{"wrong host", fmt.Errorf("x: %w", x509.HostnameError{Certificate: &x509.Certificate{}, Host: "docker.example"}), ClassTLS},
		{"plain to TLS", errors.New("Error response from daemon: Client sent an HTTP request to an HTTPS server."), ClassTLS},
		{"DNS", &net.DNSError{Err: "no such host", Name: "docker.example"}, ClassNetwork},
		{"no route", dialErr(syscall.EHOSTUNREACH), ClassNetwork},
		{"negotiation refused", errors.New("API version 1.24 is not supported by this client: the minimum supported API version is 1.40"), ClassAPITooOld},
		{"resolve error", &ResolveError{What: "DOCKER_HOST=x", Err: errors.New("bad")}, ClassConfig},
		{"connect error keeps its class", &ConnectError{Class: ClassTimeout, Err: errors.New("whatever")}, ClassTimeout},
		{"something else", errors.New("the moon is in the way"), ClassUnknown},
	}
	for _, c := range cases {
		if got := Classify(c.err); got != c.want {
			t.Errorf("%s: Classify(%v) = %s, want %s", c.name, c.err, got, c.want)
		}
	}
	if Classify(nil) != "" {
		t.Error("Classify(nil) should be empty")
	}
}

func commands(fixes []Fix) string {
	var b strings.Builder
	for _, f := range fixes {
		b.WriteString(f.Text + " | " + f.Command + "\n")
	}
	return b.String()
}

func TestExplainGivesFixesForEveryOS(t *testing.T) {
	endpoints := []Endpoint{
		{Host: "unix:///var/run/docker.sock", Source: "default socket", Origin: FromDefault, Context: "default"},
		{Host: "unix:///run/user/1000/docker.sock", Source: "DOCKER_HOST", Origin: FromDockerHost, Context: "default"},
		{Host: "unix:///Users/me/.colima/default/docker.sock", Source: `context "colima"`, Origin: FromConfigFile, Context: "colima"},
		{Host: "npipe:////./pipe/docker_engine", Source: "default named pipe", Origin: FromDefault, Context: "default"},
		{Host: "tcp://10.0.0.5:2376", Source: "DOCKER_HOST", Origin: FromDockerHost, Context: "default"},
	}
	classes := map[Class]error{
		ClassNoSocket:    dialErr(syscall.ENOENT),
		ClassPermission:  dialErr(syscall.EACCES),
		ClassDaemonDown:  dialErr(syscall.ECONNREFUSED),
		ClassTimeout:     context.DeadlineExceeded,
		ClassAPITooOld:   &ConnectError{Class: ClassAPITooOld, ServerAPIVersion: "1.24", Err: errors.New("too old")},
		ClassTLS:         x509.UnknownAuthorityError{},
		ClassNetwork:     &net.DNSError{Err: "no such host", Name: "x"},
		ClassConfig:      &ResolveError{What: "DOCKER_HOST=x", Err: errors.New("bad")},
		ClassUnsupported: &ConnectError{Class: ClassUnsupported, Err: errors.New("fd")},
		ClassUnknown:     errors.New("the moon is in the way"),
	}
	for _, ep := range endpoints {
		for class, err := range classes {
			p := Explain(ep, err)
			if p.Class != class || p.Severity != SeverityError || p.Message == "" || p.Detail == "" {
				t.Errorf("%s on %s: %+v", class, ep.Host, p)
			}
			for _, goos := range []string{Linux, Darwin, Windows} {
				if len(p.Fixes[goos]) == 0 {
					t.Errorf("%s on %s: no fix for %s", class, ep.Host, goos)
				}
				for _, f := range p.Fixes[goos] {
					if f.Text == "" {
						t.Errorf("%s on %s for %s: a fix without text: %+v", class, ep.Host, goos, f)
					}
				}
			}
		}
	}
}

func TestExplainFixesFitTheEngine(t *testing.T) {
	cases := []struct {
		name   string
		ep     Endpoint
		err    error
		goos   string
		want   []string // substrings of the fixes
		reject []string
	}{
		{
			name: "linux system socket, permission",
			ep:   Endpoint{Host: "unix:///var/run/docker.sock", Origin: FromDefault, Context: "default"},
			err:  dialErr(syscall.EACCES), goos: Linux,
			want: []string{"sudo usermod -aG docker $USER", "log out and back in", "newgrp docker"},
		},
		{
			name: "linux system socket, daemon down",
			ep:   Endpoint{Host: "unix:///var/run/docker.sock", Origin: FromDefault, Context: "default"},
			err:  dialErr(syscall.ECONNREFUSED), goos: Linux,
			want: []string{"sudo systemctl start docker"}, reject: []string{"unset DOCKER_HOST"},
		},
		{
			name: "macOS default socket missing",
			ep:   Endpoint{Host: "unix:///var/run/docker.sock", Origin: FromDefault, Context: "default"},
			err:  dialErr(syscall.ENOENT), goos: Darwin,
			want: []string{"open -a Docker", "colima start"}, reject: []string{"systemctl"},
		},
		{
			name: "rootless socket from DOCKER_HOST",
			ep:   Endpoint{Host: "unix:///run/user/1000/docker.sock", Origin: FromDockerHost, Context: "default"},
			err:  dialErr(syscall.ENOENT), goos: Linux,
			want:   []string{"systemctl --user start docker", "dockerd-rootless-setuptool.sh install", "unset DOCKER_HOST"},
			reject: []string{"sudo systemctl"},
		},
		{
			name: "colima profile",
			ep:   Endpoint{Host: "unix:///Users/me/.colima/work/docker.sock", Origin: FromConfigFile, Context: "colima-work"},
			err:  dialErr(syscall.ENOENT), goos: Darwin,
			want: []string{"colima start --profile work", "docker context use default"},
		},
		{
			name: "podman rootless socket",
			ep:   Endpoint{Host: "unix:///run/user/1000/podman/podman.sock", Origin: FromDockerHost, Context: "default"},
			err:  dialErr(syscall.ECONNREFUSED), goos: Linux,
			want: []string{"systemctl --user start podman.socket"},
		},
		{
			name: "Windows pipe, permission",
			ep:   Endpoint{Host: "npipe:////./pipe/docker_engine", Origin: FromDefault, Context: "default"},
			err:  errors.New("open //./pipe/docker_engine: Access is denied."), goos: Windows,
			want: []string{"docker-users", "net localgroup docker-users $env:USERNAME /add"},
		},
		{
			name: "Windows, DOCKER_HOST override",
			ep:   Endpoint{Host: "npipe:////./pipe/dockerDesktopLinuxEngine", Origin: FromDockerHost, Context: "default"},
			err:  errors.New("open //./pipe/dockerDesktopLinuxEngine: The system cannot find the file specified."), goos: Windows,
			want: []string{"Docker Desktop", "Remove-Item Env:DOCKER_HOST"}, reject: []string{"unset "},
		},
		{
			name: "fd endpoint",
			ep:   Endpoint{Host: "fd://3", Origin: FromDockerHost, Context: "default"},
			err:  &ConnectError{Class: ClassUnsupported, Err: errors.New("fd")}, goos: Linux,
			want: []string{"export DOCKER_HOST=unix:///var/run/docker.sock", "unset DOCKER_HOST"},
		},
		{
			name: "TLS context",
			ep:   Endpoint{Host: "tcp://build.example:2376", Origin: FromDockerContext, Context: "build"},
			err:  x509.UnknownAuthorityError{}, goos: Linux,
			want: []string{"docker context inspect build", "unset DOCKER_CONTEXT"},
		},
		{
			name: "unknown context",
			ep:   Endpoint{Origin: FromDockerContext, Context: "nosuch"},
			err:  &ResolveError{What: `context "nosuch" (DOCKER_CONTEXT)`, File: "/h/.docker/contexts/meta/x/meta.json", Err: errors.New("no such context")},
			goos: Linux,
			want: []string{"docker context ls", "unset DOCKER_CONTEXT"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Explain(c.ep, c.err)
			got := commands(p.Fixes[c.goos])
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("fixes for %s lack %q:\n%s", c.goos, w, got)
				}
			}
			for _, r := range c.reject {
				if strings.Contains(got, r) {
					t.Errorf("fixes for %s should not contain %q:\n%s", c.goos, r, got)
				}
			}
		})
	}
}

func TestExplainMessagesNameThePlace(t *testing.T) {
	p := Explain(Endpoint{Host: "unix:///var/run/docker.sock"}, dialErr(syscall.EACCES))
	if !strings.Contains(p.Message, "/var/run/docker.sock") {
		t.Errorf("message %q", p.Message)
	}
	p = Explain(Endpoint{Host: "npipe:////./pipe/docker_engine"}, dialErr(syscall.ENOENT))
	if !strings.Contains(p.Message, `\\.\pipe\docker_engine`) {
		t.Errorf("message %q should show the pipe as Windows writes it", p.Message)
	}
	p = Explain(Endpoint{Host: "tcp://10.0.0.5:2376"}, dialErr(syscall.ECONNREFUSED))
	if !strings.Contains(p.Message, "10.0.0.5:2376 refused") {
		t.Errorf("message %q", p.Message)
	}
	const file = "/home/me/.docker/contexts/meta/abc/meta.json"
	p = Explain(Endpoint{Context: "nosuch"}, &ResolveError{What: `context "nosuch"`, File: file, Err: errors.New("no such context")})
	if !strings.Contains(p.Message, file) || !strings.Contains(p.Message, `"nosuch"`) {
		t.Errorf("message %q should name the context and the file", p.Message)
	}
}

// TestFixTextGivesEveryFixInOrder: the tutor's one line of advice holds
// every fix doctor lists, the override to undo too.
func TestFixTextGivesEveryFixInOrder(t *testing.T) {
	ep := Endpoint{Host: "unix:///nowhere/docker.sock", Origin: FromDockerHost}
	p := Explain(ep, &ConnectError{Endpoint: ep, Err: syscall.ENOENT})
	line := p.FixText(Linux)
	var want []string
	for _, f := range p.Fixes[Linux] {
		want = append(want, f.Text)
		if f.Command != "" {
			want = append(want, f.Command)
		}
	}
	if len(p.Fixes[Linux]) < 2 {
		t.Fatalf("fixes %+v: want a start and an unset", p.Fixes[Linux])
	}
	at := 0
	for _, w := range want {
		i := strings.Index(line[at:], w)
		if i < 0 {
			t.Fatalf("line %q lacks %q after column %d", line, w, at)
		}
		at += i + len(w)
	}
	if !strings.Contains(line, "unset DOCKER_HOST") {
		t.Fatalf("line %q does not offer to unset DOCKER_HOST", line)
	}
	if (Problem{}).FixText(Linux) != "" {
		t.Fatal("no fixes, no line")
	}
}
