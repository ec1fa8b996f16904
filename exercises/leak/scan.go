// Package leak finds a known secret (the learner's canary, exact bytes)
// anywhere in a Docker image and says where, with evidence a learner can
// act on. It searches the raw `docker image inspect` JSON, every history
// entry, and every layer's file names and contents from `docker save`,
// including files a later layer deleted, for the secret as it is and
// base64- or hex-encoded. The export is streamed: never written to disk,
// never a whole layer in memory.
//
// It is the engine behind the course's build-secret checks and the
// `dockertutor scan IMAGE` command. Excerpts never show the secret itself.
package leak

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon"
)

// Images is what the scanner needs of a Docker daemon. FromClient adapts a
// moby client; tests use an in-memory fake.
type Images interface {
	// InspectRaw returns the daemon's raw `docker image inspect` JSON:
	// the typed response lacks fields older engines still send, such as
	// ContainerConfig.
	InspectRaw(ctx context.Context, ref string) ([]byte, error)
	// History returns `docker history`, newest entry first.
	History(ctx context.Context, ref string) ([]image.HistoryResponseItem, error)
	// Export streams `docker save` of the image.
	Export(ctx context.Context, ref string) (io.ReadCloser, error)
}

// FromClient makes Images of a Docker API client.
func FromClient(api daemon.Images) Images { return dockerImages{api} }

type dockerImages struct{ api daemon.Images }

func (d dockerImages) InspectRaw(ctx context.Context, ref string) ([]byte, error) {
	var raw bytes.Buffer
	if _, err := d.api.ImageInspect(ctx, ref, client.ImageInspectWithRawResponse(&raw)); err != nil {
		return nil, err
	}
	return raw.Bytes(), nil
}

func (d dockerImages) History(ctx context.Context, ref string) ([]image.HistoryResponseItem, error) {
	res, err := d.api.ImageHistory(ctx, ref)
	if err != nil {
		return nil, err
	}
	return res.Items, nil
}

func (d dockerImages) Export(ctx context.Context, ref string) (io.ReadCloser, error) {
	return d.api.ImageSave(ctx, []string{ref})
}

// Options tune a scan. The zero value is the default.
type Options struct {
	// MaxFindings caps the findings listed (default 200); the rest are
	// counted in Report.Omitted.
	MaxFindings int
	// SkipLayers leaves out the export (layers and their files): a quick
	// check of inspect and history only. The report then says so in
	// Problems.
	SkipLayers bool
}

// ErrNotFound is wrapped by Scan's error when the image does not exist.
var ErrNotFound = errors.New("image not found")

// Scan searches the image ref for secret. It returns an error when the
// image cannot be read at all (missing image, daemon gone, secret too
// short); trouble with single parts is listed in Report.Problems.
func Scan(ctx context.Context, imgs Images, ref string, secret []byte, opts Options) (*Report, error) {
	return scan(ctx, imgs, ref, secret, opts, defaultLimits)
}

func scan(ctx context.Context, imgs Images, ref string, secret []byte, opts Options, lim limits) (*Report, error) {
	m, err := newMatcher(secret)
	if err != nil {
		return nil, err
	}
	if opts.MaxFindings <= 0 {
		opts.MaxFindings = 200
	}
	raw, err := imgs.InspectRaw(ctx, ref)
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("%w: %s: %v", ErrNotFound, ref, err)
		}
		return nil, fmt.Errorf("inspect %s: %w", ref, err)
	}
	var head struct {
		ID           string `json:"Id"`
		Os           string
		Architecture string
		Variant      string
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("inspect %s: unreadable response: %w", ref, err)
	}
	if head.ID == "" {
		return nil, fmt.Errorf("inspect %s: response has no image ID", ref)
	}
	r := &Report{Image: ref, ImageID: head.ID, Encodings: m.encodings()}
	// Every later call names the ID, so a tag moved by a rebuild during
	// the scan cannot mix two images into one report.
	hist, err := imgs.History(ctx, head.ID)
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", ref, err)
	}
	var found []Finding
	found = append(found, historyFindings(m, hist)...)
	inspectHits, err := inspectFindings(m, raw)
	if err != nil {
		r.Problems = append(r.Problems, fmt.Sprintf("inspect JSON: %v", err))
	}
	found = append(found, inspectHits...)

	if opts.SkipLayers {
		r.Problems = append(r.Problems, "layers were not searched")
	} else {
		layerHits, layers, repeated, err := exportFindings(ctx, imgs, m, head.ID, platform{head.Os, head.Architecture, head.Variant}, found, lim, r)
		if err != nil {
			return nil, err
		}
		found = append(found, layerHits...)
		r.Layers, r.RepeatedInMetadata = layers, repeated
	}
	if len(found) > opts.MaxFindings {
		r.Omitted += len(found) - opts.MaxFindings
		found = found[:opts.MaxFindings]
	}
	r.Findings = found
	return r, nil
}

func isNotFound(err error) bool { return cerrdefs.IsNotFound(err) }

// historyFindings searches created_by and comment of every entry. The API
// lists the newest entry first; indexes count from the oldest.
func historyFindings(m *matcher, items []image.HistoryResponseItem) []Finding {
	var out []Finding
	for i := len(items) - 1; i >= 0; i-- {
		entry := HistoryEntry{Index: len(items) - 1 - i, Row: i + 1, CreatedBy: m.redact([]byte(items[i].CreatedBy))}
		for _, part := range []struct {
			text      string
			inComment bool
		}{{items[i].CreatedBy, false}, {items[i].Comment, true}} {
			t := m.scanBytes([]byte(part.text))
			for _, enc := range t.order {
				e := entry
				e.InComment = part.inComment
				out = append(out, Finding{Source: SourceHistory, Encoding: enc, Count: t.count[enc], Excerpt: t.excerpt[enc], History: &e})
			}
		}
	}
	return out
}

// inspectFindings searches every string, number and key of the raw inspect
// JSON, naming the field by its path.
func inspectFindings(m *matcher, raw []byte) ([]Finding, error) {
	var out []Finding
	err := walkJSON(raw, func(v jsonValue) {
		if len(v.value) < m.minSpan {
			return
		}
		t := m.scanBytes([]byte(v.value))
		for _, enc := range t.order {
			field := m.redact([]byte(v.path))
			if v.isKey {
				field += " (the key)"
			}
			out = append(out, Finding{Source: SourceInspect, Encoding: enc, Count: t.count[enc], Excerpt: t.excerpt[enc], Field: field})
		}
	})
	if err != nil {
		// The walk stopped part-way: search the raw bytes so nothing is
		// missed, at the cost of a field path.
		t := m.scanBytes(raw)
		for _, enc := range t.order {
			out = append(out, Finding{Source: SourceInspect, Encoding: enc, Count: t.count[enc], Excerpt: t.excerpt[enc], Field: "(raw JSON)"})
		}
	}
	return out, err
}

// exportFindings streams the image export and turns what the reader
// found into findings, mapped to layers and history once manifests and
// config are known.
func exportFindings(ctx context.Context, imgs Images, m *matcher, imageID string, plat platform, earlier []Finding, lim limits, r *Report) ([]Finding, int, int, error) {
	body, err := imgs.Export(ctx, imageID)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("export %s: %w", imageID, err)
	}
	defer body.Close()
	x := newExportReader(m, lim)
	defer x.close()
	if err := x.read(ctx, body); err != nil {
		return nil, 0, 0, err
	}
	r.Problems = append(r.Problems, x.problems...)
	if x.omitted > 0 {
		r.Omitted += x.omitted
	}
	found, layers, repeated := x.findings(imageID, plat, earlier, r)
	return found, layers, repeated, nil
}

// findings assembles layer and export-file findings after the stream.
// It returns the findings, the image's layer count and how many
// occurrences in export metadata repeat earlier findings; what cannot be
// mapped goes to r.Problems.
func (x *exportReader) findings(imageID string, plat platform, earlier []Finding, r *Report) ([]Finding, int, int) {
	var out []Finding
	used := map[string]bool{}
	var layers []*blob
	var history []int
	var cfg imageConfig
	l, err := x.layout(imageID, plat)
	if err != nil {
		r.Problems = append(r.Problems, fmt.Sprintf("could not map the export to layers: %v", err))
	} else {
		used[l.config] = true
		if data, ok := x.meta[l.config]; !ok {
			r.Problems = append(r.Problems, fmt.Sprintf("image config %s is missing from the export", l.config))
		} else if err := json.Unmarshal(data, &cfg); err != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("image config %s: %v", l.config, err))
		}
		for i, p := range l.layers {
			b := x.blobs[p]
			if b == nil || b.kind != kindLayer {
				r.Problems = append(r.Problems, fmt.Sprintf("layer %d (%s) is missing from the export", i, p))
				b = nil
			}
			layers = append(layers, b)
			used[p] = true
		}
		history = layerHistory(cfg, len(layers))
	}
	for i, b := range layers {
		if b == nil {
			continue
		}
		for _, h := range b.hits {
			state, by := x.fate(layers, i, h.path, h.isDir)
			lf := LayerFile{Index: i, Path: x.m.redact([]byte(h.path)), InName: h.inName, State: state, By: by}
			var he *HistoryEntry
			if history != nil {
				hi := history[i]
				he = &HistoryEntry{Index: hi, Row: len(cfg.History) - hi, CreatedBy: x.m.redact([]byte(cfg.History[hi].CreatedBy))}
			}
			out = append(out, tallyFindings(h.t, Finding{Source: SourceLayer, Layer: &lf, History: he, File: b.path})...)
		}
	}
	// Layers in the export that are not this image's (another platform,
	// a shared blob): still part of what `docker save` hands out.
	for _, name := range x.sortedBlobNames() {
		b := x.blobs[name]
		if used[name] || b.kind != kindLayer {
			continue
		}
		for _, h := range b.hits {
			lf := LayerFile{Index: -1, Path: x.m.redact([]byte(h.path)), InName: h.inName}
			out = append(out, tallyFindings(h.t, Finding{Source: SourceLayer, Layer: &lf, File: name})...)
		}
	}
	// The export's other files derive from the image config that inspect
	// and history show; list them only when they add an encoding.
	shown := map[Encoding]bool{}
	for _, f := range earlier {
		shown[f.Encoding] = true
	}
	repeated := 0
	keep := func(f Finding) {
		if shown[f.Encoding] {
			repeated += f.Count
			return
		}
		out = append(out, f)
	}
	metaNames := make([]string, 0, len(x.meta))
	for n := range x.meta {
		metaNames = append(metaNames, n)
	}
	sort.Strings(metaNames)
	for _, name := range metaNames {
		for _, f := range metaFindings(x.m, name, x.meta[name]) {
			keep(f)
		}
	}
	for _, name := range x.sortedBlobNames() {
		b := x.blobs[name]
		if b.raw == nil {
			continue
		}
		for _, f := range tallyFindings(*b.raw, Finding{Source: SourceExport, File: name}) {
			keep(f)
		}
	}
	return out, len(layers), repeated
}

// metaFindings searches one small export file, by JSON path when it is JSON.
func metaFindings(m *matcher, name string, data []byte) []Finding {
	var out []Finding
	err := walkJSON(data, func(v jsonValue) {
		t := m.scanBytes([]byte(v.value))
		field := m.redact([]byte(v.path))
		if v.isKey {
			field += " (the key)"
		}
		out = append(out, tallyFindings(t, Finding{Source: SourceExport, File: name, Field: field})...)
	})
	if err != nil {
		out = tallyFindings(m.scanBytes(data), Finding{Source: SourceExport, File: name})
	}
	return out
}

// tallyFindings makes one finding per encoding of a tally, on the model of
// base.
func tallyFindings(t tally, base Finding) []Finding {
	var out []Finding
	for _, enc := range t.order {
		f := base
		f.Encoding, f.Count, f.Excerpt = enc, t.count[enc], t.excerpt[enc]
		out = append(out, f)
	}
	return out
}
