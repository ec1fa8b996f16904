package check

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/lessons"
)

// buildClassic builds dockerfile with the classic builder, tagged tag, and
// returns the image ID.
func buildClassic(t *testing.T, cli *client.Client, tag, dockerfile string, noCache bool) string {
	t.Helper()
	ctxTar, err := dockertest.TarFiles(map[string][]byte{"Dockerfile": []byte(dockerfile)})
	if err != nil {
		t.Fatal(err)
	}
	res, err := cli.ImageBuild(context.Background(), ctxTar, client.ImageBuildOptions{
		Tags: []string{tag}, NoCache: noCache, Remove: true, ForceRemove: true, NetworkMode: "none",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var id string
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		var msg struct {
			Aux *struct {
				ID string
			} `json:"aux"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil {
			continue
		}
		if msg.ErrorDetail != nil {
			t.Fatalf("build %s: %s", tag, msg.ErrorDetail.Message)
		}
		if msg.Aux != nil && msg.Aux.ID != "" {
			id = msg.Aux.ID
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if id == "" {
		t.Fatalf("build %s gave no image ID", tag)
	}
	return id
}

// A rebuild from the cache after the step opened counts as fresh, even
// though it yields the very image built before: the learner did build.
// Docker 20.10 moves the image's LastTagTime; the containerd image store
// (Docker 29) keeps it and only logs a tag event.
func TestImageFreshAfterCachedRebuild(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the clock slack")
	}
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	suffix := make([]byte, 4)
	rand.Read(suffix)
	name := "dttest-check/fresh-" + hex.EncodeToString(suffix)
	base, tag := name+"-base:latest", name+":latest"
	t.Cleanup(func() {
		for _, ref := range []string{tag, base} {
			cli.ImageRemove(context.Background(), ref, client.ImageRemoveOptions{Force: true, PruneChildren: true})
		}
	})
	// The cached builds start from a base of this test's own: the classic
	// builder's cache lookup reads every child of the base image, and on
	// the containerd image store it fails the build when another test
	// removes one of them meanwhile (Docker 29: "unable to find image").
	buildClassic(t, cli, base, "FROM alpine:3.22\nLABEL org.dockertutor.test="+name+"\n", true)
	dockerfile := "FROM " + base + "\nRUN echo built > /built-by\n"
	first := buildClassic(t, cli, tag, dockerfile, false)

	// Open the step well after the first build: the check allows
	// clockSlack between this machine's clock and the daemon's.
	time.Sleep(clockSlack + time.Second)
	env := Env{Docker: cli, Began: time.Now()}
	spec := &lessons.ImageFresh{Image: tag}
	if f := imageFresh(context.Background(), env, spec); f.outcome != Fail {
		t.Fatalf("before the rebuild: %s %q, want failed", f.outcome, f.message)
	}

	second := buildClassic(t, cli, tag, dockerfile, false)
	if second != first {
		t.Fatalf("the rebuild made %s, not the cached %s: the test proves nothing", second, first)
	}
	f := imageFresh(context.Background(), env, spec)
	if f.outcome != Pass {
		t.Fatalf("after a rebuild from the cache: %s %q %v, want passed", f.outcome, f.message, f.evidence)
	}
	if len(f.evidence) == 0 || !strings.Contains(f.evidence[0].Detail, "step opened") {
		t.Fatalf("evidence %v does not say when the step opened", f.evidence)
	}
	t.Log(f.message, f.evidence)
}
