package leak

import (
	"fmt"
	"strings"
)

// Report is what a scan found. It is plain data and serialises to JSON.
type Report struct {
	// Image is the reference that was asked for; ImageID what it named
	// when the scan began (every part of the scan reads that ID).
	Image   string `json:"image"`
	ImageID string `json:"image_id"`
	// Encodings lists the forms of the secret that were searched for.
	Encodings []Encoding `json:"encodings"`
	// Layers is how many layers the image has (0 when the export could
	// not be mapped).
	Layers int `json:"layers"`
	// Findings in the order a learner should read them: history, inspect,
	// layers, then the export's other files.
	Findings []Finding `json:"findings"`
	// Omitted counts findings left out once MaxFindings was reached.
	Omitted int `json:"omitted,omitempty"`
	// RepeatedInMetadata counts occurrences in the export's own JSON
	// files (image config, manifests) that repeat what inspect or history
	// already show. They are not listed again.
	RepeatedInMetadata int `json:"repeated_in_metadata,omitempty"`
	// Problems lists what could not be read. A report with problems is no
	// proof that the secret is absent.
	Problems []string `json:"problems,omitempty"`
}

// Found reports whether the secret turned up anywhere.
func (r *Report) Found() bool {
	return len(r.Findings) > 0 || r.Omitted > 0 || r.RepeatedInMetadata > 0
}

// Complete reports whether every part of the image could be searched.
func (r *Report) Complete() bool { return len(r.Problems) == 0 }

// Places says in how many places the secret is: "in 3 place(s)".
func (r *Report) Places() string {
	return fmt.Sprintf("in %d place(s)", len(r.Findings)+r.Omitted)
}

// Searched says where a scan that found nothing looked.
func (r *Report) Searched() string {
	return fmt.Sprintf("not in its config, its history (%d layers), nor in any layer's files", r.Layers)
}

// Incomplete says that a scan which could not read every part proves
// nothing, and why; "" for a complete scan.
func (r *Report) Incomplete() string {
	if r.Complete() {
		return ""
	}
	return fmt.Sprintf("parts of %s could not be searched, so the scan proves nothing: %s", r.Image, strings.Join(r.Problems, "; "))
}

// Source names the kind of place a finding is in.
type Source string

const (
	// SourceHistory is an entry of `docker history`.
	SourceHistory Source = "history"
	// SourceInspect is a field of the raw `docker image inspect` JSON.
	SourceInspect Source = "inspect"
	// SourceLayer is a file (its name or its contents) in a layer.
	SourceLayer Source = "layer"
	// SourceExport is another file of the `docker save` archive, such as
	// the image config or a manifest.
	SourceExport Source = "export"
)

// FileState says whether a layer's file is still visible in the image.
type FileState string

const (
	// Visible: the file is part of the image's filesystem.
	Visible FileState = "visible"
	// Deleted: a later layer deletes it (a whiteout), but the layer that
	// wrote it still carries it.
	Deleted FileState = "deleted"
	// Replaced: a later layer writes the same path; the old contents are
	// still in the earlier layer.
	Replaced FileState = "replaced"
)

// Finding is one place holding the secret in one encoding.
type Finding struct {
	Source   Source   `json:"source"`
	Encoding Encoding `json:"encoding"`
	// Count is how many times the secret occurs in this place in this
	// encoding.
	Count int `json:"count"`
	// Excerpt shows the first occurrence with some context, the secret
	// itself cut to its first characters.
	Excerpt string `json:"excerpt"`

	// Field is the JSON path of an inspect field (Config.Env[0]) or of a
	// value inside an export file (history[3].created_by).
	Field string `json:"field,omitempty"`
	// History is the history entry (SourceHistory) or the entry that
	// created the layer (SourceLayer).
	History *HistoryEntry `json:"history,omitempty"`
	// Layer describes the layer and file (SourceLayer).
	Layer *LayerFile `json:"layer,omitempty"`
	// File is the path inside the export archive (SourceExport), or the
	// layer's blob for SourceLayer.
	File string `json:"file,omitempty"`
}

// HistoryEntry identifies an image history entry. Index counts from the
// oldest entry (the first instruction of the base image) at 0, the order of
// the image config and of the layers; `docker history` lists the newest
// first, so the entry is on row Row of its output.
type HistoryEntry struct {
	Index int `json:"index"`
	Row   int `json:"row"`
	// CreatedBy is the instruction, with the secret redacted.
	CreatedBy string `json:"created_by"`
	// InComment is set when the secret is in the entry's comment rather
	// than its created_by.
	InComment bool `json:"in_comment,omitempty"`
}

// LayerFile locates a finding inside a layer.
type LayerFile struct {
	// Index counts layers from the base at 0; -1 when the blob is in the
	// export but not one of this image's layers.
	Index int `json:"index"`
	// Path is the file's path in the image's filesystem, relative to its
	// root; a secret in the path itself is redacted.
	Path string `json:"path"`
	// InName is set when the secret is in the file's name (or link
	// target) rather than its contents.
	InName bool      `json:"in_name,omitempty"`
	State  FileState `json:"state,omitempty"`
	// By is the later layer that deleted or replaced the file.
	By int `json:"by,omitempty"`
}

// Place names where a finding is, the way a learner finds it again: the
// command that shows it and the row, field or file.
func (f Finding) Place() string {
	switch {
	case f.Source == SourceHistory && f.History != nil:
		return fmt.Sprintf("docker history --no-trunc, row %d", f.History.Row)
	case f.Source == SourceLayer && f.Layer != nil && f.Layer.Index < 0:
		return fmt.Sprintf("docker save, %s (not a layer of this image), %s", f.File, f.Layer.Path)
	case f.Source == SourceLayer && f.Layer != nil:
		s := fmt.Sprintf("layer %d, %s", f.Layer.Index, f.Layer.Path)
		switch f.Layer.State {
		case Deleted:
			s += fmt.Sprintf(" (deleted by layer %d, still in this one)", f.Layer.By)
		case Replaced:
			s += fmt.Sprintf(" (replaced by layer %d, still in this one)", f.Layer.By)
		}
		return s
	case f.Source == SourceInspect:
		return "docker image inspect, " + f.Field
	case f.Field != "":
		return "docker save, " + f.File + " " + f.Field
	case f.File != "":
		return "docker save, " + f.File
	}
	return string(f.Source)
}

// Detail shows what is there: the redacted excerpt, whether it is in a
// file's name, its encoding and how often it occurs.
func (f Finding) Detail() string {
	d := f.Excerpt
	if f.Layer != nil && f.Layer.InName {
		d = "in the file name: " + d
	}
	if f.History != nil && f.History.InComment && f.Source == SourceHistory {
		d = "in the comment: " + d
	}
	if f.Encoding != Plain {
		d += " (" + string(f.Encoding) + "-encoded)"
	}
	if f.Count > 1 {
		d += fmt.Sprintf(" ×%d", f.Count)
	}
	return d
}

// String describes the finding in one line: its place, the instruction
// that made a layer, and the detail.
func (f Finding) String() string {
	madeBy := ""
	if f.Source == SourceLayer && f.History != nil {
		madeBy = fmt.Sprintf(" (made by %s)", quote(shorten(f.History.CreatedBy, 80)))
	}
	return f.Place() + madeBy + ": " + f.Detail()
}

// Redact cuts a known secret out of text shown outside a scan (a
// container's output, a log line), showing only its first characters.
func Redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, secret[:min(2, len(secret))]+"…")
}

func quote(s string) string { return "`" + strings.ReplaceAll(s, "`", "'") + "`" }

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
