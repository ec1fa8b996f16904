package leak

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/moby/moby/api/types/image"
)

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

// layers counts the steps that make a layer.
func (img testImage) layers() int {
	n := 0
	for _, s := range img.steps {
		if s.layer || len(s.files) > 0 {
			n++
		}
	}
	return n
}

type exportLayout int

const (
	dockerArchive exportLayout = iota
	ociLayout
)

type exportOptions struct {
	layout      exportLayout
	compression string // "", "gzip", "zstd"
	shuffle     *rand.Rand
	// shareFirstLayer adds a second docker-archive directory whose
	// layer.tar is a symlink to the first layer, as Docker writes for
	// layers shared between images.
	linkLayers bool
	// extraBlobs are added to the export as they are (e.g. another
	// platform's layer).
	extraBlobs map[string][]byte
}

func tarOf(t testing.TB, files []testFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: f.typeflag, Linkname: f.link}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if h.Typeflag == tar.TypeDir {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write(f.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func compress(t testing.TB, data []byte, how string) []byte {
	t.Helper()
	var buf bytes.Buffer
	switch how {
	case "":
		return data
	case "gzip":
		zw := gzip.NewWriter(&buf)
		zw.Write(data)
		zw.Close()
	case "zstd":
		zw, err := zstd.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		zw.Write(data)
		zw.Close()
	default:
		t.Fatalf("unknown compression %q", how)
	}
	return buf.Bytes()
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

type archiveEntry struct {
	name string
	body []byte
	link string // a symlink when set
}

// buildExport writes what `docker save` would hand out for img. It
// returns the export and the image ID (the config digest).
func buildExport(t testing.TB, img testImage, o exportOptions) ([]byte, string) {
	t.Helper()
	type hist struct {
		CreatedBy  string `json:"created_by"`
		EmptyLayer bool   `json:"empty_layer,omitempty"`
	}
	var history []hist
	var layers [][]byte
	var diffIDs []string
	for _, s := range img.steps {
		makesLayer := s.layer || len(s.files) > 0
		history = append(history, hist{CreatedBy: s.createdBy, EmptyLayer: !makesLayer})
		if makesLayer {
			raw := tarOf(t, s.files)
			diffIDs = append(diffIDs, digestOf(raw))
			layers = append(layers, compress(t, raw, o.compression))
		}
	}
	config, _ := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"config":       map[string]any{"Env": img.env, "Cmd": []string{"sh"}},
		"history":      history,
		"rootfs":       map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	imageID := digestOf(config)
	var entries []archiveEntry
	switch o.layout {
	case dockerArchive:
		configName := digestOf(config)[len("sha256:"):] + ".json"
		entries = append(entries, archiveEntry{name: configName, body: config})
		var paths []string
		for i, l := range layers {
			dir := fmt.Sprintf("%064x", i+1)
			entries = append(entries,
				archiveEntry{name: dir + "/VERSION", body: []byte("1.0")},
				archiveEntry{name: dir + "/json", body: []byte(`{"id":"` + dir + `"}`)},
				archiveEntry{name: dir + "/layer.tar", body: l})
			paths = append(paths, dir+"/layer.tar")
		}
		if o.linkLayers && len(layers) > 0 {
			dir := fmt.Sprintf("%064x", 999)
			entries = append(entries, archiveEntry{name: dir + "/layer.tar", link: "../" + paths[0]})
			paths[0] = dir + "/layer.tar"
		}
		manifest, _ := json.Marshal([]map[string]any{{"Config": configName, "RepoTags": []string{"test:latest"}, "Layers": paths}})
		entries = append(entries, archiveEntry{name: "manifest.json", body: manifest},
			archiveEntry{name: "repositories", body: []byte(`{"test":{"latest":"x"}}`)})
	case ociLayout:
		mediaType := "application/vnd.oci.image.layer.v1.tar"
		if o.compression != "" {
			mediaType += "+" + o.compression
		}
		var layerDescs []map[string]any
		for _, l := range layers {
			d := digestOf(l)
			entries = append(entries, archiveEntry{name: blobPath(d), body: l})
			layerDescs = append(layerDescs, map[string]any{"mediaType": mediaType, "digest": d, "size": len(l)})
		}
		entries = append(entries, archiveEntry{name: blobPath(imageID), body: config})
		manifest, _ := json.Marshal(map[string]any{
			"schemaVersion": 2,
			"mediaType":     "application/vnd.oci.image.manifest.v1+json",
			"config":        map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": imageID, "size": len(config)},
			"layers":        layerDescs,
		})
		md := digestOf(manifest)
		entries = append(entries, archiveEntry{name: blobPath(md), body: manifest})
		index, _ := json.Marshal(map[string]any{
			"schemaVersion": 2,
			"manifests": []map[string]any{{
				"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": len(manifest),
				"platform": map[string]any{"os": "linux", "architecture": "amd64"},
			}},
		})
		entries = append(entries,
			archiveEntry{name: "oci-layout", body: []byte(`{"imageLayoutVersion":"1.0.0"}`)},
			archiveEntry{name: "index.json", body: index})
	}
	for name, body := range o.extraBlobs {
		entries = append(entries, archiveEntry{name: name, body: body})
	}
	if o.shuffle != nil {
		o.shuffle.Shuffle(len(entries), func(i, j int) { entries[i], entries[j] = entries[j], entries[i] })
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg}
		if e.link != "" {
			h = &tar.Header{Name: e.name, Typeflag: tar.TypeSymlink, Linkname: e.link}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.link == "" {
			tw.Write(e.body)
		}
	}
	tw.Close()
	return buf.Bytes(), imageID
}

// fakeImages serves one image from memory, as the daemon would.
type fakeImages struct {
	ref       string
	id        string
	inspect   []byte
	history   []image.HistoryResponseItem // newest first, as the API
	export    []byte
	exportErr error
	// exportRefs records what Export was asked for.
	exportRefs []string
}

func notFoundErr(ref string) error {
	return fmt.Errorf("No such image: %s: %w", ref, cerrdefs.ErrNotFound)
}

func (f *fakeImages) known(ref string) bool { return ref == f.ref || ref == f.id }

func (f *fakeImages) InspectRaw(_ context.Context, ref string) ([]byte, error) {
	if !f.known(ref) {
		return nil, notFoundErr(ref)
	}
	return f.inspect, nil
}

func (f *fakeImages) History(_ context.Context, ref string) ([]image.HistoryResponseItem, error) {
	if !f.known(ref) {
		return nil, notFoundErr(ref)
	}
	return f.history, nil
}

func (f *fakeImages) Export(_ context.Context, ref string) (io.ReadCloser, error) {
	f.exportRefs = append(f.exportRefs, ref)
	if !f.known(ref) {
		return nil, notFoundErr(ref)
	}
	if f.exportErr != nil {
		return nil, f.exportErr
	}
	return io.NopCloser(bytes.NewReader(f.export)), nil
}

// newFake serves img under ref, with an inspect response shaped like the
// classic builder's on Docker 20.10 (ContainerConfig holds the last step).
func newFake(t testing.TB, ref string, img testImage, o exportOptions) *fakeImages {
	t.Helper()
	export, id := buildExport(t, img, o)
	last := ""
	if len(img.steps) > 0 {
		last = img.steps[len(img.steps)-1].createdBy
	}
	inspect, _ := json.Marshal(map[string]any{
		"Id":              id,
		"RepoTags":        []string{ref},
		"Os":              "linux",
		"Architecture":    "amd64",
		"ContainerConfig": map[string]any{"Cmd": []string{"/bin/sh", "-c", last}},
		"Config":          map[string]any{"Env": img.env, "Cmd": []string{"sh"}},
	})
	var hist []image.HistoryResponseItem
	for i := len(img.steps) - 1; i >= 0; i-- {
		hist = append(hist, image.HistoryResponseItem{CreatedBy: img.steps[i].createdBy})
	}
	return &fakeImages{ref: ref, id: id, inspect: inspect, history: hist, export: export}
}
