package proof

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/leak"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
)

// answerCases proves what an answer step adds to its right and wrong
// answer: that its action's image really holds each value the answer
// expects (the answer checks compare with the values the tutor knows, so
// only this shows the step can be done), and that each must-fail attempt
// fails the checks it names.
func answerCases(ctx context.Context, fresh func() (*tutor.Session, error), st *lessons.Step) ([]Case, error) {
	var cases []Case
	if st.Action != nil && st.Answer != nil && len(st.Answer.Values) > 0 {
		cs, err := valuesInImage(ctx, fresh, st)
		if err != nil {
			return cases, err
		}
		cases = append(cases, cs)
	}
	for _, a := range st.Attempts {
		s, err := fresh()
		if err != nil {
			return cases, err
		}
		cs := Case{Step: st.ID, Name: "attempt " + a.Name, Want: "fails " + strings.Join(a.Fails, ", ")}
		cs.Verdict, err = attemptAnswer(ctx, s, st, a)
		s.Close()
		if err != nil {
			return cases, err
		}
		cs.Problem = mustFail(cs.Verdict, a.Fails)
		cs.OK = cs.Problem == ""
		cases = append(cases, cs)
	}
	return cases, nil
}

// attemptAnswer types the attempt's answer, or nothing, and checks.
func attemptAnswer(ctx context.Context, s *tutor.Session, st *lessons.Step, a lessons.Attempt) (check.Verdict, error) {
	p, _, err := s.Enter(st)
	if err != nil {
		return check.Verdict{}, err
	}
	if a.Answer == nil {
		return s.Check(ctx, st)
	}
	typed, err := lessons.Expand(*a.Answer, s.Values(st, p))
	if err != nil {
		return check.Verdict{}, fmt.Errorf("attempt %s: %w", a.Name, err)
	}
	return s.Answer(ctx, st, typed)
}

// valuesInImage runs the step's action and searches the image it made for
// each value the answer expects, the way the leak checks search for the
// canary: config, history and every layer's files, deleted ones too.
func valuesInImage(ctx context.Context, fresh func() (*tutor.Session, error), st *lessons.Step) (Case, error) {
	cs := Case{Step: st.ID, Name: "values in the image"}
	s, err := fresh()
	if err != nil {
		return cs, err
	}
	defer s.Close()
	if err := clean(ctx, s, st); err != nil {
		return cs, err
	}
	defer clean(context.WithoutCancel(ctx), s, st)
	p, _, err := s.Enter(st)
	if err != nil {
		return cs, err
	}
	if err := s.Run(ctx, st, nil); err != nil {
		if ctx.Err() != nil || errors.Is(err, tutor.ErrUnreachable) {
			return cs, err
		}
		cs.ActionErr = err.Error()
		cs.Problem = "the action fails: " + err.Error()
		return cs, nil
	}
	cli, err := s.Docker(ctx)
	if err != nil {
		return cs, fmt.Errorf("%s %s: %w", st.ID, cs.Name, tutor.ErrUnreachable)
	}
	v := s.Values(st, p)
	var found, problems []string
	cs.Verdict = check.Verdict{Step: st.ID, Passed: true}
	for _, part := range st.Answer.Values {
		value, err := lessons.Expand(part.Value, v)
		if err != nil {
			return cs, fmt.Errorf("answer value %s: %w", part.ID, err)
		}
		// The value is searched as leak.found searches for the canary.
		r := check.Result{ID: part.ID, Type: "leak.found", Outcome: check.Pass}
		rep, err := leak.Scan(ctx, leak.FromClient(cli), v.Image, []byte(value), leak.Options{})
		switch {
		case err != nil:
			r.Outcome, r.Message = check.Error, err.Error()
		case !rep.Complete():
			r.Outcome, r.Message = check.Error, rep.Incomplete()
		case !rep.Found():
			r.Outcome, r.Message = check.Fail, fmt.Sprintf("%s is %s", part.ID, rep.Searched())
		case part.FoundIn != "" && !slices.ContainsFunc(rep.Findings, func(f leak.Finding) bool { return isIn(f, part.FoundIn) }):
			r.Outcome, r.Message = check.Fail, fmt.Sprintf("%s is not in a place of the kind %s (found in: %s)", part.ID, part.FoundIn, places(rep))
		default:
			r.Message = places(rep)
			found = append(found, part.ID+": "+r.Message)
		}
		if r.Outcome != check.Pass {
			cs.Verdict.Passed = false
			problems = append(problems, r.Message)
		}
		cs.Verdict.Results = append(cs.Verdict.Results, r)
	}
	cs.Want = "the action's image holds every value the answer expects (" + strings.Join(found, " | ") + ")"
	cs.Problem = strings.Join(problems, "; ")
	cs.OK = cs.Problem == ""
	return cs, nil
}

// places lists where a scan found the value, each place once.
func places(rep *leak.Report) string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, f.Place())
	}
	return strings.Join(slices.Compact(out), "; ")
}

// isIn reports whether a finding is in the kind of place an answer value
// says it is.
func isIn(f leak.Finding, in lessons.FoundIn) bool {
	file := f.Source == leak.SourceLayer && f.Layer != nil && f.Layer.Index >= 0
	switch in {
	case lessons.FoundInHistory:
		return f.Source == leak.SourceHistory
	case lessons.FoundInConfig:
		return f.Source == leak.SourceInspect
	case lessons.FoundInFile:
		return file && f.Layer.State == leak.Visible
	case lessons.FoundInDeletedFile:
		return file && (f.Layer.State == leak.Deleted || f.Layer.State == leak.Replaced)
	}
	return false
}
