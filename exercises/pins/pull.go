package pins

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/lessons"
)

// Result is what Pull did for one image.
type Result struct {
	// Ref and Digest are the course's image.
	Ref, Digest string
	// Skipped: the tag was already at the pin (or, for a pack that pins
	// no digest, already there); nothing was asked of the registry.
	Skipped bool
	// Pulled: the daemon fetched the image from the registry.
	Pulled bool
	// Loaded: its layers and config were loaded from a bundle first (set
	// by the caller that loaded them), so the pull fetched only its
	// manifest.
	Loaded bool
	// Tagged: the tag was made or moved to the pinned image.
	Tagged bool
	// Unverified: the pack pins no digest, so what the tag names could
	// not be checked against one.
	Unverified bool
	// Before is the tag's state before, After its state now.
	Before, After Status
}

// Pull makes img's tag name the pinned image on the daemon. It pulls by
// digest (repository@sha256:…), so the daemon itself verifies the content
// against the pin, and makes the tag only once the pull completed: a
// cancelled ctx leaves the tag where it was. Already at the pin: nothing
// is pulled. The pinned image there under no tag: it is only tagged. A
// pack without a digest pulls by tag and says it could not be verified.
//
// progress, when not nil, is called from Pull's goroutine as the
// daemon's messages arrive. A registry's refusal is a *RegistryError; a
// cancelled ctx is ctx.Err() (errors.Is context.Canceled).
func Pull(ctx context.Context, api daemon.Puller, img lessons.BaseImage, progress func(Progress)) (Result, error) {
	res := Result{Ref: img.Ref, Digest: img.Digest, Unverified: img.Digest == ""}
	report := func(p Progress) {
		if progress != nil {
			p.Ref = img.Ref
			progress(p)
		}
	}
	source, err := pinnedName(img)
	if err != nil {
		return res, err
	}
	res.Before = Inspect(ctx, api, img)
	switch {
	case res.Before.State == Unknown:
		if err := ctx.Err(); err != nil {
			return res, err
		}
		err := fmt.Errorf("Docker did not say whether %s is there: %s", img.Ref, res.Before.Error)
		if !Answers(ctx, api) {
			err = &DaemonStoppedError{Ref: img.Ref, Err: err}
		}
		return res, err
	case res.Before.State.Ready():
		res.Skipped, res.After = true, res.Before
		report(Progress{Phase: Done, Fraction: 1})
		return res, nil
	}

	if img.Digest == "" || !untaggedAtPin(ctx, api, source, img) {
		report(Progress{Phase: Resolving})
		if err := pull(ctx, api, source, report); err != nil {
			var se *streamError
			switch {
			case stopped(ctx, api, err):
				err = &DaemonStoppedError{Ref: img.Ref, Err: err}
			case errors.As(err, &se):
				err = Classify(source, se.err)
			}
			return res, err
		}
		res.Pulled = true
	}
	// The last moment a Ctrl+C stops the tag: after this the daemon
	// makes it in one step.
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if img.Digest != "" {
		report(Progress{Phase: Tagging, Fraction: 1})
		if _, err := api.ImageTag(ctx, client.ImageTagOptions{Source: source, Target: img.Ref}); err != nil {
			return res, fmt.Errorf("the pull of %s completed but tagging it %s failed: %w", source, img.Ref, err)
		}
		res.Tagged = true
	}
	// Verified with a context of its own: the tag is made, and what it
	// names is the answer even when the learner pressed Ctrl+C meanwhile.
	res.After = Inspect(context.WithoutCancel(ctx), api, img)
	if !res.After.State.Ready() {
		return res, &VerifyError{Status: res.After}
	}
	report(Progress{Phase: Done, Fraction: 1})
	return res, nil
}

// VerifyError is a pull that completed but left the tag other than the
// course wants: the daemon handed over other content than the pin.
type VerifyError struct{ Status Status }

func (e *VerifyError) Error() string {
	s := e.Status
	at := "with no repository digest"
	if ds := OtherDigests(s.RepoDigests, s.Ref); len(ds) > 0 {
		at = "at " + strings.Join(ds, ", ")
	}
	if s.State == Missing {
		at = "not there"
	}
	return fmt.Sprintf("After the pull, %s is %s, not at the pinned %s: run `dockertutor prepare` again, and if it says the same, the registry serves other content than the course was proven with.", s.Ref, at, s.Digest)
}

func (e *VerifyError) Unwrap() error { return errNotAtPin }

// untaggedAtPin says the pinned image is on the daemon under its digest
// reference (pulled before, not tagged): only the tag is missing.
func untaggedAtPin(ctx context.Context, api daemon.ImageInspector, source string, img lessons.BaseImage) bool {
	res, err := api.ImageInspect(ctx, source)
	return err == nil && HasDigest(res.RepoDigests, img.Ref, img.Digest)
}

// pull asks the daemon to pull ref and follows its messages to the end.
// An error in the stream or in the request is classified; a cancelled ctx
// is returned as it is.
func pull(ctx context.Context, api daemon.Puller, ref string, report func(Progress)) error {
	resp, err := api.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return Classify(ref, err)
	}
	defer resp.Close()
	tracker := newProgressTracker(ref)
	for m, err := range resp.JSONMessages(ctx) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			// The stream from the daemon broke: the daemon went away,
			// whatever the registry did (it reports those in a message).
			return &streamError{err}
		}
		if m.Error != nil {
			return Classify(ref, errors.New(m.Error.Message))
		}
		if tracker.add(m) {
			report(tracker.progress())
		}
	}
	return ctx.Err()
}

// streamError is the connection to the daemon breaking during a pull.
type streamError struct{ err error }

func (e *streamError) Error() string { return e.err.Error() }
func (e *streamError) Unwrap() error { return e.err }

// stopped says whether a pull failed because the daemon went away: its
// stream broke, or the request found no daemon, and it does not answer a
// ping now (a broken stream alone could be a proxy between).
func stopped(ctx context.Context, api daemon.Puller, err error) bool {
	var se *streamError
	if !errors.As(err, &se) && !client.IsErrConnectionFailed(err) {
		return false
	}
	return !Answers(ctx, api)
}

// Answers pings the daemon, within 5 s even when ctx is done; a daemon
// that cannot be pinged is taken to answer.
func Answers(ctx context.Context, api daemon.Puller) bool {
	p, ok := api.(interface {
		Ping(context.Context, client.PingOptions) (client.PingResult, error)
	})
	if !ok {
		return true
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, err := p.Ping(pctx, client.PingOptions{})
	return err == nil
}
