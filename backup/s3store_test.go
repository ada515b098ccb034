package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// An S3 server on loopback (gofakes3, in memory) that refuses every DELETE, as the archiving identity's
// policy does, and every object creation without If-None-Match, as the bucket policy does; it counts the
// DELETEs it was sent, and the multipart completions (multipart).
var multipart atomic.Int32

func fakeS3(t *testing.T) (url string, deletes *atomic.Int32) {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("backups"); err != nil {
		t.Fatal(err)
	}
	s3 := gofakes3.New(backend).Server()
	deletes = &atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.Method == http.MethodDelete || q.Has("delete") {
			deletes.Add(1)
			http.Error(w, "AccessDenied", http.StatusForbidden)
			return
		}
		// The bucket policy: an object is created (PutObject, CompleteMultipartUpload) only with
		// If-None-Match; the parts carry no condition. And S3's check at completion, which gofakes3 lacks.
		creates := (r.Method == http.MethodPut && !q.Has("partNumber")) || (r.Method == http.MethodPost && q.Has("uploadId"))
		if creates && r.Header.Get("If-None-Match") != "*" {
			http.Error(w, "AccessDenied", http.StatusForbidden)
			return
		}
		if r.Method == http.MethodPost && q.Has("uploadId") {
			multipart.Add(1)
			if _, err := backend.HeadObject("backups", strings.TrimPrefix(r.URL.Path, "/backups/")); err == nil {
				w.WriteHeader(http.StatusPreconditionFailed)
				io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>`)
				return
			}
		}
		s3.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	return "s3://backups/prod/postgres?pathStyle=true", deletes
}

func TestS3StoreIsWriteOnceAndNeverDeletes(t *testing.T) {
	url, deletes := fakeS3(t)
	checkObjectStore(t, url)
	if deletes.Load() != 0 {
		t.Fatalf("the tool sent %d DELETE requests", deletes.Load())
	}
}

// checkObjectStore runs an object store through the archive's uses: write-once objects (a refused
// overwrite keeps the first content), missing objects, WAL pushed twice and fetched, listing relative
// to the URL's prefix.
func checkObjectStore(t *testing.T, url string) {
	t.Helper()
	s, err := OpenStore(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	checkStore(t, s)
}

func checkStore(t *testing.T, s Store) {
	t.Helper()
	ctx := context.Background()
	if err := s.Put(ctx, "base/x/backup.json", strings.NewReader("one")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "base/x/backup.json", strings.NewReader("two")); !errors.Is(err, ErrExists) {
		t.Fatalf("second Put: %v, want ErrExists", err)
	}
	r, err := s.Get(ctx, "base/x/backup.json")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(r)
	r.Close()
	if buf.String() != "one" {
		t.Fatalf("content %q after a refused overwrite", buf.String())
	}
	if _, err := s.Get(ctx, "base/y/backup.json"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing object: %v", err)
	}

	dir := t.TempDir()
	seg := filepath.Join(dir, "000000010000000000000001")
	os.WriteFile(seg, bytes.Repeat([]byte{1}, 1<<20), 0o600)
	for i := 0; i < 2; i++ {
		if err := WalPush(ctx, s, seg, "000000010000000000000001"); err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
	}
	os.WriteFile(seg, bytes.Repeat([]byte{2}, 1<<20), 0o600)
	if err := WalPush(ctx, s, seg, "000000010000000000000001"); err == nil {
		t.Fatal("other content under an archived name was accepted")
	}
	out := filepath.Join(dir, "fetched")
	if err := WalFetch(ctx, s, "000000010000000000000001", out); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, bytes.Repeat([]byte{1}, 1<<20)) {
		t.Fatal("fetched content differs from the first push")
	}
	names, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "base/x/backup.json,wal/000000010000000000000001.zst" {
		t.Fatalf("List = %v (names are relative to the URL's prefix)", names)
	}
}

func TestS3StoreWritesLargeObjectsInPartsAndOnlyOnce(t *testing.T) {
	url, deletes := fakeS3(t)
	defer func(size int) { partSize = size }(partSize)
	partSize = 5 << 20 // S3's smallest part
	s, err := OpenStore(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	big := make([]byte, 12<<20+123) // two full parts and a short one
	rand.Read(big)
	before := multipart.Load()
	if err := s.Put(ctx, "base/big/base.tar.zst", bytes.NewReader(big)); err != nil {
		t.Fatal(err)
	}
	if multipart.Load() != before+1 {
		t.Fatal("a 12 MiB object was not written as a multipart upload")
	}
	if err := s.Put(ctx, "base/big/base.tar.zst", bytes.NewReader(bytes.Repeat([]byte{9}, 11<<20))); !errors.Is(err, ErrExists) {
		t.Fatalf("a second multipart upload to the same key: %v, want ErrExists", err)
	}
	r, err := s.Get(ctx, "base/big/base.tar.zst")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, big) {
		t.Fatalf("read back %d bytes that differ from the %d written", len(got), len(big))
	}
	// Exactly one part's worth: one part, completed.
	if err := s.Put(ctx, "base/exact/base.tar.zst", bytes.NewReader(big[:partSize])); err != nil {
		t.Fatal(err)
	}
	if deletes.Load() != 0 {
		t.Fatalf("the tool sent %d DELETE requests", deletes.Load())
	}
}
