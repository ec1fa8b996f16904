package lessons

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// teammatePack is validPack with an answer step whose values the tutor
// hides in a teammate's image built from a pack-context folder.
func teammatePack() fstest.MapFS {
	p := validPack()
	replace(p, "basics/lesson.yaml", "  - pick-one\n", "  - pick-one\n  - find-them\n")
	p["basics/find-them/step.md"] = &fstest.MapFile{Data: []byte(`---
title: Find them
kind: answer
image: demo/teammate
action:
  build:
    pack-context: teammate
    args:
      TOKEN: '{{.Hidden "token"}}'
answer:
  expect: values
  prompt: The two values
  values:
    - id: token
      name: the token
      value: '{{.Hidden "token"}}'
      where: "In the history of {{.Image}}."
    - id: password
      name: the password
      value: '{{.Hidden "password"}}'
      where: In a deleted file.
attempts:
  - name: nothing
    fails: [token, password]
  - name: token-only
    answer: '{{.Hidden "token"}}'
    fails: [password]
  - name: password-only
    answer: '{{.Hidden "password"}}'
    fails: [token]
hints:
  - Look at the history of {{.Image}}.
---
Find both in {{.Image}}.
`)}
	p["basics/find-them/teammate/Dockerfile"] = &fstest.MapFile{Data: []byte("FROM alpine:3.22\nARG TOKEN\nCOPY pw /pw\nRUN rm /pw\n")}
	p["basics/find-them/teammate/pw.tmpl"] = &fstest.MapFile{Data: []byte(`{{.Hidden "password"}}`)}
	return p
}

func TestTeammatePackLoads(t *testing.T) {
	c, ps := Load(teammatePack())
	if len(ps) > 0 {
		t.Fatalf("unexpected problems:\n%s", ps.Error())
	}
	st, _ := c.Step("find-them")
	if got := st.Action.Build.Context.List; strings.Join(got, ",") != "Dockerfile,pw.tmpl" {
		t.Errorf("pack-context files = %v", got)
	}
	for _, id := range []string{"token", "password"} {
		ch, ok := st.Check(id)
		if !ok || ch.Spec.(*AnswerValue).Of != id {
			t.Errorf("answer value %s has no answer.value check of its own: %+v", id, ch)
		}
		if want := "the " + id; ch.Name() != want {
			t.Errorf("answer value %s's check is named %q, want the value's name %q", id, ch.Name(), want)
		}
	}
	if _, ok := st.Check("answer"); ok {
		t.Error("an expect: values answer has no whole-answer check")
	}
	v := c.Values(st, Learner{Secret: "canary-abcdefghijkl", Workspace: "/ws"})
	ref, err := st.ReferenceAnswer(v)
	if err != nil {
		t.Fatal(err)
	}
	token, _ := v.Hidden("token")
	password, _ := v.Hidden("password")
	if ref != token+" "+password {
		t.Errorf("reference answer = %q, want the two values", ref)
	}
	if got, _ := st.ParseAnswer(" a, b  c "); strings.Join(got, "|") != "a|b|c" {
		t.Errorf("ParseAnswer split the values as %q", got)
	}
	text, err := st.Render(v)
	if err != nil || strings.Contains(text, token) {
		t.Errorf("Render = %q, %v", text, err)
	}
}

func TestHiddenValues(t *testing.T) {
	c, _ := Load(teammatePack())
	st, _ := c.Step("find-them")
	canary := "canary-k3v9q2m7x1td"
	v := c.Values(st, Learner{Secret: canary})
	a, err := v.Hidden("token")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := c.Values(st, Learner{Secret: canary}).Hidden("token")
	other, _ := v.Hidden("password")
	otherLearner, _ := c.Values(st, Learner{Secret: "canary-000000000000"}).Hidden("token")
	if a != again {
		t.Errorf("not stable: %q then %q", a, again)
	}
	if a == other || a == otherLearner {
		t.Errorf("names or learners share a value: %q %q %q", a, other, otherLearner)
	}
	if len(a) != hiddenLength || strings.Trim(a, hiddenAlphabet) != "" {
		t.Errorf("%q is not %d letters and digits", a, hiddenLength)
	}
	// Nothing of the canary's text: a search for it, or a guess from its
	// form, must not find the hidden value.
	for _, part := range []string{"canary", canary[7:], canary[7:13]} {
		if strings.Contains(a, part) {
			t.Errorf("%q contains %q", a, part)
		}
	}
	if _, err := v.Shown().Hidden("token"); !errors.Is(err, ErrHiddenShown) {
		t.Errorf("Shown().Hidden = %v, want ErrHiddenShown", err)
	}
	if _, err := (Values{}).Hidden("token"); !errors.Is(err, ErrHiddenShown) {
		t.Errorf("values without a canary give a hidden value: %v", err)
	}
}

func TestHiddenValuesStayHidden(t *testing.T) {
	cases := []struct {
		name string
		edit func(fstest.MapFS)
		want string
	}{
		{"in the text", func(p fstest.MapFS) {
			replace(p, "basics/find-them/step.md", "Find both in {{.Image}}.", `Find {{.Hidden "token"}}.`)
		}, "basics/find-them/step.md:34: template: "},
		{"in a hint", func(p fstest.MapFS) {
			replace(p, "basics/find-them/step.md", "  - Look at the history of {{.Image}}.", `  - It is {{.Hidden "token"}}.`)
		}, "basics/find-them/step.md:32: template: "},
		{"in the prompt", func(p fstest.MapFS) {
			replace(p, "basics/find-them/step.md", "prompt: The two values", `prompt: 'not {{.Hidden "x"}}'`)
		}, "basics/find-them/step.md:10: template: "},
		{"in a value's name", func(p fstest.MapFS) {
			replace(p, "basics/find-them/step.md", "name: the token", `name: 'the token {{.Hidden "token"}}'`)
		}, "basics/find-them/step.md:10: template: "},
		{"in a starter file", func(p fstest.MapFS) {
			p["basics/find-them/starter/notes.txt.tmpl"] = &fstest.MapFile{Data: []byte(`{{.Hidden "token"}}`)}
		}, "basics/find-them/starter/notes.txt.tmpl:1: template: "},
		{"in a shown build argument", func(p fstest.MapFS) {
			replace(p, "basics/find-them/step.md", "    pack-context: teammate\n", "")
			p["basics/find-them/starter/Dockerfile"] = &fstest.MapFile{Data: []byte("FROM alpine:3.22\n")}
		}, "basics/find-them/step.md:5: template: "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := teammatePack()
			tc.edit(p)
			_, ps := Load(p)
			for _, pr := range ps {
				if strings.HasPrefix(pr.String(), tc.want) && strings.Contains(pr.String(), "hidden value") {
					return
				}
			}
			t.Fatalf("want a problem starting with\n  %s\nabout the hidden value, got:\n%s", tc.want, ps.Error())
		})
	}
}

func TestBrokenTeammatePacks(t *testing.T) {
	cases := []struct {
		name string
		edit func(fstest.MapFS)
		want string
	}{
		{"pack-context missing", func(p fstest.MapFS) {
			replace(p, "basics/find-them/step.md", "pack-context: teammate", "pack-context: colleague")
		}, `basics/find-them/step.md:5: pack-context "colleague": there is no folder basics/find-them/colleague`},
		{"pack-context is the learner's", func(p fstest.MapFS) {
			replace(p, "basics/find-them/step.md", "pack-context: teammate", "pack-context: starter")
		}, `basics/find-them/step.md:5: pack-context "starter": the starter/`},
		{"pack-context leaves the step", func(p fstest.MapFS) {
			replace(p, "basics/find-them/step.md", "pack-context: teammate", "pack-context: ../pin-it")
		}, `basics/find-them/step.md:5: pack-context "../pin-it" must be the name of a folder`},
		{"pack-context without a Dockerfile", func(p fstest.MapFS) {
			delete(p, "basics/find-them/teammate/Dockerfile")
		}, `basics/find-them/step.md:5: pack-context "teammate" has no Dockerfile`},
		{"folder nobody uses", func(p fstest.MapFS) {
			p["basics/find-them/colleague/Dockerfile"] = &fstest.MapFile{Data: []byte("FROM alpine:3.22\n")}
		}, `basics/find-them/colleague: folder is not used`},
		{"value without where", func(p fstest.MapFS) {
			replace(p, "basics/find-them/step.md", "      where: In a deleted file.\n", "")
		}, `basics/find-them/step.md:10: answer value "password": where is required`},
		{"no values", func(p fstest.MapFS) {
			replace(p, "basics/find-them/step.md", "  values:\n    - id: token", "  unused:\n    - id: token")
		}, `basics/find-them/step.md:10: answer.values is empty`},
		{"value check failed by no attempt", func(p fstest.MapFS) {
			replace(p, "basics/find-them/step.md", "    fails: [password]\n", "    fails: [token]\n")
			replace(p, "basics/find-them/step.md", "  - name: nothing\n    fails: [token, password]\n", "  - name: nothing\n    fails: [token]\n")
		}, `basics/find-them/step.md:10: check "password" is failed by no attempt`},
		{"unknown found-in", func(p fstest.MapFS) {
			replace(p, "basics/find-them/step.md", "      where: In a deleted file.", "      where: In a deleted file.\n      found-in: layer")
		}, `basics/find-them/step.md:10: answer value "password": found-in "layer": use history, config, file, deleted-file`},
		{"value of several words", func(p fstest.MapFS) {
			replace(p, "basics/find-them/step.md", `value: '{{.Hidden "password"}}'`, `value: 'pass {{.Hidden "password"}}'`)
		}, `basics/find-them/step.md:10: answer value "password": "pass `},
		{"answer attempt with files", func(p fstest.MapFS) {
			p["basics/find-them/attempts/nothing/x"] = &fstest.MapFile{Data: []byte("x")}
		}, `basics/find-them/attempts/nothing: an answer step's attempt has no files`},
		{"answer on an exercise's attempt", func(p fstest.MapFS) {
			replace(p, "basics/pin-it/step.md", "    fails: [pinned]", "    answer: x\n    fails: [pinned]")
		}, `basics/pin-it/step.md:10: attempt "floating": answer: is for the attempts of answer steps`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := teammatePack()
			tc.edit(p)
			_, ps := Load(p)
			for _, pr := range ps {
				if strings.HasPrefix(pr.String(), tc.want) {
					return
				}
			}
			t.Fatalf("want a problem starting with\n  %s\ngot:\n%s", tc.want, ps.Error())
		})
	}
}
