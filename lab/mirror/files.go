package mirror

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// original is the config file as it was before any change.
type original struct {
	existed  bool
	data     []byte
	mode     fs.FileMode
	uid, gid int // -1 when the file did not exist: a new file keeps this process's owner
	config   *config
}

// defaultConfigMode is the mode of a daemon.json this package creates
// (dockerd's packages leave none; 0644 is what an admin's editor makes).
const defaultConfigMode fs.FileMode = 0o644

// readOriginal reads the config file as it is now. A missing file is an
// empty configuration; a file that is not valid is refused and left as it
// is, since no edit of it can be trusted.
func readOriginal(path string) (original, error) {
	o := original{mode: defaultConfigMode, uid: -1, gid: -1}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return o, fmt.Errorf("cannot read dockerd's configuration %s: %w (run it with sudo)", path, err)
	default:
		info, err := os.Stat(path)
		if err != nil {
			return o, err
		}
		o.existed, o.data, o.mode = true, data, info.Mode().Perm()
		o.uid, o.gid = fileOwner(info)
	}
	if o.config, err = parseConfig(o.data); err != nil {
		return o, invalidConfig(path, err)
	}
	return o, nil
}

// invalidConfig is the one wording of a daemon.json that cannot be read
// as dockerd reads it.
func invalidConfig(path string, err error) error {
	return fmt.Errorf("dockerd's configuration %s is %v: fix it (dockerd refuses it too) and run again; it was not changed", path, err)
}

// writeAtomic replaces path with data through a temporary file in the
// same folder, synced, then renamed: an interruption leaves the old file
// or the new one, never half of one. The new file gets mode and, when
// uid is not -1, that owner.
func writeAtomic(path string, data []byte, mode fs.FileMode, uid, gid int) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if err == nil && uid != -1 {
		err = tmp.Chown(uid, gid)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err == nil {
		err = syncDir(path)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// syncDir makes a rename or removal in path's folder durable.
func syncDir(path string) error {
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// backupFormat names the backup's layout, should it ever change.
const backupFormat = "dockertutor.daemon-config-backup/1"

// backup is what is kept beside the config file while the daemon has the
// lab's mirror: enough to put the daemon and the file back after a kill.
type backup struct {
	Format     string `json:"format"`
	ConfigFile string `json:"configFile"`
	// Existed is false when there was no config file: restoring removes
	// the one written meanwhile.
	Existed bool   `json:"existed"`
	Mode    uint32 `json:"mode"`
	// UID and GID own the file (-1 when there was none).
	UID int `json:"uid"`
	GID int `json:"gid"`
	// MadeDir is true when the config file's folder did not exist
	// either (a rootless daemon's ~/.config/docker): restoring removes
	// it again if it is empty.
	MadeDir bool `json:"madeDir,omitempty"`
	// Mirrors are the docker.io mirrors the daemon showed before the
	// change (its memory, which need not be the file's).
	Mirrors []string `json:"mirrors"`
	// Original is the file's exact bytes (base64 in the JSON).
	Original []byte `json:"original"`
}

// original is the config the backup holds, as readOriginal would give it.
func (b backup) original() (original, error) {
	o := original{existed: b.Existed, data: b.Original, mode: fs.FileMode(b.Mode).Perm(), uid: b.UID, gid: b.GID}
	if !b.Existed {
		o.data, o.mode, o.uid, o.gid = nil, defaultConfigMode, -1, -1
	}
	var err error
	if o.config, err = parseConfig(o.data); err != nil {
		return o, err
	}
	return o, nil
}

// writeBackup writes the backup with mode 0600, refusing to replace one
// already there: that one is a killed run's, the only copy of the
// original, and only Recover may consume it. Writing a temporary file and
// linking it into place makes both the content and the refusal atomic.
func writeBackup(path string, b backup) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing the backup of dockerd's configuration: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing the backup of dockerd's configuration: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s is left from an interrupted run: restore from it first (Recover), then run again", path)
		}
		return fmt.Errorf("writing the backup of dockerd's configuration: %w", err)
	}
	return syncDir(path)
}

// readBackup reads a backup written by writeBackup.
func readBackup(path string) (backup, error) {
	var b backup
	data, err := os.ReadFile(path)
	if err != nil {
		return b, err
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return b, fmt.Errorf("%s is not a backup dockertutor can read (%v): restore dockerd's configuration from it by hand, or delete it", path, err)
	}
	if b.Format != backupFormat {
		return b, fmt.Errorf("%s is a backup of format %q, not %q: restore dockerd's configuration from it by hand, or delete it", path, b.Format, backupFormat)
	}
	return b, nil
}
