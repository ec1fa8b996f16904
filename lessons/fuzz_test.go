package lessons

import (
	"testing"
	"testing/fstest"
)

// FuzzLoad feeds arbitrary bytes to each file of a valid pack: loading
// must never panic, and a pack with problems must say so.
func FuzzLoad(f *testing.F) {
	files := []string{"course.yaml", "basics/lesson.yaml", "basics/pin-it/step.md", "basics/pick-one/step.md"}
	for _, name := range files {
		f.Add(uint8(0), validPack()[name].Data)
	}
	f.Add(uint8(2), []byte("---\nchecks:\n  - id: x\n    type: image.size\n    max: 12QB\n---\n"))
	f.Add(uint8(2), []byte("---\nchecks: [1, [2], {id: a, type: leak.absent, image: [x]}]\n---\n"))
	f.Add(uint8(1), []byte("title: a\nsteps: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		p := validPack()
		p[files[int(which)%len(files)]] = &fstest.MapFile{Data: data}
		c, ps := Load(p)
		if len(ps) == 0 && c == nil {
			t.Fatal("no course and no problem")
		}
	})
}
