// Package fakedaemon is an in-memory Docker daemon for unit tests: images
// with their config, history and export; containers with their state,
// environment and logs; the event log; and failures on demand (a daemon
// gone, a call refused). It is a daemon.Client, so code under test takes it
// where it takes the Docker client, and its errors are the client's (not
// found, connection failed), so that code reads them the same way.
package fakedaemon

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"path"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/dockertutor/dockertutor/exercises/daemon"
)

// Image is an image the fake daemon holds.
type Image struct {
	// ID is the image ID ("sha256:…"); New derives one from the tags when
	// empty.
	ID   string
	Tags []string
	// RepoDigests are the repository digests it was pulled by
	// (node@sha256:…), as `docker images --digests` shows them.
	RepoDigests []string
	Created     time.Time
	LastTagTime time.Time
	Size        int64
	Env         []string
	Labels      map[string]string
	User        string
	// History is `docker history`, newest entry first.
	History []image.HistoryResponseItem
	// Files are the paths in the image's filesystem (for a container made
	// from it), by absolute path.
	Files map[string]container.PathStat
	// FileContents are what a copy out of a container made from the image
	// reads, by absolute path (each also needs its entry in Files).
	FileContents map[string][]byte
	// Layers are the image's layer diff IDs (RootFS.Layers), oldest first.
	Layers []string
	// Raw is the raw inspect JSON; made from the fields above when nil.
	Raw []byte
	// Export is what `docker save` of the image streams.
	Export []byte
}

// Container is a container the fake daemon holds.
type Container struct {
	ID    string
	Name  string
	Image string // the image reference it was made from; ImageID is resolved
	// ImageID is the ID of its image, filled from Image when empty.
	ImageID  string
	Created  time.Time
	Env      []string
	Labels   map[string]string
	Cmd      []string
	Tty      bool
	Running  bool
	ExitCode int
	// Stdout and Stderr are its logs.
	Stdout, Stderr string

	// attach is the daemon's end of an attached stream; exited delivers
	// the exit of a started program.
	attach net.Conn
	exited chan container.WaitResponse
}

// Daemon is the fake. The zero value is not usable: call New.
type Daemon struct {
	mu         sync.Mutex
	images     []*Image
	containers []*Container
	events     []events.Message
	down       error
	fail       map[string]error
	calls      []string
	saved      [][]string
	removed    []string
	listed     []client.Filters
	seq        int
	program    Program
	ping       client.PingResult
	build      BuildOutput
	builds     []client.ImageBuildOptions
	context    map[string]string
	cancelled  []string
	sessions   []net.Conn
	version    client.ServerVersionResult
	clock      func() time.Time
	registry   map[string]string // published reference -> digest, for DistributionInspect
	// followers are the open event streams without an Until, which the
	// daemon keeps feeding as events happen.
	followers []*follower
	// IgnoreLabelFilters plays a daemon (or a Docker-compatible API)
	// that lists containers without applying their label terms.
	IgnoreLabelFilters bool
}

// The fake is a daemon.Client.
var _ daemon.Client = (*Daemon)(nil)

// New returns an empty daemon.
func New() *Daemon {
	return &Daemon{fail: map[string]error{}, ping: client.PingResult{APIVersion: "1.41", OSType: "linux"},
		version: client.ServerVersionResult{Version: "20.10.0-fake", APIVersion: "1.41", Os: "linux"},
		clock:   time.Now}
}

// SetClock sets the daemon's clock, which dates the images it builds and
// the containers it creates.
func (d *Daemon) SetClock(now func() time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.clock = now
}

// now reads the daemon's clock.
func (d *Daemon) now() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.clock()
}

// SetVersion sets what ServerVersion answers (the engine's version, API
// version and OS), as the status line shows it.
func (d *Daemon) SetVersion(v client.ServerVersionResult) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.version = v
}

// AddImage stores an image and returns the stored copy, which the test may
// change later (a rebuild, a cut export).
func (d *Daemon) AddImage(img Image) *Image {
	d.mu.Lock()
	defer d.mu.Unlock()
	if img.ID == "" {
		sum := sha256.Sum256(fmt.Appendf(nil, "%v %d", img.Tags, len(d.images)))
		img.ID = "sha256:" + hex.EncodeToString(sum[:])
	}
	p := &img
	d.images = append(d.images, p)
	return p
}

// Image returns the stored image a reference names, nil when there is none.
func (d *Daemon) Image(ref string) *Image {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.image(ref)
}

// AddContainer stores a container and returns the stored copy.
func (d *Daemon) AddContainer(c Container) *Container {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq++
	if c.ID == "" {
		c.ID = fmt.Sprintf("%064x", d.seq)
	}
	if c.ImageID == "" {
		if img := d.image(c.Image); img != nil {
			c.ImageID = img.ID
		}
	}
	p := &c
	d.containers = append(d.containers, p)
	return p
}

// AddEvent appends a message to the daemon's event log and hands it to
// the streams following the log (Events without an Until) that it
// passes the filters of.
func (d *Daemon) AddEvent(m events.Message) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.events = append(d.events, m)
	for _, f := range d.followers {
		if matchesEvent(f.options, m) {
			f.queue = append(f.queue, m)
			f.wake()
		}
	}
}

// Stop makes every later call fail as a call to a stopped daemon does
// (client.IsErrConnectionFailed holds for the error), and ends the event
// streams that follow the log with that error, as a dropped connection
// does.
func (d *Daemon) Stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.down = ConnectionRefused()
	for _, f := range d.followers {
		f.end = d.down
		f.wake()
	}
	d.followers = nil
}

// Start brings a stopped daemon back: calls answer again.
func (d *Daemon) Start() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.down = nil
}

// Following counts the event streams that follow the log now (a watcher
// that has not ended).
func (d *Daemon) Following() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.followers)
}

// FailOn makes every later call of the named method (ImageInspect,
// ContainerLogs, …) return err.
func (d *Daemon) FailOn(method string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.fail[method] = err
}

// Calls lists the methods called, in order.
func (d *Daemon) Calls() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.calls)
}

// Called counts the calls of a method.
func (d *Daemon) Called(method string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, c := range d.calls {
		if c == method {
			n++
		}
	}
	return n
}

// Saved lists the references each ImageSave asked for.
func (d *Daemon) Saved() [][]string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.saved)
}

// Containers lists the containers the daemon holds now.
func (d *Daemon) Containers() []Container {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Container, len(d.containers))
	for i, c := range d.containers {
		out[i] = *c
	}
	return out
}

// ListFilters lists the filters of each ContainerList call.
func (d *Daemon) ListFilters() []client.Filters {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.listed)
}

// Removed lists the containers and images removed, by the name or ID the
// caller gave.
func (d *Daemon) Removed() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.removed)
}

// ConnectionRefused is the error a client gets from a daemon that is not
// there: it is made by a real client dialling a socket that does not
// exist, so client.IsErrConnectionFailed holds for it.
func ConnectionRefused() error {
	cli, err := client.New(client.WithHost("unix:///nonexistent/dockertutor-fakedaemon.sock"))
	if err != nil {
		return err
	}
	defer cli.Close()
	_, err = cli.Ping(context.Background(), client.PingOptions{})
	if err == nil || !client.IsErrConnectionFailed(err) {
		return fmt.Errorf("fakedaemon: a missing socket did not fail as a lost connection: %v", err)
	}
	return err
}

// NotFound is the daemon's answer for an object it does not have.
func NotFound(kind, ref string) error {
	return fmt.Errorf("No such %s: %s: %w", kind, ref, cerrdefs.ErrNotFound)
}

// enter records a call and returns the error it must fail with, if any.
// The caller holds no lock.
func (d *Daemon) enter(ctx context.Context, method string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, method)
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.down != nil {
		return d.down
	}
	return d.fail[method]
}

// image finds an image by ID, short ID or tag; the caller holds d.mu.
func (d *Daemon) image(ref string) *Image {
	for _, img := range d.images {
		if img.ID == ref || "sha256:"+ref == img.ID || len(ref) >= 12 && daemon.ShortID(img.ID) == daemon.ShortID(ref) {
			return img
		}
		if slices.ContainsFunc(img.Tags, func(t string) bool { return daemon.SameImage(t, ref) }) {
			return img
		}
	}
	return nil
}

// container finds a container by ID or name; the caller holds d.mu.
func (d *Daemon) container(ref string) *Container {
	for _, c := range d.containers {
		if c.ID == ref || c.Name == ref || "/"+c.Name == ref {
			return c
		}
	}
	return nil
}

func (img *Image) inspect() image.InspectResponse {
	created := ""
	if !img.Created.IsZero() {
		created = img.Created.UTC().Format(time.RFC3339Nano)
	}
	return image.InspectResponse{
		ID: img.ID, RepoTags: img.Tags, RepoDigests: img.RepoDigests, Created: created, Size: img.Size,
		Os: "linux", Architecture: "amd64",
		Config: &dockerspec.DockerOCIImageConfig{ImageConfig: ocispec.ImageConfig{
			Env: img.Env, Labels: img.Labels, User: img.User,
		}},
		Metadata: image.Metadata{LastTagTime: img.LastTagTime},
		RootFS:   image.RootFS{Type: "layers", Layers: img.Layers},
	}
}

func (d *Daemon) ImageInspect(ctx context.Context, ref string, options ...client.ImageInspectOption) (client.ImageInspectResult, error) {
	if err := d.enter(ctx, "ImageInspect"); err != nil {
		return client.ImageInspectResult{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	img := d.image(ref)
	if img == nil {
		return client.ImageInspectResult{}, NotFound("image", ref)
	}
	resp := img.inspect()
	raw := img.Raw
	if raw == nil {
		var err error
		if raw, err = json.Marshal(resp); err != nil {
			return client.ImageInspectResult{}, err
		}
	}
	for _, o := range options {
		if buf := rawBuffer(o); buf != nil {
			buf.Write(raw)
		}
	}
	return client.ImageInspectResult{InspectResponse: resp}, nil
}

// rawBuffer is the buffer client.ImageInspectWithRawResponse asked to
// fill. The option keeps it in an unexported field, so the fake applies
// the option to a value of the client's own type and reads it from there.
func rawBuffer(o client.ImageInspectOption) *bytes.Buffer {
	apply := reflect.ValueOf(o).MethodByName("Apply")
	if !apply.IsValid() || apply.Type().NumIn() != 1 || apply.Type().In(0).Kind() != reflect.Pointer {
		return nil
	}
	opts := reflect.New(apply.Type().In(0).Elem())
	apply.Call([]reflect.Value{opts})
	f := opts.Elem().FieldByName("raw")
	if !f.IsValid() || f.Type() != reflect.TypeFor[*bytes.Buffer]() || f.IsNil() {
		return nil
	}
	return (*bytes.Buffer)(f.UnsafePointer())
}

func (d *Daemon) ImageHistory(ctx context.Context, ref string, _ ...client.ImageHistoryOption) (client.ImageHistoryResult, error) {
	if err := d.enter(ctx, "ImageHistory"); err != nil {
		return client.ImageHistoryResult{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	img := d.image(ref)
	if img == nil {
		return client.ImageHistoryResult{}, NotFound("image", ref)
	}
	return client.ImageHistoryResult{Items: slices.Clone(img.History)}, nil
}

func (d *Daemon) ImageSave(ctx context.Context, refs []string, _ ...client.ImageSaveOption) (client.ImageSaveResult, error) {
	d.mu.Lock()
	d.saved = append(d.saved, slices.Clone(refs))
	d.mu.Unlock()
	if err := d.enter(ctx, "ImageSave"); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(refs) != 1 {
		return nil, fmt.Errorf("fakedaemon: ImageSave of %d images is not modelled", len(refs))
	}
	img := d.image(refs[0])
	if img == nil {
		return nil, NotFound("image", refs[0])
	}
	return io.NopCloser(bytes.NewReader(img.Export)), nil
}

func (d *Daemon) ImageList(ctx context.Context, options client.ImageListOptions) (client.ImageListResult, error) {
	if err := d.enter(ctx, "ImageList"); err != nil {
		return client.ImageListResult{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var out client.ImageListResult
	for _, img := range d.images {
		if labelsMatch(options.Filters, img.Labels) {
			out.Items = append(out.Items, image.Summary{ID: img.ID, RepoTags: img.Tags, RepoDigests: img.RepoDigests, Labels: img.Labels, Size: img.Size, Created: img.Created.Unix()})
		}
	}
	return out, nil
}

func (d *Daemon) ImageRemove(ctx context.Context, ref string, _ client.ImageRemoveOptions) (client.ImageRemoveResult, error) {
	if err := d.enter(ctx, "ImageRemove"); err != nil {
		return client.ImageRemoveResult{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	img := d.image(ref)
	if img == nil {
		return client.ImageRemoveResult{}, NotFound("image", ref)
	}
	// As Docker does without force: a name of an image with other names
	// only loses that name, and an image with several names cannot be
	// removed by its ID.
	byName := slices.ContainsFunc(img.Tags, func(t string) bool { return daemon.SameImage(t, ref) })
	if byName && len(img.Tags) > 1 {
		img.Tags = slices.DeleteFunc(img.Tags, func(t string) bool { return daemon.SameImage(t, ref) })
		d.removed = append(d.removed, ref)
		return client.ImageRemoveResult{}, nil
	}
	if !byName && len(img.Tags) > 1 {
		return client.ImageRemoveResult{}, fmt.Errorf("conflict: unable to delete %s (must be forced) - image is referenced in multiple repositories: %w", daemon.ShortID(img.ID), cerrdefs.ErrConflict)
	}
	for _, c := range d.containers {
		if c.ImageID == img.ID {
			return client.ImageRemoveResult{}, fmt.Errorf("conflict: unable to remove %s: container %s is using its referenced image: %w", ref, daemon.ShortID(c.ID), cerrdefs.ErrConflict)
		}
	}
	d.images = slices.DeleteFunc(d.images, func(i *Image) bool { return i == img })
	d.removed = append(d.removed, ref)
	return client.ImageRemoveResult{}, nil
}

// labelsMatch applies the "label" filter (key or key=value) of f.
func labelsMatch(f client.Filters, labels map[string]string) bool {
	for want := range f["label"] {
		k, v, hasValue := cutEq(want)
		got, ok := labels[k]
		if !ok || hasValue && got != v {
			return false
		}
	}
	return true
}

func cutEq(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == '=' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func (c *Container) summary() container.Summary {
	state := container.StateExited
	if c.Running {
		state = container.StateRunning
	}
	s := container.Summary{ID: c.ID, Image: c.Image, ImageID: c.ImageID, Created: c.Created.Unix(), Labels: c.Labels, State: state}
	if c.Name != "" {
		s.Names = []string{"/" + c.Name}
	}
	return s
}

func (d *Daemon) ContainerList(ctx context.Context, options client.ContainerListOptions) (client.ContainerListResult, error) {
	if err := d.enter(ctx, "ContainerList"); err != nil {
		return client.ContainerListResult{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.listed = append(d.listed, options.Filters.Clone())
	var out client.ContainerListResult
	for _, c := range d.containers {
		if !options.All && !c.Running || !d.IgnoreLabelFilters && !labelsMatch(options.Filters, c.Labels) {
			continue
		}
		if anc := options.Filters["ancestor"]; len(anc) > 0 {
			match := false
			for ref := range anc {
				if img := d.image(ref); img != nil && img.ID == c.ImageID {
					match = true
				}
			}
			if !match {
				continue
			}
		}
		out.Items = append(out.Items, c.summary())
	}
	return out, nil
}

func (d *Daemon) ContainerInspect(ctx context.Context, ref string, _ client.ContainerInspectOptions) (client.ContainerInspectResult, error) {
	if err := d.enter(ctx, "ContainerInspect"); err != nil {
		return client.ContainerInspectResult{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.container(ref)
	if c == nil {
		return client.ContainerInspectResult{}, NotFound("container", ref)
	}
	return client.ContainerInspectResult{Container: container.InspectResponse{
		ID: c.ID, Name: "/" + c.Name, Image: c.ImageID, Created: c.Created.UTC().Format(time.RFC3339Nano),
		State:  &container.State{Running: c.Running, ExitCode: c.ExitCode},
		Config: &container.Config{Image: c.Image, Env: c.Env, Labels: c.Labels, Tty: c.Tty},
	}}, nil
}

// ContainerLogs streams the container's logs as the daemon does: one
// stream when it has a terminal, else stdout and stderr multiplexed in
// stdcopy frames.
func (d *Daemon) ContainerLogs(ctx context.Context, ref string, options client.ContainerLogsOptions) (client.ContainerLogsResult, error) {
	if err := d.enter(ctx, "ContainerLogs"); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.container(ref)
	if c == nil {
		return nil, NotFound("container", ref)
	}
	var out bytes.Buffer
	if c.Tty {
		if options.ShowStdout {
			out.WriteString(c.Stdout)
		}
		return io.NopCloser(&out), nil
	}
	if options.ShowStdout {
		writeFrame(&out, 1, c.Stdout)
	}
	if options.ShowStderr {
		writeFrame(&out, 2, c.Stderr)
	}
	return io.NopCloser(&out), nil
}

// writeFrame writes one stdcopy frame: stream, three zero bytes, the
// payload's length (big-endian), the payload.
func writeFrame(w *bytes.Buffer, stream byte, text string) {
	if text == "" {
		return
	}
	header := [8]byte{0: stream}
	binary.BigEndian.PutUint32(header[4:], uint32(len(text)))
	w.Write(header[:])
	w.WriteString(text)
}

func (d *Daemon) ContainerCreate(ctx context.Context, options client.ContainerCreateOptions) (client.ContainerCreateResult, error) {
	if err := d.enter(ctx, "ContainerCreate"); err != nil {
		return client.ContainerCreateResult{}, err
	}
	if options.Config == nil {
		return client.ContainerCreateResult{}, fmt.Errorf("fakedaemon: ContainerCreate without a config")
	}
	d.mu.Lock()
	img := d.image(options.Config.Image)
	d.mu.Unlock()
	if img == nil {
		return client.ContainerCreateResult{}, NotFound("image", options.Config.Image)
	}
	c := d.AddContainer(Container{Name: options.Name, Image: options.Config.Image, ImageID: img.ID, Created: d.now(),
		Env: options.Config.Env, Cmd: options.Config.Cmd, Labels: options.Config.Labels, Tty: options.Config.Tty})
	return client.ContainerCreateResult{ID: c.ID}, nil
}

func (d *Daemon) ContainerStatPath(ctx context.Context, ref string, options client.ContainerStatPathOptions) (client.ContainerStatPathResult, error) {
	if err := d.enter(ctx, "ContainerStatPath"); err != nil {
		return client.ContainerStatPathResult{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.container(ref)
	if c == nil {
		return client.ContainerStatPathResult{}, NotFound("container", ref)
	}
	img := d.image(c.ImageID)
	if img == nil {
		return client.ContainerStatPathResult{}, NotFound("image", c.ImageID)
	}
	st, ok := img.Files[options.Path]
	if !ok {
		return client.ContainerStatPathResult{}, fmt.Errorf("Could not find the file %s in container %s: %w", options.Path, ref, cerrdefs.ErrNotFound)
	}
	return client.ContainerStatPathResult{Stat: st}, nil
}

// CopyFromContainer streams one file of the container's image as a tar
// archive of that file alone, as the daemon does for a file path.
func (d *Daemon) CopyFromContainer(ctx context.Context, ref string, options client.CopyFromContainerOptions) (client.CopyFromContainerResult, error) {
	st, err := d.ContainerStatPath(ctx, ref, client.ContainerStatPathOptions{Path: options.SourcePath})
	if err != nil {
		return client.CopyFromContainerResult{}, err
	}
	d.mu.Lock()
	content := d.image(d.container(ref).ImageID).FileContents[options.SourcePath]
	d.mu.Unlock()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: path.Base(options.SourcePath), Mode: 0o644, Size: int64(len(content))}); err != nil {
		return client.CopyFromContainerResult{}, err
	}
	if _, err := tw.Write(content); err != nil {
		return client.CopyFromContainerResult{}, err
	}
	if err := tw.Close(); err != nil {
		return client.CopyFromContainerResult{}, err
	}
	return client.CopyFromContainerResult{Content: io.NopCloser(&buf), Stat: st.Stat}, nil
}

func (d *Daemon) ContainerRemove(ctx context.Context, ref string, _ client.ContainerRemoveOptions) (client.ContainerRemoveResult, error) {
	if err := d.enter(ctx, "ContainerRemove"); err != nil {
		return client.ContainerRemoveResult{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.container(ref)
	if c == nil {
		return client.ContainerRemoveResult{}, NotFound("container", ref)
	}
	if c.attach != nil {
		c.attach.Close()
	}
	d.containers = slices.DeleteFunc(d.containers, func(x *Container) bool { return x == c })
	d.removed = append(d.removed, ref)
	return client.ContainerRemoveResult{}, nil
}

// Events replays the event log between options.Since and options.Until
// (Unix seconds), filtered by type and event. With an Until it then ends
// with io.EOF, as the daemon does once it reaches Until; without one it
// follows the log, as `docker events` does, until ctx ends (ctx.Err) or
// the daemon stops (the connection error).
func (d *Daemon) Events(ctx context.Context, options client.EventsListOptions) client.EventsResult {
	msgs := make(chan events.Message, 1)
	errs := make(chan error, 1)
	if err := d.enter(ctx, "Events"); err != nil {
		errs <- err
		return client.EventsResult{Messages: msgs, Err: errs}
	}
	since, until := unixOr(options.Since, time.Time{}), unixOr(options.Until, time.Time{})
	d.mu.Lock()
	var pick []events.Message
	for _, m := range d.events {
		at := time.Unix(0, m.TimeNano)
		if options.Since == "" && options.Until == "" {
			break // the daemon streams only what happens from now on
		}
		if !since.IsZero() && at.Before(since) || !until.IsZero() && at.After(until) {
			continue
		}
		if matchesEvent(options, m) {
			pick = append(pick, m)
		}
	}
	var f *follower
	if until.IsZero() {
		f = &follower{options: options, signal: make(chan struct{}, 1)}
		d.followers = append(d.followers, f)
	}
	d.mu.Unlock()
	go func() {
		for _, m := range pick {
			select {
			case msgs <- m:
			case <-ctx.Done():
				d.unfollow(f)
				errs <- ctx.Err()
				return
			}
		}
		if f == nil {
			errs <- io.EOF
			return
		}
		errs <- d.follow(ctx, f, msgs)
	}()
	return client.EventsResult{Messages: msgs, Err: errs}
}

// follower is an event stream that follows the log.
type follower struct {
	options client.EventsListOptions
	signal  chan struct{} // something was queued, or the stream ended
	queue   []events.Message
	end     error
}

// wake tells the follower's goroutine to look; the caller holds d.mu.
func (f *follower) wake() {
	select {
	case f.signal <- struct{}{}:
	default: // it will look anyway
	}
}

// follow delivers what the log gets until ctx ends or the daemon stops,
// and returns why it ended.
func (d *Daemon) follow(ctx context.Context, f *follower, msgs chan<- events.Message) error {
	defer d.unfollow(f)
	for {
		d.mu.Lock()
		queue, end := f.queue, f.end
		f.queue = nil
		d.mu.Unlock()
		for _, m := range queue {
			select {
			case msgs <- m:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if end != nil {
			return end
		}
		select {
		case <-f.signal:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (d *Daemon) unfollow(f *follower) {
	if f == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.followers = slices.DeleteFunc(d.followers, func(x *follower) bool { return x == f })
}

// matchesEvent applies the "type" and "event" filters of options.
func matchesEvent(options client.EventsListOptions, m events.Message) bool {
	if t := options.Filters["type"]; len(t) > 0 && !t[string(m.Type)] {
		return false
	}
	if e := options.Filters["event"]; len(e) > 0 && !e[string(m.Action)] {
		return false
	}
	return true
}

func unixOr(s string, def time.Time) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return def
	}
	return time.Unix(n, 0)
}

func (d *Daemon) Ping(ctx context.Context, _ client.PingOptions) (client.PingResult, error) {
	if err := d.enter(ctx, "Ping"); err != nil {
		return client.PingResult{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ping, nil
}

func (d *Daemon) ServerVersion(ctx context.Context, _ client.ServerVersionOptions) (client.ServerVersionResult, error) {
	if err := d.enter(ctx, "ServerVersion"); err != nil {
		return client.ServerVersionResult{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.version, nil
}

func (d *Daemon) Close() error { return nil }
