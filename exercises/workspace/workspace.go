// Package workspace owns the learner's step folders: laying out starter
// files on first visit, putting the reference solution or an attempt in
// place, and resetting a step. Nothing the learner wrote is ever lost: a
// file about to be replaced or removed is first copied to a backup folder.
package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/dockertutor/dockertutor/lessons"
)

// EnvVar names the environment variable that moves the workspace.
const EnvVar = "DOCKERTUTOR_WORKSPACE"

// backupDir is the folder, inside the workspace, that keeps replaced files.
const backupDir = ".backup"

// DefaultRoot is DOCKERTUTOR_WORKSPACE, or a visible "dockertutor" folder
// in the home directory: learners open it in their editor and terminal.
func DefaultRoot() (string, error) {
	if d := os.Getenv(EnvVar); d != "" {
		return filepath.Abs(d)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no home directory to put the workspace in (set %s): %w", EnvVar, err)
	}
	return filepath.Join(home, "dockertutor"), nil
}

// Workspace is the root of a learner's step folders for one course.
type Workspace struct {
	Root   string
	Course *lessons.Course
	// Now is the clock, replaceable in tests.
	Now func() time.Time
}

// New returns the workspace for a course under root.
func New(root string, c *lessons.Course) *Workspace {
	return &Workspace{Root: root, Course: c, Now: time.Now}
}

// StepDir is the step's folder: <root>/<course>/<lesson>/<step>.
func (w *Workspace) StepDir(s *lessons.Step) string {
	return w.Course.StepDir(w.Root, s)
}

// LayOut creates the step folder and writes the starter files that are not
// there yet. Existing files are never touched. It returns the files written.
func (w *Workspace) LayOut(s *lessons.Step, v lessons.Values) ([]string, error) {
	dir := w.StepDir(s)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the step folder: %w", err)
	}
	var written []string
	for _, name := range s.Starter.List {
		target, data, err := render(s.Starter, name, v)
		if err != nil {
			return written, err
		}
		dst := filepath.Join(dir, filepath.FromSlash(target))
		if _, err := os.Lstat(dst); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return written, err
		}
		if err := writeFile(dst, data); err != nil {
			return written, err
		}
		written = append(written, target)
	}
	return written, nil
}

// Change is one file an operation writes or removes.
type Change struct {
	Path   string `json:"path"`             // relative to the step folder
	Action string `json:"action"`           // "write", "replace" or "remove"
	Backup string `json:"backup,omitempty"` // where the old content was kept
}

// Apply puts a set of files (the reference solution, an attempt) over the
// step folder, after laying out the starter files. Files whose content
// differs are backed up first. With dryRun nothing is written.
func (w *Workspace) Apply(s *lessons.Step, files lessons.Files, v lessons.Values, dryRun bool) ([]Change, error) {
	if !dryRun {
		if _, err := w.LayOut(s, v); err != nil {
			return nil, err
		}
	}
	dir := w.StepDir(s)
	stamp := w.stamp()
	var changes []Change
	for _, name := range files.List {
		target, data, err := render(files, name, v)
		if err != nil {
			return changes, err
		}
		dst := filepath.Join(dir, filepath.FromSlash(target))
		old, err := os.ReadFile(dst)
		ch := Change{Path: target, Action: "write"}
		switch {
		case err == nil && string(old) == string(data):
			continue
		case err == nil:
			ch.Action = "replace"
			ch.Backup = w.backupPath(s, stamp, target)
		case !errors.Is(err, fs.ErrNotExist):
			return changes, err
		}
		changes = append(changes, ch)
		if dryRun {
			continue
		}
		if ch.Backup != "" {
			if err := writeFile(ch.Backup, old); err != nil {
				return changes, fmt.Errorf("cannot back up %s: %w", target, err)
			}
		}
		if err := writeFile(dst, data); err != nil {
			return changes, err
		}
	}
	return changes, nil
}

// Reset moves every file of the step folder to the backup folder and lays
// out the starter files again. With dryRun it only reports what it would do.
func (w *Workspace) Reset(s *lessons.Step, v lessons.Values, dryRun bool) ([]Change, error) {
	dir := w.StepDir(s)
	stamp := w.stamp()
	var changes []Change
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == dir {
			return fs.SkipAll
		}
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		changes = append(changes, Change{Path: rel, Action: "remove", Backup: w.backupPath(s, stamp, rel)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Path < changes[j].Path })
	if dryRun {
		for _, name := range s.Starter.List {
			changes = append(changes, Change{Path: strings.TrimSuffix(name, lessons.TemplateSuffix), Action: "write"})
		}
		return changes, nil
	}
	for _, c := range changes {
		src := filepath.Join(dir, filepath.FromSlash(c.Path))
		if err := os.MkdirAll(filepath.Dir(c.Backup), 0o755); err != nil {
			return nil, err
		}
		if err := os.Rename(src, c.Backup); err != nil {
			return nil, fmt.Errorf("cannot move %s to the backup folder: %w", c.Path, err)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	written, err := w.LayOut(s, v)
	for _, name := range written {
		changes = append(changes, Change{Path: name, Action: "write"})
	}
	return changes, err
}

// MainFile is the file the editor opens for the step, or "" if none.
func (w *Workspace) MainFile(s *lessons.Step) string {
	if s.Main == "" {
		return ""
	}
	return filepath.Join(w.StepDir(s), filepath.FromSlash(s.Main))
}

func (w *Workspace) stamp() string { return w.Now().UTC().Format("20060102T150405.000") }

func (w *Workspace) backupPath(s *lessons.Step, stamp, rel string) string {
	return filepath.Join(w.Root, backupDir, w.Course.ID, s.ID, stamp, filepath.FromSlash(rel))
}

// render returns a file's target name and content, filling templates.
func render(files lessons.Files, name string, v lessons.Values) (string, []byte, error) {
	data, err := files.Read(name)
	if err != nil {
		return "", nil, err
	}
	if !strings.HasSuffix(name, lessons.TemplateSuffix) {
		return name, data, nil
	}
	out, err := lessons.Expand(string(data), v)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", name, err)
	}
	return strings.TrimSuffix(name, lessons.TemplateSuffix), []byte(out), nil
}

func writeFile(dst string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}
