package proof

import (
	"testing"

	"github.com/dockertutor/dockertutor/exercises/leak"
	"github.com/dockertutor/dockertutor/lessons"
)

func TestIsIn(t *testing.T) {
	history := leak.Finding{Source: leak.SourceHistory}
	config := leak.Finding{Source: leak.SourceInspect}
	visible := leak.Finding{Source: leak.SourceLayer, Layer: &leak.LayerFile{Index: 3, State: leak.Visible}}
	deleted := leak.Finding{Source: leak.SourceLayer, Layer: &leak.LayerFile{Index: 3, State: leak.Deleted, By: 4}}
	replaced := leak.Finding{Source: leak.SourceLayer, Layer: &leak.LayerFile{Index: 3, State: leak.Replaced, By: 4}}
	stray := leak.Finding{Source: leak.SourceLayer, Layer: &leak.LayerFile{Index: -1, State: leak.Deleted}}
	cases := map[lessons.FoundIn][]leak.Finding{
		lessons.FoundInHistory:     {history},
		lessons.FoundInConfig:      {config},
		lessons.FoundInFile:        {visible},
		lessons.FoundInDeletedFile: {deleted, replaced},
	}
	all := []leak.Finding{history, config, visible, deleted, replaced, stray}
	for in, want := range cases {
		for _, f := range all {
			wanted := false
			for _, w := range want {
				wanted = wanted || w.Source == f.Source && w.Layer == f.Layer
			}
			if got := isIn(f, in); got != wanted {
				t.Errorf("isIn(%s %+v, %s) = %v", f.Source, f.Layer, in, got)
			}
		}
	}
}
