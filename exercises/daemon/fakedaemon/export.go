package fakedaemon

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/moby/moby/api/types/image"
)

// File is one entry of a layer.
type File struct {
	Name     string
	Body     []byte
	Typeflag byte // 0 means a regular file
	Link     string
}

// Step is one history entry; a step with files (or Layer set) makes a
// layer.
type Step struct {
	CreatedBy string
	Layer     bool
	Files     []File
}

// Layout is the format of an export.
type Layout int

const (
	// DockerArchive is the layout of `docker save` on Docker's own image
	// store: a folder per layer, manifest.json.
	DockerArchive Layout = iota
	// OCILayout is the layout of the containerd image store: blobs by
	// digest, index.json.
	OCILayout
)

// ExportOptions shape an export.
type ExportOptions struct {
	Layout      Layout
	Compression string // "", "gzip" or "zstd"
	// Shuffle, when set, mixes the order of the archive's entries, which
	// an export does not fix.
	Shuffle *rand.Rand
	// LinkLayers adds a second docker-archive folder whose layer.tar is a
	// symlink to the first layer, as Docker writes for layers shared
	// between images.
	LinkLayers bool
	// ExtraBlobs are added to the export as they are (e.g. another
	// platform's layer).
	ExtraBlobs map[string][]byte
}

// Layers counts the steps that make a layer.
func Layers(steps []Step) int {
	n := 0
	for _, s := range steps {
		if s.Layer || len(s.Files) > 0 {
			n++
		}
	}
	return n
}

// Tar writes files as a layer's tar.
func Tar(files []File) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.Name, Mode: 0o644, Size: int64(len(f.Body)), Typeflag: f.Typeflag, Linkname: f.Link}
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
			return nil, err
		}
		if h.Size > 0 {
			if _, err := tw.Write(f.Body); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Compress compresses data as a layer blob: how is "", "gzip" or "zstd".
func Compress(data []byte, how string) ([]byte, error) {
	var buf bytes.Buffer
	switch how {
	case "":
		return data, nil
	case "gzip":
		zw := gzip.NewWriter(&buf)
		zw.Write(data)
		if err := zw.Close(); err != nil {
			return nil, err
		}
	case "zstd":
		zw, err := zstd.NewWriter(&buf)
		if err != nil {
			return nil, err
		}
		zw.Write(data)
		if err := zw.Close(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown compression %q", how)
	}
	return buf.Bytes(), nil
}

// Digest is the sha256 digest of b, as image IDs and blobs are named.
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// BlobPath is where an OCI layout keeps the blob of a digest.
func BlobPath(digest string) string {
	return "blobs/sha256/" + digest[len("sha256:"):]
}

type archiveEntry struct {
	name string
	body []byte
	link string // a symlink when set
}

// Export writes what `docker save` hands out for an image built by steps
// with the environment env. It returns the export and the image ID (the
// config's digest).
func Export(steps []Step, env []string, o ExportOptions) ([]byte, string, error) {
	type hist struct {
		CreatedBy  string `json:"created_by"`
		EmptyLayer bool   `json:"empty_layer,omitempty"`
	}
	var history []hist
	var layers [][]byte
	var diffIDs []string
	for _, s := range steps {
		makesLayer := s.Layer || len(s.Files) > 0
		history = append(history, hist{CreatedBy: s.CreatedBy, EmptyLayer: !makesLayer})
		if makesLayer {
			raw, err := Tar(s.Files)
			if err != nil {
				return nil, "", err
			}
			diffIDs = append(diffIDs, Digest(raw))
			blob, err := Compress(raw, o.Compression)
			if err != nil {
				return nil, "", err
			}
			layers = append(layers, blob)
		}
	}
	config, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"config":       map[string]any{"Env": env, "Cmd": []string{"sh"}},
		"history":      history,
		"rootfs":       map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	if err != nil {
		return nil, "", err
	}
	imageID := Digest(config)
	var entries []archiveEntry
	switch o.Layout {
	case DockerArchive:
		configName := imageID[len("sha256:"):] + ".json"
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
		if o.LinkLayers && len(layers) > 0 {
			dir := fmt.Sprintf("%064x", 999)
			entries = append(entries, archiveEntry{name: dir + "/layer.tar", link: "../" + paths[0]})
			paths[0] = dir + "/layer.tar"
		}
		manifest, _ := json.Marshal([]map[string]any{{"Config": configName, "RepoTags": []string{"test:latest"}, "Layers": paths}})
		entries = append(entries, archiveEntry{name: "manifest.json", body: manifest},
			archiveEntry{name: "repositories", body: []byte(`{"test":{"latest":"x"}}`)})
	case OCILayout:
		mediaType := "application/vnd.oci.image.layer.v1.tar"
		if o.Compression != "" {
			mediaType += "+" + o.Compression
		}
		var layerDescs []map[string]any
		for _, l := range layers {
			d := Digest(l)
			entries = append(entries, archiveEntry{name: BlobPath(d), body: l})
			layerDescs = append(layerDescs, map[string]any{"mediaType": mediaType, "digest": d, "size": len(l)})
		}
		entries = append(entries, archiveEntry{name: BlobPath(imageID), body: config})
		manifest, _ := json.Marshal(map[string]any{
			"schemaVersion": 2,
			"mediaType":     "application/vnd.oci.image.manifest.v1+json",
			"config":        map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": imageID, "size": len(config)},
			"layers":        layerDescs,
		})
		md := Digest(manifest)
		entries = append(entries, archiveEntry{name: BlobPath(md), body: manifest})
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
	for name, body := range o.ExtraBlobs {
		entries = append(entries, archiveEntry{name: name, body: body})
	}
	if o.Shuffle != nil {
		o.Shuffle.Shuffle(len(entries), func(i, j int) { entries[i], entries[j] = entries[j], entries[i] })
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg}
		if e.link != "" {
			h = &tar.Header{Name: e.name, Typeflag: tar.TypeSymlink, Linkname: e.link}
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, "", err
		}
		if e.link == "" {
			if _, err := tw.Write(e.body); err != nil {
				return nil, "", err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), imageID, nil
}

// AddBuilt stores the image that steps build, tagged ref, with its history
// and export, and an inspect response shaped like the classic builder's on
// Docker 20.10 (ContainerConfig holds the last step).
func (d *Daemon) AddBuilt(ref string, steps []Step, env []string, o ExportOptions) (*Image, error) {
	export, id, err := Export(steps, env, o)
	if err != nil {
		return nil, err
	}
	last := ""
	if len(steps) > 0 {
		last = steps[len(steps)-1].CreatedBy
	}
	raw, err := json.Marshal(map[string]any{
		"Id":              id,
		"RepoTags":        []string{ref},
		"Os":              "linux",
		"Architecture":    "amd64",
		"ContainerConfig": map[string]any{"Cmd": []string{"/bin/sh", "-c", last}},
		"Config":          map[string]any{"Env": env, "Cmd": []string{"sh"}},
	})
	if err != nil {
		return nil, err
	}
	var hist []image.HistoryResponseItem
	for i := len(steps) - 1; i >= 0; i-- {
		hist = append(hist, image.HistoryResponseItem{CreatedBy: steps[i].CreatedBy})
	}
	return d.AddImage(Image{ID: id, Tags: []string{ref}, Env: env, History: hist, Raw: raw, Export: export}), nil
}
