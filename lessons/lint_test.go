package lessons

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// validPack is a small course pack that loads without problems; each case
// below breaks one thing in it.
func validPack() fstest.MapFS {
	return fstest.MapFS{
		"course.yaml": {Data: []byte(`format: 1
id: demo
title: Demo
images:
  - {ref: alpine:3.22, digest: "sha256:14358309a308569c32bdc37e2e0e9694be33a9d99e68afb0f5ff33cc1f695dce"}
lessons:
  - basics
`)},
		"basics/lesson.yaml": {Data: []byte(`title: Basics
steps:
  - pin-it
  - pick-one
`)},
		"basics/pin-it/step.md": {Data: []byte(`---
title: Pin it
kind: exercise
main: Dockerfile
checks:
  - id: pinned
    type: dockerfile.base
    allow: [pinned]
attempts:
  - name: floating
    fails: [pinned]
hints:
  - Use a full version.
---
Pin the base image of {{.Workdir}}.
`)},
		"basics/pin-it/starter/Dockerfile":           {Data: []byte("FROM alpine\n")},
		"basics/pin-it/solution/Dockerfile":          {Data: []byte("FROM alpine:3.22.1\n")},
		"basics/pin-it/attempts/floating/Dockerfile": {Data: []byte("FROM alpine:latest\n")},
		"basics/pick-one/step.md": {Data: []byte(`---
title: Pick one
kind: quiz
quiz:
  choices:
    - id: a
      text: Yes
      correct: true
    - id: b
      text: No
---
Which?
`)},
	}
}

func TestValidPackLoads(t *testing.T) {
	c, ps := Load(validPack())
	if len(ps) > 0 {
		t.Fatalf("unexpected problems:\n%s", ps.Error())
	}
	if got := len(c.Steps()); got != 2 {
		t.Fatalf("want 2 steps, got %d", got)
	}
	s, ok := c.Step("1.2")
	if !ok || s.ID != "pick-one" {
		t.Fatalf("step 1.2 = %v, %v", s, ok)
	}
	if _, ok := s.Check("answer"); !ok {
		t.Fatal("a quiz step gets an implicit answer.choice check")
	}
}

func TestBrokenPacks(t *testing.T) {
	cases := []struct {
		name string
		edit func(fstest.MapFS)
		want string // "file:line: substring"
	}{
		{"unknown manifest field", func(p fstest.MapFS) {
			p["course.yaml"].Data = []byte("format: 1\nid: demo\ntitel: Demo\nlessons: [basics]\n")
		}, `course.yaml:3: unknown field "titel" (did you mean "title"?)`},
		{"unsupported format", func(p fstest.MapFS) {
			p["course.yaml"].Data = []byte("format: 7\nid: demo\ntitle: Demo\nlessons: [basics]\n")
		}, "course.yaml:1: format 7 is not supported"},
		{"missing lesson folder", func(p fstest.MapFS) {
			p["course.yaml"].Data = []byte("format: 1\nid: demo\ntitle: Demo\nlessons:\n  - basics\n  - nowhere\n")
		}, `course.yaml:6: lesson folder "nowhere" does not exist`},
		{"lesson path leaves the pack", func(p fstest.MapFS) {
			p["course.yaml"].Data = []byte("format: 1\nid: demo\ntitle: Demo\nlessons:\n  - ../etc\n")
		}, `course.yaml:5: lesson "../etc" must be a folder name`},
		{"duplicate step id", func(p fstest.MapFS) {
			p["basics/lesson.yaml"].Data = []byte("title: Basics\nsteps:\n  - pin-it\n  - pin-it\n")
		}, `basics/lesson.yaml:4: step id "pin-it" is already used`},
		{"secret needed at neither build nor run", func(p fstest.MapFS) {
			replace(p, "basics/pin-it/step.md", "main: Dockerfile", "main: Dockerfile\nsecret-needed-at: deploy")
		}, `basics/pin-it/step.md:5: secret-needed-at "deploy" is neither build nor run`},
		{"unknown check type", func(p fstest.MapFS) {
			replace(p, "basics/pin-it/step.md", "type: dockerfile.base", "type: dockerfile.bsae")
		}, `basics/pin-it/step.md:7: unknown check type "dockerfile.bsae" (did you mean "dockerfile.base"?)`},
		{"unknown check field", func(p fstest.MapFS) {
			replace(p, "basics/pin-it/step.md", "allow: [pinned]", "alow: [pinned]")
		}, `basics/pin-it/step.md:8: unknown field "alow" (did you mean "allow"?)`},
		{"bad tag class", func(p fstest.MapFS) {
			replace(p, "basics/pin-it/step.md", "allow: [pinned]", "allow: [frozen]")
		}, `basics/pin-it/step.md:6: check "pinned" (dockerfile.base): unknown tag class "frozen"`},
		{"bad template in text", func(p fstest.MapFS) {
			replace(p, "basics/pin-it/step.md", "{{.Workdir}}", "{{.Secrte}}")
		}, `basics/pin-it/step.md:15: template:`},
		{"unclosed template", func(p fstest.MapFS) {
			replace(p, "basics/pin-it/step.md", "{{.Workdir}}", "{{.Workdir")
		}, `basics/pin-it/step.md:15: template:`},
		{"exercise without attempts", func(p fstest.MapFS) {
			replace(p, "basics/pin-it/step.md", "attempts:\n  - name: floating\n    fails: [pinned]\n", "")
		}, `basics/pin-it/step.md:3: an exercise needs must-fail attempts`},
		{"check no attempt fails", func(p fstest.MapFS) {
			replace(p, "basics/pin-it/step.md", "attempts:", "  - id: parses\n    type: dockerfile.parses\nattempts:")
		}, `basics/pin-it/step.md:9: check "parses" is failed by no attempt`},
		{"exercise without solution", func(p fstest.MapFS) {
			delete(p, "basics/pin-it/solution/Dockerfile")
		}, `basics/pin-it/step.md:3: an exercise needs a reference solution`},
		{"attempt names unknown check", func(p fstest.MapFS) {
			replace(p, "basics/pin-it/step.md", "fails: [pinned]", "fails: [pinned, clean]")
		}, `basics/pin-it/step.md:10: attempt "floating" fails "clean", which is not a check`},
		{"undeclared attempt folder", func(p fstest.MapFS) {
			p["basics/pin-it/attempts/other/Dockerfile"] = &fstest.MapFile{Data: []byte("FROM x\n")}
		}, `basics/pin-it/attempts/other: folder is not declared under attempts:`},
		{"main file missing", func(p fstest.MapFS) {
			replace(p, "basics/pin-it/step.md", "main: Dockerfile", "main: Containerfile")
		}, `basics/pin-it/step.md:4: main "Containerfile" is not among the starter or solution files`},
		{"main leaves the folder", func(p fstest.MapFS) {
			replace(p, "basics/pin-it/step.md", "main: Dockerfile", "main: ../../secret")
		}, `basics/pin-it/step.md:4: main "../../secret" must be a relative path inside the step folder`},
		{"symlink in starter", func(p fstest.MapFS) {
			p["basics/pin-it/starter/link"] = &fstest.MapFile{Data: []byte("/etc/passwd"), Mode: 0o777 | 1<<27}
		}, `basics/pin-it/starter/link: symbolic links are not allowed`},
		{"quiz without correct choice", func(p fstest.MapFS) {
			replace(p, "basics/pick-one/step.md", "      correct: true\n", "")
		}, `basics/pick-one/step.md:4: no choice is marked correct`},
		{"bad kind", func(p fstest.MapFS) {
			replace(p, "basics/pick-one/step.md", "kind: quiz", "kind: puzzle")
		}, `basics/pick-one/step.md:3: kind "puzzle": use read, quiz, answer or exercise`},
		{"front matter not closed", func(p fstest.MapFS) {
			p["basics/pick-one/step.md"].Data = []byte("---\ntitle: x\nkind: read\n")
		}, `basics/pick-one/step.md:1: the front matter is not closed`},
		{"yaml syntax error", func(p fstest.MapFS) {
			p["basics/lesson.yaml"].Data = []byte("title: Basics\nsteps: [pin-it\n")
		}, `basics/lesson.yaml:`},
		{"wrong value type", func(p fstest.MapFS) {
			replace(p, "basics/pin-it/step.md", "main: Dockerfile", "main: Dockerfile\noptional: perhaps")
		}, `basics/pin-it/step.md:5: cannot unmarshal`},
		{"image check not bound to the step", func(p fstest.MapFS) {
			replace(p, "basics/pin-it/step.md", "main: Dockerfile", "main: Dockerfile\nimage: demo/app\naction:\n  build: {}")
			replace(p, "basics/pin-it/step.md", "attempts:", "  - id: clean\n    type: leak.absent\n  - id: other\n    type: image.fresh\n    image: demo/other\nattempts:")
			replace(p, "basics/pin-it/step.md", "fails: [pinned]", "fails: [pinned, clean, other]")
		}, `basics/pin-it/step.md:12: check "clean" reads the image demo/app, but nothing binds it to this step: add an image.fresh check of demo/app`},
		{"empty hint", func(p fstest.MapFS) {
			replace(p, "basics/pin-it/step.md", "  - Use a full version.", "  - \"\"")
		}, `basics/pin-it/step.md:13: hint 1 is empty`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := validPack()
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

func replace(p fstest.MapFS, file, old, new string) {
	s := string(p[file].Data)
	if !strings.Contains(s, old) {
		panic("test edit does not apply: " + old)
	}
	p[file] = &fstest.MapFile{Data: []byte(strings.Replace(s, old, new, 1))}
}

// TestAnUntitledCheckIsAWarning: a check the author wrote without a title
// is named by its type's summary on the class dashboard, which lint says,
// but the pack is still clean; a check the loader adds (a quiz's answer)
// has no title to write and no warning.
func TestAnUntitledCheckIsAWarning(t *testing.T) {
	p := validPack()
	c, ps := Load(p)
	if len(ps) > 0 {
		t.Fatalf("an untitled check is no problem:\n%s", ps.Error())
	}
	want := `basics/pin-it/step.md:6: check "pinned" has no title: the class dashboard will name it by its type's summary: the base image of the final stage (or every stage) follows a tag policy`
	if w := c.Warnings(time.Now()); len(w) != 1 || w[0].String() != want {
		t.Fatalf("warnings:\n%s\nwant\n%s", w.Error(), want)
	}

	p["basics/pin-it/step.md"].Data = []byte(strings.Replace(string(p["basics/pin-it/step.md"].Data),
		"type: dockerfile.base\n", "type: dockerfile.base\n    title: the base image is pinned to a full version\n", 1))
	c, ps = Load(p)
	if len(ps) > 0 {
		t.Fatal(ps.Error())
	}
	if w := c.Warnings(time.Now()); len(w) != 0 {
		t.Errorf("a titled check still warns:\n%s", w.Error())
	}
	if ch, _ := c.Steps()[0].Check("pinned"); ch.Name() != "the base image is pinned to a full version" {
		t.Errorf("the check is named %q", ch.Name())
	}
}

// TestEveryBuiltinCheckHasATitle: the built-in course names each check for
// the instructor.
func TestEveryBuiltinCheckHasATitle(t *testing.T) {
	c, ps := Builtin()
	if len(ps) > 0 {
		t.Fatal(ps.Error())
	}
	if w := c.Warnings(c.Releases.AsOf.Time); len(w) != 0 {
		t.Errorf("the built-in course has warnings:\n%s", w.Error())
	}
}

// TestImagePins: each base image names a tag and pins it by a repository
// digest in its own field; a missing pin is a warning, a malformed one a
// problem that says how to write it.
func TestImagePins(t *testing.T) {
	const good = "sha256:14358309a308569c32bdc37e2e0e9694be33a9d99e68afb0f5ff33cc1f695dce"
	cases := []struct {
		name, entry string
		problem     string // in the problems; "" for none
		warning     string // in the warnings; "" for none
	}{
		{"pinned", `ref: alpine:3.22, digest: "` + good + `"`, "", ""},
		{"no pin", "ref: alpine:3.22", "", `image "alpine:3.22" has no digest pin`},
		{"short digest", `ref: alpine:3.22, digest: "sha256:1435"`, `digest "sha256:1435" is not a repository digest`, ""},
		{"upper-case hex", `ref: alpine:3.22, digest: "` + strings.ToUpper(good) + `"`, "is not a repository digest", ""},
		{"digest in the ref", `ref: "alpine:3.22@` + good + `"`, "write the digest in its own field: ref: alpine:3.22, digest: " + good, ""},
		{"no tag", `ref: alpine, digest: "` + good + `"`, `image "alpine" has no tag`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := validPack()
			p["course.yaml"].Data = []byte(strings.Replace(string(p["course.yaml"].Data),
				`ref: alpine:3.22, digest: "`+good+`"`, tc.entry, 1))
			c, ps := Load(p)
			if tc.problem == "" && len(ps) > 0 {
				t.Fatalf("problems:\n%s", ps.Error())
			}
			if tc.problem != "" {
				if !strings.Contains(ps.Error(), tc.problem) {
					t.Fatalf("problems:\n%s\nwant one with %q", ps.Error(), tc.problem)
				}
				return
			}
			var pins []string
			for _, w := range c.Warnings(time.Now()) {
				if strings.Contains(w.String(), "digest") {
					pins = append(pins, w.String())
				}
			}
			switch {
			case tc.warning == "" && len(pins) > 0:
				t.Errorf("warnings: %q", pins)
			case tc.warning != "" && (len(pins) != 1 || !strings.Contains(pins[0], tc.warning)):
				t.Errorf("warnings: %q, want one with %q", pins, tc.warning)
			}
			if tc.warning == "" && c.Images[0].Pinned() != "alpine:3.22@"+good {
				t.Errorf("Pinned() = %q", c.Images[0].Pinned())
			}
		})
	}
}
