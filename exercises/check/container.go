package check

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/labels"
	"github.com/dockertutor/dockertutor/exercises/leak"
	"github.com/dockertutor/dockertutor/lessons"
)

// newestContainer finds the most recent container of this learner made
// from the image since the step opened, and inspects it.
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

// newestSummary finds the newest container that counts for this learner
// and this step: made from the image as it is now, under this learner's
// name for it (or by the tutor in this learner's namespace), after the
// step opened. Another learner's container of an image with the same
// content, or one from before the step, is not their work on this step.
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
	// The ID without its "sha256:": Docker takes either, Podman 4.3
	// matches only the bare hex.
	list, err := env.Docker.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("ancestor", strings.TrimPrefix(img.ID, "sha256:"))})
	if err != nil {
		f := dockerError(err)
		return container.Summary{}, &f
	}
	items := slices.DeleteFunc(list.Items, func(c container.Summary) bool {
		return c.ImageID != img.ID || !(daemon.NamesImage(c.Image, ref) || labels.InNamespace(c.Labels, env.Values.Namespace()))
	})
	slices.SortFunc(items, func(a, b container.Summary) int { return cmp.Compare(b.Created, a.Created) })
	if len(items) == 0 {
		f := failed(fmt.Sprintf("No container of %s exists yet: run one (r in the tutor, or the docker run command in the text).", ref))
		return container.Summary{}, &f
	}
	if env.Began.IsZero() {
		f := failed("The step has not been opened yet, so no container can count as started for it: open it (dockertutor show or the tutor), then run one.")
		return container.Summary{}, &f
	}
	since := env.Began.Add(-clockSlack)
	newest := items[0]
	if created := time.Unix(newest.Created, 0); created.Before(since) {
		f := failed(fmt.Sprintf("The newest container of %s (%s) was started before you opened this step: run a new one.", ref, containerName(newest)),
			Evidence{Where: "container " + containerName(newest), Detail: fmt.Sprintf("created %s; step opened %s", fmtTime(created), fmtTime(env.Began))})
		return container.Summary{}, &f
	}
	return newest, nil
}

func containerName(c container.Summary) string {
	if len(c.Names) > 0 {
		return strings.TrimPrefix(c.Names[0], "/")
	}
	return daemon.ShortID(c.ID)
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
	got, inCtr := envHas(ctrEnv, s.Var)
	switch {
	case inImage:
		return failed(fmt.Sprintf("%s is baked into the image config: remove the ENV from the Dockerfile and pass it with docker run -e %s.", s.Var, s.Var), Evidence{Where: s.Image + " Config.Env", Detail: s.Var + "=…"})
	case !inCtr:
		return failed(fmt.Sprintf("The newest container of %s (%s) was started without %s: run it with -e %s.", s.Image, containerName(c), s.Var, s.Var), Evidence{Where: where, Detail: "no " + s.Var + " in its environment"})
	case s.Value != "" && got != s.Value:
		// Neither value is shown: one is the learner's canary, the other
		// may be someone's real secret.
		return failed(fmt.Sprintf("The newest container of %s (%s) had a different value for %s than the one this step gives you: export the value from the text, then run it again.", s.Image, containerName(c), s.Var), Evidence{Where: where, Detail: s.Var + "=… (another value)"})
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
			return passed(fmt.Sprintf("%s logged %q.", containerName(c), s.Contains), Evidence{Where: where, Detail: leak.Redact(strings.TrimSpace(line), env.Values.Secret)})
		}
	}
	return failed(fmt.Sprintf("The newest container of %s (%s) never logged %q.", s.Image, containerName(c), s.Contains), Evidence{Where: where, Detail: fmt.Sprintf("%d bytes of output", out.Len())})
}
