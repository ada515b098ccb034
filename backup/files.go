package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
)

// writeTemp writes r to a new temporary file in dir with mode, synced and closed, and returns its path:
// the caller links or renames it into place (so a half-written file is never seen under its name) and
// removes it.
func writeTemp(dir, pattern string, r io.Reader, mode os.FileMode) (string, error) {
	tmp, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(tmp, r)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}

// replaceFile writes data to path through a temporary file renamed into place, and syncs the directory.
func replaceFile(path string, data []byte, mode os.FileMode) error {
	tmp, err := writeTemp(filepath.Dir(path), ".kubeship-*", bytes.NewReader(data), mode)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}
