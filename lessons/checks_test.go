package lessons

import (
	"reflect"
	"slices"
	"testing"
)

// Each check type is declared once: one name, one spec type.
func TestCheckTypesAreDeclaredOnce(t *testing.T) {
	names := map[string]bool{}
	specs := map[reflect.Type]string{}
	for _, ct := range CheckTypes() {
		if names[ct.Name] {
			t.Errorf("check type %s is declared twice", ct.Name)
		}
		names[ct.Name] = true
		typ := reflect.TypeOf(ct.New())
		if other, dup := specs[typ]; dup {
			t.Errorf("%s and %s share the spec type %s", other, ct.Name, typ)
		}
		specs[typ] = ct.Name
		if got, ok := TypeOfSpec(ct.New()); !ok || got.Name != ct.Name {
			t.Errorf("TypeOfSpec(%s) = %q, %v", typ, got.Name, ok)
		}
		if got, ok := LookupCheckType(ct.Name); !ok || got.Name != ct.Name {
			t.Errorf("LookupCheckType(%s) = %q, %v", ct.Name, got.Name, ok)
		}
	}
	if _, ok := LookupCheckType("image.nope"); ok {
		t.Error("an unknown name was found")
	}
}

func TestExpandSpecFillsTheStepImage(t *testing.T) {
	v := SampleValues()
	v.Image = "dockertutor/{{.Step}}"
	got, err := ExpandSpec(&ImageSize{SmallerThan: "{{.Course}}/fat", Max: "1MB"}, v)
	if err != nil {
		t.Fatal(err)
	}
	want := &ImageSize{Image: "dockertutor/step", SmallerThan: "course/fat", Max: "1MB"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ExpandSpec = %+v, want %+v", got, want)
	}
	if imgs := SpecImages(got); !slices.Equal(imgs, []string{"dockertutor/step", "course/fat"}) {
		t.Fatalf("SpecImages = %q", imgs)
	}
	// A spec that names an image keeps it; one that names none gets none.
	got, _ = ExpandSpec(&LeakFound{Image: "other/{{.Step}}"}, v)
	if imgs := SpecImages(got); !slices.Equal(imgs, []string{"other/step"}) {
		t.Fatalf("SpecImages = %q", imgs)
	}
	got, _ = ExpandSpec(&DockerfileSecretMount{Secret: "{{.Step}}"}, v)
	if imgs := SpecImages(got); len(imgs) != 0 || got.(*DockerfileSecretMount).Secret != "step" {
		t.Fatalf("SpecImages = %q of %+v", imgs, got)
	}
	// The original is left as it was.
	orig := &ImageUser{}
	if _, err := ExpandSpec(orig, v); err != nil || orig.Image != "" {
		t.Fatalf("the original changed: %+v %v", orig, err)
	}
	if _, err := ExpandSpec(&ImageUser{Image: "{{.Nope}}"}, v); err == nil {
		t.Fatal("an unknown value filled")
	}
}

func TestCheckDaemon(t *testing.T) {
	for name, want := range map[string]DaemonUse{"image.fresh": DaemonNeeded, "trivy.report": DaemonNeeded, "dockerfile.base": DaemonNone, "answer.value": DaemonNone, "nope": DaemonNone} {
		if got := (Check{Type: name}).Daemon(); got != want {
			t.Errorf("%s: Daemon = %v, want %v", name, got, want)
		}
	}
}
