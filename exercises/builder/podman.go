package builder

// Podman serves the Docker API, but builds with Buildah, not BuildKit: its
// /session endpoint does not exist ("unable to upgrade to h2c, received
// 404"), so a BuildKit session, and with it the usual way of handing a
// build its secrets, fails there. Buildah runs RUN --mount=type=secret
// itself, though, and Podman's /build takes the secrets in a parameter of
// its own, `secrets`: a JSON list of "id=ID,src=PATH", where PATH is a
// file inside the build context that Podman moves out of the context
// before the build starts (pkg/api/handlers/compat/images_build.go, as
// podman-remote's `podman build --secret` sends them). The moby client
// cannot send that parameter, so this build is one HTTP request of its
// own over the client's connection to the daemon. The secret travels
// only in the request's tar stream: nothing of it is written to this
// machine's disk, and Podman removes its copy with the build's scratch
// folder.

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/tonistiigi/fsutil"

	"github.com/dockertutor/dockertutor/exercises/daemon"
)

// Buildah is Podman's builder: it serves the classic build API and runs
// secret mounts, without BuildKit.
const Buildah Kind = "buildah"

// buildahWarning is said once a build ran on Podman, where a step that
// asks for BuildKit (a secret mount) gets Buildah instead.
const buildahWarning = "Podman has no BuildKit; Buildah, Podman's own builder, ran this build, secret mounts included"

// buildWithBuildah runs the build on Podman: the context goes as a tar
// body, as to the classic builder, with each secret in it under a random
// name that the `secrets` parameter points Podman at.
func buildWithBuildah(ctx context.Context, d daemon.Builder, p *plan, emit func(Event)) (Result, error) {
	contextFS, err := p.classicContext()
	if err != nil {
		return Result{}, err
	}
	secretFiles := map[string]string{} // id -> name in the tar
	for _, id := range slices.Sorted(maps.Keys(p.secrets)) {
		name, err := randomID()
		if err != nil {
			return Result{}, err
		}
		secretFiles[id] = ".dockertutor-secret-" + name
	}
	body, tarWriter := io.Pipe()
	go func() {
		tarWriter.CloseWithError(writeBuildahContext(ctx, contextFS, p.secrets, secretFiles, tarWriter))
	}()
	defer body.Close()

	query, err := buildahQuery(p, secretFiles)
	if err != nil {
		return Result{}, err
	}
	resp, err := postBuild(ctx, d, query, body)
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, aborted(ctx)
		}
		return Result{}, p.explain(ctx, d, Buildah, "", err.Error())
	}
	defer resp.Close()

	out := &buildahOutput{buildSteps: buildSteps{emit: emit, now: p.opts.Now}}
	daemonErr, streamErr := readStream(resp, out.message)
	out.finish()
	// Podman 4.3 does not stop a build when the request goes: Buildah runs
	// it to its end in the background, but never tags it, and with forcerm
	// removes its working containers (Buildah's, which the Docker API's
	// container list never shows) even so
	// (TestBuildahCancelLeavesNothingNamed).
	switch {
	case ctx.Err() != nil:
		return Result{}, fmt.Errorf("%w (%w)", aborted(ctx), ErrFinishesInBackground)
	case daemonErr != "":
		return Result{}, p.explain(context.WithoutCancel(ctx), d, Buildah, out.step, daemonErr)
	case streamErr != nil:
		return Result{}, lostDaemon(streamErr)
	case out.imageID == "":
		return Result{}, lostDaemon(errors.New("the build output ended without a result"))
	}
	return Result{ImageID: out.imageID, Builder: Buildah, Warnings: out.warnings}, nil
}

// writeBuildahContext writes the context folder, then each secret as a
// file of the given name, as one tar stream.
func writeBuildahContext(ctx context.Context, fs fsutil.FS, secrets map[string][]byte, names map[string]string, w io.Writer) error {
	// fsutil.WriteTar ends the archive; the secrets follow in place of
	// its end marker, which tarBody holds back.
	if err := fsutil.WriteTar(ctx, fs, &tarBody{w: w}); err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	for _, id := range slices.Sorted(maps.Keys(secrets)) {
		value := secrets[id]
		if err := tw.WriteHeader(&tar.Header{Name: names[id], Mode: 0o600, Size: int64(len(value)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(value); err != nil {
			return err
		}
	}
	return tw.Close()
}

// tarBody passes a tar stream through, holding back its last 1024 bytes:
// the two zero blocks that end an archive, so that more entries can
// follow.
type tarBody struct {
	w    io.Writer
	held []byte
	err  error
}

const tarEndMarker = 2 * 512

func (t *tarBody) Write(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	t.held = append(t.held, p...)
	if n := len(t.held) - tarEndMarker; n > 0 {
		if _, err := t.w.Write(t.held[:n]); err != nil {
			t.err = err
			return 0, err
		}
		t.held = append(t.held[:0], t.held[n:]...)
	}
	return len(p), nil
}

// buildahQuery is the /build request's query, the Docker API's names plus
// Podman's `secrets`.
func buildahQuery(p *plan, secretFiles map[string]string) (url.Values, error) {
	q := url.Values{}
	q["t"] = p.opts.Tags
	q.Set("dockerfile", p.dockerfileRel)
	if p.opts.Target != "" {
		q.Set("target", p.opts.Target)
	}
	if p.opts.NoCache {
		q.Set("nocache", "1")
	}
	// Intermediate containers go whether the build succeeds or not.
	q.Set("rm", "1")
	q.Set("forcerm", "1")
	if len(p.buildArgs) > 0 {
		args, err := json.Marshal(p.buildArgs)
		if err != nil {
			return nil, err
		}
		q.Set("buildargs", string(args))
	}
	if len(p.labels) > 0 {
		l, err := json.Marshal(p.labels)
		if err != nil {
			return nil, err
		}
		q.Set("labels", string(l))
	}
	if len(secretFiles) > 0 {
		var list []string
		for _, id := range slices.Sorted(maps.Keys(secretFiles)) {
			list = append(list, "id="+id+",src="+secretFiles[id])
		}
		s, err := json.Marshal(list)
		if err != nil {
			return nil, err
		}
		q.Set("secrets", string(s))
	}
	return q, nil
}

// postBuild sends POST /build over a connection of the client's own
// dialer (unix socket, TCP with its TLS, or ssh) and returns the body of
// a successful answer.
func postBuild(ctx context.Context, d daemon.Builder, query url.Values, body io.Reader) (io.ReadCloser, error) {
	dial := d.Dialer()
	tr := &http.Transport{
		DialContext:       func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) },
		DisableKeepAlives: true,
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://docker/build?"+query.Encode(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-tar")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		tr.CloseIdleConnections()
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		defer tr.CloseIdleConnections()
		var e struct {
			Message string `json:"message"`
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(msg, &e) == nil && e.Message != "" {
			return nil, fmt.Errorf("the daemon refused the build (%s): %s", resp.Status, e.Message)
		}
		return nil, fmt.Errorf("the daemon refused the build (%s): %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	return &closeBoth{ReadCloser: resp.Body, tr: tr}, nil
}

type closeBoth struct {
	io.ReadCloser
	tr *http.Transport
}

func (c *closeBoth) Close() error {
	err := c.ReadCloser.Close()
	c.tr.CloseIdleConnections()
	return err
}

// buildahOutput follows Buildah's text output: "STEP n/m: ..." opens a
// step, "--> ID" commits it (an image, kept untagged with layers on, as
// the classic builder's), "--> Using cache ID" takes it from the cache,
// "COMMIT" and "Successfully ..." are bookkeeping, the rest is what the
// step printed (standard output and error mixed: Buildah sends both as
// the stream).
type buildahOutput struct {
	buildSteps
	lines    lineSplitter
	imageID  string
	warnings []string
}

var (
	buildahStep  = regexp.MustCompile(`^(\[\d+/\d+\] )?STEP \d+/\d+: `)
	buildahImage = regexp.MustCompile(`^--> ([0-9a-f]{11,64})$`)
	buildahHexID = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

func (o *buildahOutput) message(msg jsonstream.Message) {
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
		o.emit(Event{Kind: Info, Step: o.step, Text: msg.Status})
	}
}

func (o *buildahOutput) line(line string) {
	switch {
	case buildahStep.MatchString(line):
		o.endStep()
		o.step, o.stepStart, o.stepCached = line, o.now(), false
		o.emit(Event{Kind: StepStarted, Step: line})
	case strings.HasPrefix(line, "--> Using cache "):
		o.stepCached = true
		o.emit(Event{Kind: StepCached, Step: o.step})
	case buildahImage.MatchString(line):
		kind := Info
		if !o.stepCached {
			kind = StepImage
		}
		o.emit(Event{Kind: kind, Step: o.step, Text: line, Image: buildahImage.FindStringSubmatch(line)[1]})
	case strings.HasPrefix(line, "[Warning] "), strings.HasPrefix(line, "WARN["):
		text := strings.TrimSpace(line[strings.IndexByte(line, ']')+1:])
		o.warnings = append(o.warnings, text)
		o.emit(Event{Kind: Warning, Step: o.step, Text: text})
	case strings.HasPrefix(line, "COMMIT"), strings.HasPrefix(line, "Successfully built "),
		strings.HasPrefix(line, "Successfully tagged "), buildahHexID.MatchString(line), strings.TrimSpace(line) == "":
		o.emit(Event{Kind: Info, Step: o.step, Text: line})
	default:
		o.emit(Event{Kind: StepLog, Step: o.step, Text: line})
	}
}

func (o *buildahOutput) finish() {
	if line, ok := o.lines.flush(); ok {
		o.line(line)
	}
	if o.imageID != "" {
		o.endStep()
	}
}
