package check

import (
	"context"
	"strings"
	"testing"

	"github.com/dockertutor/dockertutor/lessons"
)

// partsAnswer is an answer of two values; the values are plain here (in a
// course they are hidden values, which need a learner's canary).
var partsAnswer = &lessons.Answer{Expect: lessons.ExpectValues, Values: []lessons.AnswerPart{
	{ID: "token", Name: "the token", Value: "Zq7TokenValue", Where: "In the history of {{.Image}}."},
	{ID: "password", Name: "the password", Value: "pw-{{.Course}}-9x", Where: "In a deleted file."},
}}

func partEnv(t *testing.T, seen bool, answer ...string) Env {
	env := valueEnv(t, partsAnswer, answer...)
	env.SolutionSeen = seen
	return env
}

func TestAnswerParts(t *testing.T) {
	ctx := context.Background()
	token, password := &lessons.AnswerValue{Of: "token"}, &lessons.AnswerValue{Of: "password"}
	whereToken := Evidence{Where: "where it is", Detail: "In the history of " + app + "."}
	wherePassword := Evidence{Where: "where it is", Detail: "In a deleted file."}

	expect(t, checkOne(t, ctx, partEnv(t, false), token), Fail,
		"Not found yet: the token. Type the values you found, separated by spaces (a in the tutor, or dockertutor answer s1 'VALUE VALUE').")
	// Found: where it was is no secret any more.
	expect(t, checkOne(t, ctx, partEnv(t, false, "Zq7TokenValue"), token), Pass, "Found: the token.", whereToken)
	expect(t, checkOne(t, ctx, partEnv(t, false, "Zq7TokenValue"), password), Fail, "Still missing: the password.")
	// The forms the learner sees it in: KEY=value, quoted.
	expect(t, checkOne(t, ctx, partEnv(t, false, "'NPM_TOKEN=Zq7TokenValue'", "DB_PASSWORD=pw-c1-9x"), token), Pass, "Found: the token.", whereToken)
	expect(t, checkOne(t, ctx, partEnv(t, false, "'NPM_TOKEN=Zq7TokenValue'", "DB_PASSWORD=pw-c1-9x"), password), Pass, "Found: the password.", wherePassword)
	// A part of the value, or the value with more, is not the value.
	expect(t, checkOne(t, ctx, partEnv(t, false, "Zq7Token", "pw-c1-9xx"), token), Fail, "Still missing: the token.")
	expect(t, checkOne(t, ctx, partEnv(t, false, "Zq7Token", "pw-c1-9xx"), password), Fail, "Still missing: the password.")
	// The learner's own canary (the answer of the step before) is told apart.
	expect(t, checkOne(t, ctx, partEnv(t, false, secret), token), Fail,
		"Still missing: the token. The canary in your answer is your own secret from the earlier steps; your teammate's secrets are other values.")
	// Pasting whole lines of output is not an answer.
	expect(t, checkOne(t, ctx, partEnv(t, false, "RUN", "|1", "NPM_TOKEN=Zq7TokenValue", "/bin/sh"), token), Fail,
		"Your answer holds the token, but also 2 more word(s) than there are values: give just the values you found.")
	// Once the solution was asked for, each says where it is.
	expect(t, checkOne(t, ctx, partEnv(t, true), password), Fail,
		"Not found yet: the password. Type the values you found, separated by spaces (a in the tutor, or dockertutor answer s1 'VALUE VALUE').", wherePassword)
	expect(t, checkOne(t, ctx, partEnv(t, true, "Zq7TokenValue"), password), Fail, "Still missing: the password.", wherePassword)

	expect(t, checkOne(t, ctx, partEnv(t, false, "x"), &lessons.AnswerValue{Of: "nope"}), Error, `step s1 has no answer value "nope"`)
}

// TestAnswerPartsNeverShowAMissingValue: before the solution, nothing a
// failing check says holds a value still to be found.
func TestAnswerPartsNeverShowAMissingValue(t *testing.T) {
	for _, answer := range [][]string{nil, {"Zq7TokenValue"}, {secret}, {"wrong"}, {"a", "b", "c"}} {
		for _, id := range []string{"token", "password"} {
			r := checkOne(t, context.Background(), partEnv(t, false, answer...), &lessons.AnswerValue{Of: id})
			if r.Outcome == Pass {
				continue
			}
			text := r.Message
			for _, e := range r.Evidence {
				text += " " + e.Where + " " + e.Detail
			}
			for _, v := range []string{"Zq7TokenValue", "pw-c1-9x"} {
				if strings.Contains(text, v) && !strings.Contains(strings.Join(answer, " "), v) {
					t.Errorf("answer %q, check %s shows %s: %s", answer, id, v, text)
				}
			}
		}
	}
}
