package main

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Restore prepares dir (empty or missing) as a data directory that recovers to target: the newest base
// backup that ended before target, recovery.signal, and the recovery settings in postgresql.auto.conf
// (WAL from the store through `self wal-fetch`; promote at the target). Start postgres on it afterwards,
// with the store's URL in its environment.
func Restore(ctx context.Context, s Store, dir string, target time.Time, self string) (*BackupInfo, error) {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s is not empty: restore into an empty directory", dir)
	}
	backups, err := Backups(ctx, s)
	if err != nil {
		return nil, err
	}
	chosen, err := ChooseBackup(backups, target)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, err
	}
	r, err := s.Get(ctx, "base/"+chosen.ID+"/base.tar.zst")
	if err != nil {
		return nil, err
	}
	defer r.Close()
	zr, err := zstd.NewReader(r)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	if err := untar(tar.NewReader(zr), dir); err != nil {
		return nil, fmt.Errorf("extracting base backup %s: %w", chosen.ID, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "recovery.signal"), nil, 0o600); err != nil {
		return nil, err
	}
	settings := fmt.Sprintf("\n# kubeship restore of base backup %s to %s\nrestore_command = '%s wal-fetch %%f %%p'\nrecovery_target_time = '%s'\nrecovery_target_action = 'promote'\n",
		chosen.ID, target.UTC().Format(time.RFC3339Nano), self, target.UTC().Format("2006-01-02 15:04:05.999999-07"))
	f, err := os.OpenFile(filepath.Join(dir, "postgresql.auto.conf"), os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.WriteString(settings); err != nil {
		return nil, err
	}
	return chosen, f.Sync()
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
