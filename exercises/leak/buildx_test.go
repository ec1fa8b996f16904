package leak

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
)

// TestLearnersBuildKitBuilds: images a learner builds with `docker build`
// and the buildx plugin, as every current Docker does, are read the same
// way as the tutor's own builds: BuildKit's history rows, its layers and
// the config, on whichever engine runs the test. Each Dockerfile says
// where the secret must be found, or that it must be found nowhere.
func TestLearnersBuildKitBuilds(t *testing.T) {
	cli := dockertest.Client(t)
	env := dockertest.Buildx(t)
	dockertest.StandIn(t, cli, standIn)
	cases := []struct {
		name, dockerfile string
		files            map[string]string
		secretMount      bool
		want             []Source // where the secret is; none: nowhere
	}{
		{name: "arg-in-run", dockerfile: "FROM " + standIn + "\nARG BUILD_REPO_SECRET\nRUN echo \"$BUILD_REPO_SECRET\" > /token\n",
			want: []Source{SourceHistory, SourceLayer}},
		{name: "env", dockerfile: "FROM " + standIn + "\nARG BUILD_REPO_SECRET\nENV TOKEN=$BUILD_REPO_SECRET\n",
			want: []Source{SourceInspect}},
		{name: "deleted-later", dockerfile: "FROM " + standIn + "\nCOPY token /token\nRUN rm /token\n",
			files: map[string]string{"token": "{{secret}}"}, want: []Source{SourceLayer}},
		{name: "base64", dockerfile: "FROM " + standIn + "\nCOPY token /token\nRUN base64 /token > /auth && rm /token\n",
			files: map[string]string{"token": "{{secret}}"}, want: []Source{SourceLayer}},
		{name: "multi-stage", dockerfile: "FROM " + standIn + " AS build\nARG BUILD_REPO_SECRET\nRUN echo \"$BUILD_REPO_SECRET\" > /token && echo built > /artifact\n" +
			"FROM " + standIn + "\nCOPY --from=build /artifact /artifact\n"},
		{name: "secret-mount", dockerfile: "FROM " + standIn + "\nRUN --mount=type=secret,id=tok test -s /run/secrets/tok && echo used > /used\n",
			secretMount: true},
		{name: "secret-mount-copied", dockerfile: "FROM " + standIn + "\nRUN --mount=type=secret,id=tok cp /run/secrets/tok /kept\n",
			secretMount: true, want: []Source{SourceLayer}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			secret := daemonCanary(t)
			dir := t.TempDir()
			write := func(name, data string) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			write("Dockerfile", tc.dockerfile)
			for name, data := range tc.files {
				if data == "{{secret}}" {
					data = secret
				}
				write(name, data)
			}
			suffix := make([]byte, 4)
			rand.Read(suffix)
			tag := "dttest-leak-buildx-" + tc.name + "-" + hex.EncodeToString(suffix)
			args := []string{"build", "--no-cache", "--network", "none", "-t", tag, "--build-arg", "BUILD_REPO_SECRET=" + secret}
			cmd := exec.Command("docker", append(args, dir)...)
			cmd.Env = append(os.Environ(), env...)
			if tc.secretMount {
				// The secret's file is outside the build context.
				src := filepath.Join(t.TempDir(), "tok")
				if err := os.WriteFile(src, []byte(secret), 0o600); err != nil {
					t.Fatal(err)
				}
				cmd.Args = slices.Insert(cmd.Args, 2, "--secret", "id=tok,src="+src)
			}
			t.Cleanup(func() { cli.ImageRemove(context.Background(), tag, client.ImageRemoveOptions{Force: true}) })
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("docker build: %v\n%s", err, out)
			}
			r := scanDaemon(t, cli, tag, secret)
			var got []Source
			for _, f := range r.Findings {
				if !slices.Contains(got, f.Source) {
					got = append(got, f.Source)
				}
			}
			for _, src := range tc.want {
				if !slices.Contains(got, src) {
					t.Errorf("the secret is not found in the %s\n%s", src, describe(r))
				}
			}
			if len(tc.want) == 0 && r.Found() {
				t.Errorf("a clean image leaks:\n%s", describe(r))
			}
		})
	}
}
