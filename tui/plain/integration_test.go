package plain

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
)

// Watching in the plain mode on a real session and daemon, with --poll: a
// save in the step folder and an image tagged from another client each
// bring a verdict between two prompts.
func TestPlainWatchOnTheRealDaemon(t *testing.T) {
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	image := fmt.Sprintf("dttest-tuiplain/app%d", time.Now().UnixNano())
	c, ps := lessons.Load(fstest.MapFS{
		"course.yaml":   {Data: []byte("format: 1\nid: tuiplaintest\ntitle: T\nimages: [{ref: alpine:3.22}]\nlessons: [l]\n")},
		"l/lesson.yaml": {Data: []byte("title: L\nsteps: [stages]\n")},
		"l/stages/step.md": {Data: []byte("---\ntitle: Two stages\nkind: exercise\nmain: Dockerfile\nimage: " + image + "\n" +
			"checks:\n  - {id: stages, type: dockerfile.stages, min: 2}\n  - {id: built, type: image.fresh}\n" +
			"attempts:\n  - {name: unbuilt, no-action: true, fails: [built]}\n  - {name: one-stage, fails: [stages]}\n---\nUse two stages, then tag the image.\n")},
		"l/stages/starter/Dockerfile":            {Data: []byte("FROM alpine:3.22\n")},
		"l/stages/solution/Dockerfile":           {Data: []byte("FROM alpine:3.22 AS build\nFROM alpine:3.22\n")},
		"l/stages/attempts/one-stage/Dockerfile": {Data: []byte("FROM alpine:3.22\n")},
	})
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	s, err := tutor.Open(tutor.Options{Course: c, WorkspaceRoot: t.TempDir(), StateDir: t.TempDir(), Poll: true, Namespace: dockertest.Namespace(t),
		Connect: func(ctx context.Context) (daemon.Client, error) { return client.New(client.FromEnv) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, _ := c.Step("stages")
	p, _ := s.Progress()
	image = s.Values(st, p).Image // in the session's namespace
	t.Cleanup(func() { cli.ImageRemove(context.Background(), image+":latest", client.ImageRemoveOptions{}) })

	r, w := io.Pipe()
	ps2 := startPlain(t, s, Options{Course: c, Poll: true}, r, w)
	at := ps2.out.waitOutput(t, 0, "Press Enter to begin.")
	ps2.send(t, "\nw\n")
	at = ps2.out.waitWords(t, at, "Watching step 1.1: a change in its folder (looked for every second, as --poll asks)")
	time.Sleep(300 * time.Millisecond) // the first scan of the folder

	dockerfile := filepath.Join(s.Values(st, p).Workdir, "Dockerfile")
	if err := os.WriteFile(dockerfile, []byte("FROM alpine:3.22 AS build\nFROM alpine:3.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// What did not pass comes first.
	at = ps2.out.waitOutput(t, at, "Checked step 1.1 again (Dockerfile changed):\nFAIL: ")
	at = ps2.out.waitOutput(t, at, "PASS: ")
	at = ps2.out.waitOutput(t, at, "Not yet: 1 of 2 checks did not pass.\n\n"+plainPrompt)

	if _, err := cli.ImageTag(context.Background(), client.ImageTagOptions{Source: "alpine:3.22", Target: image + ":latest"}); err != nil {
		t.Fatal(err)
	}
	at = ps2.out.waitWords(t, at, "Checked step 1.1 again (image "+image)
	ps2.out.waitOutput(t, at, "Step passed. Type n for the next step.\n\n"+plainPrompt)
	ps2.finish(t, "q\n")
}
