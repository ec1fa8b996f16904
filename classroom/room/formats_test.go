package room

import (
	"reflect"
	"testing"

	"github.com/dockertutor/dockertutor/internal/formatsdoc"
)

// The room is a document others read (class status --json, /api/v1/room):
// FORMATS.md must name every field it has, and no field it lacks.
func TestFormatsDocumentsTheRoom(t *testing.T) {
	sections, err := formatsdoc.Sections("../../FORMATS.md")
	if err != nil {
		t.Fatal(err)
	}
	body, ok := sections[Format]
	if !ok {
		t.Fatalf("FORMATS.md has no section %q", Format)
	}
	for _, p := range formatsdoc.Compare(Format, body, formatsdoc.JSONFields(reflect.TypeFor[Room](), map[reflect.Type]bool{})) {
		t.Error(p)
	}
}
