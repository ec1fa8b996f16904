package lessons

import (
	"path/filepath"
	"regexp"
	"testing"
	"testing/fstest"

	"github.com/distribution/reference"
)

func mustNamespace(t *testing.T, name string) Namespace {
	t.Helper()
	ns, err := NamedNamespace(name)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func TestNamespaceImage(t *testing.T) {
	ns := mustNamespace(t, "dtproof-1a2b")
	for in, want := range map[string]string{
		"dockertutor/tokenrun":            "dtproof-1a2b/dockertutor/tokenrun",
		"dockertutor/tokenrun:1":          "dtproof-1a2b/dockertutor/tokenrun:1",
		"docker.io/dockertutor/tokenrun":  "dtproof-1a2b/dockertutor/tokenrun",
		"app":                             "dtproof-1a2b/app",
		"library/app:2":                   "dtproof-1a2b/app:2",
		"localhost:5000/team/app:3":       "localhost:5000/dtproof-1a2b/team/app:3",
		"registry.example.com/app":        "registry.example.com/dtproof-1a2b/app",
		"dtproof-1a2b/dockertutor/x:1":    "dtproof-1a2b/dockertutor/x:1", // already in it
		"Not A Name":                      "Not A Name",                   // Docker refuses it anyway
		"":                                "",
		"app@sha256:" + sixtyFourHex:      "app@sha256:" + sixtyFourHex, // content: nobody creates it
		"dtproof-other/dockertutor/x:1":   "dtproof-1a2b/dtproof-other/dockertutor/x:1",
		"dockertutor/buildargtest:latest": "dtproof-1a2b/dockertutor/buildargtest:latest",
	} {
		got := ns.Image(in)
		if got != want {
			t.Errorf("Image(%q) = %q, want %q", in, got, want)
			continue
		}
		if ns.Image(got) != got {
			t.Errorf("Image is not idempotent on %q: %q", got, ns.Image(got))
		}
		if want != in {
			if _, err := reference.ParseNormalizedNamed(got); err != nil {
				t.Errorf("Image(%q) = %q, which Docker cannot parse: %v", in, got, err)
			}
		}
	}
	// The learner's own namespace keeps the course's names.
	for _, name := range []string{"dockertutor/tokenrun", "app:1", ""} {
		if got := (Namespace{}).Image(name); got != name {
			t.Errorf("learner's Image(%q) = %q", name, got)
		}
	}
}

// Reset cleans a name only when the namespace owns it: what Image gives,
// never the same repository in another namespace, nor a name outside any.
func TestNamespaceOwns(t *testing.T) {
	ns := mustNamespace(t, "ann-0a1b2c")
	for name, want := range map[string]bool{
		"ann-0a1b2c/dockertutor/multistage":          true,
		"ann-0a1b2c/dockertutor/multistage:1":        true,
		"docker.io/ann-0a1b2c/dockertutor/x":         true,
		"localhost:5000/ann-0a1b2c/x":                true,
		"dockertutor/multistage":                     false,
		"bob-0d0e0f/dockertutor/multistage":          false,
		"ann-0a1b2c-x/dockertutor/multistage":        false,
		"ann/dockertutor/multistage":                 false,
		"alpine:3.22":                                false,
		"Not A Name":                                 false,
		"ann-0a1b2c/x@sha256:" + sixtyFourHex:        true,
		ns.Image("dockertutor/multistage:latest"):    true,
		ns.Image("registry.example.com/team/app:3"):  true,
		"registry.example.com/ann-0a1b2c-other/team": false,
	} {
		if got := ns.OwnsImage(name); got != want {
			t.Errorf("OwnsImage(%q) = %v, want %v", name, got, want)
		}
	}
	if (Namespace{}).OwnsImage("dockertutor/multistage") {
		t.Error("the zero namespace owns a name")
	}
	for name, want := range map[string]bool{
		"ann-0a1b2c-tokenapp":                true,
		"/ann-0a1b2c-tokenapp":               true,
		ns.ContainerName("course", "step"):   true,
		"ann-0a1b2c":                         false,
		"bob-0d0e0f-tokenapp":                false,
		"tokenapp":                           false,
		"dockertutor-bob-0d0e0f-course-step": false,
		"dockertutor-course-step":            false,
		"x-ann-0a1b2c-tokenapp":              false,
	} {
		if got := ns.OwnsContainer(name); got != want {
			t.Errorf("OwnsContainer(%q) = %v, want %v", name, got, want)
		}
	}
	if (Namespace{}).OwnsContainer("dockertutor-course-step") {
		t.Error("the zero namespace owns a container")
	}
}

const sixtyFourHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestNamespaceNames(t *testing.T) {
	for _, bad := range []string{"", "Upper", "a_b", "-a", "a-", "a--b", "a/b", "a.b", "dtproof-0123456789012345678901234567890123"} {
		if _, err := NamedNamespace(bad); err == nil {
			t.Errorf("NamedNamespace(%q) is accepted", bad)
		}
	}
	a, err := PrivateNamespace("dtproof")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := PrivateNamespace("dtproof")
	if a == b || !regexp.MustCompile(`^dtproof-[0-9a-f]{12}$`).MatchString(a.String()) || a.IsZero() {
		t.Errorf("private namespaces %q and %q", a, b)
	}
	if !(Namespace{}).IsZero() || (Namespace{}).String() != "" {
		t.Error("the zero namespace must be the learner's own")
	}
	if got := (Namespace{}).ContainerName("image-security", "run-with-token"); got != "dockertutor-image-security-run-with-token" {
		t.Errorf("learner's container name %q", got)
	}
	if got := mustNamespace(t, "dtproof-1a2b").ContainerName("Image Security", "Step 3!"); got != "dockertutor-dtproof-1a2b-image-security-step-3" {
		t.Errorf("container name %q", got)
	}
}

// nsCourse names its base image in a check: base images are shared by
// every namespace, the course's own images are not.
func nsCourse(t *testing.T) *Course {
	t.Helper()
	c, ps := Load(fstest.MapFS{
		"course.yaml":   {Data: []byte("format: 1\nid: nstest\ntitle: T\nimages: [{ref: alpine:3.22}]\nlessons: [l]\n")},
		"l/lesson.yaml": {Data: []byte("title: L\nsteps: [build]\n")},
		"l/build/step.md": {Data: []byte("---\ntitle: Build\nkind: exercise\nmain: Dockerfile\nimage: dttest-ns/app\naction:\n  build: {}\n" +
			"checks:\n  - {id: small, type: image.size, smaller-than: dttest-ns/other}\n  - {id: base, type: image.size, smaller-than: alpine:3.22}\n  - {id: other, type: image.exists, image: dttest-ns/other}\n  - {id: mine, type: image.exists}\n" +
			"  - {id: fresh, type: image.fresh}\n  - {id: fresh-other, type: image.fresh, image: dttest-ns/other}\n" +
			"attempts:\n  - {name: a, no-action: true, fails: [small, base, other, mine, fresh, fresh-other]}\n---\nBuild {{.Image}}.\n")},
		"l/build/starter/Dockerfile":  {Data: []byte("FROM alpine:3.22\n")},
		"l/build/solution/Dockerfile": {Data: []byte("FROM alpine:3.22\n")},
	})
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	return c
}

func TestValuesMapImagesIntoTheNamespace(t *testing.T) {
	c := nsCourse(t)
	st := c.Steps()[0]
	ns := mustNamespace(t, "dttest-9")
	v := c.Values(st, Learner{Secret: "canary-x", Workspace: "/ws", Namespace: ns})
	if v.Image != "dttest-9/dttest-ns/app" || v.Namespace() != ns || v.Workdir != filepath.Join("/ws", "nstest", "l", "build") || v.Course != "nstest" || v.Step != "build" {
		t.Fatalf("values %+v", v)
	}
	text, err := st.Render(v)
	if err != nil || text != "Build dttest-9/dttest-ns/app.\n" {
		t.Fatalf("text %q %v", text, err)
	}
	want := map[string]string{"small": "dttest-9/dttest-ns/other", "base": "alpine:3.22", "other": "dttest-9/dttest-ns/other", "mine": "dttest-9/dttest-ns/app"}
	for _, ch := range st.Checks {
		spec, err := ExpandSpec(ch.Spec, v)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		switch s := spec.(type) {
		case *ImageSize:
			got = s.SmallerThan
			if s.Image != "dttest-9/dttest-ns/app" {
				t.Errorf("image.size image %q", s.Image)
			}
		case *ImageExists:
			got = s.Image
		}
		if got != want[ch.ID] {
			t.Errorf("check %s names %q, want %q", ch.ID, got, want[ch.ID])
		}
	}
	if !c.SharedImage("alpine") || !c.SharedImage("docker.io/library/alpine:3.21") || c.SharedImage("dttest-ns/app") {
		t.Error("the base image's repository is shared, and only it")
	}
	// The learner's own values keep the course's names.
	lv := c.Values(st, Learner{Secret: "canary-x", Workspace: "/ws"})
	if lv.Image != "dttest-ns/app" || lv.ImageName("dttest-ns/other") != "dttest-ns/other" {
		t.Errorf("learner's values %+v", lv)
	}
	// Values made by hand (a linter's samples) map nothing.
	if (Values{}).ImageName("dttest-ns/app") != "dttest-ns/app" {
		t.Error("zero values must not rename")
	}
}
