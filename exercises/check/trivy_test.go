package check

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"

	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/lessons"
)

var appLayers = []string{
	"sha256:1111111111111111111111111111111111111111111111111111111111111111",
	"sha256:2222222222222222222222222222222222222222222222222222222222222222",
}

// alpineApp puts app on the fake daemon as an Alpine 3.22.2 image.
func alpineApp(d *fakedaemon.Daemon) {
	release := []byte("3.22.2\n")
	d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}, Layers: appLayers,
		Files:        map[string]container.PathStat{"/etc/alpine-release": {Name: "alpine-release", Size: int64(len(release))}},
		FileContents: map[string][]byte{"/etc/alpine-release": release}})
}

// edited is the report of the image as trivy writes it, changed by edit.
func edited(t *testing.T, env Env, name string, edit func(r map[string]any)) string {
	t.Helper()
	data, err := TrivyReportOf(context.Background(), env, name)
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	edit(r)
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func metadata(r map[string]any) map[string]any { return r["Metadata"].(map[string]any) }

func TestTrivyReport(t *testing.T) {
	env, d := testEnv(t)
	spec := &lessons.TrivyReport{File: "report.json", Image: app}
	expect(t, checkOne(t, context.Background(), env, spec), Fail,
		"There is no image dttest/app:latest yet: build it (r in the tutor, or the docker build command in the text).")
	alpineApp(d)
	expect(t, checkOne(t, context.Background(), env, spec), Fail,
		"There is no report.json in the step folder yet: trivy image --format json --output report.json dttest/app:latest")

	writeFile(t, env, "report.json", "Total: 3 (HIGH: 3)")
	if r := checkOne(t, context.Background(), env, spec); r.Outcome != Fail || !strings.HasPrefix(r.Message, "report.json is not JSON (") || !strings.HasSuffix(r.Message, "): use --format json.") {
		t.Errorf("%s %q", r.Outcome, r.Message)
	}
	writeFile(t, env, "report.json", `{"SchemaVersion": 1}`)
	expect(t, checkOne(t, context.Background(), env, spec), Fail, "report.json is not a trivy JSON report (no SchemaVersion 2 and ArtifactName).")

	of := Evidence{Where: "report.json", Detail: "report of dttest/app (container_image)"}
	const again = "scan dttest/app:latest again with trivy image --format json."
	for _, tc := range []struct {
		name    string
		edit    func(r map[string]any)
		message string
		more    []Evidence
	}{
		{"as trivy writes it", func(map[string]any) {}, "report.json is trivy's report of dttest/app:latest as it is now.", nil},
		{"a filesystem scan", func(r map[string]any) { r["ArtifactType"] = "filesystem" },
			"report.json is a report of a filesystem, not of an image: scan with trivy image.", nil},
		{"no image ID", func(r map[string]any) { delete(metadata(r), "ImageID") },
			"report.json has no Metadata.ImageID, which trivy writes into every image report: " + again, nil},
		{"an older build", func(r map[string]any) { metadata(r)["ImageID"] = "sha256:" + strings.Repeat("f", 64) },
			"report.json is a report of another image or an older build of dttest/app:latest (Metadata.ImageID does not match): " + again,
			[]Evidence{{Where: "Metadata.ImageID", Detail: "sha256:" + strings.Repeat("f", 64)}, {Where: app, Detail: appID}}},
		{"a layer left out", func(r map[string]any) { metadata(r)["DiffIDs"] = appLayers[:1] },
			"report.json lists other layers than dttest/app:latest has (Metadata.DiffIDs): it was edited or comes from another image; " + again,
			[]Evidence{{Where: "Metadata.DiffIDs", Detail: "1 layers"}, {Where: app, Detail: "2 layers"}}},
		{"another config", func(r map[string]any) { metadata(r)["ImageConfig"] = map[string]any{"os": "linux"} },
			"report.json has a Metadata.ImageConfig that does not describe dttest/app:latest (its os, architecture or rootfs.diff_ids differ): it was edited or comes from another image; " + again, nil},
		{"no OS", func(r map[string]any) { delete(metadata(r), "OS") },
			"report.json has no Metadata.OS, but dttest/app:latest is alpine 3.22.2: trivy records the OS it detects.", nil},
		{"another OS", func(r map[string]any) { metadata(r)["OS"] = map[string]any{"Family": "debian", "Name": "12.8"} },
			"report.json says the OS is debian 12.8, but dttest/app:latest is alpine 3.22.2.",
			[]Evidence{{Where: "Metadata.OS", Detail: "debian 12.8"}, {Where: app + ":/etc/alpine-release", Detail: "alpine 3.22.2"}}},
		{"an empty result list", func(r map[string]any) { r["Results"] = []any{} },
			"report.json has an empty Results list, which trivy never writes: it leaves Results out when it has nothing to report, and an image with a known OS always gets a result for its OS packages.", nil},
		{"no results", func(r map[string]any) { delete(r, "Results") },
			`report.json has no result for the OS packages of dttest/app:latest (Class os-pkgs, Target "dttest/app (alpine 3.22.2)"), which trivy writes for every image with a known OS, even when it finds no vulnerabilities.`, nil},
		{"only a secret result", func(r map[string]any) {
			r["Results"] = []any{map[string]any{"Target": "/app/key.pem", "Class": "secret"}}
		},
			`report.json has no result for the OS packages of dttest/app:latest (Class os-pkgs, Target "dttest/app (alpine 3.22.2)"), which trivy writes for every image with a known OS, even when it finds no vulnerabilities.`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Written as trivy names it when given the name without the tag.
			writeFile(t, env, "report.json", edited(t, env, "dttest/app", tc.edit))
			outcome := Fail
			if tc.name == "as trivy writes it" {
				outcome = Pass
			}
			if tc.name == "a filesystem scan" {
				expect(t, checkOne(t, context.Background(), env, spec), outcome, tc.message, Evidence{Where: "report.json", Detail: "report of dttest/app (filesystem)"})
				return
			}
			expect(t, checkOne(t, context.Background(), env, spec), outcome, tc.message, append([]Evidence{of}, tc.more...)...)
		})
	}

	// The same image scanned by its ID or from an archive (trivy image
	// --input image.tar): trivy names it so, and its ImageID is the image's.
	for _, name := range []string{"image.tar", strings.TrimPrefix(appID, "sha256:")[:12]} {
		writeFile(t, env, "report.json", edited(t, env, "dttest/app", func(r map[string]any) {
			r["ArtifactName"] = name
			for _, res := range r["Results"].([]any) {
				res := res.(map[string]any)
				res["Target"] = strings.Replace(res["Target"].(string), "dttest/app", name, 1)
			}
		}))
		expect(t, checkOne(t, context.Background(), env, spec), Pass, "report.json is trivy's report of dttest/app:latest as it is now.",
			Evidence{Where: "report.json", Detail: "report of " + name + " (container_image)"})
	}

	// A report of another image, whole.
	d.AddImage(fakedaemon.Image{Tags: []string{"alpine:3.22"}, Layers: appLayers[:1]})
	writeFile(t, env, "report.json", edited(t, env, "alpine:3.22", func(map[string]any) {}))
	expect(t, checkOne(t, context.Background(), env, spec), Fail, "report.json is a report of alpine:3.22, not of dttest/app:latest.",
		Evidence{Where: "report.json", Detail: "report of alpine:3.22 (container_image)"})
}

// An image without release files (the tests' busybox stand-ins) gets no OS
// from trivy, and so no OS packages' result: naming one is made up.
func TestTrivyReportImageWithoutOS(t *testing.T) {
	env, d := testEnv(t)
	d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}, Layers: appLayers})
	spec := &lessons.TrivyReport{File: "report.json", Image: app}
	data, err := TrivyReportOf(context.Background(), env, app)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), `"Results"`) || strings.Contains(string(data), `"OS":`) {
		t.Fatalf("trivy leaves out Results and OS here:\n%s", data)
	}
	writeFile(t, env, "report.json", string(data))
	of := Evidence{Where: "report.json", Detail: "report of dttest/app:latest (container_image)"}
	expect(t, checkOne(t, context.Background(), env, spec), Pass, "report.json is trivy's report of dttest/app:latest as it is now.", of)

	writeFile(t, env, "report.json", edited(t, env, app, func(r map[string]any) {
		metadata(r)["OS"] = map[string]any{"Family": "alpine", "Name": "3.22.2"}
	}))
	expect(t, checkOne(t, context.Background(), env, spec), Fail,
		"report.json names the OS alpine 3.22.2, but dttest/app:latest has no /etc/os-release or /etc/alpine-release, so trivy finds no OS in it.", of)
	writeFile(t, env, "report.json", edited(t, env, app, func(r map[string]any) { r["Results"] = []any{} }))
	expect(t, checkOne(t, context.Background(), env, spec), Fail,
		"report.json has an empty Results list, which trivy never writes: it leaves Results out when it has nothing to report, and an image with a known OS always gets a result for its OS packages.", of)
}

// Debian's trivy version comes from /etc/debian_version ("12.8"), finer
// than os-release's VERSION_ID ("12"); both are the image's.
func TestTrivyReportOSRelease(t *testing.T) {
	env, d := testEnv(t)
	release := []byte("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n")
	d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}, Layers: appLayers,
		Files:        map[string]container.PathStat{"/etc/os-release": {Name: "os-release", Size: int64(len(release))}},
		FileContents: map[string][]byte{"/etc/os-release": release}})
	spec := &lessons.TrivyReport{File: "report.json", Image: app}
	of := Evidence{Where: "report.json", Detail: "report of dttest/app (container_image)"}
	debian := func(name string) func(r map[string]any) {
		return func(r map[string]any) {
			metadata(r)["OS"] = map[string]any{"Family": "debian", "Name": name}
			r["Results"] = []any{map[string]any{"Target": "dttest/app (debian " + name + ")", "Class": "os-pkgs", "Type": "debian"}}
		}
	}
	writeFile(t, env, "report.json", edited(t, env, "dttest/app", debian("12.8")))
	expect(t, checkOne(t, context.Background(), env, spec), Pass, "report.json is trivy's report of dttest/app:latest as it is now.", of)
	writeFile(t, env, "report.json", edited(t, env, "dttest/app", debian("11.11")))
	expect(t, checkOne(t, context.Background(), env, spec), Fail, "report.json says the OS is debian 11.11, but dttest/app:latest is debian 12.", of,
		Evidence{Where: "Metadata.OS", Detail: "debian 11.11"}, Evidence{Where: app + ":/etc/os-release", Detail: "debian 12"})
	writeFile(t, env, "report.json", edited(t, env, "dttest/app", debian("120")))
	if r := checkOne(t, context.Background(), env, spec); r.Outcome != Fail {
		t.Errorf("12 is not 120: %s %q", r.Outcome, r.Message)
	}

	// With /etc/debian_version, the version is exact, as trivy writes it.
	img := d.Image(app)
	img.Files["/etc/debian_version"] = container.PathStat{Name: "debian_version", Size: 5}
	img.FileContents["/etc/debian_version"] = []byte("12.8\n")
	if data, err := TrivyReportOf(context.Background(), env, "dttest/app"); err != nil || !strings.Contains(string(data), `"Target": "dttest/app (debian 12.8)"`) {
		t.Fatalf("%v\n%s", err, data)
	}
	writeFile(t, env, "report.json", edited(t, env, "dttest/app", debian("12.7")))
	expect(t, checkOne(t, context.Background(), env, spec), Fail, "report.json says the OS is debian 12.7, but dttest/app:latest is debian 12.8.", of,
		Evidence{Where: "Metadata.OS", Detail: "debian 12.7"}, Evidence{Where: app + ":/etc/debian_version", Detail: "debian 12.8"})
	delete(img.Files, "/etc/debian_version")

	// An OS whose version trivy reads from elsewhere is not judged.
	release = []byte("ID=rocky\nVERSION_ID=\"9.5\"\n")
	d.Image(app).FileContents["/etc/os-release"] = release
	writeFile(t, env, "report.json", edited(t, env, "dttest/app", func(r map[string]any) {
		metadata(r)["OS"] = map[string]any{"Family": "rocky", "Name": "9.5"}
		r["Results"] = []any{map[string]any{"Target": "dttest/app (rocky 9.5)", "Class": "os-pkgs", "Type": "rocky"}}
	}))
	expect(t, checkOne(t, context.Background(), env, spec), Pass, "report.json is trivy's report of dttest/app:latest as it is now.", of)
}

func TestTrivyReportUnreadable(t *testing.T) {
	env, d := testEnv(t)
	alpineApp(d)
	writeFile(t, env, "report.json/inside", "")
	r := checkOne(t, context.Background(), env, &lessons.TrivyReport{File: "report.json"})
	if r.Outcome != Error || !strings.Contains(r.Message, "is a directory") {
		t.Fatalf("%s %q", r.Outcome, r.Message)
	}
}
