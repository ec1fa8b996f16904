package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/labels"
	"github.com/dockertutor/dockertutor/exercises/leak"
	"github.com/dockertutor/dockertutor/lessons"
)

// Docker is the part of the Docker client the checks use; *client.Client
// has it.
type Docker interface {
	leak.DockerAPI
	ContainerList(ctx context.Context, options client.ContainerListOptions) (client.ContainerListResult, error)
	ContainerInspect(ctx context.Context, id string, options client.ContainerInspectOptions) (client.ContainerInspectResult, error)
	ContainerLogs(ctx context.Context, id string, options client.ContainerLogsOptions) (client.ContainerLogsResult, error)
	ContainerCreate(ctx context.Context, options client.ContainerCreateOptions) (client.ContainerCreateResult, error)
	ContainerStatPath(ctx context.Context, id string, options client.ContainerStatPathOptions) (client.ContainerStatPathResult, error)
	ContainerRemove(ctx context.Context, id string, options client.ContainerRemoveOptions) (client.ContainerRemoveResult, error)
	Events(ctx context.Context, options client.EventsListOptions) client.EventsResult
}

// clockSlack absorbs the difference between this machine's clock and the
// daemon's (a VM on macOS and Windows) when comparing build times.
const clockSlack = 5 * time.Second

func evaluateDocker(ctx context.Context, env Env, spec lessons.CheckSpec) finding {
	switch s := spec.(type) {
	case *lessons.DockerfileParses:
		return dockerfileParses(env, s)
	case *lessons.DockerfileBase:
		return dockerfileBase(env, s)
	case *lessons.DockerfileStages:
		return dockerfileStages(env, s)
	case *lessons.DockerfileCopiesFromStage:
		return dockerfileCopiesFromStage(env, s)
	case *lessons.DockerfileSecretMount:
		return dockerfileSecretMount(env, s)
	case *lessons.DockerfileNoSecretArgs:
		return dockerfileNoSecretArgs(env, s)
	case *lessons.TrivyReport:
		return trivyReport(ctx, env, s)
	}
	if env.Docker == nil {
		err := ErrDockerUnreachable
		if env.DockerErr != nil {
			err = fmt.Errorf("%w: %v", ErrDockerUnreachable, env.DockerErr)
		}
		return broken(err)
	}
	switch s := spec.(type) {
	case *lessons.ImageExists:
		return withImage(ctx, env, s.Image, func(img client.ImageInspectResult) finding {
			return passed(fmt.Sprintf("The image %s exists (%s, built %s).", s.Image, shortID(img.ID), img.Created))
		})
	case *lessons.ImageFresh:
		return imageFresh(ctx, env, s)
	case *lessons.ImageFile:
		return imageFile(ctx, env, s)
	case *lessons.ImageEnv:
		return imageEnv(ctx, env, s)
	case *lessons.ImageLabel:
		return imageLabel(ctx, env, s)
	case *lessons.ImageUser:
		return imageUser(ctx, env, s)
	case *lessons.ImageSize:
		return imageSize(ctx, env, s)
	case *lessons.LeakAbsent:
		return leakCheck(ctx, env, s.Image, false)
	case *lessons.LeakFound:
		return leakCheck(ctx, env, s.Image, true)
	case *lessons.ContainerRuntimeEnv:
		return containerRuntimeEnv(ctx, env, s)
	case *lessons.ContainerExitCode:
		return containerExitCode(ctx, env, s)
	case *lessons.ContainerLog:
		return containerLog(ctx, env, s)
	}
	return broken(fmt.Errorf("unknown check spec %T", spec))
}

// dockerError turns a client error into a finding: unreachable daemons are
// errors, not the learner's failures.
func dockerError(err error) finding {
	if client.IsErrConnectionFailed(err) {
		return broken(fmt.Errorf("%w: %v", ErrDockerUnreachable, err))
	}
	return broken(err)
}

func withImage(ctx context.Context, env Env, ref string, fn func(client.ImageInspectResult) finding) finding {
	img, err := env.Docker.ImageInspect(ctx, ref)
	if cerrdefs.IsNotFound(err) {
		return failed(fmt.Sprintf("There is no image %s yet: build it (r in the tutor, or the docker build command in the text).", ref))
	}
	if err != nil {
		return dockerError(err)
	}
	return fn(img)
}

func imageFresh(ctx context.Context, env Env, s *lessons.ImageFresh) finding {
	return withImage(ctx, env, s.Image, func(img client.ImageInspectResult) finding {
		if env.Began.IsZero() {
			return failed("The step has not been opened yet, so no build can count as made for it: open it (dockertutor show or the tutor), then build.")
		}
		created, _ := time.Parse(time.RFC3339Nano, img.Created)
		tagged := img.Metadata.LastTagTime
		since := env.Began.Add(-clockSlack)
		ev := Evidence{Where: s.Image, Detail: fmt.Sprintf("created %s, last tagged %s; step opened %s", fmtTime(created), fmtTime(tagged), fmtTime(env.Began))}
		if created.After(since) || tagged.After(since) {
			return passed(fmt.Sprintf("%s was built after you opened this step.", s.Image), ev)
		}
		// A build from the cache yields the image the name already had.
		// Docker 20.10 moves LastTagTime then; the containerd image store
		// (Docker 29) keeps it and only logs the tag as an event.
		if at, ok := taggedSince(ctx, env.Docker, s.Image, since); ok {
			ev.Detail += fmt.Sprintf("; tagged again %s (daemon events)", fmtTime(at))
			return passed(fmt.Sprintf("%s was built again (from the cache) after you opened this step.", s.Image), ev)
		}
		return failed(fmt.Sprintf("%s is older than this step: build it again now.", s.Image), ev)
	})
}

// eventsWait bounds the read of the daemon's event log, which ends by
// itself once it reaches the given until.
const eventsWait = 5 * time.Second

// taggedSince reports the last time the daemon's event log shows ref being
// tagged since t. The log is the daemon's recent memory only (Docker keeps
// its last 256 events), which covers a build the learner just made; an
// unreadable log proves nothing either way.
func taggedSince(ctx context.Context, d Docker, ref string, since time.Time) (time.Time, bool) {
	ctx, cancel := context.WithTimeout(ctx, eventsWait)
	defer cancel()
	// Names are matched here rather than by the daemon's image filter,
	// which compares them as written (x vs docker.io/library/x:latest).
	res := d.Events(ctx, client.EventsListOptions{
		Since:   strconv.FormatInt(since.Unix(), 10),
		Until:   strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10),
		Filters: make(client.Filters).Add("type", string(events.ImageEventType)).Add("event", string(events.ActionTag)),
	})
	var last time.Time
	for {
		select {
		case m := <-res.Messages:
			at := time.Unix(0, m.TimeNano)
			if sameImageName(m.Actor.Attributes["name"], ref) && !at.Before(since) && at.After(last) {
				last = at
			}
		case <-res.Err:
			// io.EOF once the log up to until is read; the client sends
			// every message before it.
			return last, !last.IsZero()
		case <-ctx.Done():
			return last, !last.IsZero()
		}
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("15:04:05 Jan 2")
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func imageFile(ctx context.Context, env Env, s *lessons.ImageFile) finding {
	return withImage(ctx, env, s.Image, func(img client.ImageInspectResult) finding {
		// Stat the path in a created, never started container: the
		// image's final filesystem, as a container would see it.
		created, err := env.Docker.ContainerCreate(ctx, client.ContainerCreateOptions{
			Config: &container.Config{
				Image:      img.ID,
				Cmd:        []string{"/dockertutor-never-runs"},
				Entrypoint: []string{},
				Labels:     labels.For(env.Values.Namespace(), env.Values.Course, env.Values.Step),
			},
		})
		if err != nil {
			return dockerError(err)
		}
		defer env.Docker.ContainerRemove(context.WithoutCancel(ctx), created.ID, client.ContainerRemoveOptions{Force: true})
		st, err := env.Docker.ContainerStatPath(ctx, created.ID, client.ContainerStatPathOptions{Path: s.Path})
		exists := err == nil
		if err != nil && !cerrdefs.IsNotFound(err) {
			return dockerError(err)
		}
		switch {
		case exists && !s.Absent:
			return passed(fmt.Sprintf("%s has %s.", s.Image, s.Path), Evidence{Where: s.Path, Detail: fmt.Sprintf("%s, %d bytes", st.Stat.Mode, st.Stat.Size)})
		case exists:
			return failed(fmt.Sprintf("%s still has %s: remove it from the image (in the same layer that made it, or never copy it in).", s.Image, s.Path), Evidence{Where: s.Path, Detail: fmt.Sprintf("%s, %d bytes", st.Stat.Mode, st.Stat.Size)})
		case s.Absent:
			return passed(fmt.Sprintf("%s has no %s.", s.Image, s.Path))
		default:
			return failed(fmt.Sprintf("%s has no %s: the final image must contain the build's output.", s.Image, s.Path))
		}
	})
}

func envHas(envs []string, name string) (string, bool) {
	for _, e := range envs {
		k, v, _ := strings.Cut(e, "=")
		if k == name {
			return v, true
		}
	}
	return "", false
}

func imageEnv(ctx context.Context, env Env, s *lessons.ImageEnv) finding {
	return withImage(ctx, env, s.Image, func(img client.ImageInspectResult) finding {
		var envs []string
		if img.Config != nil {
			envs = img.Config.Env
		}
		_, has := envHas(envs, s.Name)
		switch {
		case has && s.Absent:
			return failed(fmt.Sprintf("The image config sets %s: everyone who can pull the image can read it with docker image inspect. Give it at run time instead (docker run -e %s).", s.Name, s.Name),
				Evidence{Where: "Config.Env", Detail: s.Name + "=…"})
		case has:
			return passed(fmt.Sprintf("The image config sets %s.", s.Name))
		case s.Absent:
			return passed(fmt.Sprintf("The image config does not set %s.", s.Name))
		default:
			return failed(fmt.Sprintf("The image config does not set %s: add ENV %s=… to the Dockerfile.", s.Name, s.Name))
		}
	})
}

func imageLabel(ctx context.Context, env Env, s *lessons.ImageLabel) finding {
	return withImage(ctx, env, s.Image, func(img client.ImageInspectResult) finding {
		var got string
		var has bool
		if img.Config != nil {
			got, has = img.Config.Labels[s.Key]
		}
		switch {
		case !has:
			return failed(fmt.Sprintf("%s has no label %s: add LABEL %s=… to the Dockerfile and build again.", s.Image, s.Key, s.Key))
		case s.Value != "" && got != s.Value:
			return failed(fmt.Sprintf("The label %s is %q; this step expects %q.", s.Key, got, s.Value), Evidence{Where: "Config.Labels", Detail: s.Key + "=" + got})
		case strings.TrimSpace(got) == "":
			return failed(fmt.Sprintf("The label %s is empty.", s.Key))
		}
		return passed(fmt.Sprintf("%s carries %s.", s.Image, s.Key), Evidence{Where: "Config.Labels", Detail: s.Key + "=" + got})
	})
}

func imageUser(ctx context.Context, env Env, s *lessons.ImageUser) finding {
	return withImage(ctx, env, s.Image, func(img client.ImageInspectResult) finding {
		user := ""
		if img.Config != nil {
			user = img.Config.User
		}
		name, _, _ := strings.Cut(user, ":")
		if name == "" || name == "root" || name == "0" {
			return failed(fmt.Sprintf("%s runs as root: add USER with an unprivileged user.", s.Image), Evidence{Where: "Config.User", Detail: fmt.Sprintf("%q", user)})
		}
		return passed(fmt.Sprintf("%s runs as %s.", s.Image, user))
	})
}

func imageSize(ctx context.Context, env Env, s *lessons.ImageSize) finding {
	return withImage(ctx, env, s.Image, func(img client.ImageInspectResult) finding {
		ev := []Evidence{{Where: s.Image, Detail: humanBytes(img.Size)}}
		if s.Max != "" {
			max, err := lessons.ParseSize(s.Max)
			if err != nil {
				return broken(err)
			}
			if img.Size > max {
				return failed(fmt.Sprintf("%s is %s, more than %s.", s.Image, humanBytes(img.Size), s.Max), ev...)
			}
		}
		if s.SmallerThan != "" {
			other, err := env.Docker.ImageInspect(ctx, s.SmallerThan)
			if cerrdefs.IsNotFound(err) {
				return failed(fmt.Sprintf("There is no image %s to compare with: build it first.", s.SmallerThan), ev...)
			}
			if err != nil {
				return dockerError(err)
			}
			ev = append(ev, Evidence{Where: s.SmallerThan, Detail: humanBytes(other.Size)})
			if img.Size >= other.Size {
				return failed(fmt.Sprintf("%s (%s) is not smaller than %s (%s).", s.Image, humanBytes(img.Size), s.SmallerThan, humanBytes(other.Size)), ev...)
			}
		}
		return passed(fmt.Sprintf("%s is %s.", s.Image, humanBytes(img.Size)), ev...)
	})
}

func humanBytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// maxEvidence caps the findings listed; the message gives the total.
const maxEvidence = 6

func leakCheck(ctx context.Context, env Env, ref string, wantFound bool) finding {
	rep, err := leak.Scan(ctx, leak.FromClient(env.Docker), ref, []byte(env.Values.Secret), leak.Options{})
	if errors.Is(err, leak.ErrNotFound) {
		return failed(fmt.Sprintf("There is no image %s yet: build it first.", ref))
	}
	if err != nil {
		return dockerError(err)
	}
	var ev []Evidence
	for _, f := range rep.Findings {
		if len(ev) == maxEvidence {
			break
		}
		ev = append(ev, Evidence{Where: findingPlace(f), Detail: findingDetail(f)})
	}
	n := len(rep.Findings) + rep.Omitted
	switch {
	case rep.Found() && wantFound:
		return passed(fmt.Sprintf("Your secret is in %s, in %d place(s): anyone who can pull the image can read it.", ref, n), ev...)
	case rep.Found():
		return failed(fmt.Sprintf("Your secret is still in %s, in %d place(s).", ref, n), ev...)
	case !rep.Complete():
		for _, p := range rep.Problems {
			ev = append(ev, Evidence{Where: "scan", Detail: p})
		}
		return broken(fmt.Errorf("parts of %s could not be searched, so the scan proves nothing: %s", ref, strings.Join(rep.Problems, "; ")))
	case wantFound:
		return failed(fmt.Sprintf("Your secret is nowhere in %s: build it with the secret as a build argument first.", ref))
	}
	return passed(fmt.Sprintf("Your secret is nowhere in %s: not in its config, its history (%d layers), nor in any layer's files.", ref, rep.Layers))
}

// findingPlace names where a finding is, the way a learner finds it again.
func findingPlace(f leak.Finding) string {
	switch {
	case f.Source == leak.SourceHistory && f.History != nil:
		return fmt.Sprintf("docker history --no-trunc, row %d", f.History.Row)
	case f.Source == leak.SourceLayer && f.Layer != nil:
		s := fmt.Sprintf("layer %d, %s", f.Layer.Index, f.Layer.Path)
		switch f.Layer.State {
		case leak.Deleted:
			s += fmt.Sprintf(" (deleted by layer %d, still in this one)", f.Layer.By)
		case leak.Replaced:
			s += fmt.Sprintf(" (replaced by layer %d, still in this one)", f.Layer.By)
		}
		return s
	case f.Source == leak.SourceInspect:
		return "docker image inspect, " + f.Field
	case f.Field != "":
		return "docker save, " + f.File + " " + f.Field
	}
	return string(f.Source)
}

func findingDetail(f leak.Finding) string {
	d := f.Excerpt
	if f.Layer != nil && f.Layer.InName {
		d = "in the file name: " + d
	}
	if f.Encoding != leak.Plain {
		d += " (" + string(f.Encoding) + "-encoded)"
	}
	if f.Count > 1 {
		d += fmt.Sprintf(" ×%d", f.Count)
	}
	return d
}

// newestContainer finds the most recent container made from the image and
// inspects it.
func newestContainer(ctx context.Context, env Env, ref string) (container.Summary, container.InspectResponse, *finding) {
	c, f := newestSummary(ctx, env, ref)
	if f != nil {
		return c, container.InspectResponse{}, f
	}
	info, err := env.Docker.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
	if err != nil {
		f := dockerError(err)
		return c, container.InspectResponse{}, &f
	}
	return c, info.Container, nil
}

func newestSummary(ctx context.Context, env Env, ref string) (container.Summary, *finding) {
	img, err := env.Docker.ImageInspect(ctx, ref)
	if cerrdefs.IsNotFound(err) {
		f := failed(fmt.Sprintf("There is no image %s yet: build it first.", ref))
		return container.Summary{}, &f
	}
	if err != nil {
		f := dockerError(err)
		return container.Summary{}, &f
	}
	list, err := env.Docker.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("ancestor", img.ID)})
	if err != nil {
		f := dockerError(err)
		return container.Summary{}, &f
	}
	items := slices.DeleteFunc(list.Items, func(c container.Summary) bool { return c.ImageID != img.ID })
	if len(items) == 0 {
		f := failed(fmt.Sprintf("No container of %s exists yet: run one (r in the tutor, or the docker run command in the text).", ref))
		return container.Summary{}, &f
	}
	slices.SortFunc(items, func(a, b container.Summary) int { return int(b.Created - a.Created) })
	return items[0], nil
}

func containerName(c container.Summary) string {
	if len(c.Names) > 0 {
		return strings.TrimPrefix(c.Names[0], "/")
	}
	return shortID(c.ID)
}

func containerRuntimeEnv(ctx context.Context, env Env, s *lessons.ContainerRuntimeEnv) finding {
	c, info, f := newestContainer(ctx, env, s.Image)
	if f != nil {
		return *f
	}
	img, err := env.Docker.ImageInspect(ctx, s.Image)
	if err != nil {
		return dockerError(err)
	}
	var imgEnv []string
	if img.Config != nil {
		imgEnv = img.Config.Env
	}
	var ctrEnv []string
	if info.Config != nil {
		ctrEnv = info.Config.Env
	}
	where := "container " + containerName(c)
	_, inImage := envHas(imgEnv, s.Var)
	_, inCtr := envHas(ctrEnv, s.Var)
	switch {
	case inImage:
		return failed(fmt.Sprintf("%s is baked into the image config: remove the ENV from the Dockerfile and pass it with docker run -e %s.", s.Var, s.Var), Evidence{Where: s.Image + " Config.Env", Detail: s.Var + "=…"})
	case !inCtr:
		return failed(fmt.Sprintf("The newest container of %s (%s) was started without %s: run it with -e %s.", s.Image, containerName(c), s.Var, s.Var), Evidence{Where: where, Detail: "no " + s.Var + " in its environment"})
	}
	return passed(fmt.Sprintf("%s had %s at run time, and the image does not carry it.", containerName(c), s.Var), Evidence{Where: where, Detail: s.Var + "=… (set at run time)"})
}

func containerExitCode(ctx context.Context, env Env, s *lessons.ContainerExitCode) finding {
	c, info, f := newestContainer(ctx, env, s.Image)
	if f != nil {
		return *f
	}
	st := info.State
	ev := Evidence{Where: "container " + containerName(c), Detail: string(c.State)}
	if st == nil || st.Running {
		return failed(fmt.Sprintf("%s is still running.", containerName(c)), ev)
	}
	if st.ExitCode != s.Code {
		return failed(fmt.Sprintf("%s exited with code %d, not %d.", containerName(c), st.ExitCode, s.Code), ev)
	}
	return passed(fmt.Sprintf("%s exited with code %d.", containerName(c), st.ExitCode), ev)
}

func containerLog(ctx context.Context, env Env, s *lessons.ContainerLog) finding {
	c, info, f := newestContainer(ctx, env, s.Image)
	if f != nil {
		return *f
	}
	logs, err := env.Docker.ContainerLogs(ctx, c.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: "500"})
	if err != nil {
		return dockerError(err)
	}
	defer logs.Close()
	var out strings.Builder
	tty := info.Config != nil && info.Config.Tty
	if tty {
		_, err = io.Copy(&out, io.LimitReader(logs, 1<<20))
	} else {
		_, err = stdcopy.StdCopy(&out, &out, io.LimitReader(logs, 1<<20))
	}
	if err != nil {
		return dockerError(err)
	}
	where := "logs of " + containerName(c)
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, s.Contains) {
			return passed(fmt.Sprintf("%s logged %q.", containerName(c), s.Contains), Evidence{Where: where, Detail: redact(strings.TrimSpace(line), env.Values.Secret)})
		}
	}
	return failed(fmt.Sprintf("The newest container of %s (%s) never logged %q.", s.Image, containerName(c), s.Contains), Evidence{Where: where, Detail: fmt.Sprintf("%d bytes of output", out.Len())})
}

// redact cuts the learner's secret out of text shown as evidence.
func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, secret[:min(2, len(secret))]+"…")
}

// trivyReport checks a trivy JSON report in the step folder: it must be a
// report of the step's image (and of its current build when trivy recorded
// the image ID).
func trivyReport(ctx context.Context, env Env, s *lessons.TrivyReport) finding {
	path := filepath.Join(env.Values.Workdir, filepath.FromSlash(s.File))
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return failed(fmt.Sprintf("There is no %s in the step folder yet: trivy image --format json --output %s %s", s.File, s.File, s.Image))
	}
	if err != nil {
		return broken(err)
	}
	var rep struct {
		SchemaVersion int
		ArtifactName  string
		ArtifactType  string
		Metadata      struct{ ImageID string }
		Results       *json.RawMessage
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return failed(fmt.Sprintf("%s is not JSON (%v): use --format json.", s.File, err))
	}
	if rep.SchemaVersion != 2 || rep.ArtifactName == "" {
		return failed(fmt.Sprintf("%s is not a trivy JSON report (no SchemaVersion 2 and ArtifactName).", s.File))
	}
	ev := Evidence{Where: s.File, Detail: fmt.Sprintf("report of %s (%s)", rep.ArtifactName, rep.ArtifactType)}
	if !sameImageName(rep.ArtifactName, s.Image) {
		return failed(fmt.Sprintf("%s is a report of %s, not of %s.", s.File, rep.ArtifactName, s.Image), ev)
	}
	if rep.Metadata.ImageID != "" && env.Docker != nil {
		img, err := env.Docker.ImageInspect(ctx, s.Image)
		if err == nil && img.ID != rep.Metadata.ImageID {
			return failed(fmt.Sprintf("%s is a report of an older build of %s: scan it again.", s.File, s.Image), ev)
		}
	}
	return passed(fmt.Sprintf("%s is a trivy report of %s.", s.File, s.Image), ev)
}

func sameImageName(a, b string) bool {
	norm := func(s string) string {
		s = strings.TrimPrefix(s, "docker.io/")
		s = strings.TrimPrefix(s, "library/")
		if !strings.Contains(s[strings.LastIndex(s, "/")+1:], ":") {
			s += ":latest"
		}
		return s
	}
	return norm(a) == norm(b)
}
