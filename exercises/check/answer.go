package check

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dockertutor/dockertutor/lessons"
)

// ParseChoices reads a quiz answer typed as "a", "a,c" or "a c".
func ParseChoices(s string) []string { return lessons.ParseChoices(s) }

func answerChoice(_ context.Context, env Env, _ *lessons.AnswerChoice) finding {
	q := env.Step.Quiz
	if q == nil {
		return broken(fmt.Errorf("step %s has no quiz", env.Step.ID))
	}
	if len(env.Answer) == 0 {
		return failed("No answer yet: pick a choice (a in the tutor, or dockertutor answer " + env.Step.ID + " ID).")
	}
	var want, unknown []string
	byID := map[string]lessons.Choice{}
	for _, c := range q.Choices {
		byID[c.ID] = c
		if c.Correct {
			want = append(want, c.ID)
		}
	}
	for _, a := range env.Answer {
		if _, ok := byID[a]; !ok {
			unknown = append(unknown, a)
		}
	}
	if len(unknown) > 0 {
		ids := make([]string, len(q.Choices))
		for i, c := range q.Choices {
			ids[i] = c.ID
		}
		return failed(fmt.Sprintf("%s is not a choice here: pick from %s.", strings.Join(unknown, ", "), strings.Join(ids, ", ")))
	}
	var ev []Evidence
	for _, a := range env.Answer {
		c := byID[a]
		if c.Why != "" {
			ev = append(ev, Evidence{Where: "choice " + a, Detail: c.Why})
		}
	}
	slices.Sort(want)
	if slices.Equal(env.Answer, want) {
		return passed("Right.", ev...)
	}
	if q.Multiple {
		return failed(fmt.Sprintf("Not quite: %d of the choices are right, and your answer picks a different set.", len(want)), ev...)
	}
	return failed("Not this one. Read the explanation, then try another choice.", ev...)
}

func answerValue(_ context.Context, env Env, _ *lessons.AnswerValue) finding {
	a := env.Step.Answer
	if a == nil {
		return broken(fmt.Errorf("step %s has no answer spec", env.Step.ID))
	}
	if len(env.Answer) == 0 {
		return failed("No answer yet: type the value you found (a in the tutor, or dockertutor answer " + env.Step.ID + " VALUE).")
	}
	got := cleanAnswer(strings.Join(env.Answer, " "))
	switch a.Expect {
	case "secret":
		// Accept the bare value and the KEY=value form the history shows.
		if got == env.Values.Secret || strings.HasSuffix(got, "="+env.Values.Secret) {
			return passed("Yes: that is your secret, recovered from the image. Anyone who can pull the image can do the same.")
		}
		if strings.Contains(got, env.Values.Secret) {
			return failed("Your answer contains the secret, but also more: give just the value.")
		}
		return failed("That is not the secret. Look at every history entry in full: docker history --no-trunc " + env.Values.Image)
	default:
		want, err := lessons.Expand(a.Value, env.Values)
		if err != nil {
			return broken(err)
		}
		if strings.EqualFold(got, cleanAnswer(want)) {
			return passed("Right.")
		}
		return failed("Not the expected answer. Use the hints (h) if you are stuck.")
	}
}

// cleanAnswer drops surrounding space and quotes a learner may paste.
func cleanAnswer(s string) string {
	return strings.Trim(strings.TrimSpace(s), "\"'`")
}
