package engine

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// machine is a fake home with a CLI config directory, and the variables a
// test sets.
type machine struct {
	home, configDir string
	vars            map[string]string
}

func newMachine(t *testing.T) *machine {
	t.Helper()
	home := t.TempDir()
	m := &machine{home: home, configDir: filepath.Join(home, ".docker"), vars: map[string]string{}}
	if err := os.MkdirAll(m.configDir, 0o755); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m *machine) env(goos string) Environ {
	return Environ{Getenv: func(k string) string { return m.vars[k] }, Home: m.home, GOOS: goos}
}

func (m *machine) writeConfig(t *testing.T, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(m.configDir, "config.json"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeContext lays out a context as `docker context create` does.
func (m *machine) writeContext(t *testing.T, name, host string, skipVerify bool, tlsFiles ...string) {
	t.Helper()
	meta := map[string]any{
		"Name":      name,
		"Metadata":  map[string]any{},
		"Endpoints": map[string]any{"docker": map[string]any{"Host": host, "SkipTLSVerify": skipVerify}},
	}
	data, _ := json.Marshal(meta)
	dir := filepath.Join(m.configDir, "contexts", "meta", ContextDirName(name))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if len(tlsFiles) > 0 {
		tlsDir := filepath.Join(m.configDir, "contexts", "tls", ContextDirName(name), "docker")
		if err := os.MkdirAll(tlsDir, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, f := range tlsFiles {
			if err := os.WriteFile(filepath.Join(tlsDir, f), []byte("pem"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func mustResolve(t *testing.T, env Environ) Endpoint {
	t.Helper()
	ep, err := ResolveIn(env)
	if err != nil {
		t.Fatalf("ResolveIn: %v", err)
	}
	return ep
}

func TestContextDirNameIsSHA256OfName(t *testing.T) {
	// Written by `docker context create colima` (docker CLI 28.2).
	const want = "f24fd3749c1368328e2b149bec149cb6795619f244c5b584e844961215dadd16"
	if got := ContextDirName("colima"); got != want {
		t.Errorf("ContextDirName(colima) = %s, want %s", got, want)
	}
}

func TestResolvePlatformDefault(t *testing.T) {
	m := newMachine(t)
	ep := mustResolve(t, m.env("linux"))
	if ep.Host != "unix:///var/run/docker.sock" || ep.Origin != FromDefault || ep.Source != "default socket" || ep.Context != "default" || ep.TLS != nil {
		t.Errorf("linux default = %+v", ep)
	}
	ep = mustResolve(t, m.env("windows"))
	if ep.Host != "npipe:////./pipe/docker_engine" || ep.Source != "default named pipe" {
		t.Errorf("windows default = %+v", ep)
	}
	if want := filepath.Join(m.configDir, "config.json"); ep.ConfigFile != want {
		t.Errorf("ConfigFile = %s, want %s", ep.ConfigFile, want)
	}
}

func TestResolvePrecedence(t *testing.T) {
	m := newMachine(t)
	m.writeContext(t, "fromconfig", "unix:///run/config.sock", false)
	m.writeContext(t, "fromenv", "unix:///run/env.sock", false)
	m.writeConfig(t, `{"auths":{},"currentContext":"fromconfig"}`)

	ep := mustResolve(t, m.env("linux"))
	if ep.Host != "unix:///run/config.sock" || ep.Origin != FromConfigFile || ep.Context != "fromconfig" {
		t.Fatalf("config only: %+v", ep)
	}
	if want := `context "fromconfig" (current context in ~/.docker/config.json)`; ep.Source != want {
		t.Errorf("Source = %q, want %q", ep.Source, want)
	}
	if want := filepath.Join(m.configDir, "contexts", "meta", ContextDirName("fromconfig"), "meta.json"); ep.MetaFile != want {
		t.Errorf("MetaFile = %s, want %s", ep.MetaFile, want)
	}

	m.vars["DOCKER_CONTEXT"] = "fromenv"
	ep = mustResolve(t, m.env("linux"))
	if ep.Host != "unix:///run/env.sock" || ep.Origin != FromDockerContext || ep.Source != `context "fromenv" (DOCKER_CONTEXT)` {
		t.Fatalf("DOCKER_CONTEXT over config: %+v", ep)
	}

	m.vars["DOCKER_HOST"] = "unix:///run/host.sock"
	ep = mustResolve(t, m.env("linux"))
	if ep.Host != "unix:///run/host.sock" || ep.Origin != FromDockerHost || ep.Source != "DOCKER_HOST" || ep.Context != "default" {
		t.Fatalf("DOCKER_HOST over everything: %+v", ep)
	}
}

func TestResolveDockerConfigVariable(t *testing.T) {
	m := newMachine(t)
	elsewhere := t.TempDir()
	m.vars["DOCKER_CONFIG"] = elsewhere
	// A context under ~/.docker must be ignored once DOCKER_CONFIG points
	// elsewhere.
	m.writeContext(t, "home", "unix:///run/home.sock", false)
	m.writeConfig(t, `{"currentContext":"home"}`)
	if err := os.WriteFile(filepath.Join(elsewhere, "config.json"), []byte(`{"currentContext":"other"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	meta := filepath.Join(elsewhere, "contexts", "meta", ContextDirName("other"))
	if err := os.MkdirAll(meta, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(meta, "meta.json"), []byte(`{"Name":"other","Endpoints":{"docker":{"Host":"tcp://10.1.2.3:2375"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ep := mustResolve(t, m.env("linux"))
	if ep.Host != "tcp://10.1.2.3:2375" || ep.Context != "other" {
		t.Fatalf("DOCKER_CONFIG ignored: %+v", ep)
	}
	if !strings.Contains(ep.Source, filepath.Join(elsewhere, "config.json")) {
		t.Errorf("Source %q does not name %s", ep.Source, filepath.Join(elsewhere, "config.json"))
	}
	if ep.TLS != nil {
		t.Errorf("a tcp context without TLS files got TLS %+v", ep.TLS)
	}
}

func TestResolveContextNamedDefaultIsThePlatformDefault(t *testing.T) {
	m := newMachine(t)
	m.writeConfig(t, `{"currentContext":"default"}`)
	ep := mustResolve(t, m.env("linux"))
	if ep.Host != "unix:///var/run/docker.sock" || ep.Origin != FromConfigFile || ep.Context != "default" {
		t.Fatalf("currentContext default: %+v", ep)
	}
	if !strings.HasPrefix(ep.Source, "default socket") {
		t.Errorf("Source = %q", ep.Source)
	}
	m.vars["DOCKER_CONTEXT"] = "default"
	ep = mustResolve(t, m.env("windows"))
	if ep.Host != "npipe:////./pipe/docker_engine" || ep.Source != "default named pipe (DOCKER_CONTEXT=default)" {
		t.Fatalf("DOCKER_CONTEXT=default on windows: %+v", ep)
	}
}

func TestResolveUnknownContextNamesTheFile(t *testing.T) {
	m := newMachine(t)
	m.vars["DOCKER_CONTEXT"] = "nosuch"
	ep, err := ResolveIn(m.env("linux"))
	var re *ResolveError
	if !errors.As(err, &re) {
		t.Fatalf("want *ResolveError, got %v", err)
	}
	want := filepath.Join(m.configDir, "contexts", "meta", ContextDirName("nosuch"), "meta.json")
	if re.File != want || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "no such context") {
		t.Errorf("error %q does not name %s", err, want)
	}
	if ep.Context != "nosuch" || ep.Origin != FromDockerContext {
		t.Errorf("endpoint on error should say what was tried: %+v", ep)
	}
	if Classify(err) != ClassConfig {
		t.Errorf("class = %s, want config", Classify(err))
	}
}

func TestResolveBrokenMetaJSON(t *testing.T) {
	for name, content := range map[string]string{
		"not json":         `{"Name":"broken","Endpoints":`,
		"no docker":        `{"Name":"broken","Endpoints":{"kubernetes":{}}}`,
		"docker not a map": `{"Name":"broken","Endpoints":{"docker":"unix:///x"}}`,
		"host no scheme":   `{"Name":"broken","Endpoints":{"docker":{"Host":"/var/run/docker.sock"}}}`,
		"host bad scheme":  `{"Name":"broken","Endpoints":{"docker":{"Host":"http://localhost:2375"}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			m := newMachine(t)
			dir := filepath.Join(m.configDir, "contexts", "meta", ContextDirName("broken"))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, "meta.json")
			if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			m.writeConfig(t, `{"currentContext":"broken"}`)
			_, err := ResolveIn(m.env("linux"))
			var re *ResolveError
			if !errors.As(err, &re) || re.File != file || !strings.Contains(err.Error(), file) {
				t.Fatalf("want a ResolveError naming %s, got %v", file, err)
			}
		})
	}
}

func TestResolveEmptyContextHostMeansDefault(t *testing.T) {
	// The CLI leaves the client on its default when Host is empty.
	m := newMachine(t)
	m.writeContext(t, "empty", "", false)
	m.vars["DOCKER_CONTEXT"] = "empty"
	if ep := mustResolve(t, m.env("linux")); ep.Host != "unix:///var/run/docker.sock" {
		t.Errorf("Host = %s", ep.Host)
	}
}

func TestResolveBrokenConfigFileIsOnlyAWarning(t *testing.T) {
	m := newMachine(t)
	m.writeConfig(t, `{"currentContext": `)
	ep := mustResolve(t, m.env("linux"))
	if ep.Host != "unix:///var/run/docker.sock" || ep.Origin != FromDefault {
		t.Errorf("broken config.json should fall back to the default like the CLI: %+v", ep)
	}
	if len(ep.Warnings) != 1 || !strings.Contains(ep.Warnings[0], filepath.Join(m.configDir, "config.json")) {
		t.Errorf("warnings %q should name the file", ep.Warnings)
	}
}

func TestResolveDockerHostForms(t *testing.T) {
	for in, want := range map[string]string{
		"unix:///run/user/1000/docker.sock": "unix:///run/user/1000/docker.sock",
		"unix://":                           "unix:///var/run/docker.sock",
		"/run/docker.sock":                  "unix:///run/docker.sock",
		"tcp://10.0.0.5":                    "tcp://10.0.0.5:2375",
		"tcp://10.0.0.5:2376":               "tcp://10.0.0.5:2376",
		"10.0.0.5:2376":                     "tcp://10.0.0.5:2376",
		"tcp://:2376":                       "tcp://localhost:2376",
		"tcp://[::1]:2376":                  "tcp://[::1]:2376",
		"  tcp://host.example  ":            "tcp://host.example:2375",
		"npipe:////./pipe/podman":           "npipe:////./pipe/podman",
		"ssh://me@build.example":            "ssh://me@build.example",
	} {
		m := newMachine(t)
		m.vars["DOCKER_HOST"] = in
		ep, err := ResolveIn(m.env("linux"))
		if err != nil || ep.Host != want {
			t.Errorf("DOCKER_HOST=%q: got %q, %v; want %q", in, ep.Host, err, want)
		}
	}
	for _, bad := range []string{"http://localhost:2375", "tcp://a://b", "tcp://host:notaport", "unix://x://y"} {
		m := newMachine(t)
		m.vars["DOCKER_HOST"] = bad
		_, err := ResolveIn(m.env("linux"))
		var re *ResolveError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), "DOCKER_HOST="+bad) {
			t.Errorf("DOCKER_HOST=%q: want a ResolveError naming it, got %v", bad, err)
		}
	}
}

func writeCertDir(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("pem"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestResolveTLSFromEnvironment(t *testing.T) {
	t.Run("verify with cert path", func(t *testing.T) {
		m := newMachine(t)
		certs := writeCertDir(t, "ca.pem", "cert.pem", "key.pem")
		m.vars["DOCKER_HOST"] = "tcp://docker.example:2376"
		m.vars["DOCKER_TLS_VERIFY"] = "1"
		m.vars["DOCKER_CERT_PATH"] = certs
		ep := mustResolve(t, m.env("linux"))
		want := TLS{CAFile: filepath.Join(certs, "ca.pem"), CertFile: filepath.Join(certs, "cert.pem"), KeyFile: filepath.Join(certs, "key.pem")}
		if ep.TLS == nil || *ep.TLS != want {
			t.Errorf("TLS = %+v, want %+v", ep.TLS, want)
		}
	})
	t.Run("DOCKER_TLS without verify, no client cert", func(t *testing.T) {
		m := newMachine(t)
		certs := writeCertDir(t, "ca.pem")
		m.vars["DOCKER_HOST"] = "tcp://docker.example:2376"
		m.vars["DOCKER_TLS"] = "1"
		m.vars["DOCKER_CERT_PATH"] = certs
		ep := mustResolve(t, m.env("linux"))
		if ep.TLS == nil || !ep.TLS.SkipVerify || ep.TLS.CertFile != "" || ep.TLS.KeyFile != "" {
			t.Errorf("TLS = %+v", ep.TLS)
		}
	})
	t.Run("cert path defaults to the config dir", func(t *testing.T) {
		m := newMachine(t)
		if err := os.WriteFile(filepath.Join(m.configDir, "ca.pem"), []byte("pem"), 0o600); err != nil {
			t.Fatal(err)
		}
		m.vars["DOCKER_HOST"] = "tcp://docker.example:2376"
		m.vars["DOCKER_TLS_VERIFY"] = "1"
		ep := mustResolve(t, m.env("linux"))
		if ep.TLS == nil || ep.TLS.CAFile != filepath.Join(m.configDir, "ca.pem") {
			t.Errorf("TLS = %+v", ep.TLS)
		}
	})
	t.Run("missing CA is an error naming it", func(t *testing.T) {
		m := newMachine(t)
		certs := writeCertDir(t, "cert.pem", "key.pem")
		m.vars["DOCKER_HOST"] = "tcp://docker.example:2376"
		m.vars["DOCKER_TLS_VERIFY"] = "1"
		m.vars["DOCKER_CERT_PATH"] = certs
		_, err := ResolveIn(m.env("linux"))
		var re *ResolveError
		if !errors.As(err, &re) || re.File != filepath.Join(certs, "ca.pem") {
			t.Errorf("want a ResolveError naming ca.pem, got %v", err)
		}
	})
	t.Run("TLS without DOCKER_HOST dials localhost:2376", func(t *testing.T) {
		m := newMachine(t)
		m.vars["DOCKER_TLS_VERIFY"] = "1"
		m.vars["DOCKER_CERT_PATH"] = writeCertDir(t, "ca.pem")
		ep := mustResolve(t, m.env("linux"))
		if ep.Host != "tcp://localhost:2376" || ep.TLS == nil || ep.TLS.SkipVerify {
			t.Errorf("endpoint = %+v", ep)
		}
	})
	t.Run("sockets never use TLS", func(t *testing.T) {
		m := newMachine(t)
		m.vars["DOCKER_HOST"] = "unix:///var/run/docker.sock"
		m.vars["DOCKER_TLS_VERIFY"] = "1"
		m.vars["DOCKER_CERT_PATH"] = writeCertDir(t, "ca.pem")
		if ep := mustResolve(t, m.env("linux")); ep.TLS != nil {
			t.Errorf("TLS on a socket: %+v", ep.TLS)
		}
	})
	t.Run("DOCKER_TLS_VERIFY=0 still verifies, with a warning", func(t *testing.T) {
		m := newMachine(t)
		m.vars["DOCKER_HOST"] = "tcp://docker.example:2376"
		m.vars["DOCKER_TLS_VERIFY"] = "0"
		m.vars["DOCKER_CERT_PATH"] = writeCertDir(t, "ca.pem")
		ep := mustResolve(t, m.env("linux"))
		if ep.TLS == nil || ep.TLS.SkipVerify || len(ep.Warnings) != 1 {
			t.Errorf("endpoint = %+v", ep)
		}
	})
}

func TestResolveTLSFromContext(t *testing.T) {
	m := newMachine(t)
	m.writeContext(t, "remote", "tcp://build.example:2376", false, "ca.pem", "cert.pem", "key.pem")
	m.writeContext(t, "insecure", "tcp://build.example:2376", true)
	m.writeContext(t, "caonly", "tcp://build.example:2376", false, "ca.pem")
	m.writeContext(t, "sock", "unix:///run/x.sock", false, "ca.pem")
	tlsDir := func(name string) string {
		return filepath.Join(m.configDir, "contexts", "tls", ContextDirName(name), "docker")
	}

	m.vars["DOCKER_CONTEXT"] = "remote"
	ep := mustResolve(t, m.env("linux"))
	want := TLS{CAFile: filepath.Join(tlsDir("remote"), "ca.pem"), CertFile: filepath.Join(tlsDir("remote"), "cert.pem"), KeyFile: filepath.Join(tlsDir("remote"), "key.pem")}
	if ep.TLS == nil || *ep.TLS != want {
		t.Errorf("remote TLS = %+v, want %+v", ep.TLS, want)
	}

	m.vars["DOCKER_CONTEXT"] = "insecure"
	if ep := mustResolve(t, m.env("linux")); ep.TLS == nil || *ep.TLS != (TLS{SkipVerify: true}) {
		t.Errorf("insecure TLS = %+v", ep.TLS)
	}

	m.vars["DOCKER_CONTEXT"] = "caonly"
	if ep := mustResolve(t, m.env("linux")); ep.TLS == nil || ep.TLS.CAFile != filepath.Join(tlsDir("caonly"), "ca.pem") || ep.TLS.CertFile != "" {
		t.Errorf("caonly TLS = %+v", ep.TLS)
	}

	m.vars["DOCKER_CONTEXT"] = "sock"
	if ep := mustResolve(t, m.env("linux")); ep.TLS != nil {
		t.Errorf("socket context got TLS %+v", ep.TLS)
	}
}

func TestResolveWarnsAboutAPIVersionPin(t *testing.T) {
	m := newMachine(t)
	m.vars["DOCKER_API_VERSION"] = "1.24"
	ep := mustResolve(t, m.env("linux"))
	if len(ep.Warnings) != 1 || !strings.Contains(ep.Warnings[0], "DOCKER_API_VERSION=1.24 is ignored") {
		t.Errorf("warnings = %q", ep.Warnings)
	}
}
