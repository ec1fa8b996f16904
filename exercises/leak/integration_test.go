package leak

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/moby/moby/client"
)

const standIn = "alpine:3.22"

// daemonCanary is a fresh secret per test, so no build cache and no image
// left by another run can hold it.
func daemonCanary(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	return "dt-canary-" + hex.EncodeToString(b)
}

// buildClassic builds dockerfile with the classic builder and tags it with a
// unique name. It returns the tag and the IDs of every image a step
// produced, so stage images can be checked and removed.
func buildClassic(t *testing.T, cli *client.Client, name, dockerfile string, args map[string]string) (string, []string) {
	t.Helper()
	dockertest.StandIn(t, cli, standIn)
	suffix := make([]byte, 4)
	rand.Read(suffix)
	tag := "dttest-leak-" + name + "-" + hex.EncodeToString(suffix) + ":latest"
	buildArgs := map[string]*string{}
	for k, v := range args {
		buildArgs[k] = &v
	}
	ctxTar, err := dockertest.TarFiles(map[string][]byte{"Dockerfile": []byte(dockerfile)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := cli.ImageBuild(ctx, ctxTar, client.ImageBuildOptions{
		Tags: []string{tag}, BuildArgs: buildArgs, NoCache: true, Remove: true, ForceRemove: true,
		NetworkMode: "none", // the steps need no network, and the daemon may have no bridge
	})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	base, err := cli.ImageInspect(ctx, standIn)
	if err != nil {
		t.Fatal(err)
	}
	var stepImages []string
	// Registered before the build output is read so that a failed build
	// leaves nothing behind either: the tag, then every image a step made,
	// newest first (the stand-in is not ours to remove).
	t.Cleanup(func() {
		ctx := context.Background()
		cli.ImageRemove(ctx, tag, client.ImageRemoveOptions{Force: true, PruneChildren: true})
		for i := len(stepImages) - 1; i >= 0; i-- {
			if id := stepImages[i]; !strings.HasPrefix(strings.TrimPrefix(base.ID, "sha256:"), id) {
				cli.ImageRemove(ctx, id, client.ImageRemoveOptions{PruneChildren: true})
			}
		}
	})
	var log strings.Builder
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var msg struct {
			Stream      string `json:"stream"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil {
			continue
		}
		if msg.ErrorDetail != nil {
			t.Fatalf("build %s failed: %s\n%s", name, msg.ErrorDetail.Message, log.String())
		}
		log.WriteString(msg.Stream)
		if id, ok := strings.CutPrefix(strings.TrimSpace(msg.Stream), "---> "); ok && !strings.Contains(id, " ") {
			stepImages = append(stepImages, id)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return tag, stepImages
}

func scanDaemon(t *testing.T, cli *client.Client, ref, secret string) *Report {
	t.Helper()
	r, err := Scan(context.Background(), FromClient(cli), ref, []byte(secret), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Complete() {
		t.Fatalf("scan of %s incomplete: %v", ref, r.Problems)
	}
	out, _ := json.Marshal(r)
	if bytes.Contains(out, []byte(secret)) {
		t.Fatalf("report shows the secret: %s", out)
	}
	return r
}

func findingsFrom(r *Report, src Source) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Source == src {
			out = append(out, f)
		}
	}
	return out
}

// oldInspectAPI is true when the negotiated API still returns
// ContainerConfig (dropped in API 1.45).
func oldInspectAPI(cli *client.Client) bool {
	v := cli.ClientVersion()
	major, minor, _ := strings.Cut(v, ".")
	return major == "1" && len(minor) == 2 && minor < "45"
}

func TestDaemonBuildArgInHistory(t *testing.T) {
	cli := dockertest.Client(t)
	secret := daemonCanary(t)
	tag, _ := buildClassic(t, cli, "arg", "FROM "+standIn+"\nARG BUILD_REPO_SECRET\nRUN echo \"using $BUILD_REPO_SECRET\" > /dev/null\n",
		map[string]string{"BUILD_REPO_SECRET": secret})
	r := scanDaemon(t, cli, tag, secret)
	hist := findingsFrom(r, SourceHistory)
	if len(hist) != 1 || !strings.Contains(hist[0].Excerpt, "BUILD_REPO_SECRET=dt…") || hist[0].History.Row != 1 {
		t.Fatalf("history findings %v, want the RUN on row 1\n%s", hist, describe(r))
	}
	if oldInspectAPI(cli) {
		insp := findingsFrom(r, SourceInspect)
		if len(insp) != 1 || insp[0].Field != "ContainerConfig.Cmd[1]" || insp[0].Excerpt != "BUILD_REPO_SECRET=dt…" {
			t.Fatalf("inspect findings %v, want ContainerConfig.Cmd[1]\n%s", insp, describe(r))
		}
	}
	if layers := findingsFrom(r, SourceLayer); len(layers) != 0 {
		t.Fatalf("layer findings in an image whose layers hold no secret: %v", layers)
	}
}

func TestDaemonDeletedFileStillInLayer(t *testing.T) {
	cli := dockertest.Client(t)
	secret := daemonCanary(t)
	tag, _ := buildClassic(t, cli, "deleted",
		"FROM "+standIn+"\nARG BUILD_REPO_SECRET\nRUN mkdir -p /root && echo \"$BUILD_REPO_SECRET\" > /root/.token\nRUN rm /root/.token\n",
		map[string]string{"BUILD_REPO_SECRET": secret})
	r := scanDaemon(t, cli, tag, secret)
	var token *Finding
	for _, f := range findingsFrom(r, SourceLayer) {
		if f.Layer.Path == "root/.token" {
			token = &f
		}
	}
	if token == nil {
		t.Fatalf("the deleted file was not found\n%s", describe(r))
	}
	if token.Layer.State != Deleted || token.Layer.By != token.Layer.Index+1 || token.Layer.Index != r.Layers-2 {
		t.Fatalf("token: %+v of %d layers, want deleted by the last layer", token.Layer, r.Layers)
	}
	if token.History == nil || !strings.Contains(token.History.CreatedBy, "> /root/.token") {
		t.Fatalf("token's layer made by %+v", token.History)
	}
	t.Log(token)
}

func TestDaemonEnvInConfig(t *testing.T) {
	cli := dockertest.Client(t)
	secret := daemonCanary(t)
	tag, _ := buildClassic(t, cli, "env", "FROM "+standIn+"\nENV BUILD_REPO_SECRET="+secret+"\n", nil)
	r := scanDaemon(t, cli, tag, secret)
	var env *Finding
	for _, f := range findingsFrom(r, SourceInspect) {
		if strings.HasPrefix(f.Field, "Config.Env[") {
			env = &f
		}
	}
	if env == nil || env.Excerpt != "BUILD_REPO_SECRET=dt…" {
		t.Fatalf("no Config.Env finding\n%s", describe(r))
	}
	if len(findingsFrom(r, SourceHistory)) != 1 {
		t.Fatalf("the ENV history entry was not found\n%s", describe(r))
	}
}

// A multi-stage build that copies only an artifact leaves the final image
// clean; the classic builder's untagged stage image still leaks.
func TestDaemonMultiStageFinalImageClean(t *testing.T) {
	cli := dockertest.Client(t)
	secret := daemonCanary(t)
	dockerfile := "FROM " + standIn + " AS build\nARG BUILD_REPO_SECRET\n" +
		"RUN echo \"$BUILD_REPO_SECRET\" > /token && echo built > /artifact\n" +
		"FROM " + standIn + "\nCOPY --from=build /artifact /artifact\n"
	tag, steps := buildClassic(t, cli, "multistage", dockerfile, map[string]string{"BUILD_REPO_SECRET": secret})
	r := scanDaemon(t, cli, tag, secret)
	if r.Found() {
		t.Fatalf("final image of a clean multi-stage build leaks\n%s", describe(r))
	}
	// The build stage's last image: the step image produced just before
	// the second FROM, which re-reports the stand-in's ID.
	base, err := cli.ImageInspect(context.Background(), standIn)
	if err != nil {
		t.Fatal(err)
	}
	var stage string
	for i, id := range steps {
		if i > 0 && strings.HasPrefix(strings.TrimPrefix(base.ID, "sha256:"), id) {
			stage = steps[i-1]
		}
	}
	if stage == "" {
		t.Fatalf("build stage image not identified in %v", steps)
	}
	rs := scanDaemon(t, cli, stage, secret)
	if len(findingsFrom(rs, SourceHistory)) == 0 || len(findingsFrom(rs, SourceLayer)) == 0 {
		t.Fatalf("the build stage image should leak in history and layers\n%s", describe(rs))
	}
}

func TestDaemonBase64InLayer(t *testing.T) {
	cli := dockertest.Client(t)
	secret := daemonCanary(t)
	tag, _ := buildClassic(t, cli, "base64",
		"FROM "+standIn+"\nARG BUILD_REPO_SECRET\nRUN printf 'user:%s' \"$BUILD_REPO_SECRET\" | base64 > /auth\n",
		map[string]string{"BUILD_REPO_SECRET": secret})
	r := scanDaemon(t, cli, tag, secret)
	var found *Finding
	for _, f := range findingsFrom(r, SourceLayer) {
		if f.Layer.Path == "auth" && f.Encoding == Base64 {
			found = &f
		}
	}
	if found == nil || found.Layer.State != Visible || found.Layer.Index != r.Layers-1 {
		t.Fatalf("base64 secret in /auth not found in the last layer\n%s", describe(r))
	}
}

func TestDaemonMissingImage(t *testing.T) {
	cli := dockertest.Client(t)
	_, err := Scan(context.Background(), FromClient(cli), "dttest-leak-missing:nope", []byte("dt-canary-x"), Options{})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}
