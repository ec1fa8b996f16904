package builder

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/filesync"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
	"github.com/tonistiigi/fsutil"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/dockertutor/dockertutor/exercises/daemon"
)

// clientSessionRemote tells the daemon to fetch the context and the
// Dockerfile through the build session instead of a tar body.
const clientSessionRemote = "client-session"

// cancelGrace bounds the calls that tidy up after a cancelled build; they
// run on a context of their own, the caller's being done.
const cancelGrace = 10 * time.Second

// buildWithBuildKit runs the build on the daemon's BuildKit: a session
// serves the context, the Dockerfile folder and the secrets, and the build
// request names the session. It returns an error wrapping
// ErrBuildKitUnavailable when the daemon refuses the session, before
// anything was built.
func buildWithBuildKit(ctx context.Context, d daemon.Builder, p *plan, emit func(Event)) (Result, error) {
	contextFS, err := syncedDir(p.dir)
	if err != nil {
		return Result{}, err
	}
	dockerfileFS, err := syncedDir(p.dockerfileDir)
	if err != nil {
		return Result{}, err
	}
	// The shared key lets the daemon reuse what it already received of
	// this folder in an earlier build.
	key := sha256.Sum256([]byte(p.dir))
	sess, err := session.NewSession(ctx, hex.EncodeToString(key[:]))
	if err != nil {
		return Result{}, fmt.Errorf("start a build session: %w", err)
	}
	// The Dockerfile frontend asks for these two names and reads
	// .dockerignore from the context itself, sending its patterns back as
	// the filter for the context transfer.
	sess.Allow(filesync.NewFSSyncProvider(filesync.StaticDirSource{
		"context":    contextFS,
		"dockerfile": dockerfileFS,
	}))
	if len(p.secrets) > 0 {
		sess.Allow(secretsprovider.FromMap(p.secrets))
	}

	sessCtx, stopSession := context.WithCancel(ctx)
	dialed := make(chan error, 1)
	var once sync.Once
	dial := func(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error) {
		conn, err := d.DialHijack(ctx, "/session", proto, meta)
		once.Do(func() { dialed <- err })
		return conn, err
	}
	sessionDone := make(chan error, 1)
	go func() { sessionDone <- sess.Run(sessCtx, dial) }()
	defer func() {
		sess.Close()
		stopSession()
		<-sessionDone
	}()

	select {
	case err := <-dialed:
		if err != nil {
			return Result{}, fmt.Errorf("%w: the daemon refused the build session: %w", ErrBuildKitUnavailable, err)
		}
	case err := <-sessionDone:
		sessionDone <- err // for the deferred wait
		return Result{}, fmt.Errorf("%w: the build session ended before it started: %v", ErrBuildKitUnavailable, err)
	case <-ctx.Done():
		return Result{}, aborted(ctx)
	}

	buildID, err := randomID()
	if err != nil {
		return Result{}, err
	}
	resp, err := d.ImageBuild(ctx, nil, client.ImageBuildOptions{
		Version:       build.BuilderBuildKit,
		SessionID:     sess.ID(),
		BuildID:       buildID,
		RemoteContext: clientSessionRemote,
		Dockerfile:    p.dockerfileName,
		Tags:          p.opts.Tags,
		BuildArgs:     p.buildArgs,
		Target:        p.opts.Target,
		NoCache:       p.opts.NoCache,
		Labels:        p.labels,
		// The client sends rm=0 unless Remove is set; BuildKit ignores
		// it, the setting only keeps the request as the CLI sends it.
		Remove: true,
	})
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, aborted(ctx)
		}
		return Result{}, p.explain(ctx, d, BuildKit, "", err.Error())
	}
	defer resp.Body.Close()

	// Cancelling the request alone leaves BuildKit's solve running until
	// it notices the session is gone; BuildCancel stops it at once. An
	// aborted build returns only once the cancel was sent (cancelGrace at
	// most), so nothing of it is still running when the caller goes on.
	cancelSent := make(chan struct{})
	stopCancel := context.AfterFunc(ctx, func() {
		defer close(cancelSent)
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelGrace)
		defer cancel()
		_, _ = d.BuildCancel(cctx, buildID, client.BuildCancelOptions{})
	})
	defer func() {
		if !stopCancel() {
			<-cancelSent
		}
	}()

	t := newTracer(emit)
	var infoLines lineSplitter
	var imageID string
	var traceErr error
	daemonErr, streamErr := readStream(resp.Body, func(msg jsonstream.Message) {
		if msg.Aux == nil {
			for _, line := range infoLines.write(msg.Stream) {
				emit(Event{Kind: Info, Text: line})
			}
			return
		}
		switch msg.ID {
		case auxTrace:
			status, err := decodeTrace(*msg.Aux)
			if err != nil {
				traceErr = err
				return
			}
			t.update(status)
		case auxImageID:
			var r build.Result
			if err := json.Unmarshal(*msg.Aux, &r); err == nil {
				imageID = r.ID
			}
		}
	})
	t.finish()

	switch {
	case ctx.Err() != nil:
		return Result{}, aborted(ctx)
	case daemonErr != "":
		return Result{}, p.explain(context.WithoutCancel(ctx), d, BuildKit, t.failed, daemonErr)
	case streamErr != nil:
		return Result{}, lostDaemon(streamErr)
	case imageID == "":
		if traceErr != nil {
			return Result{}, fmt.Errorf("the build ended without an image ID; its progress could not be read: %w", traceErr)
		}
		return Result{}, lostDaemon(errors.New("the build output ended without a result"))
	}
	return Result{ImageID: imageID, Builder: BuildKit, Warnings: t.warnings}, nil
}

// lostDaemon is the error of a build whose daemon stopped answering.
func lostDaemon(err error) error {
	return fmt.Errorf("%w (did it stop or restart?): %w", ErrDaemonLost, err)
}

// syncedDir is a folder as the build session sends it: owner reset to
// root, as the docker CLI does, so the same files make the same cache
// whoever sends them.
func syncedDir(dir string) (fsutil.FS, error) {
	fs, err := fsutil.NewFS(dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	return fsutil.NewFilterFS(fs, &fsutil.FilterOpt{Map: resetOwner})
}

func resetOwner(_ string, st *fstypes.Stat) fsutil.MapResult {
	st.Uid = 0
	st.Gid = 0
	return fsutil.MapResultKeep
}

func randomID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make a build id: %w", err)
	}
	return hex.EncodeToString(b), nil
}
