// Package runner runs a course step's container on the learner's Docker
// daemon: it replaces the step's previous container, runs the image with
// the step's environment and command, streams the output lines as they
// come, bounds the run in time and reports the exit code and output. The
// container is kept afterwards, so a check can inspect its runtime
// environment, unless the caller asks for its removal; a cancelled run
// removes it.
package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/labels"
	"github.com/dockertutor/dockertutor/lessons"
)

// DefaultTimeout bounds a run when Options.Timeout is zero.
const DefaultTimeout = time.Minute

// MaxOutput bounds how much of each stream a Result keeps; lines beyond it
// are still streamed to the caller.
const MaxOutput = 1 << 20

// cleanupGrace bounds the calls that tidy up after a cancelled or timed
// out run; they run on a context of their own.
const cleanupGrace = 10 * time.Second

// ErrAborted is returned when the caller cancelled the run; the container
// is removed. The error also matches the context's cause.
var ErrAborted = errors.New("run aborted")

// ErrTimeout is returned when the container ran longer than the time
// bound; it is killed (and kept, unless Options.Remove).
var ErrTimeout = errors.New("the container ran longer than its time bound")

// Options describe one run.
type Options struct {
	// Course and Step name the step the container belongs to, and
	// Namespace whose it is; it gets labels.For(Namespace, Course, Step).
	Course, Step string
	Namespace    lessons.Namespace
	// Image is the image to run.
	Image string
	// Name is the container's name; Namespace.ContainerName(Course, Step)
	// when empty.
	Name string
	// Env is the container's runtime environment, on top of the image's.
	Env []EnvVar
	// Cmd replaces the image's CMD when not empty.
	Cmd []string
	// Timeout bounds the run; DefaultTimeout when zero.
	Timeout time.Duration
	// Remove removes the container after it exits.
	Remove bool
}

// EnvVar is one runtime environment variable.
type EnvVar struct {
	Name  string
	Value string
	// Secret marks a value Command must not print: it shows "-e NAME",
	// which takes the value from the learner's environment.
	Secret bool
}

// Line is one line of the container's output.
type Line struct {
	Text   string
	Stderr bool
}

// Result is a finished run.
type Result struct {
	ContainerID string
	Name        string
	ExitCode    int
	// Stdout and Stderr hold the container's output, up to MaxOutput each.
	Stdout, Stderr string
	// Truncated is set when output beyond MaxOutput was dropped.
	Truncated bool
	Duration  time.Duration
	// Removed is set when the container no longer exists.
	Removed bool
}

var (
	envName       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	containerName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)
)

// name is the container's name: Name, or the step's stable name in its
// namespace.
func (o Options) name() string {
	return cmp.Or(o.Name, o.Namespace.ContainerName(o.Course, o.Step))
}

// ContainerName is the name of a step's container in the zero namespace
// (the course's names as written): stable, so the next run of the step
// finds and replaces it.
func ContainerName(course, step string) string {
	return lessons.Namespace{}.ContainerName(course, step)
}

// Run runs opts.Image and returns once the container has exited. onLine
// (nil drops them) gets each output line as it comes, from one goroutine,
// in order.
func Run(ctx context.Context, d daemon.Runner, opts Options, onLine func(Line)) (Result, error) {
	start := time.Now()
	if onLine == nil {
		onLine = func(Line) {}
	}
	if err := validate(opts); err != nil {
		return Result{}, err
	}
	name := opts.name()
	podman, _, err := daemon.IsPodman(ctx, d)
	if err != nil {
		return Result{}, err
	}
	if err := removePrevious(ctx, d, opts.Namespace, opts.Course, opts.Step, name); err != nil {
		return Result{}, err
	}

	env := make([]string, 0, len(opts.Env))
	for _, e := range opts.Env {
		env = append(env, e.Name+"="+e.Value)
	}
	created, err := d.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name: name,
		Config: &container.Config{
			Image:        opts.Image,
			Env:          env,
			Cmd:          opts.Cmd,
			Labels:       labels.For(opts.Namespace, opts.Course, opts.Step),
			AttachStdout: true,
			AttachStderr: true,
		},
		HostConfig: &container.HostConfig{},
	})
	if err != nil {
		if ctx.Err() != nil {
			// The daemon may have made the container before the cancel
			// cut the answer off; it carries the step's labels.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupGrace)
			defer cancel()
			_ = removePrevious(cctx, d, opts.Namespace, opts.Course, opts.Step, name)
			return Result{}, aborted(ctx)
		}
		if cerrdefs.IsNotFound(err) {
			return Result{}, fmt.Errorf("image %q is not on this Docker daemon (build it first): %w", opts.Image, err)
		}
		return Result{}, fmt.Errorf("create the container: %w", err)
	}
	res := Result{ContainerID: created.ID, Name: name}
	r := &run{d: d, id: created.ID, res: &res, remove: opts.Remove}

	out := newOutput(onLine)
	copied := make(chan error, 1)
	r.out, r.copied = out, copied
	// stopStream cuts the output stream off, for a container whose last
	// lines do not come.
	var stopStream func()
	if !podman {
		// Attach and wait before the start, or a quick container's
		// output and exit would be missed.
		attach, err := d.ContainerAttach(ctx, created.ID, client.ContainerAttachOptions{Stream: true, Stdout: true, Stderr: true})
		if err != nil {
			return r.fail(ctx, fmt.Errorf("attach to the container: %w", err))
		}
		defer attach.Close()
		stopStream = attach.Close
		go func() {
			_, err := stdcopy.StdCopy(out.stdout, out.stderr, attach.Reader)
			copied <- err
		}()
	}
	waitCtx, stopWait := context.WithCancel(ctx)
	defer stopWait()
	wait := d.ContainerWait(waitCtx, created.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})

	if _, err := d.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		return r.fail(ctx, fmt.Errorf("start the container: %w", err))
	}
	if podman {
		// Podman refuses an attach to a container not yet started
		// (409): there the output is followed from the logs once it
		// started, which hold it all from the first line. Podman
		// answers a follow only with the first output, so it is opened
		// beside the wait, never before it.
		logsCtx, stopLogs := context.WithCancel(ctx)
		defer stopLogs()
		stopStream = stopLogs
		go func() {
			logs, err := d.ContainerLogs(logsCtx, created.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true})
			if err != nil {
				copied <- fmt.Errorf("follow the container's output: %w", err)
				return
			}
			defer logs.Close()
			_, err = stdcopy.StdCopy(out.stdout, out.stderr, logs)
			copied <- err
		}()
	}

	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()

	var runErr error
	select {
	case w := <-wait.Result:
		res.ExitCode = int(w.StatusCode)
		if w.Error != nil && w.Error.Message != "" {
			runErr = fmt.Errorf("wait for the container: %s", w.Error.Message)
		}
	case err := <-wait.Error:
		if ctx.Err() != nil {
			return r.abort(ctx)
		}
		runErr = fmt.Errorf("wait for the container: %w", err)
	case <-ctx.Done():
		return r.abort(ctx)
	case <-timer.C:
		kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupGrace)
		_, killErr := d.ContainerKill(kctx, created.ID, client.ContainerKillOptions{})
		cancel()
		runErr = fmt.Errorf("%w (%s); it was killed", ErrTimeout, timeout)
		if killErr != nil && !cerrdefs.IsNotFound(killErr) && !cerrdefs.IsConflict(killErr) {
			runErr = fmt.Errorf("%w (%s), and killing it failed: %w", ErrTimeout, timeout, killErr)
		}
		select {
		case w := <-wait.Result:
			res.ExitCode = int(w.StatusCode)
		case <-wait.Error:
		case <-time.After(cleanupGrace):
		}
	}

	// The output stream ends when the container exits; its last lines
	// may still be in flight.
	select {
	case <-copied:
	case <-time.After(5 * time.Second):
		stopStream()
		<-copied
	}
	out.finish(&res)
	res.Duration = time.Since(start)
	if runErr != nil {
		return r.fail(ctx, runErr)
	}
	if opts.Remove {
		if err := r.removeContainer(ctx); err != nil {
			return res, err
		}
	}
	return res, nil
}

func validate(opts Options) error {
	if strings.TrimSpace(opts.Course) == "" || strings.TrimSpace(opts.Step) == "" {
		return errors.New("a run needs the course and step it belongs to (they label the container)")
	}
	if strings.TrimSpace(opts.Image) == "" {
		return errors.New("no image to run")
	}
	if opts.Name != "" && !containerName.MatchString(opts.Name) {
		return fmt.Errorf("container name %q: use letters, digits, '_', '.' and '-', starting with a letter or digit", opts.Name)
	}
	for _, e := range opts.Env {
		if !envName.MatchString(e.Name) {
			return fmt.Errorf("environment variable name %q: use letters, digits and '_', not starting with a digit", e.Name)
		}
	}
	return nil
}

// removePrevious removes the step's earlier containers: those labelled for
// the step, and one holding the name if it is the tutor's. A container of
// the name that the tutor did not make, or made for another step, is left
// alone and reported.
func removePrevious(ctx context.Context, d daemon.Runner, ns lessons.Namespace, course, step, name string) error {
	found, err := d.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: client.Filters{}.Add("label", append(labels.Filter(ns, course), labels.Step+"="+step)...),
	})
	if err != nil {
		return fmt.Errorf("look for the step's earlier containers: %w", err)
	}
	for _, c := range found.Items {
		// The daemon ANDs the label terms; check again rather than trust
		// a daemon (or a Docker-compatible API) that ORs them.
		if !labels.OwnedBy(c.Labels, ns, course, step) {
			continue
		}
		if _, err := d.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
			return fmt.Errorf("remove the step's earlier container %s: %w", c.ID, err)
		}
	}
	existing, err := d.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	switch {
	case cerrdefs.IsNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("look for a container named %s: %w", name, err)
	}
	var l map[string]string
	if existing.Container.Config != nil {
		l = existing.Container.Config.Labels
	}
	if !labels.OwnedBy(l, ns, course, step) {
		return fmt.Errorf("a container named %s already exists and dockertutor did not make it for this step; remove it (docker rm -f %s) or choose another name", name, name)
	}
	if _, err := d.ContainerRemove(ctx, existing.Container.ID, client.ContainerRemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("remove the step's earlier container %s: %w", name, err)
	}
	return nil
}

// run is one container's life after its creation.
type run struct {
	d      daemon.Runner
	id     string
	res    *Result
	remove bool
	// out and copied follow the container's output once attached.
	out    *output
	copied <-chan error
}

// fail returns err with the result so far, removing the container when
// the caller asked for removal. A failure caused by the caller's cancel
// (a call cut short) is an abort.
func (r *run) fail(ctx context.Context, err error) (Result, error) {
	if ctx.Err() != nil {
		return r.abort(ctx)
	}
	if r.remove {
		if rmErr := r.removeContainer(context.WithoutCancel(ctx)); rmErr != nil {
			err = fmt.Errorf("%w (and %w)", err, rmErr)
		}
	}
	return *r.res, err
}

// abort stops and removes the container of a cancelled run.
func (r *run) abort(ctx context.Context) (Result, error) {
	err := aborted(ctx)
	if rmErr := r.removeContainer(context.WithoutCancel(ctx)); rmErr != nil {
		err = fmt.Errorf("%w; %w", err, rmErr)
	}
	if r.out != nil {
		select {
		case <-r.copied:
		case <-time.After(time.Second):
		}
		r.out.finish(r.res)
	}
	return *r.res, err
}

func (r *run) removeContainer(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, cleanupGrace)
	defer cancel()
	_, err := r.d.ContainerRemove(ctx, r.id, client.ContainerRemoveOptions{Force: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("remove container %s: %w", r.res.Name, err)
	}
	r.res.Removed = true
	return nil
}

func aborted(ctx context.Context) error {
	return fmt.Errorf("%w: %w", ErrAborted, context.Cause(ctx))
}

// output collects the demultiplexed streams as lines, handing each to the
// caller as it completes.
type output struct {
	mu             sync.Mutex
	onLine         func(Line)
	stdout, stderr *lineWriter
}

func newOutput(onLine func(Line)) *output {
	o := &output{onLine: onLine}
	o.stdout = &lineWriter{o: o}
	o.stderr = &lineWriter{o: o, stderr: true}
	return o
}

// finish flushes unterminated last lines and stores the output in res.
func (o *output) finish(res *Result) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, w := range []*lineWriter{o.stdout, o.stderr} {
		if w.partial.Len() > 0 {
			o.onLine(Line{Text: w.partial.String(), Stderr: w.stderr})
			w.partial.Reset()
		}
	}
	res.Stdout, res.Stderr = o.stdout.kept.String(), o.stderr.kept.String()
	res.Truncated = o.stdout.truncated || o.stderr.truncated
}

type lineWriter struct {
	o         *output
	stderr    bool
	partial   strings.Builder
	kept      strings.Builder
	truncated bool
}

var _ io.Writer = (*lineWriter)(nil)

// maxLine bounds a line without a line end; a container printing one
// endless line still streams.
const maxLine = 64 << 10

func (w *lineWriter) Write(p []byte) (int, error) {
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
	if room := MaxOutput - w.kept.Len(); room < len(p) {
		w.kept.Write(p[:max(room, 0)])
		w.truncated = true
	} else {
		w.kept.Write(p)
	}
	chunk := string(p)
	for {
		i := strings.IndexByte(chunk, '\n')
		if i < 0 {
			w.partial.WriteString(chunk)
			if w.partial.Len() >= maxLine {
				w.o.onLine(Line{Text: w.partial.String(), Stderr: w.stderr})
				w.partial.Reset()
			}
			break
		}
		w.partial.WriteString(chunk[:i])
		w.o.onLine(Line{Text: strings.TrimSuffix(w.partial.String(), "\r"), Stderr: w.stderr})
		w.partial.Reset()
		chunk = chunk[i+1:]
	}
	return len(p), nil
}
