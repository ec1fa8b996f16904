package plain

import (
	"context"
	"fmt"
	"strings"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/present"
)

// Watching in the plain mode: w turns it on and off; while on, the current
// step (it follows n, p and g) is checked again whenever the session
// reports a change, and the verdict is printed between two prompts. Only
// the loop's goroutine prints, so nothing is printed while an editor or a
// shell has the terminal: a change seen meanwhile is checked on return.

type plainWatch struct {
	on bool // the learner asked for it
	// step is the step watched now, nil when the current step has nothing
	// to watch (a reading or a quiz) or watching is off.
	step    *lessons.Step
	changes <-chan tutor.Change
	cancel  context.CancelFunc
}

func watchable(st *lessons.Step) bool {
	return st.Kind == lessons.KindExercise && len(st.Checks) > 0
}

// toggleWatch is the w command.
func (u *plainUI) toggleWatch() {
	if u.watch.on {
		u.stopWatch()
		u.watch.on = false
		u.printf("Watching is off.\n")
		return
	}
	u.watch.on = true
	u.startWatch()
}

// followWatch moves watching to the step just entered, saying so.
func (u *plainUI) followWatch() {
	if u.watch.on {
		u.startWatch()
	}
}

// startWatch watches the current step, replacing any watcher, and says so
// in one line.
func (u *plainUI) startWatch() {
	u.stopWatch()
	st := u.steps[u.cur]
	if !watchable(st) {
		u.wrapped(fmt.Sprintf("Watching is on; step %s has nothing to watch, so it starts again at the next exercise. Type w to stop.", st.Number), "", "")
		return
	}
	if !u.watchStep(st) {
		return
	}
	how := "a change in its folder"
	if u.poll {
		how = "a change in its folder (looked for every second, as --poll asks)"
	}
	u.wrapped(fmt.Sprintf("Watching step %s: %s or to its images checks it again. Type w to stop.", st.Number, how), "", "")
}

// watchStep starts the session's watcher; on failure it says why and
// turns watching off.
func (u *plainUI) watchStep(st *lessons.Step) bool {
	ctx, cancel := context.WithCancel(u.ctx)
	changes, err := u.b.Watch(ctx, st)
	if err != nil {
		cancel()
		u.watch.on = false
		u.wrapped(fmt.Sprintf("Cannot watch step %s: %v. Watching is off; type c to check by hand.", st.Number, err), "", "")
		return false
	}
	u.watch.step, u.watch.changes, u.watch.cancel = st, changes, cancel
	return true
}

// stopWatch ends the watcher and waits until its channel is closed, so
// nothing of it is left running. The learner's wish (on) stays as it is.
func (u *plainUI) stopWatch() {
	if u.watch.cancel != nil {
		u.watch.cancel()
		for range u.watch.changes { // Backend.Watch closes it when ctx ends
		}
	}
	u.watch.step, u.watch.changes, u.watch.cancel = nil, nil, nil
}

// watcherEnded handles a watcher that closed its channel while still
// wanted: the session gave up (its contract is to close only when asked),
// so the learner is told and watching is off until they ask again.
func (u *plainUI) watcherEnded() {
	st := u.watch.step
	u.watch.cancel()
	u.watch = plainWatch{}
	if u.ctx.Err() == nil {
		u.wrapped(fmt.Sprintf("Watching step %s stopped by itself. Type w to watch again, or c to check.", st.Number), "", "")
	}
}

// takeChange gathers the changes already waiting into the latest one: a
// save or a build fires several at once, and one check will do.
func (u *plainUI) takeChange(c tutor.Change) tutor.Change {
	for {
		select {
		case next, ok := <-u.watch.changes:
			if !ok {
				u.watcherEnded()
				return c
			}
			c = next
		default:
			return c
		}
	}
}

// dropChanges forgets the changes already waiting: a command just checked
// the step, so they are answered.
func (u *plainUI) dropChanges() {
	for u.watch.changes != nil {
		select {
		case _, ok := <-u.watch.changes:
			if !ok {
				u.watcherEnded()
			}
		default:
			return
		}
	}
}

// recheck checks the watched step after a change and prints the verdict
// as its own block; a verdict the learner has already seen takes a line.
func (u *plainUI) recheck(c tutor.Change) {
	st := u.watch.step
	reason := strings.TrimSpace(c.Reason)
	if reason == "" {
		reason = "something changed"
	}
	v, err := u.b.Check(u.ctx, st)
	if err == nil {
		if sig := verdictSignature(v); sig == u.shown[st.ID] {
			u.wrapped(fmt.Sprintf("Checked step %s again (%s): the same as before, %s.", st.Number, reason, present.Word(v)), "", "")
			u.refreshProgress()
			return
		}
	}
	u.wrapped(fmt.Sprintf("Checked step %s again (%s):", st.Number, reason), "", "")
	u.verdict(st, v, err)
}

// verdictSignature is what the learner reads of a verdict, to tell a new
// one from a repeat.
func verdictSignature(v check.Verdict) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v %v\n", v.Passed, v.Unreachable())
	for _, r := range v.Results {
		fmt.Fprintf(&b, "%v %s %s\n", r.Outcome, r.ID, r.Message)
		for _, e := range r.Evidence {
			fmt.Fprintf(&b, "  %s: %s\n", e.Where, e.Detail)
		}
	}
	return b.String()
}
