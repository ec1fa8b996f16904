package builder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
	"github.com/moby/patternmatcher/ignorefile"
	"github.com/tonistiigi/fsutil"

	"github.com/dockertutor/dockertutor/exercises/daemon"
)

// buildClassic runs the build on the classic builder: the context goes as
// a tar body, and the daemon runs each RUN in an intermediate container.
func buildClassic(ctx context.Context, d daemon.Builder, p *plan, emit func(Event)) (Result, error) {
	tarFS, err := p.classicContext()
	if err != nil {
		return Result{}, err
	}
	body, tarWriter := io.Pipe()
	go func() { tarWriter.CloseWithError(fsutil.WriteTar(ctx, tarFS, tarWriter)) }()
	defer body.Close()

	resp, err := d.ImageBuild(ctx, body, client.ImageBuildOptions{
		Version:    build.BuilderV1,
		Dockerfile: p.dockerfileRel,
		Tags:       p.opts.Tags,
		BuildArgs:  p.buildArgs,
		Target:     p.opts.Target,
		NoCache:    p.opts.NoCache,
		Labels:     p.labels,
		// Intermediate containers go whether the build succeeds or not.
		Remove:      true,
		ForceRemove: true,
	})
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, aborted(ctx)
		}
		return Result{}, p.explain(ctx, d, Classic, "", err.Error())
	}
	defer resp.Body.Close()

	out := &classicOutput{buildSteps: buildSteps{emit: emit, now: p.opts.Now}}
	daemonErr, streamErr := readStream(resp.Body, out.message)
	out.finish()

	if ctx.Err() != nil || daemonErr != "" || streamErr != nil || out.imageID == "" {
		// The daemon removes the intermediate container of a failed step
		// itself, but not always when the client goes away mid-step or
		// the daemon dies; remove what this build started, by id.
		out.removeContainers(context.WithoutCancel(ctx), d)
	}
	switch {
	case ctx.Err() != nil:
		return Result{}, aborted(ctx)
	case daemonErr != "":
		return Result{}, p.explain(context.WithoutCancel(ctx), d, Classic, out.step, daemonErr)
	case streamErr != nil:
		return Result{}, lostDaemon(streamErr)
	case out.imageID == "":
		return Result{}, lostDaemon(errors.New("the build output ended without a result"))
	}
	return Result{ImageID: out.imageID, Builder: Classic, Warnings: out.warnings}, nil
}

// classicContext is the context folder minus what .dockerignore excludes,
// as the docker CLI sends it: the Dockerfile and .dockerignore always go,
// since the daemon reads them.
func (p *plan) classicContext() (fsutil.FS, error) {
	var excludes []string
	f, err := os.Open(filepath.Join(p.dir, ".dockerignore"))
	switch {
	case err == nil:
		excludes, err = ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read .dockerignore: %w", err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("read .dockerignore: %w", err)
	}
	if len(excludes) > 0 {
		excludes = append(excludes, "!"+p.dockerfileRel, "!.dockerignore")
	}
	fs, err := fsutil.NewFS(p.dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p.dir, err)
	}
	return fsutil.NewFilterFS(fs, &fsutil.FilterOpt{ExcludePatterns: excludes, Map: resetOwner})
}

// classicOutput follows the classic builder's text output: "Step n/m : ..."
// lines open a step, " ---> ..." lines are its bookkeeping, the rest is what
// the step printed.
type classicOutput struct {
	buildSteps
	lines      lineSplitter
	stepIsFrom bool // a FROM step's " ---> id" is the base image's
	imageID    string
	// stderr is on while the daemon's colour escape marks the step's
	// standard error, which may span lines.
	stderr     bool
	containers []string
	warnings   []string
}

func (o *classicOutput) message(msg jsonstream.Message) {
	switch {
	case msg.Aux != nil:
		var r build.Result
		if err := json.Unmarshal(*msg.Aux, &r); err == nil && r.ID != "" {
			o.imageID = r.ID
		}
	case msg.Stream != "":
		for _, line := range o.lines.write(msg.Stream) {
			o.line(line)
		}
	case msg.Status != "" && msg.Progress == nil:
		// A pull of the base image reports layer by layer; only the
		// lines without a progress bar read well as text.
		text := msg.Status
		if msg.ID != "" {
			text = msg.ID + ": " + text
		}
		o.emit(Event{Kind: Info, Step: o.step, Text: text})
	}
}

// The classic builder paints a RUN step's standard error red.
const (
	stderrStart = "\x1b[91m"
	stderrEnd   = "\x1b[0m"
)

// uncolour strips the daemon's stderr escapes from a line and reports
// whether any of the line's text was standard error.
func (o *classicOutput) uncolour(line string) (string, bool) {
	if !strings.Contains(line, "\x1b[") {
		return line, o.stderr && line != ""
	}
	var text strings.Builder
	anyStderr := false
	for line != "" {
		switch {
		case strings.HasPrefix(line, stderrStart):
			o.stderr = true
			line = line[len(stderrStart):]
		case strings.HasPrefix(line, stderrEnd):
			o.stderr = false
			line = line[len(stderrEnd):]
		default:
			next := strings.Index(line[1:], "\x1b[")
			chunk := line
			if next >= 0 {
				chunk = line[:next+1]
			}
			text.WriteString(chunk)
			anyStderr = anyStderr || o.stderr
			line = line[len(chunk):]
		}
	}
	return text.String(), anyStderr
}

func (o *classicOutput) line(raw string) {
	const runningIn = " ---> Running in "
	line, stderr := o.uncolour(raw)
	switch {
	case classicStepPattern.MatchString(line):
		o.endStep()
		o.step, o.stepStart, o.stepCached = line, o.now(), false
		o.stepIsFrom = classicFromPattern.MatchString(line)
		o.emit(Event{Kind: StepStarted, Step: line})
	case line == " ---> Using cache":
		o.stepCached = true
		o.emit(Event{Kind: StepCached, Step: o.step})
	case strings.HasPrefix(line, runningIn):
		o.containers = append(o.containers, strings.TrimSpace(strings.TrimPrefix(line, runningIn)))
		o.emit(Event{Kind: Info, Step: o.step, Text: line})
	case strings.HasPrefix(line, " ---> ") && isShortID(line[len(" ---> "):]):
		kind := Info
		if !o.stepCached && !o.stepIsFrom {
			kind = StepImage
		}
		o.emit(Event{Kind: kind, Step: o.step, Text: line, Image: line[len(" ---> "):]})
	case strings.HasPrefix(line, "[Warning] "), strings.HasPrefix(line, "[WARNING]: "):
		text := strings.TrimSpace(line[strings.IndexByte(line, ']')+1:])
		text = strings.TrimPrefix(text, ": ")
		o.warnings = append(o.warnings, text)
		o.emit(Event{Kind: Warning, Step: o.step, Text: text})
	case strings.HasPrefix(line, " ---> "), strings.HasPrefix(line, "Removing intermediate container "),
		strings.HasPrefix(line, "Successfully built "), strings.HasPrefix(line, "Successfully tagged "),
		strings.TrimSpace(line) == "":
		o.emit(Event{Kind: Info, Step: o.step, Text: line})
	default:
		o.emit(Event{Kind: StepLog, Step: o.step, Text: line, Stderr: stderr})
	}
}

// classicFromPattern is a step line of a FROM instruction.
var classicFromPattern = regexp.MustCompile(`(?i)^Step \d+/\d+ : FROM\s`)

// isShortID reports whether s is an image ID as the classic builder prints
// it: twelve lowercase hex digits.
func isShortID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// buildSteps is the step a line-oriented build's output is in (the
// classic builder's and Buildah's alike) and how its events go out.
type buildSteps struct {
	emit       func(Event)
	now        func() time.Time
	step       string
	stepStart  time.Time
	stepCached bool
}

// endStep reports the current step as done when the next one starts or the
// build succeeds; a step from the cache was already reported.
func (o *buildSteps) endStep() {
	if o.step != "" && !o.stepCached {
		o.emit(Event{Kind: StepDone, Step: o.step, Elapsed: o.now().Sub(o.stepStart)})
	}
	o.step = ""
}

func (o *classicOutput) finish() {
	if line, ok := o.lines.flush(); ok {
		o.line(line)
	}
	if o.imageID != "" {
		o.endStep()
	}
}

func (o *classicOutput) removeContainers(ctx context.Context, d daemon.Builder) {
	ctx, cancel := context.WithTimeout(ctx, cancelGrace)
	defer cancel()
	for _, id := range o.containers {
		_, err := d.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true})
		if cerrdefs.IsConflict(err) {
			// Docker 29 removes the step's container itself once the
			// client went away and answers "removal already in
			// progress": wait for it, so no container outlives Build.
			err = waitRemoved(ctx, d, id)
		}
		if err != nil && !cerrdefs.IsNotFound(err) {
			o.emit(Event{Kind: Warning, Text: fmt.Sprintf("could not remove the build's intermediate container %s: %v", id, err)})
		}
	}
}

// waitRemoved polls until the container is gone or ctx ends.
func waitRemoved(ctx context.Context, d daemon.Builder, id string) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		_, err := d.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("still being removed after %v: %w", cancelGrace, ctx.Err())
		case <-tick.C:
		}
	}
}
