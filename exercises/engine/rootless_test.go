package engine

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
)

// candidateAt is the candidate for host, if one was offered.
func candidateAt(cs []Candidate, host string) (Candidate, bool) {
	i := slices.IndexFunc(cs, func(c Candidate) bool { return c.Host == host })
	if i < 0 {
		return Candidate{}, false
	}
	return cs[i], true
}

// Without XDG_RUNTIME_DIR (su without a login, a cron job) the rootless
// socket is still looked for where systemd puts the runtime directory.
func TestRootlessSocketLookedForWithoutRuntimeDir(t *testing.T) {
	m := newMachine(t)
	want := "unix:///run/user/" + strconv.Itoa(os.Getuid()) + "/docker.sock"
	c, ok := candidateAt(wellKnownSockets(m.env(Linux)), want)
	if !ok || c.What != "rootless Docker" {
		t.Errorf("no rootless Docker at %s among %+v", want, wellKnownSockets(m.env(Linux)))
	}
	m.vars["XDG_RUNTIME_DIR"] = "/tmp/xdg-elsewhere"
	if _, ok := candidateAt(wellKnownSockets(m.env(Linux)), "unix:///tmp/xdg-elsewhere/docker.sock"); !ok {
		t.Errorf("XDG_RUNTIME_DIR should decide where the rootless socket is: %+v", wellKnownSockets(m.env(Linux)))
	}
}

// A rootless daemon that answers while the endpoint in use does not is
// offered with the line that selects it: DOCKER_HOST for the bare socket,
// `docker context use rootless` once the context that
// dockerd-rootless-setuptool.sh creates is there, and then only that.
func TestRootlessDaemonOfferedAsCandidate(t *testing.T) {
	home := shortTempDir(t)
	runtimeDir := filepath.Join(home, "run")
	sock := filepath.Join(runtimeDir, "docker.sock")
	serveFakePing(t, sock)
	host := "unix://" + sock
	m := &machine{home: home, configDir: filepath.Join(home, ".docker"), vars: map[string]string{
		"XDG_RUNTIME_DIR": runtimeDir,
		"DOCKER_HOST":     "unix://" + filepath.Join(home, "silent.sock"),
	}}

	r := doctorIn(context.Background(), m.env(Linux), nil)
	if r.Reachable {
		t.Fatalf("the endpoint in use should not answer: %+v", r)
	}
	c, ok := candidateAt(r.Candidates, host)
	if !ok || c.What != "rootless Docker" || !c.Answers || c.Use != "export DOCKER_HOST="+host {
		t.Fatalf("rootless candidate = %+v (of %+v)", c, r.Candidates)
	}
	var text strings.Builder
	if err := WriteText(&text, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "rootless Docker at "+host+": answers") || !strings.Contains(text.String(), "export DOCKER_HOST="+host) {
		t.Errorf("doctor's text does not offer the rootless daemon:\n%s", text.String())
	}

	m.writeContext(t, "rootless", host, false)
	r = doctorIn(context.Background(), m.env(Linux), nil)
	c, ok = candidateAt(r.Candidates, host)
	if !ok || c.What != `context "rootless"` || !c.Answers || c.Use != "unset DOCKER_HOST; docker context use rootless" {
		t.Errorf("with the rootless context, candidate = %+v (of %+v)", c, r.Candidates)
	}
	if n := len(slices.DeleteFunc(slices.Clone(r.Candidates), func(c Candidate) bool { return c.Host != host })); n != 1 {
		t.Errorf("the rootless daemon is offered %d times: %+v", n, r.Candidates)
	}
}

// doctor finds a real rootless daemon ($DOCKERTUTOR_ROOTLESS_HOST, from
// .ci/rootless) the three ways a learner points at it.
func TestDoctorFindsRootlessDocker(t *testing.T) {
	_, host := dockertest.Rootless(t)
	ctx := context.Background()
	rootlessReport := func(t *testing.T, r Report) {
		t.Helper()
		if !r.Reachable || r.Server == nil {
			t.Fatalf("not reachable at %s: %+v", r.Endpoint.Host, r.Problems)
		}
		if !r.Server.Rootless {
			t.Errorf("the server at %s should be reported rootless: %+v", r.Endpoint.Host, r.Server)
		}
		if !r.Server.Builders.BuildKit {
			t.Errorf("rootless Docker builds with BuildKit: %+v", r.Server.Builders)
		}
		if r.Endpoint.Host != host {
			t.Errorf("endpoint = %s, want %s", r.Endpoint.Host, host)
		}
	}

	t.Run("DOCKER_HOST", func(t *testing.T) {
		m := newMachine(t)
		m.vars["DOCKER_HOST"] = host
		r := doctorIn(ctx, m.env(Linux), nil)
		rootlessReport(t, r)
		if r.Endpoint.Origin != FromDockerHost {
			t.Errorf("origin = %s", r.Endpoint.Origin)
		}
		var text strings.Builder
		if err := WriteText(&text, r); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text.String(), "Rootless   yes") {
			t.Errorf("doctor's text does not say rootless:\n%s", text.String())
		}
	})

	t.Run("context", func(t *testing.T) {
		m := newMachine(t)
		createRootlessContext(t, m, host)
		r := doctorIn(ctx, m.env(Linux), nil)
		rootlessReport(t, r)
		if r.Endpoint.Context != "rootless" || r.Endpoint.Origin != FromConfigFile {
			t.Errorf("endpoint = %+v, want the current context rootless", r.Endpoint)
		}
		m.vars["DOCKER_CONTEXT"] = "rootless"
		r = doctorIn(ctx, m.env(Linux), nil)
		rootlessReport(t, r)
		if r.Endpoint.Context != "rootless" || r.Endpoint.Origin != FromDockerContext {
			t.Errorf("endpoint = %+v, want DOCKER_CONTEXT rootless", r.Endpoint)
		}
	})

	t.Run("candidate", func(t *testing.T) {
		sock := socketPath(host)
		if filepath.Base(sock) != "docker.sock" {
			t.Skipf("%s is not at $XDG_RUNTIME_DIR/docker.sock, where a rootless daemon is looked for", host)
		}
		m := newMachine(t)
		m.vars["XDG_RUNTIME_DIR"] = filepath.Dir(sock)
		m.vars["DOCKER_HOST"] = "unix://" + filepath.Join(shortTempDir(t), "silent.sock")
		r := doctorIn(ctx, m.env(Linux), nil)
		if r.Reachable {
			t.Fatalf("the endpoint in use should not answer: %+v", r.Endpoint)
		}
		c, ok := candidateAt(r.Candidates, host)
		if !ok || c.What != "rootless Docker" || !c.Answers || c.Use != "export DOCKER_HOST="+host {
			t.Errorf("rootless candidate = %+v (of %+v)", c, r.Candidates)
		}
	})
}

// createRootlessContext makes the context "rootless" current in m's
// config folder, with the docker CLI when there is one (as
// dockerd-rootless-setuptool.sh does), else as it lays it out.
func createRootlessContext(t *testing.T, m *machine, host string) {
	t.Helper()
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Logf("no docker CLI: writing the context as it would")
		m.writeContext(t, "rootless", host, false)
		m.writeConfig(t, `{"currentContext": "rootless"}`)
		return
	}
	for _, args := range [][]string{
		{"context", "create", "rootless", "--docker", "host=" + host},
		{"context", "use", "rootless"},
	} {
		cmd := exec.Command(docker, args...)
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+m.configDir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
