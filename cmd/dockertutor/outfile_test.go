package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "grades.json")
	for _, data := range []string{"first\n", "second\n"} {
		if err := writeFileAtomically(path, []byte(data)); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); string(got) != data {
			t.Fatalf("the file holds %q, want %q", got, data)
		}
	}

	// A rename that fails (a folder is in the way) leaves no temporary file.
	folder := filepath.Join(dir, "taken")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomically(folder, []byte("x")); err == nil {
		t.Fatal("wrote over a folder")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("left behind: %v", entries)
	}

	var usage *usageError
	if err := writeFileAtomically(filepath.Join(dir, "missing", "g.json"), []byte("x")); !errors.As(err, &usage) {
		t.Errorf("a folder that does not exist: %v, want a usage error", err)
	}
}
