//go:build linux

package builder_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/builder"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/labels"
)

// TestBuildahCancelLeavesNothingNamed cancels a Buildah build on a real
// Podman 4.3 service while its RUN runs. Podman does not stop a build
// when the request goes: Buildah runs it to its end in the background.
// What the tutor promises still holds: Build returns at once, aborted;
// the image is never tagged, not even once the build has ended; no
// container is left, neither in the Docker API's list nor among Buildah's
// working containers (forcerm), and what the build left carries the
// tutor's labels and goes without force, as reset removes it.
func TestBuildahCancelLeavesNothingNamed(t *testing.T) {
	// A Podman service of its own and a build's whole sleep: it runs when
	// asked, in .ci/run's Podman pass.
	if os.Getenv(dockertest.RequirePodmanEnv) != "1" {
		t.Skipf("set %s=1 to cancel a build on a Podman service the test starts", dockertest.RequirePodmanEnv)
	}
	host, cli := dockertest.Podman(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	tag := unique(t) + "/cancelled:1"
	const sleep = 8 * time.Second
	dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": "FROM alpine:3.22\nRUN sleep 8\n"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := builder.Options{Course: "dttest", Step: "cancel", Dir: dir, Tags: []string{tag}, NoCache: true}
	done := startUntil(t, 2*time.Minute, func(onEvent func(builder.Event)) error {
		_, err := builder.Build(ctx, cli, o, onEvent)
		return err
	}, func(e builder.Event) bool {
		return e.Kind == builder.StepStarted && strings.Contains(e.Step, "RUN sleep")
	})
	time.Sleep(500 * time.Millisecond)
	cancelAt := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, builder.ErrAborted) || !errors.Is(err, context.Canceled) || !errors.Is(err, builder.ErrFinishesInBackground) {
			t.Errorf("err = %v, want ErrAborted", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Build did not return within 10 s of the cancel")
	}
	t.Logf("Build returned %v after the cancel", time.Since(cancelAt).Round(time.Millisecond))

	// Wait until Buildah has finished in the background: no working
	// container left, within a bound well past the step's own sleep.
	var left []string
	deadline := time.Now().Add(sleep + time.Minute)
	for {
		left = workingContainers(t, host)
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Errorf("Buildah's working containers left behind: %v", left)
	}
	t.Logf("Buildah's working containers gone %v after the cancel", time.Since(cancelAt).Round(100*time.Millisecond))
	// Whether or not a working container was ever listed, the build's
	// RUN has had its whole time to end before "never tagged" is judged.
	time.Sleep(time.Until(cancelAt.Add(sleep + 2*time.Second)))
	if _, err := cli.ImageInspect(context.Background(), tag); !cerrdefs.IsNotFound(err) {
		t.Errorf("the cancelled build's image is tagged %s after all (err %v)", tag, err)
	}
	list, err := cli.ContainerList(context.Background(), client.ContainerListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) > 0 {
		t.Errorf("containers left behind: %d", len(list.Items))
	}
	imgs, err := cli.ImageList(context.Background(), client.ImageListOptions{All: true,
		Filters: client.Filters{}.Add("label", labels.Step+"=cancel")})
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range imgs.Items {
		if len(img.RepoTags) > 0 && img.RepoTags[0] != "<none>:<none>" {
			t.Errorf("the cancelled build left a named image: %v", img.RepoTags)
		}
		if _, err := cli.ImageRemove(context.Background(), img.ID, client.ImageRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
			t.Errorf("what the cancelled build left does not go without force: %v", err)
		}
	}
	t.Logf("the cancelled build left %d untagged image(s) with the tutor's labels, removed without force", len(imgs.Items))
}

// workingContainers lists Buildah's working containers on the Podman
// service at host: Podman's own API shows them (external=true), the
// Docker API never does.
func workingContainers(t *testing.T, host string) []string {
	t.Helper()
	socket := strings.TrimPrefix(host, "unix://")
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", socket)
	}}, Timeout: 10 * time.Second}
	resp, err := hc.Get("http://podman/v4.0.0/libpod/containers/json?all=true&external=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var cs []struct {
		ID    string   `json:"Id"`
		Names []string `json:"Names"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&cs); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cs {
		names = append(names, strings.Join(c.Names, ","))
	}
	return names
}
