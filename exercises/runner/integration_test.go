package runner_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/labels"
	"github.com/dockertutor/dockertutor/exercises/runner"
)

const image = "alpine:3.22"

// Every container these tests make belongs to a course named with this
// prefix and a random part, so its name is unique, and is removed in
// t.Cleanup.
const prefix = "dttest-runner-"

func setup(t *testing.T) (*client.Client, runner.Options) {
	t.Helper()
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, image)
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	opts := runner.Options{Course: prefix + hex.EncodeToString(b), Step: "step", Image: image, Timeout: 30 * time.Second}
	name := runner.ContainerName(opts.Course, opts.Step)
	t.Cleanup(func() {
		_, err := cli.ContainerRemove(context.Background(), name, client.ContainerRemoveOptions{Force: true})
		if err != nil && !cerrdefs.IsNotFound(err) {
			t.Logf("remove %s: %v", name, err)
		}
	})
	return cli, opts
}

func tctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func exists(t *testing.T, cli *client.Client, id string) bool {
	t.Helper()
	_, err := cli.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
	if cerrdefs.IsNotFound(err) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

func TestRuntimeEnvIsInTheContainerNotTheImage(t *testing.T) {
	t.Parallel()
	cli, opts := setup(t)
	canary := prefix + "canary"
	opts.Env = []runner.EnvVar{{Name: "API_TOKEN", Value: canary, Secret: true}}
	opts.Cmd = []string{"sh", "-c", "echo token=$API_TOKEN"}
	res, err := runner.Run(tctx(t), cli, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stdout != "token="+canary+"\n" || res.ExitCode != 0 {
		t.Errorf("result %+v", res)
	}
	c, err := cli.ContainerInspect(tctx(t), res.ContainerID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("the container was not kept: %v", err)
	}
	if !slices.Contains(c.Container.Config.Env, "API_TOKEN="+canary) {
		t.Errorf("container env %v lacks the runtime variable", c.Container.Config.Env)
	}
	if l := c.Container.Config.Labels; !labels.Owned(l) || l[labels.Course] != opts.Course || l[labels.Step] != opts.Step {
		t.Errorf("container labels %v", l)
	}
	img, err := cli.ImageInspect(tctx(t), image)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range img.Config.Env {
		if strings.HasPrefix(e, "API_TOKEN=") {
			t.Errorf("the image config has %s", e)
		}
	}
}

func TestExitCodeAndLines(t *testing.T) {
	t.Parallel()
	cli, opts := setup(t)
	opts.Cmd = []string{"sh", "-c", "echo one; echo two >&2; sleep 0.2; echo three; exit 7"}
	var mu sync.Mutex
	var got []runner.Line
	res, err := runner.Run(tctx(t), cli, opts, func(l runner.Line) {
		mu.Lock()
		got = append(got, l)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 7 {
		t.Errorf("exit code %d, want 7", res.ExitCode)
	}
	// The daemon copies stdout and stderr on their own; only each
	// stream's order is certain.
	var stdout, stderr []string
	for _, l := range got {
		if l.Stderr {
			stderr = append(stderr, l.Text)
		} else {
			stdout = append(stdout, l.Text)
		}
	}
	if !slices.Equal(stdout, []string{"one", "three"}) || !slices.Equal(stderr, []string{"two"}) {
		t.Errorf("lines %+v, want one and three on stdout, two on stderr", got)
	}
	if res.Stdout != "one\nthree\n" || res.Stderr != "two\n" {
		t.Errorf("stdout %q stderr %q", res.Stdout, res.Stderr)
	}
}

func TestTimeoutBoundsTheRun(t *testing.T) {
	t.Parallel()
	cli, opts := setup(t)
	opts.Cmd = []string{"sleep", "30"}
	opts.Timeout = time.Second
	start := time.Now()
	res, err := runner.Run(tctx(t), cli, opts, nil)
	took := time.Since(start)
	t.Logf("a 1s time bound returned after %v", took.Round(time.Millisecond))
	if !errors.Is(err, runner.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	// Kill and exit take the daemon well under a second when idle,
	// several seconds on a loaded machine.
	if took > 30*time.Second {
		t.Errorf("returned after %v", took)
	}
	c, err := cli.ContainerInspect(tctx(t), res.ContainerID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("the timed-out container was not kept: %v", err)
	}
	if c.Container.State.Running || res.ExitCode != 137 {
		t.Errorf("state %+v exit %d, want killed", c.Container.State, res.ExitCode)
	}
}

func TestReplacesTheStepsPreviousContainer(t *testing.T) {
	t.Parallel()
	cli, opts := setup(t)
	opts.Cmd = []string{"true"}
	first, err := runner.Run(tctx(t), cli, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := runner.Run(tctx(t), cli, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.ContainerID == second.ContainerID || exists(t, cli, first.ContainerID) || !exists(t, cli, second.ContainerID) {
		t.Errorf("first %s exists %v, second %s exists %v", first.ContainerID, exists(t, cli, first.ContainerID), second.ContainerID, exists(t, cli, second.ContainerID))
	}

	// A container of the same name that the tutor did not make stays.
	if _, err := cli.ContainerRemove(tctx(t), second.ContainerID, client.ContainerRemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	foreign, err := cli.ContainerCreate(tctx(t), client.ContainerCreateOptions{Name: second.Name, Image: image})
	if err != nil {
		t.Fatal(err)
	}
	_, err = runner.Run(tctx(t), cli, opts, nil)
	if err == nil || !strings.Contains(err.Error(), "dockertutor did not make it") {
		t.Errorf("err = %v, want a refusal", err)
	}
	if !exists(t, cli, foreign.ID) {
		t.Errorf("the learner's container was removed")
	}
}

func TestCancelRemovesTheContainer(t *testing.T) {
	t.Parallel()
	cli, opts := setup(t)
	opts.Cmd = []string{"sh", "-c", "echo started; sleep 30"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelledAt time.Time
	res, err := runner.Run(ctx, cli, opts, func(l runner.Line) {
		if l.Text == "started" {
			cancelledAt = time.Now()
			cancel()
		}
	})
	t.Logf("Run returned %v after the cancel", time.Since(cancelledAt).Round(time.Millisecond))
	if !errors.Is(err, runner.ErrAborted) {
		t.Fatalf("err = %v, want ErrAborted", err)
	}
	if res.ContainerID == "" || exists(t, cli, res.ContainerID) || !res.Removed {
		t.Errorf("container %q still exists or not reported removed (%+v)", res.ContainerID, res)
	}
}
