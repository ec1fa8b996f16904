package tutor

import (
	"cmp"
	"context"
	"errors"
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

// StepImages are the image names a step builds, runs or checks, filled
// with the learner's values and in the session's namespace: the images
// the course names.
func (s *Session) StepImages(st *lessons.Step, v lessons.Values) []string {
	names := imageNames{values: v}
	add := names.add
	add(st.Image)
	if a := st.Action; a != nil && a.Build != nil {
		add(a.Build.Tag)
	}
	if a := st.Action; a != nil && a.Run != nil {
		add(a.Run.Image)
	}
	for _, c := range st.Checks {
		if spec, err := lessons.ExpandSpec(c.Spec, v); err == nil {
			for _, name := range lessons.SpecImages(spec) {
				add(name)
			}
		}
	}
	return names.list
}

// madeImages are the image names a step makes, by its action's build or,
// in an exercise with no action, by the learner's own build: the names
// whose image reset of the step may take away even without the tutor's
// labels. A name a step only reads or runs (find-the-leak reads the image
// the step before it built) is the other step's to remove.
func (s *Session) madeImages(st *lessons.Step, v lessons.Values) []string {
	names := imageNames{values: v}
	add := names.add
	switch a := st.Action; {
	case a != nil && a.Build != nil:
		add(cmp.Or(a.Build.Tag, st.Image))
	case a == nil && st.Kind == lessons.KindExercise:
		add(st.Image) // the learner builds it by hand
	}
	return names.list
}

// imageNames collects image names of a step as the daemon knows them:
// filled with the learner's values, in the session's namespace, each once.
type imageNames struct {
	values lessons.Values
	list   []string
}

func (n *imageNames) add(name string) {
	if x, err := lessons.Expand(name, n.values); err == nil && x != "" {
		if x = n.values.ImageName(x); !slices.Contains(n.list, x) {
			n.list = append(n.list, x)
		}
	}
}

// InUseError is a reset that would take away an image a container uses
// which reset may not remove: another learner's, or one the learner
// started under a name outside their namespace. Nothing was removed.
type InUseError struct {
	// Learner is the id that begins the names reset may remove.
	Learner string
	Uses    []ImageInUse
}

// ImageInUse is an image reset would remove and the containers keeping it.
type ImageInUse struct {
	Image      string
	Containers []string
}

func (e *InUseError) Error() string {
	var b strings.Builder
	var names []string
	for i, u := range e.Uses {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "image %s is used by container %s", u.Image, strings.Join(u.Containers, ", "))
		names = append(names, u.Containers...)
	}
	fmt.Fprintf(&b, ", which the tutor may not remove (its name does not begin with your learner id %s), so no Docker object was removed. If it is yours, remove it (docker rm -f %s) and reset again; if it is someone else's, ask them to.", e.Learner, strings.Join(names, " "))
	return b.String()
}

// plannedRemoval is a Removal with the reference reset removes it by.
type plannedRemoval struct {
	Removal
	ref string
}

// CleanDocker removes the tutor's Docker objects of the given steps in the
// session's namespace, and lists them (with dryRun, only lists them):
//   - containers and images carrying the tutor's labels for those steps
//     there;
//   - the image names the steps use that are in the namespace, however
//     they were made: a learner who pasted `docker build -t` from the
//     step's text made the name without the tutor's labels. Each is
//     untagged, never forced, and parents are kept, so an image with
//     another name stays under it;
//   - the containers made from those images whose name is in the namespace
//     (the tutor's, and those the text has the learner start by hand with
//     their id in the name) or that carry the namespace's label.
//
// Nothing else is touched: not another namespace's objects, not the
// course's shared base images, not a container named otherwise. When such
// a container uses an image that would go, nothing is removed and the
// error is an *InUseError; the list is then what would have been removed.
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
	plan, err := s.planRemovals(ctx, cli, steps, p)
	var out []Removal
	for _, r := range plan {
		out = append(out, r.Removal)
	}
	if err != nil {
		return out, err
	}
	if !dryRun {
		for i, r := range plan {
			out[i].Err = s.remove(ctx, cli, r)
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

// planRemovals lists what CleanDocker removes of the steps, containers
// first (an image a container uses cannot go), and fails with an
// *InUseError when a container it may not remove keeps one of the images.
func (s *Session) planRemovals(ctx context.Context, cli daemon.Client, steps []*lessons.Step, p progress.Progress) ([]plannedRemoval, error) {
	ids := map[string]bool{}
	for _, st := range steps {
		ids[st.ID] = true
	}
	ofSteps := func(l map[string]string) bool {
		return labels.InNamespace(l, s.ns) && l[labels.Course] == s.Course.ID && ids[l[labels.Step]]
	}
	// Every container, not only the labelled ones: one started by hand
	// from a step's image may keep it.
	all, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		return nil, s.dockerErr(err)
	}
	var containers, images []plannedRemoval
	planned := map[string]bool{}
	for _, c := range all.Items {
		if ofSteps(c.Labels) {
			planned[c.ID] = true
			containers = append(containers, plannedRemoval{Removal{Kind: "container", Name: containerName(c.Names, c.ID), ID: c.ID, Why: "labelled by dockertutor for step " + c.Labels[labels.Step]}, c.ID})
		}
	}

	// The images: by ID those labelled for the steps with at most one
	// name; by name the steps' names in the namespace, which leaves an
	// image with a name of its own (one the learner gave) under that name.
	type target struct {
		id   string
		tags []string // every name the image has
	}
	var targets []target
	names := map[string][]string{} // image ID -> its names the plan untags
	byID := map[string]bool{}
	imgs, err := cli.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("label", labels.Filter(s.ns, s.Course.ID)...)})
	if err != nil {
		return nil, s.dockerErr(err)
	}
	for _, im := range imgs.Items {
		tags := realTags(im.RepoTags)
		if !ofSteps(im.Labels) || len(tags) > 1 {
			continue
		}
		name := im.ID
		if len(tags) == 1 {
			name = tags[0]
		}
		byID[im.ID] = true
		targets = append(targets, target{im.ID, tags})
		images = append(images, plannedRemoval{Removal{Kind: "image", Name: name, ID: im.ID, Why: "labelled by dockertutor for step " + im.Labels[labels.Step]}, im.ID})
	}
	for _, st := range steps {
		for _, name := range s.madeImages(st, s.Values(st, p)) {
			// Only this learner's names: never a base image every
			// namespace builds on, nor a name another namespace owns.
			if s.Course.SharedImage(name) || !s.ns.OwnsImage(name) {
				continue
			}
			img, err := cli.ImageInspect(ctx, name)
			if err != nil || byID[img.ID] || slices.ContainsFunc(names[img.ID], func(n string) bool { return daemon.SameImage(n, name) }) {
				continue
			}
			if names[img.ID] == nil {
				targets = append(targets, target{img.ID, realTags(img.RepoTags)})
			}
			names[img.ID] = append(names[img.ID], name)
			images = append(images, plannedRemoval{Removal{Kind: "image", Name: name, ID: img.ID, Why: "the name step " + st.ID + " gives its image, in your namespace"}, name})
		}
	}

	// The containers of the namespace made from those images go with them;
	// any other container keeps an image that would be deleted (not just
	// lose one of its names), and then nothing goes.
	var inUse []ImageInUse
	for _, t := range targets {
		deleted := byID[t.id] || !slices.ContainsFunc(t.tags, func(tag string) bool {
			return !slices.ContainsFunc(names[t.id], func(n string) bool { return daemon.SameImage(n, tag) })
		})
		label := imageName(t.tags, t.id)
		if n := names[t.id]; len(n) > 0 {
			label = n[0]
		}
		var keeping []string
		for _, c := range all.Items {
			if c.ImageID != t.id || planned[c.ID] {
				continue
			}
			cname := containerName(c.Names, c.ID)
			if labels.InNamespace(c.Labels, s.ns) || s.ns.OwnsContainer(cname) {
				planned[c.ID] = true
				containers = append(containers, plannedRemoval{Removal{Kind: "container", Name: cname, ID: c.ID, Why: "made from " + label + ", in your namespace"}, c.ID})
			} else if deleted {
				keeping = append(keeping, cname)
			}
		}
		if len(keeping) > 0 {
			inUse = append(inUse, ImageInUse{Image: label, Containers: keeping})
		}
	}
	plan := append(containers, images...)
	if len(inUse) > 0 {
		return plan, &InUseError{Learner: s.ns.String(), Uses: inUse}
	}
	return plan, nil
}

// realTags leaves out the "<none>:<none>" older daemons list for an
// image without a name.
func realTags(tags []string) []string {
	return slices.DeleteFunc(slices.Clone(tags), func(t string) bool { return t == "<none>:<none>" })
}

// imageName is how an image is named in a message: its first name, or its
// short ID when it has none.
func imageName(tags []string, id string) string {
	if len(tags) > 0 {
		return tags[0]
	}
	return daemon.ShortID(id)
}

// remove carries out one planned removal and says why it failed, "" when
// the object is gone. Containers are forced (a running one of the step
// goes too); images never are, and their untagged parents stay, since the
// learner may build on them.
func (s *Session) remove(ctx context.Context, cli daemon.Client, r plannedRemoval) string {
	var err error
	if r.Kind == "container" {
		_, err = cli.ContainerRemove(ctx, r.ref, client.ContainerRemoveOptions{Force: true})
	} else {
		_, err = cli.ImageRemove(ctx, r.ref, client.ImageRemoveOptions{PruneChildren: false})
	}
	if err != nil && !gone(err) {
		return err.Error()
	}
	return ""
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

// ResetPlan is what ResetStep would remove from Docker: CleanDocker's dry
// run for the step.
func (s *Session) ResetPlan(ctx context.Context, st *lessons.Step) ([]Removal, error) {
	return s.CleanDocker(ctx, []*lessons.Step{st}, true)
}

// ResetStep starts a step over: its files go to the backup folder and the
// starter files come back, the tutor's Docker objects of the step are
// removed (CleanDocker), and its progress is cleared; when a container the
// tutor may not remove keeps one of the step's images, nothing changes
// and the error is an *InUseError. Docker being away does not stop
// the file part; the error then says the objects were kept.
func (s *Session) ResetStep(ctx context.Context, st *lessons.Step) error {
	p, err := s.Progress()
	if err != nil {
		return err
	}
	// A container the tutor may not remove keeps an image the step would
	// lose: say so before anything changes. (Docker being away is said
	// after the files are reset.)
	var inUse *InUseError
	if _, err := s.ResetPlan(ctx, st); errors.As(err, &inUse) {
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
