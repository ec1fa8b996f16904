package bundle

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/exercises/pins"
	"github.com/dockertutor/dockertutor/lessons"
)

// noAuth is the X-Registry-Auth of a registry without a login ("{}").
const noAuth = "e30="

// pushFromDaemon pushes a daemon's image to ref through the daemon, then
// takes the tag off again, and returns the pin the registry now serves.
func pushFromDaemon(t *testing.T, cli *client.Client, source, ref string) lessons.BaseImage {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: source, Target: ref}); err != nil {
		t.Fatal(err)
	}
	defer cli.ImageRemove(context.Background(), ref, client.ImageRemoveOptions{})
	resp, err := cli.ImagePush(ctx, ref, client.ImagePushOptions{RegistryAuth: noAuth})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Close()
	if err := resp.Wait(ctx); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	tag, _ := name.NewTag(ref)
	d, err := remote.Head(tag)
	if err != nil {
		t.Fatal(err)
	}
	return lessons.BaseImage{Ref: ref, Digest: d.Digest.String()}
}

// daemonImages are the images of an integration test: the stand-in
// alpine pushed by the daemon, an image of random layers the daemon has
// never seen (so a pull must fetch its blobs from the bundle), and a
// two-platform index whose arm64 layers the bundle leaves out.
type daemonImages struct {
	cli                  *client.Client
	standin, tool, multi lessons.BaseImage
	path                 string
}

func newDaemonImages(t *testing.T) daemonImages {
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	reg := dockertest.StartRegistry(t).Addr
	prefix := reg + "/" + randomName(t)
	d := daemonImages{cli: cli}
	d.standin = pushFromDaemon(t, cli, "alpine:3.22", prefix+"/alpine:3.22")
	d.tool = push(t, prefix+"/tool:1", randomImage(t, 1<<20, 2, amd64))
	d.multi = pushIndex(t, prefix+"/multi:1", twoPlatforms(t, randomImage(t, 512<<10, 1, amd64), randomImage(t, 512<<10, 1, arm64)))
	d.path = writeBundle(t, Options{Pins: []lessons.BaseImage{d.standin, d.tool, d.multi}})
	return d
}

// pullRef is where the daemon pulls a pin from the bundle's registry.
func pullRef(t *testing.T, addr string, pin lessons.BaseImage) string {
	t.Helper()
	r, err := name.NewTag(pin.Ref)
	if err != nil {
		t.Fatal(err)
	}
	return addr + "/" + r.RepositoryStr() + "@" + pin.Digest
}

func pull(ctx context.Context, cli *client.Client, ref string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	resp, err := cli.ImagePull(ctx, ref, client.ImagePullOptions{RegistryAuth: noAuth})
	if err != nil {
		return err
	}
	defer resp.Close()
	return resp.Wait(ctx)
}

func TestDaemonPullsFromTheBundle(t *testing.T) {
	if testing.Short() {
		t.Skip("pulls through the daemon")
	}
	d := newDaemonImages(t)
	b, err := Open(d.path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Verify(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	reg, addr := serve(t, b)
	for _, pin := range []lessons.BaseImage{d.standin, d.tool, d.multi} {
		ref := pullRef(t, addr, pin)
		start := time.Now()
		if err := pull(t.Context(), d.cli, ref); err != nil {
			t.Fatalf("pull %s: %v", ref, err)
		}
		t.Logf("pulled %s in %v", ref, time.Since(start).Round(time.Millisecond))
		t.Cleanup(func() { d.cli.ImageRemove(context.Background(), ref, client.ImageRemoveOptions{}) })
		inspect, err := d.cli.ImageInspect(t.Context(), ref)
		if err != nil {
			t.Fatalf("inspect %s after the pull: %v", ref, err)
		}
		if !slices.Contains(inspect.RepoDigests, ref) {
			t.Errorf("%s: RepoDigests %v do not carry the pin", ref, inspect.RepoDigests)
		}
	}
	if damaged := reg.Damaged(); len(damaged) != 0 {
		t.Errorf("a sound bundle's registry recorded damage: %v", damaged)
	}
}

// An altered layer is cut off while served: the daemon's pull fails, no
// image is there, and the registry names the part.
func TestDaemonPullOfAnAlteredLayerFails(t *testing.T) {
	if testing.Short() {
		t.Skip("pulls through the daemon")
	}
	d := newDaemonImages(t)
	b0, err := Open(d.path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := b0.platformManifest(b0.Images()[1], amd64)
	b0.Close()
	if err != nil {
		t.Fatal(err)
	}
	layer := BlobPart(m.Layers[1].Digest.String())
	path := copyFile(t, d.path, -1)
	for _, e := range readEntries(t, path) {
		if e.name == layer {
			flipByte(t, path, e.offset+e.size/3)
		}
	}
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	reg, addr := serve(t, b)
	ref := pullRef(t, addr, d.tool)
	start := time.Now()
	err = pull(t.Context(), d.cli, ref)
	t.Logf("the pull ended after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if err == nil {
		d.cli.ImageRemove(context.Background(), ref, client.ImageRemoveOptions{})
		t.Fatal("the daemon pulled an image with an altered layer")
	}
	if _, err := d.cli.ImageInspect(t.Context(), ref); err == nil {
		d.cli.ImageRemove(context.Background(), ref, client.ImageRemoveOptions{})
		t.Errorf("%s is on the daemon after a failed pull", ref)
	}
	damaged := reg.Damaged()
	if len(damaged) != 1 || damaged[0].Part != layer {
		t.Errorf("damaged %v, want %s", damaged, layer)
	}
}

// The docker load stream loads on the daemon by tag (without a digest);
// an altered layer makes the load fail with no image tagged.
func TestDockerLoadOnTheDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("loads through the daemon")
	}
	d := newDaemonImages(t)
	b, err := Open(d.path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	load := func(b *Bundle) error {
		ls, err := b.DockerLoad("linux/amd64", LoadOptions{})
		if err != nil {
			return err
		}
		return d.load(t, ls)
	}
	pins := []lessons.BaseImage{d.standin, d.tool, d.multi}
	if err := load(b); err != nil {
		t.Fatalf("load: %v", err)
	}
	for _, pin := range pins {
		t.Cleanup(func() { d.cli.ImageRemove(context.Background(), pin.Ref, client.ImageRemoveOptions{}) })
		if _, err := d.cli.ImageInspect(t.Context(), pin.Ref); err != nil {
			t.Errorf("%s after the load: %v", pin.Ref, err)
		}
	}
	for _, pin := range pins {
		if _, err := d.cli.ImageRemove(t.Context(), pin.Ref, client.ImageRemoveOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	bad, layer := d.alteredLayer(t, b)
	err = load(bad)
	t.Logf("loading the altered bundle (%s): %v", layer, err)
	if err == nil {
		t.Error("a bundle with an altered layer loaded")
	}
	for _, pin := range pins {
		if _, err := d.cli.ImageInspect(t.Context(), pin.Ref); err == nil {
			t.Errorf("%s is tagged after a failed load", pin.Ref)
		}
	}
}

// On a daemon with the containerd image store, the OCI layout stream
// loads every image at its pinned digest, the multi-platform one
// included, with no pull; an altered layer loads nothing.
func TestOCILoadOnTheDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("loads through the daemon")
	}
	d := newDaemonImages(t)
	info, err := d.cli.Info(t.Context(), client.InfoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if engine.ImageStore(info.Info.DriverStatus) != "containerd" {
		t.Skip("this daemon keeps its images in a graph driver: the OCI layout load is for the containerd image store")
	}
	b, err := Open(d.path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	all := []lessons.BaseImage{d.standin, d.tool, d.multi}
	var refs []string
	for _, pin := range all {
		refs = append(refs, pin.Ref)
		t.Cleanup(func() { d.cli.ImageRemove(context.Background(), pin.Ref, client.ImageRemoveOptions{}) })
	}
	load := func(b *Bundle) error {
		ls, err := b.OCILoad("linux/amd64", refs)
		if err != nil {
			return err
		}
		return d.load(t, ls)
	}
	if err := load(b); err != nil {
		t.Fatalf("load: %v", err)
	}
	for _, pin := range all {
		if st := pins.Inspect(t.Context(), d.cli, pin); st.State != pins.AtPin {
			t.Errorf("%s after the load: %s %v, want at %s", pin.Ref, st.State, st.RepoDigests, pin.Digest)
		}
		if _, err := d.cli.ImageRemove(t.Context(), pin.Ref, client.ImageRemoveOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	bad, layer := d.alteredLayer(t, b)
	err = load(bad)
	t.Logf("loading the altered bundle: %v", err)
	var part *PartError
	if !errors.As(err, &part) || part.Part != layer {
		t.Errorf("the altered bundle's load: %v, want the part %s named", err, layer)
	}
	for _, pin := range all {
		if _, err := d.cli.ImageInspect(t.Context(), pin.Ref); err == nil {
			t.Errorf("%s is tagged after a failed load", pin.Ref)
		}
	}
}

// alteredLayer is a copy of the bundle with one byte of a layer of the
// tool image flipped, and that layer's part.
func (d daemonImages) alteredLayer(t *testing.T, b *Bundle) (*Bundle, string) {
	t.Helper()
	m, err := b.platformManifest(b.Images()[1], amd64)
	if err != nil {
		t.Fatal(err)
	}
	layer := BlobPart(m.Layers[0].Digest.String())
	path := copyFile(t, d.path, -1)
	for _, e := range readEntries(t, path) {
		if e.name == layer {
			flipByte(t, path, e.offset+e.size/2)
		}
	}
	bad, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bad.Close() })
	return bad, layer
}

// load has the daemon load the stream; an error message in its answer is
// the load's error.
func (d daemonImages) load(t *testing.T, ls *LoadStream) error {
	defer ls.Close()
	res, err := d.cli.ImageLoad(t.Context(), ls, client.ImageLoadWithQuiet(true))
	if err != nil {
		return err
	}
	defer res.Close()
	out, err := io.ReadAll(res)
	if err != nil {
		return err
	}
	if strings.Contains(string(out), `"error`) {
		return errors.New(string(out))
	}
	return nil
}
