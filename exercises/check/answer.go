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
			ev = append(ev, Evidence{Where: "choice " + a, Detail: lessons.PlainText(c.Why)})
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

func answerValue(_ context.Context, env Env, spec *lessons.AnswerValue) finding {
	a := env.Step.Answer
	if a == nil {
		return broken(fmt.Errorf("step %s has no answer spec", env.Step.ID))
	}
	if spec.Of != "" {
		return answerPart(env, a, spec.Of)
	}
	if len(env.Answer) == 0 {
		return failed("No answer yet: type the value you found (a in the tutor, or dockertutor answer " + env.Step.ID + " VALUE).")
	}
	got := cleanAnswer(strings.Join(env.Answer, " "))
	switch a.Expect {
	case "secret":
		// Accept the bare value and the KEY=value form the history shows.
		if got == env.Values.Secret || strings.HasSuffix(got, "="+env.Values.Secret) {
			return passed("Yes: that is your secret. Anyone who can pull the image can find it the same way.")
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

// answerPart checks that the answer holds one of the step's values. While
// it is missing, the message names the value (the part's name) and never
// shows it; where it is comes once it is found or the solution was asked
// for.
func answerPart(env Env, a *lessons.Answer, id string) finding {
	part, ok := a.Part(id)
	if !ok {
		return broken(fmt.Errorf("step %s has no answer value %q", env.Step.ID, id))
	}
	want, err := lessons.Expand(part.Value, env.Values)
	if err != nil {
		return broken(fmt.Errorf("answer value %s: %w", id, err))
	}
	name, err := lessons.Expand(part.Name, env.Values.Shown())
	if err != nil {
		return broken(fmt.Errorf("answer value %s: %w", id, err))
	}
	where, err := lessons.Expand(part.Where, env.Values)
	if err != nil {
		return broken(fmt.Errorf("answer value %s: %w", id, err))
	}
	whereItIs := Evidence{Where: "where it is", Detail: lessons.PlainText(where)}
	var ev []Evidence
	if env.SolutionSeen {
		ev = append(ev, whereItIs)
	}
	if len(env.Answer) == 0 {
		return failed(fmt.Sprintf("Not found yet: %s. Type the values you found, separated by spaces (a in the tutor, or dockertutor answer %s 'VALUE VALUE').", name, env.Step.ID), ev...)
	}
	if slices.ContainsFunc(env.Answer, func(w string) bool { return isValue(w, want) }) {
		if extra := len(env.Answer) - len(a.Values); extra > 0 {
			return failed(fmt.Sprintf("Your answer holds %s, but also %d more word(s) than there are values: give just the values you found.", name, extra), ev...)
		}
		return passed(fmt.Sprintf("Found: %s.", name), whereItIs)
	}
	if env.Values.Secret != "" && slices.ContainsFunc(env.Answer, func(w string) bool { return isValue(w, env.Values.Secret) }) {
		return failed(fmt.Sprintf("Still missing: %s. The canary in your answer is your own secret from the earlier steps; your teammate's secrets are other values.", name), ev...)
	}
	return failed(fmt.Sprintf("Still missing: %s.", name), ev...)
}

// isValue reports whether a word of an answer is the value, bare or in
// the KEY=value form a history entry or an env file shows.
func isValue(word, value string) bool {
	w := cleanAnswer(word)
	return w == value || strings.HasSuffix(w, "="+value)
}
