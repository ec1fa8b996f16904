package tutor

import (
	"context"
	"fmt"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/labels"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/lessons"
)

// Removal is one Docker object reset removes (or would remove).
type Removal struct {
	Kind string `json:"kind"` // "container" or "image"
	Name string `json:"name"`
	ID   string `json:"id"`
	// Why says how the tutor knows the object is its own.
	Why string `json:"why"`
	// Err is set when the removal failed (the object is then kept).
	Err string `json:"error,omitempty"`
}

// StepImages are the image names a step builds or checks, filled with the
// learner's values and in the session's namespace: the images the course
// names.
func (s *Session) StepImages(st *lessons.Step, v lessons.Values) []string {
	var names []string
	add := func(n string) {
		if x, err := lessons.Expand(n, v); err == nil && x != "" {
			if x = v.ImageName(x); !slices.Contains(names, x) {
				names = append(names, x)
			}
		}
	}
	add(st.Image)
	if a := st.Action; a != nil && a.Build != nil {
		add(a.Build.Tag)
	}
	for _, c := range st.Checks {
		if spec, err := lessons.ExpandSpec(c.Spec, v); err == nil {
			for _, name := range lessons.SpecImages(spec) {
				add(name)
			}
		}
	}
	return names
}

// CleanDocker removes the tutor's Docker objects of the given steps in the
// session's namespace: containers and images carrying the tutor's labels
// for those steps there, and the image names the steps use there (never
// the course's shared base images). Nothing else is touched: not another
// namespace's objects, and a container the learner made from a course
// image keeps that image (its removal fails and is reported). With dryRun
// it only lists what it would remove.
func (s *Session) CleanDocker(ctx context.Context, steps []*lessons.Step, dryRun bool) ([]Removal, error) {
	p, err := s.Progress()
	if err != nil {
		return nil, err
	}
	// A step that builds, runs and names nothing has no Docker objects of
	// the tutor's: resetting it must not need the daemon.
	steps = slices.DeleteFunc(slices.Clone(steps), func(st *lessons.Step) bool {
		return st.Action == nil && len(s.StepImages(st, s.Values(st, p))) == 0 && len(p.Built[st.ID]) == 0
	})
	if len(steps) == 0 {
		return nil, nil
	}
	cli, err := s.conn.get(ctx)
	if err != nil {
		return nil, unreachable(err)
	}
	ids := map[string]bool{}
	for _, st := range steps {
		ids[st.ID] = true
	}
	owned := make(client.Filters).Add("label", labels.Filter(s.ns, s.Course.ID)...)

	var out []Removal
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: owned})
	if err != nil {
		return nil, s.dockerErr(err)
	}
	for _, c := range cs.Items {
		if !labels.InNamespace(c.Labels, s.ns) || !ids[c.Labels[labels.Step]] {
			continue
		}
		r := Removal{Kind: "container", Name: containerName(c.Names, c.ID), ID: c.ID, Why: "labelled by dockertutor for step " + c.Labels[labels.Step]}
		if !dryRun {
			if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: false}); err != nil && !gone(err) {
				r.Err = err.Error()
			}
		}
		out = append(out, r)
	}

	seen := map[string]bool{}
	imgs, err := cli.ImageList(ctx, client.ImageListOptions{Filters: owned})
	if err != nil {
		return out, s.dockerErr(err)
	}
	for _, im := range imgs.Items {
		if !labels.InNamespace(im.Labels, s.ns) || !ids[im.Labels[labels.Step]] {
			continue
		}
		name := im.ID
		if len(im.RepoTags) > 0 {
			name = im.RepoTags[0]
		}
		out = append(out, s.removeImage(ctx, cli, im.ID, name, "labelled by dockertutor for step "+im.Labels[labels.Step], dryRun, seen))
	}
	for _, st := range steps {
		for _, name := range s.StepImages(st, s.Values(st, p)) {
			if s.Course.SharedImage(name) {
				continue // a base image every namespace builds on
			}
			img, err := cli.ImageInspect(ctx, name)
			if err != nil || seen[img.ID] {
				continue
			}
			out = append(out, s.removeImage(ctx, cli, name, name, "named by step "+st.ID+" of the course", dryRun, seen))
		}
	}
	// Last, what the named images' removal left of the classic builds.
	forgotten := map[string][]string{}
	for _, st := range steps {
		removed, forget := s.cleanBuilt(ctx, cli, st, p.Built[st.ID], dryRun)
		out = append(out, removed...)
		if len(forget) > 0 {
			forgotten[st.ID] = forget
		}
	}
	if len(forgotten) > 0 && !dryRun {
		if _, err := s.Update(func(p *progress.Progress) error {
			for step, ids := range forgotten {
				p.ForgetBuilt(step, ids)
			}
			return nil
		}); err != nil {
			return out, err
		}
	}
	return out, nil
}

// rememberBuilt records the untagged images a classic build of the step
// made, so that reset can find them.
func (s *Session) rememberBuilt(st *lessons.Step, ids []string) {
	if len(ids) == 0 {
		return
	}
	// Losing this record only leaves images behind; it must not fail
	// the build, whose result the learner is waiting for.
	_, _ = s.Update(func(p *progress.Progress) error { p.RecordBuilt(st.ID, ids); return nil })
}

// cleanBuilt removes the untagged images the tutor's classic builds of
// the step made, newest first, never forcing: one that became the parent
// of another image (a later build took it from the cache) or that a
// container uses stays, and is tried again next time. One the learner
// tagged is theirs now, and is forgotten.
func (s *Session) cleanBuilt(ctx context.Context, cli daemon.Client, st *lessons.Step, ids []string, dryRun bool) (out []Removal, forget []string) {
	for i := len(ids) - 1; i >= 0; i-- {
		id := ids[i]
		img, err := cli.ImageInspect(ctx, id)
		switch {
		case cerrdefs.IsNotFound(err):
			forget = append(forget, id)
			continue
		case err != nil:
			continue
		case len(img.RepoTags) > 0:
			forget = append(forget, id)
			continue
		}
		r := Removal{Kind: "image", Name: daemon.ShortID(img.ID), ID: img.ID, Why: "made by dockertutor's classic build of step " + st.ID}
		if !dryRun {
			if _, err := cli.ImageRemove(ctx, img.ID, client.ImageRemoveOptions{PruneChildren: true}); err != nil && !gone(err) {
				if cerrdefs.IsConflict(err) {
					continue // in use: kept, and remembered
				}
				r.Err = err.Error()
			} else {
				forget = append(forget, id)
			}
		}
		out = append(out, r)
	}
	return out, forget
}

// removeImage removes an image by ID (everything labelled) or untags it by
// name (a course name), never forcing past a container that uses it.
func (s *Session) removeImage(ctx context.Context, cli daemon.Client, ref, name, why string, dryRun bool, seen map[string]bool) Removal {
	r := Removal{Kind: "image", Name: name, ID: ref, Why: why}
	if img, err := cli.ImageInspect(ctx, ref); err == nil {
		r.ID = img.ID
		seen[img.ID] = true
	}
	if dryRun {
		return r
	}
	if _, err := cli.ImageRemove(ctx, ref, client.ImageRemoveOptions{PruneChildren: true}); err != nil && !gone(err) {
		r.Err = err.Error()
	}
	return r
}

// gone reports whether a removal error means the object is (being) removed
// anyway.
func gone(err error) bool {
	return cerrdefs.IsNotFound(err) || strings.Contains(err.Error(), "already in progress")
}

func containerName(names []string, id string) string {
	if len(names) > 0 && len(names[0]) > 1 {
		return names[0][1:]
	}
	return daemon.ShortID(id)
}

func (s *Session) dockerErr(err error) error {
	if isConnectionError(err) {
		s.conn.drop()
		return unreachable(err)
	}
	return err
}

// ResetStep starts a step over: its files go to the backup folder and the
// starter files come back, the tutor's Docker objects of the step are
// removed, and its progress is cleared. Docker being away does not stop
// the file part; the error then says the objects were kept.
func (s *Session) ResetStep(ctx context.Context, st *lessons.Step) error {
	p, err := s.Progress()
	if err != nil {
		return err
	}
	if _, err := s.Work.Reset(st, s.Values(st, p), false); err != nil {
		return err
	}
	if _, err := s.Update(func(p *progress.Progress) error { delete(p.Steps, st.ID); return nil }); err != nil {
		return err
	}
	removals, err := s.CleanDocker(ctx, []*lessons.Step{st}, false)
	if err != nil {
		return fmt.Errorf("files reset, but the step's Docker objects were kept: %w", err)
	}
	for _, r := range removals {
		if r.Err != "" {
			return fmt.Errorf("files reset, but %s %s was kept: %s", r.Kind, r.Name, r.Err)
		}
	}
	return nil
}
