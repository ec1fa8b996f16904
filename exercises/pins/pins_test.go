package pins

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"os"
	"slices"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/lessons"
)

const (
	pin   = "sha256:14358309a308569c32bdc37e2e0e9694be33a9d99e68afb0f5ff33cc1f695dce"
	other = "sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1"
)

func TestHasDigestComparesNormalizedNames(t *testing.T) {
	for _, c := range []struct {
		ref   string
		rds   []string
		match bool
	}{
		{"alpine:3.22", []string{"alpine@" + pin}, true},
		{"alpine:3.22", []string{"docker.io/library/alpine@" + pin}, true},
		{"docker.io/library/alpine:3.22", []string{"alpine@" + pin}, true},
		{"alpine:3.22", []string{"alpine@" + other}, false},
		{"alpine:3.22", []string{"myregistry:5000/alpine@" + pin}, false}, // another repository at the same digest
		{"127.0.0.1:5000/x/alpine:3.22", []string{"127.0.0.1:5000/x/alpine@" + pin}, true},
		{"alpine:3.22", nil, false},
		{"alpine:3.22", []string{"not a reference", "alpine@" + pin}, true},
	} {
		if got := HasDigest(c.rds, c.ref, pin); got != c.match {
			t.Errorf("HasDigest(%v, %s) = %v, want %v", c.rds, c.ref, got, c.match)
		}
	}
}

func TestInspectStates(t *testing.T) {
	d := fakedaemon.New()
	d.AddImage(fakedaemon.Image{Tags: []string{"alpine:3.22"}, RepoDigests: []string{"alpine@" + pin}})
	d.AddImage(fakedaemon.Image{Tags: []string{"debian:12-slim"}, RepoDigests: []string{"debian@" + other}})
	d.AddImage(fakedaemon.Image{Tags: []string{"busybox:1"}}) // loaded: no repository digest
	ctx := context.Background()
	for _, c := range []struct {
		img  lessons.BaseImage
		want State
	}{
		{lessons.BaseImage{Ref: "alpine:3.22", Digest: pin}, AtPin},
		{lessons.BaseImage{Ref: "debian:12-slim", Digest: pin}, OtherDigest},
		{lessons.BaseImage{Ref: "busybox:1", Digest: pin}, OtherDigest},
		{lessons.BaseImage{Ref: "busybox:1"}, Present},
		{lessons.BaseImage{Ref: "node:22", Digest: pin}, Missing},
	} {
		st := Inspect(ctx, d, c.img)
		if st.State != c.want || st.Ref != c.img.Ref || st.Digest != c.img.Digest {
			t.Errorf("%+v: %+v, want %s", c.img, st, c.want)
		}
		if c.want.Tagged() != (st.ID != "") {
			t.Errorf("%+v: ID %q for state %s", c.img, st.ID, st.State)
		}
	}
	d.FailOn("ImageInspect", errors.New("Error response from daemon: layer store is corrupt"))
	if st := Inspect(ctx, d, lessons.BaseImage{Ref: "alpine:3.22", Digest: pin}); st.State != Unknown || !strings.Contains(st.Error, "corrupt") {
		t.Errorf("a daemon error: %+v, want unknown with the error", st)
	}
}

// The daemons' own answers, as the integration tests saw them on Docker
// 20.10 and on the current engine (containerd image store), and the rate
// limit a loopback handler answering 429 TOOMANYREQUESTS drew.
func TestClassifyTheDaemonsAnswers(t *testing.T) {
	for _, c := range []struct {
		msg  string
		kind Kind
	}{
		{"Error response from daemon: manifest for 127.0.0.1:39107/x/alpine@sha256:1111 not found: manifest unknown: manifest unknown", NotFound},
		{`Error response from daemon: failed to resolve reference "127.0.0.1:41059/x/alpine:0.0": 127.0.0.1:41059/x/alpine:0.0: not found`, NotFound},
		{`Error response from daemon: Get "http://127.0.0.1:32907/v2/": dial tcp 127.0.0.1:32907: connect: connection refused`, Unreachable},
		{`Error response from daemon: failed to resolve reference "127.0.0.1:38859/x/alpine@sha256:c315": failed to do request: Head "https://127.0.0.1:38859/v2/x/alpine/manifests/sha256:c315": dial tcp 127.0.0.1:38859: connect: connection refused`, Unreachable},
		{`Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host`, Unreachable},
		{`Error response from daemon: Get "https://registry-1.docker.io/v2/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)`, Unreachable},
		{`Error response from daemon: Get "https://r.example/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority`, Unreachable},
		{`Error response from daemon: Get "http://127.0.0.1:38873/v2/x/alpine/manifests/sha256:7b10": no basic auth credentials`, Auth},
		{`Error response from daemon: failed to resolve reference "127.0.0.1:33101/x/alpine@sha256:c315": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials`, Auth},
		{`Error response from daemon: Head "https://registry-1.docker.io/v2/library/alpine/manifests/3.22": unauthorized: incorrect username or password`, Auth},
		{"Error response from daemon: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit", RateLimited},
		{`Error response from daemon: unknown: failed to resolve reference "127.0.0.1:46307/x/alpine@sha256:c315": unexpected status from HEAD request to http://127.0.0.1:46307/v2/x/alpine/manifests/sha256:c315: 429 Too Many Requests`, RateLimited},
		{"Error response from daemon: write /var/lib/docker/tmp/GetImageBlob1234: no space left on device", Other},
	} {
		e := Classify("alpine@"+pin, errors.New(c.msg))
		if e.Kind != c.kind {
			t.Errorf("%s: %s, want %s", c.msg, e.Kind, c.kind)
		}
		if s := e.Error(); !strings.HasSuffix(s, ".") || strings.Count(s, "\n") > 0 || !strings.Contains(s, c.msg) {
			t.Errorf("%s: %q is not one sentence with the daemon's words", c.kind, s)
		}
	}
	// A registry whose port holds "429" and an image whose name holds a
	// kind's words are still read by what the daemon said (CI drew port
	// 34297 once, and a missing tag read as a rate limit).
	for ref, msg := range map[string]string{
		"127.0.0.1:34297/x/alpine:0.0":             "Error response from daemon: manifest for 127.0.0.1:34297/x/alpine:0.0 not found: manifest unknown: manifest unknown",
		"127.0.0.1:5000/tls-timeout/alpine@" + pin: "Error response from daemon: manifest for 127.0.0.1:5000/tls-timeout/alpine@" + pin + " not found: manifest unknown: manifest unknown",
	} {
		if e := Classify(ref, errors.New(msg)); e.Kind != NotFound {
			t.Errorf("%s: %s, want %s", msg, e.Kind, NotFound)
		}
	}
	if e := Classify("alpine:3.22", cerrdefs.ErrNotFound.WithMessage("No such image")); e.Kind != NotFound {
		t.Errorf("a typed not-found: %s", e.Kind)
	}
	// Each kind says its own fix.
	for kind, fix := range map[Kind]string{Unreachable: "connect this machine", Auth: "docker login docker.io", RateLimited: "wait and try again", NotFound: "update dockertutor or the course pack"} {
		if s := (&RegistryError{Kind: kind, Ref: "alpine@" + pin, Err: errors.New("x")}).Error(); !strings.Contains(s, fix) {
			t.Errorf("%s: %q lacks %q", kind, s, fix)
		}
	}
}

// readRecording reads a pull's messages as a daemon sent them
// (testdata/pull-engine*.jsonl: a three-layer image whose base layers the
// daemon had, pulled by digest from a loopback registry).
func readRecording(t *testing.T, name string) []jsonstream.Message {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ms []jsonstream.Message
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var m jsonstream.Message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	return ms
}

func TestProgressFromRecordedPulls(t *testing.T) {
	for _, c := range []struct {
		file               string
		layers, downloaded int
		total              int64
	}{
		// 20.10 names the three base layers it has ("Already exists") and
		// both new ones with their sizes.
		{"pull-engine20.jsonl", 5, 5, 3001121 + 5001727},
		// The containerd store names only the new layers, and never sized
		// the small one before it completed.
		{"pull-engine29.jsonl", 2, 2, 5001719},
	} {
		t.Run(c.file, func(t *testing.T) {
			tr := newProgressTracker("x")
			var seen []Progress
			for _, m := range readRecording(t, c.file) {
				if tr.add(m) {
					seen = append(seen, tr.progress())
				}
			}
			last := seen[len(seen)-1]
			if last.Layers != c.layers || last.LayersDone != c.downloaded || last.Total != c.total || last.Done != last.Total {
				t.Errorf("last progress %+v: want %d layers all done, %d bytes", last, c.layers, c.total)
			}
			if last.Fraction != 1 {
				t.Errorf("last fraction %v, want 1", last.Fraction)
			}
			var phases []Phase
			for i, p := range seen {
				if p.Fraction < 0 || p.Fraction > 1 || i > 0 && p.Fraction < seen[i-1].Fraction {
					t.Errorf("fraction %v after %v: a bar never goes back", p.Fraction, seen[max(0, i-1)].Fraction)
				}
				if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
					phases = append(phases, p.Phase)
				}
			}
			if want := []Phase{Downloading, Extracting}; !slices.Equal(phases[len(phases)-2:], want) || len(phases) > 3 || len(phases) == 3 && phases[0] != Resolving {
				t.Errorf("phases %v: (resolving while only layers it had were named), downloading, extracting", phases)
			}
		})
	}
}

// recordedPuller replays a recorded pull and counts the tags made.
type recordedPuller struct {
	*fakedaemon.Daemon
	messages []jsonstream.Message
	after    func() // once the messages ran out: the pulled image appears
	onMsg    func(i int)
	tags     int
}

func (p *recordedPuller) ImagePull(ctx context.Context, ref string, _ client.ImagePullOptions) (client.ImagePullResponse, error) {
	return &replay{p: p}, nil
}

func (p *recordedPuller) ImageTag(ctx context.Context, o client.ImageTagOptions) (client.ImageTagResult, error) {
	p.tags++
	return p.Daemon.ImageTag(ctx, o)
}

type replay struct {
	io.Reader
	p *recordedPuller
}

func (r *replay) Read([]byte) (int, error)       { return 0, io.EOF }
func (r *replay) Close() error                   { return nil }
func (r *replay) Wait(ctx context.Context) error { return nil }
func (r *replay) JSONMessages(ctx context.Context) iter.Seq2[jsonstream.Message, error] {
	return func(yield func(jsonstream.Message, error) bool) {
		for i, m := range r.p.messages {
			if r.p.onMsg != nil {
				r.p.onMsg(i)
			}
			if ctx.Err() != nil {
				yield(jsonstream.Message{}, ctx.Err())
				return
			}
			if !yield(m, nil) {
				return
			}
		}
		r.p.after()
	}
}

func TestPullTagsOnlyAfterTheStreamCompleted(t *testing.T) {
	img := lessons.BaseImage{Ref: "alpine:3.22", Digest: pin}
	newPuller := func() *recordedPuller {
		d := fakedaemon.New()
		p := &recordedPuller{Daemon: d, messages: readRecording(t, "pull-engine20.jsonl")}
		p.after = func() {
			d.AddImage(fakedaemon.Image{Tags: []string{"alpine@" + pin}, RepoDigests: []string{"alpine@" + pin}})
		}
		return p
	}

	p := newPuller()
	var got []Progress
	res, err := Pull(context.Background(), p, img, func(pr Progress) { got = append(got, pr) })
	if err != nil || !res.Pulled || !res.Tagged || p.tags != 1 || res.After.State != AtPin {
		t.Fatalf("%+v, %v, %d tags", res, err, p.tags)
	}
	if got[0].Phase != Resolving || got[len(got)-2].Phase != Tagging || got[len(got)-1].Phase != Done || got[len(got)-1].Ref != "alpine:3.22" {
		t.Errorf("progress %+v: resolving first, then tagging, done last", got)
	}

	// Cancelled half way through the messages: no tag.
	p = newPuller()
	ctx, cancel := context.WithCancel(context.Background())
	p.onMsg = func(i int) {
		if i == len(p.messages)/2 {
			cancel()
		}
	}
	res, err = Pull(ctx, p, img, nil)
	if !errors.Is(err, context.Canceled) || res.Tagged || p.tags != 0 {
		t.Fatalf("cancelled: %+v, %v, %d tags", res, err, p.tags)
	}

	// An error message in the stream is the registry's: classified, no tag.
	p = newPuller()
	p.messages = append(p.messages[:3:3], jsonstream.Message{Error: &jsonstream.Error{Message: "unexpected EOF"}})
	res, err = Pull(context.Background(), p, img, nil)
	var re *RegistryError
	if !errors.As(err, &re) || re.Kind != Unreachable || p.tags != 0 {
		t.Fatalf("error in the stream: %+v, %v, %d tags", res, err, p.tags)
	}

	// The pull "completed" but the daemon holds other content under the
	// digest reference: a clear error, not a success.
	p = newPuller()
	p.after = func() {
		p.Daemon.AddImage(fakedaemon.Image{Tags: []string{"alpine@" + pin}, RepoDigests: []string{"alpine@" + other}})
	}
	_, err = Pull(context.Background(), p, img, nil)
	var ve *VerifyError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "not at the pinned") || !strings.Contains(err.Error(), other) {
		t.Fatalf("verification: %v", err)
	}
}

func TestPullSkipsWhatIsThere(t *testing.T) {
	d := fakedaemon.New()
	d.AddImage(fakedaemon.Image{Tags: []string{"alpine:3.22"}, RepoDigests: []string{"docker.io/library/alpine@" + pin}})
	p := &recordedPuller{Daemon: d}
	res, err := Pull(context.Background(), p, lessons.BaseImage{Ref: "alpine:3.22", Digest: pin}, nil)
	if err != nil || !res.Skipped || res.Pulled || p.tags != 0 {
		t.Fatalf("%+v, %v", res, err)
	}
	res, err = Pull(context.Background(), p, lessons.BaseImage{Ref: "alpine:3.22"}, nil)
	if err != nil || !res.Skipped || !res.Unverified {
		t.Fatalf("no digest, tag there: %+v, %v", res, err)
	}
	if _, err := Pull(context.Background(), p, lessons.BaseImage{Ref: "alpine:3.22", Digest: "sha256:short"}, nil); err == nil || !strings.Contains(err.Error(), "not a digest") {
		t.Fatalf("a malformed pin: %v", err)
	}
}
