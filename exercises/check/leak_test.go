package check

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/lessons"
)

// leakySteps build an image that took the secret as a build argument,
// wrote it to a file and deleted the file in a later layer.
var leakySteps = []fakedaemon.Step{
	{CreatedBy: "/bin/sh -c #(nop) ADD file:base in /", Files: []fakedaemon.File{{Name: "bin/sh", Body: []byte("#!busybox")}}},
	{CreatedBy: "/bin/sh -c #(nop)  ARG BUILD_REPO_SECRET"},
	{CreatedBy: "|1 BUILD_REPO_SECRET=" + secret + " /bin/sh -c echo $BUILD_REPO_SECRET > /app/token", Files: []fakedaemon.File{
		{Name: "app/", Typeflag: '5'}, {Name: "app/token", Body: []byte(secret + "\n")},
	}},
	{CreatedBy: "|1 BUILD_REPO_SECRET=" + secret + " /bin/sh -c rm /app/token", Files: []fakedaemon.File{{Name: "app/.wh.token"}}},
}

var cleanSteps = []fakedaemon.Step{
	{CreatedBy: "/bin/sh -c #(nop) ADD file:base in /", Files: []fakedaemon.File{{Name: "bin/sh", Body: []byte("#!busybox")}}},
	{CreatedBy: "RUN /bin/sh -c --mount=type=secret,id=repo cat /run/secrets/repo >/dev/null", Layer: true},
}

func addBuilt(t *testing.T, d *fakedaemon.Daemon, steps []fakedaemon.Step, o fakedaemon.ExportOptions) *fakedaemon.Image {
	t.Helper()
	img, err := d.AddBuilt(app, steps, []string{"PATH=/bin"}, o)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestLeakInLeakyImage(t *testing.T) {
	env, d := testEnv(t)
	addBuilt(t, d, leakySteps, fakedaemon.ExportOptions{})
	ev := []Evidence{
		{Where: "docker history --no-trunc, row 2", Detail: "|1 BUILD_REPO_SECRET=dt… /bin/sh -c echo $BUILD_REPO_SECRET"},
		{Where: "docker history --no-trunc, row 1", Detail: "|1 BUILD_REPO_SECRET=dt… /bin/sh -c rm /app/token"},
		{Where: "docker image inspect, ContainerConfig.Cmd[2]", Detail: "|1 BUILD_REPO_SECRET=dt… /bin/sh -c rm /app/token"},
		{Where: "layer 1, app/token (deleted by layer 2, still in this one)", Detail: "dt…"},
	}
	r := checkOne(t, context.Background(), env, &lessons.LeakFound{})
	expect(t, r, Pass, "Your secret is in dttest/app:latest, in 4 place(s): anyone who can pull the image can read it.", ev...)
	r = checkOne(t, context.Background(), env, &lessons.LeakAbsent{})
	expect(t, r, Fail, "Your secret is still in dttest/app:latest, in 4 place(s).", ev...)
	for _, e := range r.Evidence {
		if strings.Contains(e.Where+e.Detail, secret) {
			t.Fatalf("evidence shows the secret: %+v", e)
		}
	}
}

func TestLeakInCleanImage(t *testing.T) {
	env, d := testEnv(t)
	addBuilt(t, d, cleanSteps, fakedaemon.ExportOptions{Layout: fakedaemon.OCILayout, Compression: "gzip"})
	expect(t, checkOne(t, context.Background(), env, &lessons.LeakAbsent{}), Pass,
		"Your secret is nowhere in dttest/app:latest: not in its config, its history (2 layers), nor in any layer's files.")
	expect(t, checkOne(t, context.Background(), env, &lessons.LeakFound{}), Fail,
		"Your secret is nowhere in dttest/app:latest: build it with the secret as a build argument first.")
}

func TestLeakNoImage(t *testing.T) {
	env, _ := testEnv(t)
	expect(t, checkOne(t, context.Background(), env, &lessons.LeakAbsent{}), Fail, "There is no image dttest/app:latest yet: build it first.")
}

// Evidence lists the first places; the message counts them all.
func TestLeakEvidenceIsCapped(t *testing.T) {
	env, d := testEnv(t)
	var files []fakedaemon.File
	for i := range 10 {
		files = append(files, fakedaemon.File{Name: fmt.Sprintf("f%d", i), Body: []byte(secret)})
	}
	addBuilt(t, d, []fakedaemon.Step{{CreatedBy: "ADD many", Files: files}}, fakedaemon.ExportOptions{})
	r := checkOne(t, context.Background(), env, &lessons.LeakAbsent{})
	if r.Outcome != Fail || r.Message != "Your secret is still in dttest/app:latest, in 10 place(s)." || len(r.Evidence) != maxEvidence {
		t.Fatalf("%s %q, %d evidence", r.Outcome, r.Message, len(r.Evidence))
	}
	if r.Evidence[0] != (Evidence{Where: "layer 0, f0", Detail: "dt…"}) {
		t.Fatalf("evidence %+v", r.Evidence[0])
	}
}

// A scan that could not read every layer proves no absence: an error that
// says which part, never a pass.
func TestLeakIncompleteScan(t *testing.T) {
	env, d := testEnv(t)
	img := addBuilt(t, d, cleanSteps, fakedaemon.ExportOptions{Layout: fakedaemon.OCILayout, Compression: "gzip"})
	raw, _ := fakedaemon.Tar(cleanSteps[0].Files)
	layer, _ := fakedaemon.Compress(raw, "gzip")
	at := bytes.Index(img.Export, layer)
	if at < 0 {
		t.Fatal("layer not found in the export")
	}
	for i := at + 20; i < at+len(layer)-8; i++ {
		img.Export[i] ^= 0x5a
	}
	r := checkOne(t, context.Background(), env, &lessons.LeakAbsent{})
	if r.Outcome != Error || !strings.HasPrefix(r.Message, "parts of dttest/app:latest could not be searched, so the scan proves nothing: layer blobs/sha256/") {
		t.Fatalf("%s %q", r.Outcome, r.Message)
	}
	if v := (Verdict{Results: []Result{r}}); v.Unreachable() {
		t.Fatal("an unreadable layer reads as a lost daemon")
	}
}
