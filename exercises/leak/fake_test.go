package leak

import (
	"math/rand/v2"
	"testing"

	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
)

// The images of these tests are built by the shared fake daemon's export
// writer; the types below keep the tests' literals short.

// testFile is one entry of a test layer.
type testFile struct {
	name     string
	body     []byte
	typeflag byte // 0 means a regular file
	link     string
}

// testStep is one history entry; a step with files (or layer: true) makes
// a layer.
type testStep struct {
	createdBy string
	layer     bool
	files     []testFile
}

type testImage struct {
	steps []testStep
	env   []string
}

func daemonFiles(files []testFile) []fakedaemon.File {
	out := make([]fakedaemon.File, len(files))
	for i, f := range files {
		out[i] = fakedaemon.File{Name: f.name, Body: f.body, Typeflag: f.typeflag, Link: f.link}
	}
	return out
}

func (img testImage) daemonSteps() []fakedaemon.Step {
	out := make([]fakedaemon.Step, len(img.steps))
	for i, s := range img.steps {
		out[i] = fakedaemon.Step{CreatedBy: s.createdBy, Layer: s.layer, Files: daemonFiles(s.files)}
	}
	return out
}

// layers counts the steps that make a layer.
func (img testImage) layers() int { return fakedaemon.Layers(img.daemonSteps()) }

type exportLayout = fakedaemon.Layout

const (
	dockerArchive = fakedaemon.DockerArchive
	ociLayout     = fakedaemon.OCILayout
)

type exportOptions struct {
	layout      exportLayout
	compression string // "", "gzip", "zstd"
	shuffle     *rand.Rand
	linkLayers  bool
	extraBlobs  map[string][]byte
}

func (o exportOptions) daemon() fakedaemon.ExportOptions {
	return fakedaemon.ExportOptions{Layout: o.layout, Compression: o.compression, Shuffle: o.shuffle, LinkLayers: o.linkLayers, ExtraBlobs: o.extraBlobs}
}

func tarOf(t testing.TB, files []testFile) []byte {
	t.Helper()
	b, err := fakedaemon.Tar(daemonFiles(files))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func compress(t testing.TB, data []byte, how string) []byte {
	t.Helper()
	b, err := fakedaemon.Compress(data, how)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func digestOf(b []byte) string { return fakedaemon.Digest(b) }

// buildExport writes what `docker save` would hand out for img. It
// returns the export and the image ID (the config digest).
func buildExport(t testing.TB, img testImage, o exportOptions) ([]byte, string) {
	t.Helper()
	data, id, err := fakedaemon.Export(img.daemonSteps(), img.env, o.daemon())
	if err != nil {
		t.Fatal(err)
	}
	return data, id
}

// fakeImages is the scanner's view of one image on a fake daemon.
type fakeImages struct {
	Images
	daemon  *fakedaemon.Daemon
	img     *fakedaemon.Image
	ref, id string
}

// exportRefs lists what the scan exported.
func (f *fakeImages) exportRefs() [][]string { return f.daemon.Saved() }

// newFake serves img under ref, with an inspect response shaped like the
// classic builder's on Docker 20.10 (ContainerConfig holds the last step).
func newFake(t testing.TB, ref string, img testImage, o exportOptions) *fakeImages {
	t.Helper()
	d := fakedaemon.New()
	stored, err := d.AddBuilt(ref, img.daemonSteps(), img.env, o.daemon())
	if err != nil {
		t.Fatal(err)
	}
	return &fakeImages{Images: FromClient(d), daemon: d, img: stored, ref: ref, id: stored.ID}
}

// rawFake serves an export as it is, with the given raw inspect response.
func rawFake(ref, id string, inspect, export []byte) *fakeImages {
	d := fakedaemon.New()
	stored := d.AddImage(fakedaemon.Image{ID: id, Tags: []string{ref}, Raw: inspect, Export: export})
	return &fakeImages{Images: FromClient(d), daemon: d, img: stored, ref: ref, id: id}
}
