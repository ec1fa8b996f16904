package fakedaemon

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// contextTar is a build context holding one Dockerfile.
func contextTar(t *testing.T, dockerfile string) io.Reader {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(dockerfile)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte(dockerfile))
	tw.Close()
	return &buf
}

func build(t *testing.T, d *Daemon, dockerfile string, args map[string]*string) string {
	t.Helper()
	res, err := d.ImageBuild(context.Background(), contextTar(t, dockerfile), client.ImageBuildOptions{Tags: []string{"dttest/app:latest"}, BuildArgs: args})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(res.Body)
	return string(out)
}

// A build records its build arguments in the history of the stage that
// declared them, and only that stage's history is the image's.
func TestBuildDockerfiles(t *testing.T) {
	d := New()
	d.BuildDockerfiles()
	at := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	d.SetClock(func() time.Time { return at })
	secret := "s3cret-value"
	out := build(t, d, "FROM alpine:3.22\nARG TOKEN\nRUN echo $TOKEN\n", map[string]*string{"TOKEN": &secret})
	for _, want := range []string{`"Step 1/3 : FROM alpine:3.22\n"`, `"Step 3/3 : RUN echo $TOKEN\n"`, `"aux":{"ID":"sha256:`, "Successfully tagged dttest/app:latest"} {
		if !strings.Contains(out, want) {
			t.Errorf("build output lacks %s:\n%s", want, out)
		}
	}
	leaky := d.Image("dttest/app")
	if leaky == nil || !leaky.Created.Equal(at) || leaky.History[0].CreatedBy != "|1 TOKEN=s3cret-value /bin/sh -c echo $TOKEN" || len(leaky.Export) == 0 {
		t.Fatalf("image %+v", leaky)
	}

	build(t, d, "FROM alpine:3.22 AS build\nARG TOKEN\nRUN echo $TOKEN > /x\nFROM alpine:3.22\nCOPY --from=build /x /x\n", map[string]*string{"TOKEN": &secret})
	clean := d.Image("dttest/app")
	if clean == nil || clean.ID == leaky.ID || len(leaky.Tags) != 0 {
		t.Fatalf("the rebuild did not take the tag: %+v, old %+v", clean, leaky.Tags)
	}
	for _, h := range clean.History {
		if strings.Contains(h.CreatedBy, secret) {
			t.Fatalf("the final stage's history holds the first stage's argument: %q", h.CreatedBy)
		}
	}

	if out := build(t, d, "FORM alpine:3.22\n", nil); !strings.Contains(out, `"errorDetail":{"message":"dockerfile parse error on line 1: unknown instruction: FORM"}`) {
		t.Errorf("a misspelled instruction: %s", out)
	}
}
