package engine

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/exp/golden"
)

func reachableReport() Report {
	s, images, problems := describe(context.Background(), debian2010(), pingFacts{}, bases("alpine:3.22", "node:22-alpine", "debian:12-slim", "python:3.13-slim"))
	return Report{
		Endpoint:  Endpoint{Host: "unix:///var/run/docker.sock", Source: "default socket", Origin: FromDefault, Context: "default"},
		Reachable: true, Problems: problems, Server: s, Images: images, ClientOS: Linux,
	}
}

func unreachableReport(goos string, ep Endpoint, err error, candidates ...Candidate) Report {
	return Report{Endpoint: ep, Problems: []Problem{Explain(ep, err)}, Candidates: candidates, ClientOS: goos}
}

func textReports() map[string]Report {
	rootless := Candidate{Host: "unix:///run/user/1000/docker.sock", What: "rootless Docker", Answers: true,
		Use: "export DOCKER_HOST=unix:///run/user/1000/docker.sock"}
	return map[string]Report{
		"reachable": reachableReport(),
		"linux-permission": unreachableReport(Linux,
			Endpoint{Host: "unix:///var/run/docker.sock", Source: "default socket", Origin: FromDefault, Context: "default"},
			&ConnectError{Class: ClassPermission, Err: dialErr(syscall.EACCES)}, rootless),
		"darwin-colima-down": unreachableReport(Darwin,
			Endpoint{Host: "unix:///Users/me/.colima/default/docker.sock", Source: `context "colima" (current context in ~/.docker/config.json)`, Origin: FromConfigFile, Context: "colima"},
			dialErrAt("/Users/me/.colima/default/docker.sock", syscall.ENOENT)),
		"windows-desktop-down": unreachableReport(Windows,
			Endpoint{Host: "npipe:////./pipe/docker_engine", Source: "default named pipe", Origin: FromDefault, Context: "default"},
			errors.New("open //./pipe/docker_engine: The system cannot find the file specified.")),
		"tls-context": unreachableReport(Linux,
			Endpoint{Host: "tcp://build.example:2376", Source: `context "build" (DOCKER_CONTEXT)`, Origin: FromDockerContext, Context: "build",
				TLS: &TLS{CAFile: "/home/me/.docker/contexts/tls/abc/docker/ca.pem"}},
			errors.New(`tls: failed to verify certificate: x509: certificate signed by unknown authority`)),
	}
}

func TestWriteTextGolden(t *testing.T) {
	for name, r := range textReports() {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			if err := WriteText(&b, r); err != nil {
				t.Fatal(err)
			}
			golden.RequireEqual(t, b.String())
		})
	}
}

func TestWriteTextFitsEightyColumns(t *testing.T) {
	for name, r := range textReports() {
		var b strings.Builder
		if err := WriteText(&b, r); err != nil {
			t.Fatal(err)
		}
		// Commands are never broken, so they may run past the edge.
		verbatim := map[string]bool{}
		for _, p := range r.Problems {
			for _, fixes := range p.Fixes {
				for _, f := range fixes {
					verbatim[f.Command] = true
				}
			}
		}
		for _, c := range r.Candidates {
			verbatim[c.Use] = true
		}
		for _, line := range strings.Split(b.String(), "\n") {
			trimmed := strings.TrimSpace(line)
			if utf8.RuneCountInString(line) > textWidth && !verbatim[trimmed] && strings.Contains(trimmed, " ") {
				t.Errorf("%s: line longer than %d columns: %q", name, textWidth, line)
			}
		}
	}
}

func TestWriteTextProblemsFirstAndOnlyThisOS(t *testing.T) {
	r := textReports()["linux-permission"]
	var b strings.Builder
	if err := WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "Docker is NOT reachable.") {
		t.Errorf("verdict first:\n%s", out)
	}
	problems, endpoint := strings.Index(out, "\nProblems\n"), strings.Index(out, "\nEndpoint\n")
	if problems < 0 || endpoint < 0 || problems > endpoint {
		t.Errorf("problems should come before the details:\n%s", out)
	}
	if !strings.Contains(out, "sudo usermod -aG docker $USER") || strings.Contains(out, "docker-users") {
		t.Errorf("only the Linux fixes should show:\n%s", out)
	}

	r.ClientOS = Windows
	b.Reset()
	if err := WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "usermod") || !strings.Contains(b.String(), "docker-users") {
		t.Errorf("only the Windows fixes should show:\n%s", b.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteTextReportsWriteErrors(t *testing.T) {
	if err := WriteText(failingWriter{}, reachableReport()); err == nil || err.Error() != "disk full" {
		t.Errorf("got %v", err)
	}
}
