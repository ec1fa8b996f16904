package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/exercises/pins"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/tui/pullview"
)

func newPrepareCmd(g *globals) *cobra.Command {
	var f bundleFlags
	cmd := &cobra.Command{
		Use:   "prepare [--bundle FILE | --from FILE | --serve FILE]",
		Short: "Pull the course's base images at their pinned digests, ready for class",
		Long: "Pull every base image the course needs through your Docker daemon, by the repository\n" +
			"digest the course pins (so Docker verifies the content), and tag it only once the pull\n" +
			"completed. Images already at their pinned digest are skipped. Ends with the same image\n" +
			"list as `dockertutor doctor`. Ctrl+C stops the pull and tags nothing half way; run\n" +
			"prepare again to finish. Exit code 0 when every image is at its pin, 1 when a pull\n" +
			"failed, 3 when Docker does not answer, 130 when interrupted.\n\n" +
			"For lab machines without internet: --bundle FILE writes one file with the course pack,\n" +
			"its pinned images and trivy's database; --from FILE readies a machine from it with no\n" +
			"network (as root, so the pins work offline); --serve FILE serves its images as a\n" +
			"registry the room's daemons can use as their mirror.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if handled, err := runBundleFlags(cmd.Context(), g, cmd.OutOrStdout(), &f); handled {
				return err
			}
			c, err := g.loadCourse()
			if err != nil {
				return err
			}
			cli, _, _, err := connectDaemon(cmd.Context())
			if err != nil {
				return err
			}
			defer cli.Close()
			return prepareOnline(cmd.Context(), g, cli, c.Images)
		},
	}
	addBundleFlags(cmd.Flags(), &f)
	return cmd
}

// connectDaemon connects to the daemon the docker CLI would use; an
// unreachable one is the error that exits 3, with doctor's explanation.
// It also says where the daemon is.
func connectDaemon(ctx context.Context) (*client.Client, engine.Endpoint, client.PingResult, error) {
	ep, err := engine.Resolve()
	if err != nil {
		return nil, ep, client.PingResult{}, unreachable(engine.Explain(ep, err).Message)
	}
	cli, ping, err := engine.ConnectPinged(ctx, ep)
	if err != nil {
		return nil, ep, ping, unreachable(engine.Explain(ep, err).Message)
	}
	return cli, ep, ping, nil
}

// prepareOnline pulls images through the daemon with pins.Pull, one
// after the other: a progress bar per image on a terminal, one line per
// image otherwise. Then it writes doctor's image list and returns what
// the run amounts to: nil when every image is at its pin, context.Canceled
// when interrupted (after saying what was done), a failure when a pull
// failed (its line said why).
func prepareOnline(ctx context.Context, g *globals, api daemon.Puller, images []lessons.BaseImage) error {
	outcomes, err := pullAll(ctx, g, api, images, pins.Pull, false)
	if err != nil {
		return err
	}
	for _, o := range outcomes {
		if errors.Is(o.err, pins.ErrDaemonStopped) {
			// No summary: a daemon that does not answer has no image list.
			return unreachable(stoppedDuring(o.err, o.res.Ref, "dockertutor prepare") + ".")
		}
	}
	return prepareSummary(ctx, g.io.Out, api, images, outcomes)
}

// pullFunc fetches one image to its pin (pins.Pull, or a pull from the
// bundle's registry for an image of another registry than Docker Hub).
type pullFunc func(ctx context.Context, api daemon.Puller, img lessons.BaseImage, progress func(pins.Progress)) (pins.Result, error)

// pullAll pulls the images with pull, showing each: a progress bar per
// image on a terminal, one line per image otherwise. It pulls them one
// after the other, or all at once when together is set (the pulls after
// a load from a bundle, which fetch manifests only).
func pullAll(ctx context.Context, g *globals, api daemon.Puller, images []lessons.BaseImage, pull pullFunc, together bool) ([]pullOutcome, error) {
	w := g.io.Out
	outcomes := make([]pullOutcome, len(images))
	run := func(ctx context.Context, show pullReporter) error {
		if together {
			var wg sync.WaitGroup
			for i, img := range images {
				wg.Go(func() {
					res, err := pull(ctx, api, img, show.progress)
					outcomes[i] = pullOutcome{res: res, err: err}
					show.finished(img.Ref, outcomes[i].line())
				})
			}
			wg.Wait()
			return nil
		}
		for i, img := range images {
			if err := ctx.Err(); err != nil {
				// Interrupted between two pulls: the rest were not tried.
				for j := i; j < len(images); j++ {
					outcomes[j] = pullOutcome{res: pins.Result{Ref: images[j].Ref, Digest: images[j].Digest}, err: err}
				}
				break
			}
			res, err := pull(ctx, api, img, show.progress)
			outcomes[i] = pullOutcome{res: res, err: err}
			show.finished(img.Ref, outcomes[i].line())
			if errors.Is(err, pins.ErrDaemonStopped) {
				break // the next images would only say so again
			}
		}
		return nil
	}
	if g.plain || !g.io.Terminal {
		run(ctx, plainReporter{w, new(sync.Mutex)})
	} else {
		refs := make([]string, len(images))
		for i, img := range images {
			refs[i] = img.Ref
		}
		err := pullview.Run(ctx, g.io.In, w, g.io.Width, refs, func(ctx context.Context, r pullview.Reporter) error {
			return run(ctx, viewReporter{r})
		})
		if err != nil {
			return nil, err
		}
	}
	return outcomes, nil
}

// prepareSummary writes doctor's image list, read again from the daemon
// (with a context of its own: an interrupted run says where it stopped),
// and what the run amounts to.
func prepareSummary(ctx context.Context, w io.Writer, api daemon.ImageInspector, images []lessons.BaseImage, outcomes []pullOutcome) error {
	statuses := make([]engine.ImageStatus, len(images))
	ready := 0
	for i, img := range images {
		statuses[i] = pins.Inspect(context.WithoutCancel(ctx), api, img)
		if statuses[i].State.Ready() {
			ready++
		}
	}
	fmt.Fprintln(w)
	if err := engine.WriteImages(w, statuses); err != nil {
		return err
	}
	// Interrupted: by a signal (ctx), or by Ctrl+C in the progress view,
	// which cancels only the pulls.
	interrupted := ctx.Err() != nil
	var failures int
	for _, o := range outcomes {
		switch {
		case errors.Is(o.err, context.Canceled):
			interrupted = true
		case o.err != nil:
			failures++
		}
	}
	switch {
	case interrupted:
		fmt.Fprintf(w, "\nInterrupted: %d of %d images ready; nothing was tagged half way.\nRun `dockertutor prepare` again to finish.\n", ready, len(images))
		return context.Canceled
	case failures > 0:
		return failed(fmt.Sprintf("%d of %d images could not be prepared; their lines above say why", failures, len(images)))
	case ready < len(images):
		return failed(fmt.Sprintf("%d of %d images are not at their pinned digests after prepare", len(images)-ready, len(images)))
	}
	return nil
}

// stoppedDuring is the one sentence for the daemon going away in the
// middle of ref's pull or load (err, a *pins.DaemonStoppedError), with
// the command that finishes the job.
func stoppedDuring(err error, ref, again string) string {
	if stepOf(err) == "load" {
		return fmt.Sprintf("Docker stopped during the load of %s from the bundle, so nothing was tagged: start Docker again and run `%s` again to finish", ref, again)
	}
	return fmt.Sprintf("Docker stopped during the pull of %s, which was not tagged: start Docker again and run `%s` again to finish", ref, again)
}

// stepOf is what the daemon was doing when it stopped: "pull" or "load".
func stepOf(err error) string {
	var se *pins.DaemonStoppedError
	if errors.As(err, &se) {
		return se.During()
	}
	return "pull"
}

// pullOutcome is what happened to one image in a prepare run.
type pullOutcome struct {
	res pins.Result
	err error
}

// line is the image's one line: what was done, or why not.
func (o pullOutcome) line() string {
	r := o.res
	var what string
	switch {
	case errors.Is(o.err, context.Canceled):
		what = "interrupted: not tagged"
	case errors.Is(o.err, pins.ErrDaemonStopped):
		what = "Docker stopped answering during the " + stepOf(o.err) + ": not tagged"
	case o.err != nil:
		what = "FAILED: " + o.err.Error()
	case r.Skipped && r.Unverified:
		what = "already here; the course pins no digest, so it was not verified"
	case r.Skipped:
		what = "already at the pinned digest"
	case r.Unverified:
		what = "pulled by tag; the course pins no digest, so it was not verified"
	case r.Loaded && r.Pulled:
		what = "loaded from the bundle, pulled at the pinned digest (its manifest only) and tagged"
	case r.Loaded:
		what = "loaded from the bundle at the pinned digest and tagged"
	case r.Pulled:
		what = "pulled at the pinned digest and tagged"
	default:
		what = "tagged: the pinned image was already on the daemon"
	}
	if o.err == nil && r.Tagged && r.Before.State == pins.OtherDigest {
		what += fmt.Sprintf(" (the tag named image %s before)", daemon.ShortID(r.Before.ID))
	}
	return r.Ref + "  " + what
}

// pullReporter is where a prepare run shows its progress.
type pullReporter interface {
	progress(p pins.Progress)
	finished(ref, line string)
}

// plainReporter writes one line per image, when it is done.
type plainReporter struct {
	w  io.Writer
	mu *sync.Mutex // lines of pulls side by side come whole
}

func (plainReporter) progress(pins.Progress) {}
func (r plainReporter) finished(_, line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintln(r.w, strings.TrimSpace(line))
}

// viewReporter moves the terminal's bars.
type viewReporter struct{ r pullview.Reporter }

func (v viewReporter) progress(p pins.Progress) {
	v.r.Progress(pullview.Progress{Ref: p.Ref, Phase: string(p.Phase), Done: p.Done, Total: p.Total, Fraction: p.Fraction})
}
func (v viewReporter) finished(ref, line string) { v.r.Finished(ref, line) }
