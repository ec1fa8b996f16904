package leak

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// imageLayout is what the export's manifests say about the scanned image:
// where its config is and which entries are its layers, base first.
type imageLayout struct {
	config string
	layers []string
}

// imageConfig is the part of an image config the scanner maps layers with.
type imageConfig struct {
	History []struct {
		CreatedBy  string `json:"created_by"`
		Comment    string `json:"comment"`
		EmptyLayer bool   `json:"empty_layer"`
	} `json:"history"`
}

// platform is the image's platform as inspect reports it, used to pick a
// manifest out of a multi-platform index.
type platform struct {
	OS, Architecture, Variant string
}

// layout finds the scanned image in the export: manifest.json (the
// docker-archive layout, also written by Docker 25+) first, else the OCI
// index.json.
func (x *exportReader) layout(imageID string, plat platform) (imageLayout, error) {
	if data, ok := x.meta["manifest.json"]; ok {
		return x.dockerArchiveLayout(data, imageID)
	}
	if data, ok := x.meta["index.json"]; ok {
		return x.ociLayout(data, imageID, plat)
	}
	return imageLayout{}, fmt.Errorf("the export has neither manifest.json nor index.json")
}

func (x *exportReader) dockerArchiveLayout(data []byte, imageID string) (imageLayout, error) {
	var entries []struct {
		Config string
		Layers []string
	}
	if err := json.Unmarshal(data, &entries); err != nil {
		return imageLayout{}, fmt.Errorf("manifest.json: %w", err)
	}
	if len(entries) == 0 {
		return imageLayout{}, fmt.Errorf("manifest.json lists no image")
	}
	chosen := entries[0]
	if len(entries) > 1 {
		hex := digestHex(imageID)
		for _, e := range entries {
			if hex != "" && strings.Contains(e.Config, hex) {
				chosen = e
			}
		}
	}
	l := imageLayout{config: x.resolve(chosen.Config)}
	for _, p := range chosen.Layers {
		l.layers = append(l.layers, x.resolve(p))
	}
	return l, nil
}

type ociDescriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Platform  *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
		Variant      string `json:"variant"`
	} `json:"platform"`
	Annotations map[string]string `json:"annotations"`
}

type ociIndexOrManifest struct {
	MediaType string          `json:"mediaType"`
	Manifests []ociDescriptor `json:"manifests"`
	Config    *ociDescriptor  `json:"config"`
	Layers    []ociDescriptor `json:"layers"`
}

// ociLayout walks index.json and nested indexes to the image manifest that
// is the inspected image: the one whose digest or config digest is the
// image ID, or failing that the one for the image's platform.
func (x *exportReader) ociLayout(data []byte, imageID string, plat platform) (imageLayout, error) {
	type candidate struct {
		desc     ociDescriptor
		parentID string // digest of the index that listed it
	}
	var manifests []candidate
	var walk func(data []byte, name string, depth int) error
	walk = func(data []byte, name string, depth int) error {
		if depth > 8 {
			return fmt.Errorf("%s: indexes nested too deeply", name)
		}
		var idx ociIndexOrManifest
		if err := json.Unmarshal(data, &idx); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for _, d := range idx.Manifests {
			if strings.Contains(d.MediaType, "index") || strings.Contains(d.MediaType, "manifest.list") {
				child, ok := x.meta[blobPath(d.Digest)]
				if !ok {
					continue // an index whose content the export left out
				}
				if err := walk(child, d.Digest, depth+1); err != nil {
					return err
				}
				continue
			}
			manifests = append(manifests, candidate{desc: d, parentID: name})
		}
		return nil
	}
	if err := walk(data, "index.json", 0); err != nil {
		return imageLayout{}, err
	}
	var fallback []imageLayout
	for _, c := range manifests {
		raw, ok := x.meta[blobPath(c.desc.Digest)]
		if !ok {
			continue
		}
		var m ociIndexOrManifest
		if err := json.Unmarshal(raw, &m); err != nil || m.Config == nil {
			continue
		}
		l := imageLayout{config: blobPath(m.Config.Digest)}
		for _, d := range m.Layers {
			l.layers = append(l.layers, blobPath(d.Digest))
		}
		if c.desc.Digest == imageID || m.Config.Digest == imageID || c.parentID == imageID {
			if c.parentID != imageID || matchesPlatform(c.desc, plat) {
				return l, nil
			}
		}
		if c.desc.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
			continue
		}
		if matchesPlatform(c.desc, plat) {
			fallback = append([]imageLayout{l}, fallback...)
		} else {
			fallback = append(fallback, l)
		}
	}
	if len(fallback) == 0 {
		return imageLayout{}, fmt.Errorf("index.json leads to no image manifest present in the export")
	}
	return fallback[0], nil
}

func matchesPlatform(d ociDescriptor, p platform) bool {
	if d.Platform == nil {
		return false
	}
	return d.Platform.OS == p.OS && d.Platform.Architecture == p.Architecture &&
		(p.Variant == "" || d.Platform.Variant == p.Variant)
}

// blobPath is where the OCI layout stores the blob of a digest.
func blobPath(digest string) string {
	alg, hex, ok := strings.Cut(digest, ":")
	if !ok {
		return ""
	}
	return path.Join("blobs", alg, hex)
}

func digestHex(d string) string {
	_, hex, _ := strings.Cut(d, ":")
	return hex
}

// layerHistory maps each layer index to the history entry that made it:
// the k-th entry without empty_layer made layer k. It returns nil when
// the counts disagree, rather than guess.
func layerHistory(cfg imageConfig, layers int) []int {
	var out []int
	for i, h := range cfg.History {
		if !h.EmptyLayer {
			out = append(out, i)
		}
	}
	if len(out) != layers {
		return nil
	}
	return out
}
