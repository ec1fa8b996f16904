package check

import (
	"context"
	"slices"
	"testing"

	"github.com/dockertutor/dockertutor/lessons"
)

func quizEnv(t *testing.T, multiple bool, answer ...string) Env {
	t.Helper()
	env, _ := testEnv(t)
	env.Docker = nil
	env.Step.Quiz = &lessons.Quiz{Multiple: multiple, Choices: []lessons.Choice{
		{ID: "a", Text: "ENV", Why: "ENV stays in the image config."},
		{ID: "b", Text: "a secret mount", Correct: true, Why: "The secret is only there while the RUN runs."},
		{ID: "c", Text: "a build arg"},
	}}
	env.Answer = answer
	return env
}

func TestAnswerChoice(t *testing.T) {
	spec := &lessons.AnswerChoice{}
	expect(t, checkOne(t, context.Background(), quizEnv(t, false), spec), Fail,
		"No answer yet: pick a choice (a in the tutor, or dockertutor answer s1 ID).")
	expect(t, checkOne(t, context.Background(), quizEnv(t, false, "b"), spec), Pass, "Right.",
		Evidence{Where: "choice b", Detail: "The secret is only there while the RUN runs."})
	expect(t, checkOne(t, context.Background(), quizEnv(t, false, "a"), spec), Fail,
		"Not this one. Read the explanation, then try another choice.", Evidence{Where: "choice a", Detail: "ENV stays in the image config."})
	expect(t, checkOne(t, context.Background(), quizEnv(t, false, "c"), spec), Fail,
		"Not this one. Read the explanation, then try another choice.")
	expect(t, checkOne(t, context.Background(), quizEnv(t, true, "a", "b"), spec), Fail,
		"Not quite: 1 of the choices are right, and your answer picks a different set.",
		Evidence{Where: "choice a", Detail: "ENV stays in the image config."}, Evidence{Where: "choice b", Detail: "The secret is only there while the RUN runs."})
	expect(t, checkOne(t, context.Background(), quizEnv(t, false, "d", "e"), spec), Fail, "d, e is not a choice here: pick from a, b, c.")

	env, _ := testEnv(t)
	expect(t, checkOne(t, context.Background(), env, spec), Error, "step s1 has no quiz")
}

func TestParseChoices(t *testing.T) {
	for in, want := range map[string][]string{"a": {"a"}, "C, a": {"a", "c"}, "b;a b": {"a", "b"}, "  ": nil} {
		if got := ParseChoices(in); !slices.Equal(got, want) {
			t.Errorf("ParseChoices(%q) = %q, want %q", in, got, want)
		}
	}
}

func valueEnv(t *testing.T, a *lessons.Answer, answer ...string) Env {
	t.Helper()
	env, _ := testEnv(t)
	env.Docker = nil
	env.Step.Answer = a
	env.Answer = answer
	return env
}

func TestAnswerSecret(t *testing.T) {
	spec, a := &lessons.AnswerValue{}, &lessons.Answer{Expect: "secret"}
	expect(t, checkOne(t, context.Background(), valueEnv(t, a), spec), Fail,
		"No answer yet: type the value you found (a in the tutor, or dockertutor answer s1 VALUE).")
	const found = "Yes: that is your secret. Anyone who can pull the image can find it the same way."
	expect(t, checkOne(t, context.Background(), valueEnv(t, a, secret), spec), Pass, found)
	expect(t, checkOne(t, context.Background(), valueEnv(t, a, `"BUILD_REPO_SECRET=`+secret+`"`), spec), Pass, found)
	expect(t, checkOne(t, context.Background(), valueEnv(t, a, "RUN echo "+secret), spec), Fail,
		"Your answer contains the secret, but also more: give just the value.")
	expect(t, checkOne(t, context.Background(), valueEnv(t, a, "hunter2"), spec), Fail,
		"That is not the secret. Look at every history entry in full: docker history --no-trunc dttest/app:latest")
}

func TestAnswerText(t *testing.T) {
	spec, a := &lessons.AnswerValue{}, &lessons.Answer{Expect: "text", Value: "{{.Step}}-layer"}
	expect(t, checkOne(t, context.Background(), valueEnv(t, a, " `S1-Layer` "), spec), Pass, "Right.")
	expect(t, checkOne(t, context.Background(), valueEnv(t, a, "s2-layer"), spec), Fail, "Not the expected answer. Use the hints (h) if you are stuck.")
	bad := &lessons.Answer{Expect: "text", Value: "{{.Nope}}"}
	if r := checkOne(t, context.Background(), valueEnv(t, bad, "x"), spec); r.Outcome != Error {
		t.Errorf("an unfillable answer: %s %q", r.Outcome, r.Message)
	}
	expect(t, checkOne(t, context.Background(), valueEnv(t, nil, "x"), spec), Error, "step s1 has no answer spec")
}
