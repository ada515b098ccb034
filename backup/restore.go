package main

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/compress/zstd"
)

// ErrRestored is returned by Restore when the volume already holds the restore it names: the init
// container that restores runs at every start of the pod, and restores once.
var ErrRestored = errors.New("already restored")

// A URL or path written into restore_command, which PostgreSQL expands (%) and runs with sh: plain
// characters only.
var commandSafe = regexp.MustCompile(`^[A-Za-z0-9._~/:-]+$`)

// RestoreOptions say where the WAL comes from and how the restore is recorded.
type RestoreOptions struct {
	// Source is the archive's URL, written into restore_command: the restored server reads the WAL of
	// the backup it came from, whichever store its own archive_command writes to.
	Source string
	// Self is the path of pgbackup as the restored server runs it.
	Self string
	// ID names the restore: when set, a volume whose marker (beside dir) holds it is left as it is
	// (ErrRestored), and a non-empty dir is moved aside rather than refused.
	ID string
	// Archive is where the restored server will archive, when that is not the source: it must hold no
	// WAL yet (a restore's location is its own; WAL there means this restore ran before, on a volume
	// since lost or replaced, and restoring the old point again would hide what was written since).
	Archive Store
}

// restoreID is what a restore's ID may hold: it becomes a file and directory name.
var restoreID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// markerPath is the file beside the data directory that records the last restore into this volume:
// "pending <id>" once it has moved the data aside, "done <id>" once the data is restored. One file,
// replaced atomically, so that the two states can never disagree.
func markerPath(dir string) string { return filepath.Join(filepath.Dir(dir), "kubeship-restore") }

// restoreState reads the marker: its state ("pending", "done" or "" for none) and the restore's ID.
func restoreState(dir string) (state, id string) {
	b, err := os.ReadFile(markerPath(dir))
	if err != nil {
		return "", ""
	}
	state, id, _ = strings.Cut(strings.TrimSpace(string(b)), " ")
	return state, id
}

func markRestore(dir, state, id string) error {
	return replaceFile(markerPath(dir), []byte(state+" "+id+"\n"), 0o600)
}

// Restore prepares dir as a data directory that recovers to target: the newest base backup in s that
// ended before target, recovery.signal, and the recovery settings in postgresql.auto.conf (WAL through
// `Self wal-fetch %f %p Source`; promote at the target). Start postgres on it afterwards.
//
// With an ID, every check (the backup to use, the archive location) passes before the data is touched;
// then the data is moved aside, the move recorded as pending, the backup extracted and synced, and the
// restore recorded as done. A pending record of the same ID on the next attempt means dir holds only
// that attempt's partial extraction, which is removed; nothing else is ever deleted.
func Restore(ctx context.Context, s Store, dir string, target time.Time, o RestoreOptions) (*BackupInfo, error) {
	for _, v := range []string{o.Source, o.Self} {
		if !commandSafe.MatchString(v) {
			return nil, fmt.Errorf("%q cannot go into restore_command: letters, digits and . _ ~ / : - only", v)
		}
	}
	// The marker, read once: this restore already done, or an attempt of it interrupted while extracting.
	state, marked := restoreState(dir)
	interrupted := o.ID != "" && state == "pending" && marked == o.ID
	if o.ID != "" {
		if !restoreID.MatchString(o.ID) {
			return nil, fmt.Errorf("restore ID %q: letters, digits, . _ - only, at most 63", o.ID)
		}
		if state == "done" && marked == o.ID {
			return nil, ErrRestored
		}
	}
	backups, err := Backups(ctx, s)
	if err != nil {
		return nil, err
	}
	chosen, err := ChooseBackup(backups, target)
	if err != nil {
		return nil, err
	}
	r, err := s.Get(ctx, "base/"+chosen.ID+"/base.tar.zst")
	if err != nil {
		return nil, fmt.Errorf("base backup %s: %w", chosen.ID, err)
	}
	r.Close()
	if o.Archive != nil && !interrupted {
		wal, err := o.Archive.List(ctx, "wal/")
		if err != nil {
			return nil, fmt.Errorf("checking the restored server's archive location: %w", err)
		}
		if len(wal) > 0 {
			return nil, fmt.Errorf("restore %s ran before: its archive location holds the WAL its server wrote since (%s, ...); restoring its point again would hide that. To recover this environment's latest data, restore from that location (kubeship:postgres.restore.from = the stack's postgresBackupUrl) to a later time", o.ID, wal[0])
		}
	}
	if o.ID != "" {
		if err := clearForRestore(dir, o.ID, interrupted); err != nil {
			return nil, err
		}
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s is not empty: restore into an empty directory", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, err
	}
	if err := extract(ctx, s, chosen.ID, dir); err != nil {
		return nil, fmt.Errorf("extracting base backup %s: %w", chosen.ID, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "recovery.signal"), nil, 0o600); err != nil {
		return nil, err
	}
	// Later lines win: a base backup taken after an earlier restore carries that restore's settings.
	// The timeline is the backup's own: "latest" would follow any later branch found in the archive.
	settings := fmt.Sprintf("\n# kubeship restore of base backup %s to %s\nrestore_command = '%s wal-fetch %%f %%p %s'\nrecovery_target_time = '%s'\nrecovery_target_timeline = 'current'\nrecovery_target_action = 'promote'\n",
		chosen.ID, target.UTC().Format(time.RFC3339Nano), o.Self, o.Source, target.UTC().Format("2006-01-02 15:04:05.999999-07"))
	if err := appendSynced(filepath.Join(dir, "postgresql.auto.conf"), settings); err != nil {
		return nil, err
	}
	if o.ID != "" {
		// Everything extracted on disk before the volume says the restore is done.
		syscall.Sync()
		if err := markRestore(dir, "done", o.ID); err != nil {
			return nil, err
		}
	}
	return chosen, nil
}

// clearForRestore empties dir for restore id. interrupted (a pending record of id) means an earlier
// attempt moved the data aside and died while extracting: dir holds only its partial extraction.
// Otherwise a non-empty dir is moved aside, to a name no earlier move took, and the move recorded as
// pending.
func clearForRestore(dir, id string, interrupted bool) error {
	if interrupted {
		return os.RemoveAll(dir)
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(entries) == 0) {
		return nil
	}
	if err != nil {
		return err
	}
	aside := dir + ".before-" + id
	for n := 2; ; n++ {
		if _, err := os.Lstat(aside); errors.Is(err, fs.ErrNotExist) {
			break
		}
		aside = fmt.Sprintf("%s.before-%s.%d", dir, id, n)
	}
	if err := os.Rename(dir, aside); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(dir)); err != nil {
		return err
	}
	return markRestore(dir, "pending", id)
}

func extract(ctx context.Context, s Store, id, dir string) error {
	r, err := s.Get(ctx, "base/"+id+"/base.tar.zst")
	if err != nil {
		return err
	}
	defer r.Close()
	zr, err := zstd.NewReader(r)
	if err != nil {
		return err
	}
	defer zr.Close()
	return untar(tar.NewReader(zr), dir)
}

func appendSynced(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func untar(tr *tar.Reader, dir string) error {
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(h.Name)
		if filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("unsafe path %q in the backup", h.Name)
		}
		target := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
				return err
			}
			out, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, os.FileMode(h.Mode)&0o700)
			if err != nil {
				return err
			}
			if _, err := io.Copy(out, tr); err != nil {
				out.Close()
				return err
			}
			if err := out.Close(); err != nil {
				return err
			}
		case tar.TypeSymlink:
			return fmt.Errorf("symbolic link %q in the backup: tablespaces are not supported", h.Name)
		default:
			return fmt.Errorf("unsupported entry %q (type %c) in the backup", h.Name, h.Typeflag)
		}
	}
}
