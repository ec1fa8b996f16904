//go:build !windows

package engine

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
)

// buildxPluginEnv names a buildx binary (.ci/buildx builds it) for the
// test that holds DetectDockerBuild to what the machine's docker CLI
// really does.
const buildxPluginEnv = dockertest.BuildxEnv

// The ground truth: with the buildx plugin in a private DOCKER_CONFIG,
// DetectDockerBuild says BuildKit and the docker CLI builds a secret
// mount; without it, it says legacy and the CLI refuses --secret.
func TestDetectDockerBuildAgreesWithTheDockerCLI(t *testing.T) {
	plugin := os.Getenv(buildxPluginEnv)
	if plugin == "" {
		t.Skipf("%s names no buildx binary", buildxPluginEnv)
	}
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("no docker CLI on the PATH")
	}
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	ctx := context.Background()
	tag := dockertest.Namespace(t).Image("dockertutor/buildxprobe") + ":1"
	t.Cleanup(func() { cli.ImageRemove(context.Background(), tag, client.ImageRemoveOptions{}) })

	dir := dockertest.WriteFiles(t, map[string]string{
		"Dockerfile": "FROM alpine:3.22\nRUN --mount=type=secret,id=repo,required=true test -s /run/secrets/repo\n",
		"token":      "canary-buildx-probe\n",
	})
	build := func(config string) (string, error) {
		cmd := exec.CommandContext(ctx, "docker", "build", "--secret", "id=repo,src="+filepath.Join(dir, "token"), "-t", tag, dir)
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+config, "DOCKER_BUILDKIT=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	detect := func(config string) DockerBuild {
		env := OSEnviron()
		getenv := env.Getenv
		env.Getenv = func(k string) string {
			switch k {
			case "DOCKER_CONFIG":
				return config
			case "DOCKER_BUILDKIT":
				return ""
			}
			return getenv(k)
		}
		return detectDockerBuild(ctx, env, daemonBuildFacts{})
	}

	without := t.TempDir()
	if got := detect(without); got.Builder != LocalLegacy {
		t.Skipf("this machine's docker CLI finds a builder plugin outside DOCKER_CONFIG (%s): %s", got.Builder, got.Basis)
	}
	if out, err := build(without); err == nil || !strings.Contains(out, "unknown flag: --secret") {
		t.Errorf("without buildx, docker build --secret: err %v, output:\n%s", err, out)
	}

	with := t.TempDir()
	if err := os.MkdirAll(filepath.Join(with, "cli-plugins"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(plugin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(with, "cli-plugins", "docker-buildx"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	got := detect(with)
	if got.Builder != LocalBuildKit || got.PluginVersion == "" {
		t.Fatalf("with buildx: %+v", got)
	}
	if out, err := build(with); err != nil {
		t.Errorf("with buildx, docker build --secret failed: %v\n%s", err, out)
	}
}
