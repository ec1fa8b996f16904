package dockertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BuildxEnv names the buildx plugin binary the tests build with (.ci/run
// builds it from the module proxy); RequireBuildxEnv=1 makes its absence
// a failure instead of a skip.
const (
	BuildxEnv        = "DOCKERTUTOR_BUILDX_PLUGIN"
	RequireBuildxEnv = "DOCKERTUTOR_REQUIRE_BUILDX"
)

// LearnerBuilder is how a learner's own `docker build` in another
// terminal builds: the docker CLI with its environment.
type LearnerBuilder struct {
	Name string   // "buildx" or "legacy"
	Env  []string // to add to the docker CLI's environment
}

// LearnerBuilders are the two `docker build`s learners have: BuildKit
// through the buildx plugin, as every current Docker's, and the legacy
// builder of a CLI without the plugin. Each gets a DOCKER_CONFIG of its
// own, never the machine's ~/.docker. The buildx one is left out (the
// test skips it) when the plugin is not there, unless it is required.
func LearnerBuilders(t testing.TB) []LearnerBuilder {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("no docker CLI")
	}
	legacy := t.TempDir()
	builders := []LearnerBuilder{{Name: "legacy", Env: []string{"DOCKER_CONFIG=" + legacy, "DOCKER_BUILDKIT=0"}}}
	if env, ok := buildxConfig(t); ok {
		builders = append(builders, LearnerBuilder{Name: "buildx", Env: env})
	}
	return builders
}

// Buildx is the environment of a docker CLI that builds with the buildx
// plugin; the test is skipped (or fails, when required) without it.
func Buildx(t testing.TB) []string {
	t.Helper()
	env, ok := buildxConfig(t)
	if !ok {
		t.Skipf("no buildx plugin: set %s to its binary", BuildxEnv)
	}
	return env
}

func buildxConfig(t testing.TB) ([]string, bool) {
	plugin := os.Getenv(BuildxEnv)
	if _, err := os.Stat(plugin); plugin == "" || err != nil {
		if os.Getenv(RequireBuildxEnv) == "1" {
			t.Fatalf("the buildx plugin is required (%s=1) but %s=%q is not a file", RequireBuildxEnv, BuildxEnv, plugin)
		}
		return nil, false
	}
	config := t.TempDir()
	plugins := filepath.Join(config, "cli-plugins")
	if err := os.Mkdir(plugins, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(plugin, filepath.Join(plugins, "docker-buildx")); err != nil {
		t.Fatal(err)
	}
	return []string{"DOCKER_CONFIG=" + config, "DOCKER_BUILDKIT=1"}, true
}
