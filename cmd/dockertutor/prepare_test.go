package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/pins"
	"github.com/dockertutor/dockertutor/lessons"
)

// pinnedPack is the fixture pack with one base image, ref pinned at
// digest: a pack of the test's own, whose image lives on a loopback
// registry.
func pinnedPack(t *testing.T, ref, digest string) string {
	t.Helper()
	dir := t.TempDir()
	if err := dockertest.CopyPack("testdata/pack", dir, "fixture", "dttest-cli", "dttest-cli"); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(dir, lessons.ManifestFile)
	data, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, []byte("images:\n  - ref: "+ref+"\n    digest: "+digest+"\n    why: the base the test pulls\n")...)
	if err := os.WriteFile(manifest, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// doctorImage is the one image of doctor --json.
func (c *cli) doctorImage(pack string) map[string]any {
	c.t.Helper()
	out, errs, code := c.run("--course", pack, "doctor", "--json")
	var doc struct{ Images []map[string]any }
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 || len(doc.Images) != 1 {
		c.t.Fatalf("doctor --json: exit %d, %v\n%s%s", code, err, out, errs)
	}
	return doc.Images[0]
}

// prepare pulls the pinned image and tags it; doctor tells the three
// states, in text and JSON; a second prepare pulls nothing.
func TestPrepareAndDoctorOnALoopbackRegistry(t *testing.T) {
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	reg := dockertest.StartRegistry(t)
	ref := reg.Addr + "/" + dockertest.UniqueName(t) + "/alpine:3.22"
	digest := reg.Push(t, cli, "alpine:3.22", ref)
	dockertest.RemovePinOnCleanup(t, cli, lessons.BaseImage{Ref: ref, Digest: digest})
	pack := pinnedPack(t, ref, digest)
	c := newCLI(t)

	out, _, code := c.run("--course", pack, "doctor")
	if code != 0 || !strings.Contains(out, "MISSING  "+ref) || !strings.Contains(out, "dockertutor prepare") {
		t.Fatalf("doctor before prepare: exit %d\n%s", code, out)
	}
	if im := c.doctorImage(pack); im["state"] != "missing" || im["digest"] != digest || im["present"] != false {
		t.Errorf("doctor --json before prepare: %v", im)
	}

	out, errs, code := c.run("--course", pack, "prepare")
	if code != 0 || !strings.Contains(out, ref+"  pulled at the pinned digest and tagged") || !strings.Contains(out, "pinned   "+ref) {
		t.Fatalf("prepare: exit %d\n%s%s", code, out, errs)
	}
	t.Logf("prepare said:\n%s", out)
	out, _, code = c.run("--course", pack, "doctor")
	if code != 0 || !strings.Contains(out, "pinned   "+ref) || strings.Contains(out, "dockertutor prepare") {
		t.Fatalf("doctor after prepare: exit %d\n%s", code, out)
	}
	if im := c.doctorImage(pack); im["state"] != "pinned" || im["present"] != true || !strings.Contains(strings.Join(toStrings(im["repo_digests"]), " "), "@"+digest) {
		t.Errorf("doctor --json after prepare: %v", im)
	}

	out, _, code = c.run("--course", pack, "prepare")
	if code != 0 || !strings.Contains(out, ref+"  already at the pinned digest") {
		t.Fatalf("prepare again: exit %d\n%s", code, out)
	}

	// The tag on an image of its own (as a `docker load` of other files
	// leaves it): another digest, which prepare moves to the pin.
	other := reg.Addr + "/" + dockertest.UniqueName(t) + "/other:1"
	dockertest.BuildFiller(t, cli, other, 1024)
	if _, err := cli.ImageTag(context.Background(), client.ImageTagOptions{Source: other, Target: ref}); err != nil {
		t.Fatal(err)
	}
	out, _, code = c.run("--course", pack, "doctor")
	if code != 0 || !strings.Contains(out, "OTHER    "+ref) || !strings.Contains(strings.Join(strings.Fields(out), " "), "not the pinned "+digest[:len("sha256:")+12]) || !strings.Contains(out, "dockertutor prepare") {
		t.Fatalf("doctor with the tag elsewhere: exit %d\n%s", code, out)
	}
	if im := c.doctorImage(pack); im["state"] != "other-digest" || im["present"] != true {
		t.Errorf("doctor --json with the tag elsewhere: %v", im)
	}
	out, _, code = c.run("--course", pack, "prepare")
	if code != 0 || !strings.Contains(out, "(the tag named image ") || !strings.Contains(out, "pinned   "+ref) {
		t.Fatalf("prepare over another digest: exit %d\n%s", code, out)
	}

	// Removed (only the test's own name): missing again.
	if _, err := cli.ImageRemove(context.Background(), ref, client.ImageRemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if im := c.doctorImage(pack); im["state"] != "missing" {
		t.Errorf("doctor --json after the tag was removed: %v", im)
	}

	// A digest the registry does not hold: the pull fails with its
	// sentence, exit 1.
	bad := pinnedPack(t, ref, "sha256:1111111111111111111111111111111111111111111111111111111111111111")
	out, _, code = c.run("--course", bad, "prepare")
	if code != exitFail || !strings.Contains(out, "FAILED: The registry "+reg.Addr+" has no") || !strings.Contains(out, "MISSING  "+ref) {
		t.Fatalf("prepare of an unknown digest: exit %d\n%s", code, out)
	}
}

// Ctrl+C during prepare's pull: exit 130, it says what was done, no tag
// is made; the next prepare completes.
func TestPrepareInterrupted(t *testing.T) {
	cli := dockertest.Client(t)
	img, slow := dockertest.SlowPin(t, cli, 16<<20)
	ref, digest := img.Ref, img.Digest
	pack := pinnedPack(t, ref, digest)
	c := newCLI(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Interrupted once the pull is under way, as a learner's Ctrl+C.
		deadline := time.Now().Add(30 * time.Second)
		for slow.Passed() < 1<<20 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
	}()
	var outb, errb bytes.Buffer
	code := run(ctx, &IO{In: strings.NewReader(""), Out: &outb, Err: &errb, Width: 80}, []string{"--workspace", c.workspace, "--course", pack, "prepare"})
	out := outb.String()
	if code != exitInterrupted || !strings.Contains(out, ref+"  interrupted: not tagged") || !strings.Contains(out, "Interrupted: 0 of 1 images ready") {
		t.Fatalf("interrupted prepare: exit %d\n%s%s", code, out, errb.String())
	}
	t.Logf("interrupted after %d bytes:\n%s", slow.Passed(), out)
	if st := pins.Inspect(context.Background(), cli, img); st.State != pins.Missing {
		t.Fatalf("after the interrupted prepare: %+v, want no tag", st)
	}
	out, errs, code := c.run("--course", pack, "prepare")
	if code != 0 || !strings.Contains(out, "pinned   "+ref) {
		t.Fatalf("prepare after the interruption: exit %d\n%s%s", code, out, errs)
	}
}

func toStrings(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, s := range list {
		if s, ok := s.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// After a pull from the bundle, only Docker Hub's images can be at their
// pins; the failure says why for the others, and only when every pull
// went through.
func TestOffHubPinsSaysWhy(t *testing.T) {
	notAtPin := failed("1 of 2 images are not at their pinned digests after prepare")
	images := []lessons.BaseImage{{Ref: "alpine:3.22"}, {Ref: "ghcr.io/acme/base:1"}}
	err := offHubPins(notAtPin, images, []pullOutcome{{}, {}})
	if !errors.Is(err, errFailed) || !strings.Contains(err.Error(), "Not from Docker Hub: ghcr.io/acme/base:1.") || strings.Contains(err.Error(), "alpine") {
		t.Errorf("off Docker Hub: %v", err)
	}
	if err := offHubPins(notAtPin, images, []pullOutcome{{}, {err: errors.New("refused")}}); err != notAtPin {
		t.Errorf("with a failed pull: %v, want the failure as it was", err)
	}
	if err := offHubPins(notAtPin, images[:1], []pullOutcome{{}}); err != notAtPin {
		t.Errorf("Docker Hub's alone: %v, want the failure as it was", err)
	}
}
