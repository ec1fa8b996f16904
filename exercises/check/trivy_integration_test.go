package check

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/lessons"
)

// On the real daemon, the report trivy writes for an Alpine image (its ID,
// layers, config and OS, read as trivy reads them) passes, and each part
// of it changed by hand fails with a message that names the part.
func TestTrivyReportOnTheDaemon(t *testing.T) {
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	suffix := make([]byte, 4)
	rand.Read(suffix)
	tag := "dttest-check/trivy-" + hex.EncodeToString(suffix) + ":latest"
	t.Cleanup(func() {
		cli.ImageRemove(context.Background(), tag, client.ImageRemoveOptions{Force: true, PruneChildren: true})
	})
	// The stand-in is busybox alone; these are the release files of the
	// real alpine:3.22, which trivy detects the OS by.
	buildClassic(t, cli, tag, "FROM alpine:3.22\n"+
		"RUN mkdir -p /etc && echo 3.22.2 > /etc/alpine-release && printf 'ID=alpine\\nVERSION_ID=3.22.2\\n' > /etc/os-release\n", true)

	env := Env{Docker: cli, Values: lessons.Values{Workdir: t.TempDir(), Step: "trivy", Course: "dttest"}}
	ctx := context.Background()
	report, err := TrivyReportOf(ctx, env, tag)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(report), `"Target": "`+tag+` (alpine 3.22.2)"`) {
		t.Fatalf("no OS packages' result for alpine 3.22.2:\n%s", report)
	}
	spec := &lessons.TrivyReport{File: "report.json", Image: tag}
	write := func(data []byte) {
		if err := os.WriteFile(filepath.Join(env.Values.Workdir, "report.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(report)
	if f := trivyReport(ctx, env, spec); f.outcome != Pass {
		t.Fatalf("trivy's report: %s %q", f.outcome, f.message)
	}
	for part, edit := range map[string]func(r map[string]any){
		"Metadata.ImageID":     func(r map[string]any) { metadata(r)["ImageID"] = "sha256:" + strings.Repeat("0", 64) },
		"Metadata.DiffIDs":     func(r map[string]any) { metadata(r)["DiffIDs"] = []string{"sha256:" + strings.Repeat("0", 64)} },
		"Metadata.ImageConfig": func(r map[string]any) { metadata(r)["ImageConfig"].(map[string]any)["architecture"] = "s390x" },
		"alpine 3.22.2":        func(r map[string]any) { metadata(r)["OS"] = map[string]any{"Family": "alpine", "Name": "3.21.0"} },
		"empty Results":        func(r map[string]any) { r["Results"] = []any{} },
		"OS packages":          func(r map[string]any) { delete(r, "Results") },
	} {
		var r map[string]any
		if err := json.Unmarshal(report, &r); err != nil {
			t.Fatal(err)
		}
		edit(r)
		data, _ := json.Marshal(r)
		write(data)
		if f := trivyReport(ctx, env, spec); f.outcome != Fail || !strings.Contains(f.message, part) {
			t.Errorf("%s changed: %s %q, want a failure that names it", part, f.outcome, f.message)
		}
	}
}

// Debian's /etc/os-release is a symbolic link to /usr/lib/os-release, and
// its version is in /etc/debian_version: read through the real daemon as
// trivy reads them.
func TestTrivyReportOfDebianLayout(t *testing.T) {
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	suffix := make([]byte, 4)
	rand.Read(suffix)
	tag := "dttest-check/trivy-debian-" + hex.EncodeToString(suffix) + ":latest"
	t.Cleanup(func() {
		cli.ImageRemove(context.Background(), tag, client.ImageRemoveOptions{Force: true, PruneChildren: true})
	})
	buildClassic(t, cli, tag, "FROM alpine:3.22\n"+
		"RUN mkdir -p /usr/lib /etc && printf 'ID=debian\\nVERSION_ID=\"12\"\\n' > /usr/lib/os-release && ln -s ../usr/lib/os-release /etc/os-release && echo 12.8 > /etc/debian_version\n", true)
	env := Env{Docker: cli, Values: lessons.Values{Workdir: t.TempDir(), Step: "trivy", Course: "dttest"}}
	report, err := TrivyReportOf(context.Background(), env, tag)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(report), `"Target": "`+tag+` (debian 12.8)"`) {
		t.Fatalf("no OS packages' result for debian 12.8:\n%s", report)
	}
}
