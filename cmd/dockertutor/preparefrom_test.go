package main

import (
	"bytes"
	"io"
	"testing"

	"github.com/dockertutor/dockertutor/exercises/pins"
	"github.com/dockertutor/dockertutor/lab/bundle"
)

// A load stream's progress is told image by image, in hundredths, as
// the daemon reads it; once it has read it all, every image is being
// extracted.
func TestLoadProgressPerImage(t *testing.T) {
	parts := []bundle.LoadPart{{Name: "a", Size: 300, Ref: "x:1"}, {Name: "b", Size: 500, Ref: "y:1"}, {Name: "c", Size: 200, Ref: "x:1"}}
	stream := &bundle.LoadStream{ReadCloser: io.NopCloser(bytes.NewReader(make([]byte, 1000))), Size: 1000, Parts: parts}
	var got []pins.Progress
	l := newLoadProgress(stream, func(p pins.Progress) { got = append(got, p) })
	buf := make([]byte, 7)
	for {
		if _, err := l.Read(buf); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	last := map[string]pins.Progress{}
	extracting := map[string]bool{}
	for _, p := range got {
		if p.Phase == pins.Extracting {
			extracting[p.Ref] = true
			if p.Fraction != 1 {
				t.Errorf("%s extracting at %.2f", p.Ref, p.Fraction)
			}
			continue
		}
		if prev, ok := last[p.Ref]; ok && (p.Fraction < prev.Fraction+0.01 || p.Done < prev.Done) {
			t.Errorf("%s went from %.3f to %.3f", p.Ref, prev.Fraction, p.Fraction)
		}
		if p.Phase != pins.Loading || p.Total != map[string]int64{"x:1": 500, "y:1": 500}[p.Ref] {
			t.Errorf("report %+v", p)
		}
		last[p.Ref] = p
	}
	// x:1 has 300 of its 500 bytes before y:1's part: it stops at 0.6
	// until its last part comes.
	if last["x:1"].Fraction < 0.99 || last["y:1"].Fraction < 0.99 {
		t.Errorf("last reports %+v", last)
	}
	if !extracting["x:1"] || !extracting["y:1"] {
		t.Errorf("not every image said extracting at the end: %v", extracting)
	}
	if len(got) > 2*100+2 {
		t.Errorf("%d reports for two images: a bar moves in hundredths", len(got))
	}
}
