package tutor

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
)

// TestAByteIdenticalHandBuildCounts: a learner who builds the step's image
// by hand with `docker build` passes image.fresh, with either builder,
// also when the build yields an image the daemon already had (BuildKit
// from its cache after a reset, which on Docker 20.10 leaves no creation
// time, tag time or event behind); a learner who did nothing since
// opening the step does not.
func TestAByteIdenticalHandBuildCounts(t *testing.T) {
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	for _, b := range dockertest.LearnerBuilders(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			c := fixture(t)
			s := open(t, c)
			st, _ := c.Step("build")
			app := s.Namespace().Image("dttest-tutor/app")
			dir := t.TempDir()
			// The same bytes every time, unlike the step's solution
			// (nothing of the learner's in it), so a rebuild is identical.
			if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM alpine:3.22\nRUN echo "+s.Namespace().String()+" > /built\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			build := func() string {
				t.Helper()
				cmd := exec.Command("docker", "build", "-t", app, dir)
				cmd.Env = append(os.Environ(), b.Env...)
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("docker build: %v\n%s", err, out)
				}
				dockertest.RemoveBuiltOnCleanup(t, cli, string(out))
				img, err := cli.ImageInspect(ctx, app)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { cli.ImageRemove(context.Background(), img.ID, client.ImageRemoveOptions{Force: true}) })
				return img.ID
			}
			fresh := func(want check.Outcome, when string) {
				t.Helper()
				v, err := s.Check(ctx, st)
				if err != nil {
					t.Fatal(err)
				}
				if r := v.Results[0]; r.Outcome != want {
					t.Fatalf("%s: fresh is %s: %s %v", when, r.Outcome, r.Message, r.Evidence)
				}
			}

			if _, _, err := s.Enter(st); err != nil {
				t.Fatal(err)
			}
			first := build()
			fresh(check.Pass, "built after the step opened")

			// Reset, open again, build the same bytes: the daemon hands
			// back the image it had, created before the step opened again
			// (past the checks' allowance for a daemon's clock that is
			// ahead).
			time.Sleep(6 * time.Second)
			if err := s.ResetStep(ctx, st); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.Enter(st); err != nil {
				t.Fatal(err)
			}
			if again := build(); again != first {
				t.Logf("the rebuild made a new image (%s, was %s): this builder does not show the case, only the ordinary one", again, first)
			}
			fresh(check.Pass, "rebuilt byte for byte after a reset")

			// Reset while the image stays (as another name keeps it), and
			// open again with the image already named: nothing done since.
			keep := s.Namespace().Image("dttest-tutor/keep:1")
			if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: app, Target: keep}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cli.ImageRemove(context.Background(), keep, client.ImageRemoveOptions{}) })
			if err := s.ResetStep(ctx, st); err != nil {
				t.Fatal(err)
			}
			if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: keep, Target: app}); err != nil {
				t.Fatal(err)
			}
			// Past the checks' allowance for a daemon's clock that is
			// ahead, so the tag above is before the step.
			time.Sleep(6 * time.Second)
			if _, _, err := s.Enter(st); err != nil {
				t.Fatal(err)
			}
			fresh(check.Fail, "opened with the image already there, nothing built")
		})
	}
}
