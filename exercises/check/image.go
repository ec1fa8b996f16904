package check

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/labels"
	"github.com/dockertutor/dockertutor/lessons"
)

// clockSlack absorbs the difference between this machine's clock and the
// daemon's (a VM on macOS and Windows) when comparing build times.
const clockSlack = 5 * time.Second

func imageExists(ctx context.Context, env Env, s *lessons.ImageExists) finding {
	return withImage(ctx, env, s.Image, func(img client.ImageInspectResult) finding {
		return passed(fmt.Sprintf("The image %s exists (%s, built %s).", s.Image, daemon.ShortID(img.ID), img.Created))
	})
}

// withImage inspects ref and hands it to fn; a missing image is the
// learner's to build.
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
		// Tagging another learner's image with one's own name moves its
		// tag time but does not make it one's work; the tutor's builds say
		// whose they are.
		if img.Config != nil {
			if ns := img.Config.Labels[labels.Namespace]; ns != "" && env.Values.Learner != "" && ns != env.Values.Learner {
				return failed(fmt.Sprintf("%s was built by the tutor of another learner (%s) and only tagged with your image's name: build it yourself.", s.Image, ns),
					ev, Evidence{Where: "Config.Labels", Detail: labels.Namespace + "=" + ns})
			}
		}
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
		// BuildKit on Docker 20.10 tags a cached, byte-identical result
		// without an event or a tag time: the name pointing elsewhere than
		// when the step began is the trace it leaves.
		if was, known := env.Before[s.Image]; known && was != img.ID {
			if was == "" {
				ev.Detail += "; no such image when the step opened"
				return passed(fmt.Sprintf("%s was not there when you opened this step: you built it since.", s.Image), ev)
			}
			ev.Detail += fmt.Sprintf("; %s when the step opened", daemon.ShortID(was))
			return passed(fmt.Sprintf("%s names another image than when you opened this step: you built it since.", s.Image), ev)
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
func taggedSince(ctx context.Context, d daemon.Checker, ref string, since time.Time) (time.Time, bool) {
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
			if daemon.NamesImage(m.Actor.Attributes["name"], ref) && !at.Before(since) && at.After(last) {
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
			// ENV is run-time configuration, so unsaid means run time here.
			return failed(withAdvice(fmt.Sprintf("The image config sets %s: everyone who can pull the image can read it with docker image inspect.", s.Name),
				secretAdvice(env, s.Name, lessons.SecretNeededAtRun)),
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
		if problem := labelFormatProblem(s.Format, got); problem != "" {
			return failed(fmt.Sprintf("The label %s is %q, which is not %s.", s.Key, got, problem), Evidence{Where: "Config.Labels", Detail: s.Key + "=" + got})
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

var commitHash = regexp.MustCompile(`^[0-9a-f]{7,64}$`)

// labelFormatProblem says what a label value should be when it is not of
// the format (lessons.LabelURL, lessons.LabelCommit), else "".
func labelFormatProblem(format, v string) string {
	switch format {
	case lessons.LabelURL:
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return "an address one can follow to the source: write the repository's URL, such as https://github.com/example/hello"
		}
	case lessons.LabelCommit:
		if !commitHash.MatchString(v) {
			return "a commit hash: a branch or tag name moves to other commits, so write the commit itself, as git rev-parse HEAD prints it (7 to 64 hex digits, lower case)"
		}
	}
	return ""
}
