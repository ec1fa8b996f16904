package check

import (
	"context"
	"strings"
	"testing"

	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/lessons"
)

func trivyJSON(artifact, imageID string) string {
	return `{"SchemaVersion": 2, "ArtifactName": "` + artifact + `", "ArtifactType": "container_image", "Metadata": {"ImageID": "` + imageID + `"}, "Results": []}`
}

func TestTrivyReport(t *testing.T) {
	env, d := testEnv(t)
	spec := &lessons.TrivyReport{File: "report.json"}
	expect(t, checkOne(t, context.Background(), env, spec), Fail,
		"There is no report.json in the step folder yet: trivy image --format json --output report.json dttest/app:latest")

	writeFile(t, env, "report.json", "Total: 3 (HIGH: 3)")
	if r := checkOne(t, context.Background(), env, spec); r.Outcome != Fail || !strings.HasPrefix(r.Message, "report.json is not JSON (") || !strings.HasSuffix(r.Message, "): use --format json.") {
		t.Errorf("%s %q", r.Outcome, r.Message)
	}
	writeFile(t, env, "report.json", `{"SchemaVersion": 1}`)
	expect(t, checkOne(t, context.Background(), env, spec), Fail, "report.json is not a trivy JSON report (no SchemaVersion 2 and ArtifactName).")

	writeFile(t, env, "report.json", trivyJSON("alpine:3.22", ""))
	expect(t, checkOne(t, context.Background(), env, spec), Fail, "report.json is a report of alpine:3.22, not of dttest/app:latest.",
		Evidence{Where: "report.json", Detail: "report of alpine:3.22 (container_image)"})

	// Written as trivy names it, without the tag.
	ok := Evidence{Where: "report.json", Detail: "report of docker.io/dttest/app (container_image)"}
	writeFile(t, env, "report.json", trivyJSON("docker.io/dttest/app", appID))
	d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}})
	expect(t, checkOne(t, context.Background(), env, spec), Pass, "report.json is a trivy report of dttest/app:latest.", ok)

	// With no daemon, the file alone decides.
	noDaemon := env
	noDaemon.Docker = nil
	r := checkOne(t, context.Background(), noDaemon, spec)
	expect(t, r, Pass, "report.json is a trivy report of dttest/app:latest.", ok)

	// A report of the image's earlier build.
	d.Image(app).ID = "sha256:" + strings.Repeat("f", 64)
	expect(t, checkOne(t, context.Background(), env, spec), Fail, "report.json is a report of an older build of dttest/app:latest: scan it again.", ok)
}

func TestTrivyReportUnreadable(t *testing.T) {
	env, _ := testEnv(t)
	writeFile(t, env, "report.json/inside", "")
	r := checkOne(t, context.Background(), env, &lessons.TrivyReport{File: "report.json"})
	if r.Outcome != Error || !strings.Contains(r.Message, "is a directory") {
		t.Fatalf("%s %q", r.Outcome, r.Message)
	}
}
