package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/klauspost/compress/zstd"
)

// WAL file names PostgreSQL archives: segments, timeline history files, backup history files.
var walName = regexp.MustCompile(`^[0-9A-F]{24}(\.partial|\.[0-9A-F]{8}\.backup)?$|^[0-9A-F]{8}\.history$`)

// Each archived file is stored zstd-compressed, followed by a trailer: the SHA-256 of the original
// bytes (32 bytes) and the magic "KSHA". wal-fetch checks it; wal-push compares it to accept a retry.
var trailerMagic = []byte("KSHA")

func walObject(name string) string { return "wal/" + name + ".zst" }

func encode(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	buf.Write(sum[:])
	buf.Write(trailerMagic)
	return buf.Bytes(), nil
}

func decode(object []byte) ([]byte, error) {
	n := len(object)
	if n < 36 || !bytes.Equal(object[n-4:], trailerMagic) {
		return nil, errors.New("not a kubeship archive object (no checksum trailer)")
	}
	want := object[n-36 : n-4]
	r, err := zstd.NewReader(bytes.NewReader(object[:n-36]))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if got := sha256.Sum256(data); !bytes.Equal(got[:], want) {
		return nil, fmt.Errorf("checksum mismatch: stored %s, content %s", hex.EncodeToString(want), hex.EncodeToString(got[:]))
	}
	return data, nil
}

// WalPush archives the file at path under name (PostgreSQL's %p and %f). Pushing the same content again
// succeeds (PostgreSQL retries after a crash); different content under an archived name is an error,
// never an overwrite.
func WalPush(ctx context.Context, s Store, path, name string) error {
	if !walName.MatchString(name) {
		return fmt.Errorf("%q is not a WAL file name", name)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	object, err := encode(data)
	if err != nil {
		return err
	}
	err = s.Put(ctx, walObject(name), bytes.NewReader(object))
	if !errors.Is(err, ErrExists) {
		return err
	}
	existing, err := fetch(ctx, s, name)
	if err != nil {
		return fmt.Errorf("%s is archived already and cannot be read back: %w", name, err)
	}
	if !bytes.Equal(existing, data) {
		return fmt.Errorf("%s is archived already with other content: refusing to overwrite it", name)
	}
	return nil
}

func fetch(ctx context.Context, s Store, name string) ([]byte, error) {
	r, err := s.Get(ctx, walObject(name))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	object, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return decode(object)
}

// WalFetch restores name to dest (restore_command's %f and %p). A missing file is an error, which
// PostgreSQL expects at the end of the archive and for absent history files.
func WalFetch(ctx context.Context, s Store, name, dest string) error {
	if !walName.MatchString(name) {
		return fmt.Errorf("%q is not a WAL file name", name)
	}
	data, err := fetch(ctx, s, name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	tmp, err := writeTemp(filepath.Dir(dest), ".kubeship-wal-*", bytes.NewReader(data), 0o600)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	return os.Rename(tmp, dest)
}
