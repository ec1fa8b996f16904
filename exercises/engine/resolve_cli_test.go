package engine

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestResolveMatchesDockerCLI asks the real docker CLI which context and
// host it would use, for each combination of variables and files, and
// compares with ResolveIn. The contexts are created by the CLI itself, so
// the test also proves that the files it writes are read correctly.
func TestResolveMatchesDockerCLI(t *testing.T) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("no docker CLI in PATH")
	}
	m := newMachine(t)
	certs := newTestPKI(t).dir // the CLI checks that ca.pem parses

	run := func(t *testing.T, vars map[string]string, args ...string) (string, error) {
		t.Helper()
		cmd := exec.Command(docker, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + m.home, "DOCKER_CONFIG=" + m.configDir}
		for k, v := range vars {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	for _, args := range [][]string{
		{"context", "create", "colima", "--docker", "host=unix:///tmp/dttest-engine/colima.sock"},
		{"context", "create", "remote", "--docker", "host=tcp://10.9.8.7:2376,ca=" + filepath.Join(certs, "ca.pem")},
		{"context", "create", "insecure", "--docker", "host=tcp://10.9.8.7:2376,skip-tls-verify=true"},
	} {
		if out, err := run(t, nil, args...); err != nil {
			t.Fatalf("docker %s: %v %s", strings.Join(args, " "), err, out)
		}
	}

	cases := []struct {
		name   string
		config string // config.json content; "" leaves it as the CLI wrote it
		vars   map[string]string
	}{
		{name: "nothing set"},
		{name: "DOCKER_HOST tcp without port", vars: map[string]string{"DOCKER_HOST": "tcp://10.1.1.1"}},
		{name: "DOCKER_HOST without scheme", vars: map[string]string{"DOCKER_HOST": "10.1.1.1:2376"}},
		{name: "DOCKER_HOST unix", vars: map[string]string{"DOCKER_HOST": "unix:///run/user/1000/docker.sock"}},
		{name: "DOCKER_CONTEXT", vars: map[string]string{"DOCKER_CONTEXT": "colima"}},
		{name: "DOCKER_HOST beats DOCKER_CONTEXT", vars: map[string]string{"DOCKER_CONTEXT": "colima", "DOCKER_HOST": "tcp://10.1.1.1:2375"}},
		{name: "current context", config: `{"currentContext":"colima"}`},
		{name: "DOCKER_CONTEXT beats current context", config: `{"currentContext":"colima"}`, vars: map[string]string{"DOCKER_CONTEXT": "remote"}},
		{name: "DOCKER_CONTEXT=default beats current context", config: `{"currentContext":"colima"}`, vars: map[string]string{"DOCKER_CONTEXT": "default"}},
		{name: "current context default", config: `{"currentContext":"default"}`},
		{name: "context with TLS", vars: map[string]string{"DOCKER_CONTEXT": "insecure"}},
		{name: "broken config file", config: `{"currentContext":`},
		{name: "TLS verify without DOCKER_HOST", vars: map[string]string{"DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": certs}},
		{name: "TLS without verify", vars: map[string]string{"DOCKER_TLS": "1", "DOCKER_CERT_PATH": certs, "DOCKER_HOST": "tcp://10.1.1.1:2376"}},
		{name: "unknown context", vars: map[string]string{"DOCKER_CONTEXT": "nosuch"}},
		{name: "TLS verify without CA", vars: map[string]string{"DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": t.TempDir()}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.config != "" {
				m.writeConfig(t, c.config)
				defer os.Remove(filepath.Join(m.configDir, "config.json"))
			}
			// No argument: the current context, after DOCKER_HOST and
			// DOCKER_CONTEXT are applied.
			cliOut, cliErr := run(t, c.vars, "context", "inspect", "--format", "{{.Name}}|{{.Endpoints.docker.Host}}|{{.Endpoints.docker.SkipTLSVerify}}")
			m.vars = c.vars
			if m.vars == nil {
				m.vars = map[string]string{}
			}
			ep, err := ResolveIn(m.env("linux"))
			if (cliErr != nil) != (err != nil) {
				t.Fatalf("docker CLI: %q, %v; ResolveIn: %+v, %v", cliOut, cliErr, ep, err)
			}
			if err != nil {
				return
			}
			skip := ep.TLS != nil && ep.TLS.SkipVerify
			got := strings.Join([]string{ep.Context, ep.Host, map[bool]string{true: "true", false: "false"}[skip]}, "|")
			if got != cliOut {
				t.Errorf("docker CLI says %q, ResolveIn says %q (%+v)", cliOut, got, ep)
			}
		})
	}
}
