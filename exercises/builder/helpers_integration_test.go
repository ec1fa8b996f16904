package builder_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/builder"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/labels"
)

// Every object these tests make on the shared daemon is named with this
// prefix and a random part, and removed in t.Cleanup.
const prefix = "dttest-builder-"

func unique(t testing.TB) string {
	t.Helper()
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

func tctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// daemon returns the shared daemon with the alpine:3.22 stand-in.
func daemon(t testing.TB) *client.Client {
	t.Helper()
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	return cli
}

// newBase builds a base image of this test's own (alpine:3.22 plus a unique
// label), so that an ancestor filter finds only this test's containers,
// and removes it, with every image built on it, when the test ends.
func newBase(t *testing.T, cli *client.Client) string {
	t.Helper()
	ref := unique(t) + "-base:1"
	dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": "FROM alpine:3.22\nLABEL org.dockertutor.test.base=" + strings.TrimSuffix(ref, ":1") + "\n"})
	res, err := builder.Build(tctx(t), cli, builder.Options{Course: "dttest", Step: "base", Dir: dir, Tags: []string{ref}, Builder: builder.Classic, NoCache: true}, nil)
	if err != nil {
		t.Fatalf("build the test's base image: %v", err)
	}
	t.Cleanup(func() {
		removeDescendants(t, cli, res.ImageID)
		removeImage(t, cli, res.ImageID)
	})
	return ref
}

// removeDescendants removes the images the classic builder left on top of
// base (the committed steps of a failed build), newest first.
func removeDescendants(t *testing.T, cli *client.Client, base string) {
	ctx := context.Background()
	list, err := cli.ImageList(ctx, client.ImageListOptions{All: true})
	if err != nil {
		t.Logf("list images: %v", err)
		return
	}
	parent := map[string]string{}
	for _, img := range list.Items {
		parent[img.ID] = img.ParentID
	}
	depth := func(id string) int {
		for n := 0; id != ""; n++ {
			if id == base {
				return n
			}
			id = parent[id]
		}
		return -1
	}
	for round := 0; round < 10; round++ {
		removed := false
		for id := range parent {
			if d := depth(id); d > 0 && !hasChild(parent, id) {
				removeImage(t, cli, id)
				delete(parent, id)
				removed = true
			}
		}
		if !removed {
			return
		}
	}
}

func hasChild(parent map[string]string, id string) bool {
	for _, p := range parent {
		if p == id {
			return true
		}
	}
	return false
}

func removeImage(t testing.TB, cli *client.Client, ref string) {
	_, err := cli.ImageRemove(context.Background(), ref, client.ImageRemoveOptions{Force: true, PruneChildren: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		t.Logf("remove image %s: %v", ref, err)
	}
}

// build builds and registers the image's removal.
func build(t *testing.T, cli *client.Client, opts builder.Options, onEvent func(builder.Event)) (builder.Result, error) {
	t.Helper()
	return buildCtx(tctx(t), t, cli, opts, onEvent)
}

func buildCtx(ctx context.Context, t *testing.T, cli *client.Client, opts builder.Options, onEvent func(builder.Event)) (builder.Result, error) {
	t.Helper()
	if opts.Course == "" {
		opts.Course, opts.Step = "dttest", "builder"
	}
	res, err := builder.Build(ctx, cli, opts, onEvent)
	if res.ImageID != "" {
		t.Cleanup(func() { removeImage(t, cli, res.ImageID) })
	}
	for _, tag := range opts.Tags {
		t.Cleanup(func() { removeImage(t, cli, tag) })
	}
	return res, err
}

// fileInImage reads a file of an image through a container that is created
// but never started.
func fileInImage(t *testing.T, cli *client.Client, image, path string) (string, bool) {
	t.Helper()
	ctx := tctx(t)
	c, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Name: unique(t), Image: image})
	if err != nil {
		t.Fatalf("create a container of %s: %v", image, err)
	}
	defer cli.ContainerRemove(context.Background(), c.ID, client.ContainerRemoveOptions{Force: true})
	res, err := cli.CopyFromContainer(ctx, c.ID, client.CopyFromContainerOptions{SourcePath: path})
	if cerrdefs.IsNotFound(err) {
		return "", false
	}
	if err != nil {
		t.Fatalf("copy %s from %s: %v", path, image, err)
	}
	defer res.Content.Close()
	tr := tar.NewReader(res.Content)
	if _, err := tr.Next(); err != nil {
		t.Fatalf("read %s from %s: %v", path, image, err)
	}
	b, err := io.ReadAll(tr)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), true
}

func history(t *testing.T, cli *client.Client, image string) []string {
	t.Helper()
	h, err := cli.ImageHistory(tctx(t), image)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, item := range h.Items {
		out = append(out, item.CreatedBy)
	}
	return out
}

func rawInspect(t *testing.T, cli *client.Client, image string) string {
	t.Helper()
	var raw bytes.Buffer
	if _, err := cli.ImageInspect(tctx(t), image, client.ImageInspectWithRawResponse(&raw)); err != nil {
		t.Fatal(err)
	}
	return raw.String()
}

// savedImageHolds reports whether `docker save` of the image holds needle
// anywhere: manifests, configs, and every layer, gzip-compressed or not.
func savedImageHolds(t *testing.T, cli *client.Client, image, needle string) bool {
	t.Helper()
	rc, err := cli.ImageSave(tctx(t), []string{image})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		_, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return false
		}
		if err != nil {
			t.Fatalf("read the saved image: %v", err)
		}
		br := bufio.NewReader(tr)
		var r io.Reader = br
		if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
			gz, err := gzip.NewReader(br)
			if err != nil {
				t.Fatal(err)
			}
			r = gz
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(needle)) {
			return true
		}
	}
}

// containersFrom lists every container (running or not) whose image is
// base or built on it.
func containersFrom(t *testing.T, cli *client.Client, base string) []string {
	t.Helper()
	list, err := cli.ContainerList(context.Background(), client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("ancestor", base)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range list.Items {
		ids = append(ids, c.ID)
	}
	return ids
}

func imageLabels(t *testing.T, cli *client.Client, image string) map[string]string {
	t.Helper()
	img, err := cli.ImageInspect(tctx(t), image)
	if err != nil {
		t.Fatal(err)
	}
	if img.Config == nil {
		return nil
	}
	return img.Config.Labels
}

var bothBuilders = []builder.Kind{builder.Classic, builder.BuildKit}

func tutorLabelsPresent(l map[string]string, course, step string) bool {
	return labels.Owned(l) && l[labels.Course] == course && l[labels.Step] == step
}

// startUntil starts build in the background and returns once its events
// say (started) the step to cancel in runs, within bound; the build's
// error comes on the channel returned.
func startUntil(t *testing.T, bound time.Duration, build func(onEvent func(builder.Event)) error, started func(builder.Event) bool) <-chan error {
	t.Helper()
	running := make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		done <- build(func(e builder.Event) {
			if started(e) {
				once.Do(func() { close(running) })
			}
		})
	}()
	select {
	case <-running:
	case err := <-done:
		t.Fatalf("build ended before its step ran: %v", err)
	case <-time.After(bound):
		t.Fatal("the step never started")
	}
	return done
}
