//go:build !windows

package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// buildMachine is a machine of its own for DetectDockerBuild: a home, a
// PATH and the system plugin folders, all in a temp dir.
type buildMachine struct {
	t      *testing.T
	home   string
	bin    string
	system string
	vars   map[string]string
}

func newBuildMachine(t *testing.T, withCLI bool) *buildMachine {
	t.Helper()
	root := t.TempDir()
	m := &buildMachine{t: t, home: filepath.Join(root, "home"), bin: filepath.Join(root, "bin"), system: filepath.Join(root, "usr-lib-docker-cli-plugins"), vars: map[string]string{}}
	for _, d := range []string{m.home, m.bin, m.system} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	m.vars["PATH"] = m.bin
	if withCLI {
		m.script(filepath.Join(m.bin, "docker"), "exit 0")
	}
	saved := unixSystemPluginDirs
	unixSystemPluginDirs = []string{m.system}
	t.Cleanup(func() { unixSystemPluginDirs = saved })
	return m
}

func (m *buildMachine) script(path, body string) {
	m.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		m.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		m.t.Fatal(err)
	}
}

// plugin writes a docker-NAME in dir that answers the metadata command as
// buildx does.
func (m *buildMachine) plugin(dir, name, version string) string {
	p := filepath.Join(dir, "docker-"+name)
	m.script(p, `[ "$1" = docker-cli-plugin-metadata ] || exit 2
echo '{"SchemaVersion":"0.1.0","Vendor":"Docker Inc.","Version":"`+version+`","ShortDescription":"Docker Buildx"}'`)
	return p
}

func (m *buildMachine) config(dir, json string) {
	m.t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		m.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(json), 0o644); err != nil {
		m.t.Fatal(err)
	}
}

func (m *buildMachine) detect(daemon daemonBuildFacts) DockerBuild {
	env := Environ{Getenv: func(k string) string { return m.vars[k] }, Home: m.home, GOOS: Linux}
	return detectDockerBuild(context.Background(), env, daemon)
}

func TestDetectDockerBuild(t *testing.T) {
	tests := []struct {
		name        string
		setup       func(m *buildMachine)
		noCLI       bool
		daemon      daemonBuildFacts
		want        LocalBuilder
		wantPlugin  bool
		basisSaying string
	}{
		{name: "no docker CLI", noCLI: true, want: LocalNoCLI, basisSaying: "no docker CLI"},
		{name: "CLI without plugins", want: LocalLegacy, basisSaying: "finds no buildx plugin"},
		{name: "buildx in ~/.docker/cli-plugins", want: LocalBuildKit, wantPlugin: true,
			setup: func(m *buildMachine) { m.plugin(filepath.Join(m.home, ".docker", "cli-plugins"), "buildx", "v0.38.2") }},
		{name: "buildx in a system folder", want: LocalBuildKit, wantPlugin: true,
			setup: func(m *buildMachine) { m.plugin(m.system, "buildx", "v0.38.2") }},
		{name: "DOCKER_CONFIG replaces ~/.docker", want: LocalLegacy, basisSaying: "finds no buildx plugin",
			setup: func(m *buildMachine) {
				m.plugin(filepath.Join(m.home, ".docker", "cli-plugins"), "buildx", "v0.38.2")
				m.vars["DOCKER_CONFIG"] = filepath.Join(m.home, "elsewhere")
			}},
		{name: "buildx under DOCKER_CONFIG", want: LocalBuildKit, wantPlugin: true,
			setup: func(m *buildMachine) {
				m.vars["DOCKER_CONFIG"] = filepath.Join(m.home, "cfg")
				m.plugin(filepath.Join(m.home, "cfg", "cli-plugins"), "buildx", "v0.38.2")
			}},
		{name: "buildx in cliPluginsExtraDirs", want: LocalBuildKit, wantPlugin: true,
			setup: func(m *buildMachine) {
				extra := filepath.Join(m.home, "brew", "lib", "docker", "cli-plugins")
				m.plugin(extra, "buildx", "v0.38.2")
				m.config(filepath.Join(m.home, ".docker"), `{"cliPluginsExtraDirs": ["`+extra+`"]}`)
			}},
		{name: "DOCKER_BUILDKIT=0 with buildx", want: LocalLegacy, basisSaying: "DOCKER_BUILDKIT=0",
			setup: func(m *buildMachine) {
				m.plugin(filepath.Join(m.home, ".docker", "cli-plugins"), "buildx", "v0.38.2")
				m.vars["DOCKER_BUILDKIT"] = "0"
			}},
		{name: "DOCKER_BUILDKIT=1 without buildx", want: LocalBroken, basisSaying: "DOCKER_BUILDKIT=1",
			setup: func(m *buildMachine) { m.vars["DOCKER_BUILDKIT"] = "1" }},
		{name: "DOCKER_BUILDKIT not a boolean", want: LocalBroken, basisSaying: "not true or false",
			setup: func(m *buildMachine) { m.vars["DOCKER_BUILDKIT"] = "yes please" }},
		{name: "a plugin that does not run", want: LocalLegacy, basisSaying: "does not run",
			setup: func(m *buildMachine) {
				m.script(filepath.Join(m.home, ".docker", "cli-plugins", "docker-buildx"), "exit 1")
			}},
		{name: "a plugin with no vendor", want: LocalLegacy, basisSaying: "rejects",
			setup: func(m *buildMachine) {
				m.script(filepath.Join(m.home, ".docker", "cli-plugins", "docker-buildx"), `echo '{"SchemaVersion":"0.1.0"}'`)
			}},
		{name: "a builder alias to a missing plugin", want: LocalBroken, basisSaying: `names "mybuilder"`,
			setup: func(m *buildMachine) {
				m.plugin(filepath.Join(m.home, ".docker", "cli-plugins"), "buildx", "v0.38.2")
				m.config(filepath.Join(m.home, ".docker"), `{"aliases": {"builder": "mybuilder"}}`)
			}},
		{name: "a Windows daemon without BuildKit", want: LocalLegacy, basisSaying: "Windows",
			daemon: daemonBuildFacts{OS: "windows"},
			setup:  func(m *buildMachine) { m.plugin(filepath.Join(m.home, ".docker", "cli-plugins"), "buildx", "v0.38.2") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newBuildMachine(t, !tc.noCLI)
			if tc.setup != nil {
				tc.setup(m)
			}
			got := m.detect(tc.daemon)
			if got.Builder != tc.want {
				t.Fatalf("builder = %q, want %q (basis: %s)", got.Builder, tc.want, got.Basis)
			}
			if !strings.Contains(got.Basis, tc.basisSaying) {
				t.Errorf("basis %q does not say %q", got.Basis, tc.basisSaying)
			}
			if tc.wantPlugin && (got.Plugin == "" || got.PluginVersion != "v0.38.2") {
				t.Errorf("plugin = %q %q, want a docker-buildx that says v0.38.2", got.Plugin, got.PluginVersion)
			}
			problems := dockerBuildProblems(got, true)
			if (len(problems) == 0) != (tc.want == LocalBuildKit) {
				t.Errorf("doctor's problems for %s: %+v", got.Builder, problems)
			}
		})
	}
}

// The first plugin folder wins, as in the CLI: an extra dir before
// ~/.docker/cli-plugins.
func TestDetectDockerBuildTakesTheFirstPlugin(t *testing.T) {
	m := newBuildMachine(t, true)
	extra := filepath.Join(m.home, "extra")
	want := m.plugin(extra, "buildx", "v0.38.2")
	m.script(filepath.Join(m.home, ".docker", "cli-plugins", "docker-buildx"), "exit 1")
	m.config(filepath.Join(m.home, ".docker"), `{"cliPluginsExtraDirs": ["`+extra+`"]}`)
	if got := m.detect(daemonBuildFacts{}); got.Builder != LocalBuildKit || got.Plugin != want {
		t.Fatalf("got %+v, want BuildKit through %s", got, want)
	}
}

func TestDoctorTextSaysWhatDockerBuildIs(t *testing.T) {
	m := newBuildMachine(t, true)
	r := Report{Reachable: true, Problems: dockerBuildProblems(m.detect(daemonBuildFacts{}), true), DockerBuild: m.detect(daemonBuildFacts{}), ClientOS: Linux}
	var b strings.Builder
	if err := WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Your docker build", "legacy builder", "--secret", "docker buildx version", "the tutor's own builds (r)"} {
		if !strings.Contains(strings.ToLower(b.String()), strings.ToLower(want)) {
			t.Errorf("doctor's text does not say %q:\n%s", want, b.String())
		}
	}
}

// On an engine without BuildKit (Podman's) the warning does not promise
// that the tutor's own builds have it.
func TestDockerBuildWarningPromisesOnlyWhatTheEngineHas(t *testing.T) {
	legacy := DockerBuild{Builder: LocalLegacy}
	with, without := dockerBuildProblems(legacy, true)[0].Message, dockerBuildProblems(legacy, false)[0].Message
	if !strings.Contains(with, "use BuildKit through the API regardless; to build secret mounts by hand") {
		t.Errorf("with BuildKit: %q", with)
	}
	if strings.Contains(without, "tutor's own builds") || !strings.Contains(without, "refused. To build secret mounts by hand") {
		t.Errorf("without BuildKit: %q", without)
	}
}
