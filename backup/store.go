package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ErrExists is returned by Put when the name already holds an object: the archive is write-once.
var ErrExists = errors.New("object exists")

// ErrNotFound is returned by Get for a missing object.
var ErrNotFound = errors.New("object not found")

// Store is where backups live. Every object is written once and never replaced or deleted by this
// tool: retention is the storage's lifecycle rules (or `prune` on a volume).
type Store interface {
	// Put writes name from r; ErrExists when name already exists.
	Put(ctx context.Context, name string, r io.Reader) error
	// Get opens name; ErrNotFound when it does not exist.
	Get(ctx context.Context, name string) (io.ReadCloser, error)
	// List returns the names under prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
}

// OpenStore opens the store a URL names: file:///path (a volume), s3://bucket/prefix (S3, Spaces),
// gs://bucket/prefix (Cloud Storage), azblob://account/container/prefix (Azure Blob Storage).
func OpenStore(ctx context.Context, raw string) (Store, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("backup URL %q: %w", raw, err)
	}
	switch u.Scheme {
	case "file":
		if u.Path == "" || !filepath.IsAbs(u.Path) {
			return nil, fmt.Errorf("backup URL %q: a file URL needs an absolute path", raw)
		}
		return &fileStore{root: filepath.Clean(u.Path)}, nil
	case "s3":
		if u.Host == "" {
			return nil, fmt.Errorf("backup URL %q: an s3 URL names its bucket: s3://bucket/prefix", raw)
		}
		return openS3(ctx, u)
	case "gs":
		if u.Host == "" {
			return nil, fmt.Errorf("backup URL %q: a gs URL names its bucket: gs://bucket/prefix", raw)
		}
		return openGCS(u)
	case "azblob":
		if u.Host == "" {
			return nil, fmt.Errorf("backup URL %q: an azblob URL names its account: azblob://account/container/prefix", raw)
		}
		return openAzblob(u)
	default:
		return nil, fmt.Errorf("backup URL %q: scheme %q is not supported (file, s3, gs, azblob)", raw, u.Scheme)
	}
}

type fileStore struct{ root string }

func (s *fileStore) path(name string) (string, error) {
	clean := filepath.Clean("/" + name)
	if clean == "/" || strings.Contains(name, "..") {
		return "", fmt.Errorf("bad object name %q", name)
	}
	return filepath.Join(s.root, clean), nil
}

func (s *fileStore) Put(_ context.Context, name string, r io.Reader) error {
	dest, err := s.path(name)
	if err != nil {
		return err
	}
	if _, err := os.Stat(dest); err == nil {
		return ErrExists
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o700); err != nil {
		return err
	}
	tmp, err := writeTemp(filepath.Dir(dest), ".partial-*", r, 0o600)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	// A hard link fails if dest exists: write-once even against a concurrent writer.
	if err := os.Link(tmp, dest); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return ErrExists
		}
		return err
	}
	return syncDir(filepath.Dir(dest))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (s *fileStore) Get(_ context.Context, name string) (io.ReadCloser, error) {
	p, err := s.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	return f, err
}

func (s *fileStore) List(_ context.Context, prefix string) ([]string, error) {
	var names []string
	err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".partial-") {
			return nil
		}
		rel, _ := filepath.Rel(s.root, p)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, prefix) {
			names = append(names, rel)
		}
		return nil
	})
	sort.Strings(names)
	return names, err
}
