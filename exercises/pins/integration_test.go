package pins_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distribution/reference"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/pins"
	"github.com/dockertutor/dockertutor/lessons"
)

// pushed pushes source to the registry as ref and returns the course's
// image for it, pinned at the digest the registry gave; every name the
// test may make for it is removed when the test ends.
func pushed(t *testing.T, cli *client.Client, reg *dockertest.Registry, source, ref string) lessons.BaseImage {
	t.Helper()
	digest := reg.Push(t, cli, source, ref)
	img := lessons.BaseImage{Ref: ref, Digest: digest}
	dockertest.RemovePinOnCleanup(t, cli, img)
	return img
}

func TestPullTagsThePinAndSkipsWhatIsThere(t *testing.T) {
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	reg := dockertest.StartRegistry(t)
	img := pushed(t, cli, reg, "alpine:3.22", reg.Addr+"/"+dockertest.UniqueName(t)+"/alpine:3.22")
	ctx := context.Background()

	if st := pins.Inspect(ctx, cli, img); st.State != pins.Missing {
		t.Fatalf("before the pull: %+v, want missing", st)
	}
	var phases []pins.Phase
	res, err := pins.Pull(ctx, cli, img, func(p pins.Progress) {
		if p.Ref != img.Ref {
			t.Errorf("progress for %q, want %q", p.Ref, img.Ref)
		}
		if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
			phases = append(phases, p.Phase)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Pulled || !res.Tagged || res.Skipped || res.After.State != pins.AtPin {
		t.Fatalf("first pull: %+v", res)
	}
	if phases[0] != pins.Resolving || phases[len(phases)-1] != pins.Done {
		t.Errorf("phases %v: want resolving first, done last", phases)
	}
	t.Logf("RepoDigests after the pull: %v", res.After.RepoDigests)

	res, err = pins.Pull(ctx, cli, img, nil)
	if err != nil || !res.Skipped || res.Pulled || res.Tagged {
		t.Fatalf("second pull: %+v, %v; want skipped", res, err)
	}

	// Both engines drop the repository's digest reference with its last
	// tag: the tag removed, the next run pulls again.
	if _, err := cli.ImageRemove(ctx, img.Ref, client.ImageRemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if st := pins.Inspect(ctx, cli, img); st.State != pins.Missing {
		t.Fatalf("tag removed: %+v, want missing", st)
	}
	res, err = pins.Pull(ctx, cli, img, nil)
	if err != nil || !res.Pulled || !res.Tagged || res.After.State != pins.AtPin {
		t.Fatalf("pull after the tag was removed: %+v, %v", res, err)
	}

	// A pull by digest that completed without its tag (as a Ctrl+C
	// between the two leaves it): only the tag is made.
	if _, err := cli.ImageRemove(ctx, img.Ref, client.ImageRemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	named, _ := reference.ParseNormalizedNamed(img.Ref)
	resp, err := cli.ImagePull(ctx, named.Name()+"@"+img.Digest, client.ImagePullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := resp.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if st := pins.Inspect(ctx, cli, img); st.State != pins.Missing {
		t.Fatalf("pulled by digest only: %+v, want the tag missing", st)
	}
	res, err = pins.Pull(ctx, cli, img, nil)
	if err != nil || res.Pulled || !res.Tagged || res.After.State != pins.AtPin {
		t.Fatalf("pull with the digest there untagged: %+v, %v; want tagged only", res, err)
	}

	// The tag on another image (as a `docker load` or a local build
	// leaves it): another digest, which Pull moves to the pin.
	other := reg.Addr + "/" + dockertest.UniqueName(t) + "/other:1"
	dockertest.BuildFiller(t, cli, other, 1024)
	if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: other, Target: img.Ref}); err != nil {
		t.Fatal(err)
	}
	st := pins.Inspect(ctx, cli, img)
	if st.State != pins.OtherDigest {
		t.Fatalf("tag on another image: %+v, want other-digest", st)
	}
	res, err = pins.Pull(ctx, cli, img, nil)
	if err != nil || !res.Tagged || res.After.State != pins.AtPin {
		t.Fatalf("pull over another digest: %+v, %v", res, err)
	}

	// A pack that pins no digest: pulled by tag, said to be unverified.
	byTag := lessons.BaseImage{Ref: img.Ref}
	if _, err := cli.ImageRemove(ctx, img.Ref, client.ImageRemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err = pins.Pull(ctx, cli, byTag, nil)
	if err != nil || !res.Pulled || !res.Unverified || res.After.State != pins.Present {
		t.Fatalf("pull by tag: %+v, %v", res, err)
	}
	if res, err = pins.Pull(ctx, cli, byTag, nil); err != nil || !res.Skipped || !res.Unverified {
		t.Fatalf("pull by tag again: %+v, %v", res, err)
	}
}

// A Ctrl+C during the pull leaves no tag; the next run completes.
func TestCancelledPullMakesNoTag(t *testing.T) {
	cli := dockertest.Client(t)
	// Pulled through a proxy that passes 4 MB/s: long enough to interrupt.
	img, _ := dockertest.SlowPin(t, cli, 16<<20)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen pins.Progress
	res, err := pins.Pull(ctx, cli, img, func(p pins.Progress) {
		seen = p
		if p.Done > 1<<20 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled pull: %+v, %v; want context.Canceled", res, err)
	}
	if res.Tagged {
		t.Fatalf("cancelled pull says it tagged: %+v", res)
	}
	t.Logf("cancelled at %d of %d bytes (%s)", seen.Done, seen.Total, seen.Phase)
	if st := pins.Inspect(context.Background(), cli, img); st.State != pins.Missing {
		t.Fatalf("after the cancelled pull: %+v, want missing (no tag)", st)
	}

	var last pins.Progress
	res, err = pins.Pull(context.Background(), cli, img, func(p pins.Progress) { last = p })
	if err != nil || !res.Pulled || res.After.State != pins.AtPin {
		t.Fatalf("second run: %+v, %v", res, err)
	}
	if last.Phase != pins.Done || last.Fraction != 1 {
		t.Errorf("last progress %+v, want done at 1", last)
	}
}

// Each way a registry refuses is one sentence with its fix; the daemons'
// own answers are classified (their wordings differ: see Classify).
func TestRegistryRefusals(t *testing.T) {
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	ctx := context.Background()
	reg := dockertest.StartRegistry(t)
	name := dockertest.UniqueName(t)
	known := pushed(t, cli, reg, "alpine:3.22", reg.Addr+"/"+name+"/alpine:3.22")

	auth := dockertest.StartAuthRegistry(t, "teacher", "s3cret")
	rateLimited := tooManyRequests(t)
	const nowhere = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	cases := []struct {
		name string
		img  lessons.BaseImage
		kind pins.Kind
		fix  string
	}{
		{"unknown digest", lessons.BaseImage{Ref: known.Ref, Digest: nowhere}, pins.NotFound, "update dockertutor or the course pack"},
		{"unknown tag", lessons.BaseImage{Ref: reg.Addr + "/" + name + "/alpine:0.0"}, pins.NotFound, "update dockertutor or the course pack"},
		{"unreachable", lessons.BaseImage{Ref: dockertest.FreeAddr(t) + "/" + name + "/alpine:3.22", Digest: known.Digest}, pins.Unreachable, "connect this machine to the network"},
		{"auth", lessons.BaseImage{Ref: auth.Addr + "/" + name + "/alpine:3.22", Digest: known.Digest}, pins.Auth, "docker login " + auth.Addr},
		{"rate limit", lessons.BaseImage{Ref: rateLimited + "/" + name + "/alpine:3.22", Digest: known.Digest}, pins.RateLimited, "wait and try again"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := pins.Pull(ctx, cli, c.img, nil)
			var re *pins.RegistryError
			if !errors.As(err, &re) {
				t.Fatalf("%+v, %v; want a RegistryError", res, err)
			}
			t.Logf("daemon said: %v", re.Err)
			if re.Kind != c.kind || !strings.Contains(err.Error(), c.fix) {
				t.Fatalf("%s: %v\nwant kind %s with %q", re.Kind, err, c.kind, c.fix)
			}
			if res.Tagged {
				t.Fatalf("a refused pull tagged: %+v", res)
			}
		})
	}
}

// tooManyRequests is a registry on loopback that answers every request
// as Docker Hub does past its pull limit: the daemon's real reading of a
// 429, short of a real rate-limited registry.
func tooManyRequests(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int32
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit"}]}`))
	})}
	go srv.Serve(l)
	t.Cleanup(func() {
		srv.Close()
		if hits.Load() == 0 {
			t.Error("the daemon never asked the rate-limited registry")
		}
	})
	return l.Addr().String()
}
