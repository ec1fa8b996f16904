package check

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"

	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/exercises/labels"
	"github.com/dockertutor/dockertutor/lessons"
)

func TestImageExists(t *testing.T) {
	env, d := testEnv(t)
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageExists{}), Fail,
		"There is no image dttest/app:latest yet: build it (r in the tutor, or the docker build command in the text).")
	d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}, Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageExists{}), Pass,
		"The image dttest/app:latest exists (0123456789ab, built 2026-01-02T03:04:05Z).")
	// Another name given in the spec wins over the step's image.
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageExists{Image: "dttest/other"}), Fail,
		"There is no image dttest/other yet: build it (r in the tutor, or the docker build command in the text).")
	d.FailOn("ImageInspect", errors.New("permission denied"))
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageExists{}), Error, "permission denied")
}

func TestImageFresh(t *testing.T) {
	began := time.Now().Add(-time.Hour).Truncate(time.Second)
	env, d := testEnv(t)
	img := d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}, Created: began.Add(-time.Hour)})
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageFresh{}), Fail,
		"The step has not been opened yet, so no build can count as made for it: open it (dockertutor show or the tutor), then build.")

	env.Began = began
	old := Evidence{Where: app, Detail: fmt.Sprintf("created %s, last tagged never; step opened %s", fmtTime(began.Add(-time.Hour)), fmtTime(began))}
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageFresh{}), Fail,
		"dttest/app:latest is older than this step: build it again now.", old)

	// Tagged after the step opened (Docker 20.10 moves LastTagTime on a
	// cached rebuild).
	img.LastTagTime = began.Add(time.Minute)
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageFresh{}), Pass,
		"dttest/app:latest was built after you opened this step.",
		Evidence{Where: app, Detail: fmt.Sprintf("created %s, last tagged %s; step opened %s", fmtTime(began.Add(-time.Hour)), fmtTime(began.Add(time.Minute)), fmtTime(began))})

	// Within the clock slack of the step's opening counts as after.
	img.LastTagTime = time.Time{}
	img.Created = began.Add(-clockSlack / 2)
	if r := checkOne(t, context.Background(), env, &lessons.ImageFresh{}); r.Outcome != Pass {
		t.Errorf("built %s before the step opened: %s %q", clockSlack/2, r.Outcome, r.Message)
	}
}

// Another learner's image, tagged with this learner's name after the step
// opened, is not this learner's build.
func TestImageFreshNotAnotherLearners(t *testing.T) {
	began := time.Now().Add(-time.Hour).Truncate(time.Second)
	env, d := testEnv(t)
	env.Began = began
	env.Values.Learner = "bob-0a1b2c"
	d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}, Created: began.Add(time.Minute), Labels: map[string]string{labels.Tool: labels.ToolName, labels.Namespace: "alice-3f9a2c"}})
	r := checkOne(t, context.Background(), env, &lessons.ImageFresh{})
	if r.Outcome != Fail || r.Message != "dttest/app:latest was built by the tutor of another learner (alice-3f9a2c) and only tagged with your image's name: build it yourself." {
		t.Errorf("%s %q", r.Outcome, r.Message)
	}
	env.Values.Learner = "alice-3f9a2c"
	if r := checkOne(t, context.Background(), env, &lessons.ImageFresh{}); r.Outcome != Pass {
		t.Errorf("the learner's own build: %s %q", r.Outcome, r.Message)
	}
}

// The containerd image store keeps LastTagTime on a rebuild from the
// cache and only logs a tag event: the event log counts.
func TestImageFreshFromTagEvents(t *testing.T) {
	began := time.Now().Add(-time.Hour).Truncate(time.Second)
	env, d := testEnv(t)
	env.Began = began
	d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}, Created: began.Add(-time.Hour)})
	tag := func(name string, at time.Time, action events.Action) {
		d.AddEvent(events.Message{Type: events.ImageEventType, Action: action, TimeNano: at.UnixNano(),
			Actor: events.Actor{ID: appID, Attributes: map[string]string{"name": name}}})
	}
	tag(app, began.Add(-time.Minute), events.ActionTag)                            // before the step
	tag("dttest/other:latest", began.Add(time.Minute), events.ActionTag)           // another image
	tag("docker.io/dttest/app:latest", began.Add(time.Minute), events.ActionUnTag) // not a tag
	if r := checkOne(t, context.Background(), env, &lessons.ImageFresh{}); r.Outcome != Fail {
		t.Fatalf("no tag of the image since the step opened: %s %q", r.Outcome, r.Message)
	}
	at := began.Add(2 * time.Minute)
	tag("docker.io/dttest/app:latest", at, events.ActionTag)
	tag(app, began.Add(90*time.Second), events.ActionTag) // an earlier one: the last counts
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageFresh{}), Pass,
		"dttest/app:latest was built again (from the cache) after you opened this step.",
		Evidence{Where: app, Detail: fmt.Sprintf("created %s, last tagged never; step opened %s; tagged again %s (daemon events)",
			fmtTime(began.Add(-time.Hour)), fmtTime(began), fmtTime(at))})

	// An event log that fails proves nothing either way.
	d.FailOn("Events", errors.New("events unavailable"))
	if r := checkOne(t, context.Background(), env, &lessons.ImageFresh{}); r.Outcome != Fail {
		t.Fatalf("unreadable event log: %s %q", r.Outcome, r.Message)
	}
}

func TestImageFile(t *testing.T) {
	env, d := testEnv(t)
	d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}, Files: map[string]container.PathStat{
		"/app/server": {Name: "server", Size: 42, Mode: 0o755},
	}})
	have := Evidence{Where: "/app/server", Detail: "-rwxr-xr-x, 42 bytes"}
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageFile{Path: "/app/server"}), Pass,
		"dttest/app:latest has /app/server.", have)
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageFile{Path: "/app/server", Absent: true}), Fail,
		"dttest/app:latest still has /app/server: remove it from the image (in the same layer that made it, or never copy it in).", have)
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageFile{Path: "/src/main.go", Absent: true}), Pass,
		"dttest/app:latest has no /src/main.go.")
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageFile{Path: "/src/main.go"}), Fail,
		"dttest/app:latest has no /src/main.go: the final image must contain the build's output.")

	// The look is taken in a container that is labelled as the tutor's
	// and removed afterwards.
	if cs := d.Containers(); len(cs) != 0 {
		t.Fatalf("containers left behind: %+v", cs)
	}
	created := d.Called("ContainerCreate")
	if removed := d.Removed(); len(removed) != created || created != 4 {
		t.Fatalf("%d containers created, removed %v", created, removed)
	}

	d.FailOn("ContainerStatPath", errors.New("stat failed"))
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageFile{Path: "/app/server"}), Error, "stat failed")
	d.FailOn("ContainerCreate", errors.New("no space left on device"))
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageFile{Path: "/app/server"}), Error, "no space left on device")
}

// The container that looks at the files carries the step's labels, so
// reset finds it if the removal ever fails.
func TestImageFileLabelsItsContainer(t *testing.T) {
	env, d := testEnv(t)
	d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}})
	d.FailOn("ContainerRemove", errors.New("removal failed"))
	checkOne(t, context.Background(), env, &lessons.ImageFile{Path: "/x"})
	cs := d.Containers()
	if len(cs) != 1 || !labels.Owned(cs[0].Labels) || cs[0].Labels[labels.Step] != "s1" || cs[0].Labels[labels.Course] != "c1" || cs[0].ImageID != appID {
		t.Fatalf("container %+v", cs)
	}
}

func TestImageEnv(t *testing.T) {
	env, d := testEnv(t)
	d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}, Env: []string{"PATH=/bin", "API_TOKEN=" + secret}})
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageEnv{Name: "API_TOKEN", Absent: true}), Fail,
		"The image config sets API_TOKEN: everyone who can pull the image can read it with docker image inspect. The running service needs it, so leave it out of the image and hand it in when the container starts: docker run -e API_TOKEN (taken from your shell's environment), --env-file, or a secrets store.",
		Evidence{Where: "Config.Env", Detail: "API_TOKEN=…"})
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageEnv{Name: "API_TOKEN"}), Pass, "The image config sets API_TOKEN.")
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageEnv{Name: "API", Absent: true}), Pass, "The image config does not set API.")
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageEnv{Name: "PORT"}), Fail, "The image config does not set PORT: add ENV PORT=… to the Dockerfile.")
}

func TestImageLabel(t *testing.T) {
	env, d := testEnv(t)
	d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}, Labels: map[string]string{"org.opencontainers.image.source": "https://example.org/app", "empty": " "}})
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageLabel{Key: "org.opencontainers.image.source"}), Pass,
		"dttest/app:latest carries org.opencontainers.image.source.",
		Evidence{Where: "Config.Labels", Detail: "org.opencontainers.image.source=https://example.org/app"})
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageLabel{Key: "org.opencontainers.image.source", Value: "https://example.org/other"}), Fail,
		`The label org.opencontainers.image.source is "https://example.org/app"; this step expects "https://example.org/other".`,
		Evidence{Where: "Config.Labels", Detail: "org.opencontainers.image.source=https://example.org/app"})
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageLabel{Key: "version"}), Fail,
		"dttest/app:latest has no label version: add LABEL version=… to the Dockerfile and build again.")
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageLabel{Key: "empty"}), Fail, "The label empty is empty.")
}

func TestImageLabelFormat(t *testing.T) {
	labels := map[string]string{
		"source": "https://github.com/example/hello", "name-only": "hello", "no-host": "https:///x", "ssh": "git@github.com:example/hello.git",
		"commit": "2f1c9e0d4b7a8c3e5f6a1b2c3d4e5f6a7b8c9d0e", "short": "2f1c9e0", "branch": "main", "tag": "v1.2.0", "upper": "2F1C9E0D",
	}
	env, d := testEnv(t)
	d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}, Labels: labels})
	for key, want := range map[string]Outcome{"source": Pass, "name-only": Fail, "no-host": Fail, "ssh": Fail} {
		if r := checkOne(t, context.Background(), env, &lessons.ImageLabel{Key: key, Format: lessons.LabelURL}); r.Outcome != want {
			t.Errorf("url %s=%q: %s %q", key, labels[key], r.Outcome, r.Message)
		}
	}
	for key, want := range map[string]Outcome{"commit": Pass, "short": Pass, "branch": Fail, "tag": Fail, "upper": Fail} {
		if r := checkOne(t, context.Background(), env, &lessons.ImageLabel{Key: key, Format: lessons.LabelCommit}); r.Outcome != want {
			t.Errorf("commit %s=%q: %s %q", key, labels[key], r.Outcome, r.Message)
		}
	}
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageLabel{Key: "branch", Format: lessons.LabelCommit}), Fail,
		`The label branch is "main", which is not a commit hash: a branch or tag name moves to other commits, so write the commit itself, as git rev-parse HEAD prints it (7 to 64 hex digits, lower case).`,
		Evidence{Where: "Config.Labels", Detail: "branch=main"})
}

func TestImageUser(t *testing.T) {
	for user, want := range map[string]Outcome{"": Fail, "root": Fail, "0": Fail, "root:staff": Fail, "0:0": Fail, "app": Pass, "1000:1000": Pass} {
		env, d := testEnv(t)
		d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}, User: user})
		r := checkOne(t, context.Background(), env, &lessons.ImageUser{})
		if want == Pass {
			expect(t, r, Pass, "dttest/app:latest runs as "+user+".")
		} else {
			expect(t, r, Fail, "dttest/app:latest runs as root: add USER with an unprivileged user.", Evidence{Where: "Config.User", Detail: fmt.Sprintf("%q", user)})
		}
	}
}

func TestImageSize(t *testing.T) {
	env, d := testEnv(t)
	d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}, Size: 2_500_000})
	ev := Evidence{Where: app, Detail: "2.5 MB"}
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageSize{Max: "3MB"}), Pass, "dttest/app:latest is 2.5 MB.", ev)
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageSize{Max: "2MB"}), Fail, "dttest/app:latest is 2.5 MB, more than 2MB.", ev)
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageSize{Max: "lots"}), Error, `size "lots": write a number and a unit, such as 20MB`)

	expect(t, checkOne(t, context.Background(), env, &lessons.ImageSize{SmallerThan: "dttest/fat"}), Fail,
		"There is no image dttest/fat to compare with: build it first.", ev)
	d.AddImage(fakedaemon.Image{Tags: []string{"dttest/fat:latest"}, Size: 1_200_000_000})
	d.AddImage(fakedaemon.Image{Tags: []string{"dttest/thin:latest"}, Size: 900})
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageSize{SmallerThan: "dttest/fat"}), Pass,
		"dttest/app:latest is 2.5 MB.", ev, Evidence{Where: "dttest/fat", Detail: "1.2 GB"})
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageSize{Max: "1GB", SmallerThan: "dttest/thin"}), Fail,
		"dttest/app:latest (2.5 MB) is not smaller than dttest/thin (900 B).", ev, Evidence{Where: "dttest/thin", Detail: "900 B"})

	d.AddImage(fakedaemon.Image{Tags: []string{"dttest/mid:latest"}, Size: 4_200})
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageSize{SmallerThan: "dttest/mid"}), Fail,
		"dttest/app:latest (2.5 MB) is not smaller than dttest/mid (4.2 kB).", ev, Evidence{Where: "dttest/mid", Detail: "4.2 kB"})
}

// BuildKit on Docker 20.10 tags a cached, byte-identical result with no
// new creation time, tag time or event: the name pointing at another
// image than when the step began, or at one at all, is the build's trace.
func TestImageFreshAgainstTheStepsStart(t *testing.T) {
	began := time.Now().Add(-time.Hour).Truncate(time.Second)
	env, d := testEnv(t)
	env.Began = began
	d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}, Created: began.Add(-time.Hour)})
	old := fmt.Sprintf("created %s, last tagged never; step opened %s", fmtTime(began.Add(-time.Hour)), fmtTime(began))

	env.Before = map[string]string{app: appID} // the same image as then: nothing done
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageFresh{}), Fail,
		"dttest/app:latest is older than this step: build it again now.", Evidence{Where: app, Detail: old})

	env.Before = map[string]string{app: ""}
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageFresh{}), Pass,
		"dttest/app:latest was not there when you opened this step: you built it since.",
		Evidence{Where: app, Detail: old + "; no such image when the step opened"})

	env.Before = map[string]string{app: "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"}
	expect(t, checkOne(t, context.Background(), env, &lessons.ImageFresh{}), Pass,
		"dttest/app:latest names another image than when you opened this step: you built it since.",
		Evidence{Where: app, Detail: old + "; fedcba987654 when the step opened"})

	env.Before = map[string]string{"dttest/other:latest": ""} // another name's state says nothing
	if r := checkOne(t, context.Background(), env, &lessons.ImageFresh{}); r.Outcome != Fail {
		t.Errorf("another name's start: %s %q", r.Outcome, r.Message)
	}
}
