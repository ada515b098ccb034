package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeGCS serves the part of Cloud Storage's JSON API the store uses, as documented
// (cloud.google.com/storage/docs/json_api): media uploads with ifGenerationMatch=0 (412 when the name
// exists), downloads with alt=media (404 when missing), listings by prefix in pages of two. Every
// request must carry the metadata server's current token; DELETE is refused and counted.
func fakeGCS(t *testing.T, token func() string) (server *httptest.Server, deletes *atomic.Int32) {
	return fakeGCSAnswering(t, token, http.StatusPreconditionFailed, "conditionNotMet")
}

// fakeGCSAnswering is fakeGCS answering a write to an existing name with `status` (412 as documented
// for ifGenerationMatch=0, or 403 where the missing delete permission is checked first).
func fakeGCSAnswering(t *testing.T, token func() string, status int, message string) (server *httptest.Server, deletes *atomic.Int32) {
	t.Helper()
	var mu sync.Mutex
	objects := map[string][]byte{}
	deletes = &atomic.Int32{}
	server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token() {
			http.Error(w, "Invalid Credentials", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodDelete {
			deletes.Add(1)
			http.Error(w, "storage.objects.delete denied", http.StatusForbidden)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		q := r.URL.Query()
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/upload/storage/v1/b/backups/o":
			if q.Get("uploadType") != "media" || q.Get("ifGenerationMatch") != "0" {
				http.Error(w, "expected a media upload with ifGenerationMatch=0", http.StatusBadRequest)
				return
			}
			body, _ := io.ReadAll(r.Body)
			if _, ok := objects[q.Get("name")]; ok {
				http.Error(w, message, status)
				return
			}
			objects[q.Get("name")] = body
			json.NewEncoder(w).Encode(map[string]string{"name": q.Get("name")})
		case r.Method == http.MethodGet && r.URL.Path == "/storage/v1/b/backups/o":
			var names []string
			for name := range objects {
				if strings.HasPrefix(name, q.Get("prefix")) && name > q.Get("pageToken") {
					names = append(names, name)
				}
			}
			sort.Strings(names)
			page := map[string]any{}
			if len(names) > 2 {
				names, page["nextPageToken"] = names[:2], names[1]
			}
			items := []map[string]string{}
			for _, n := range names {
				items = append(items, map[string]string{"name": n})
			}
			page["items"] = items
			json.NewEncoder(w).Encode(page)
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.EscapedPath(), "/storage/v1/b/backups/o/") && q.Get("alt") == "media":
			name, _ := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/storage/v1/b/backups/o/"))
			body, ok := objects[name]
			if !ok {
				http.Error(w, "No such object", http.StatusNotFound)
				return
			}
			w.Write(body)
		default:
			http.Error(w, fmt.Sprintf("unexpected %s %s", r.Method, r.URL), http.StatusBadRequest)
		}
	}))
	t.Cleanup(server.Close)
	return server, deletes
}

// A metadata server that hands out a new token whenever asked, valid for `expiresIn` seconds.
func fakeMetadata(t *testing.T, expiresIn int) (server *httptest.Server, current func() string, issued *atomic.Int32) {
	t.Helper()
	issued = &atomic.Int32{}
	server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Metadata-Flavor") != "Google" || r.URL.Path != "/computeMetadata/v1/instance/service-accounts/default/token" {
			http.Error(w, "not a metadata request", http.StatusForbidden)
			return
		}
		n := issued.Add(1)
		json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("token-%d", n), "expires_in": expiresIn, "token_type": "Bearer"})
	}))
	t.Cleanup(server.Close)
	return server, func() string { return fmt.Sprintf("token-%d", issued.Load()) }, issued
}

func TestGCSStoreIsWriteOnceWithTheMetadataServersToken(t *testing.T) {
	metadata, current, issued := fakeMetadata(t, 3600)
	gcs, deletes := fakeGCS(t, current)
	t.Setenv("STORAGE_EMULATOR_HOST", "")
	t.Setenv("GCE_METADATA_HOST", strings.TrimPrefix(metadata.URL, "http://"))
	s, err := OpenStore(t.Context(), "gs://backups/prod/postgres")
	if err != nil {
		t.Fatal(err)
	}
	s.(*gcsStore).base = gcs.URL // the real API's host, on loopback
	checkStore(t, s)
	if deletes.Load() != 0 {
		t.Fatalf("the tool sent %d DELETE requests", deletes.Load())
	}
	if issued.Load() != 1 {
		t.Fatalf("%d tokens fetched: a valid token is reused", issued.Load())
	}
}

func TestGCSStoreFetchesANewTokenOnceTheOldOneExpires(t *testing.T) {
	// Tokens that expire within the store's minute of margin are fetched again for every request.
	metadata, current, issued := fakeMetadata(t, 30)
	gcs, _ := fakeGCS(t, current)
	t.Setenv("GCE_METADATA_HOST", strings.TrimPrefix(metadata.URL, "http://"))
	s, _ := OpenStore(t.Context(), "gs://backups")
	s.(*gcsStore).base = gcs.URL
	for i := 0; i < 3; i++ {
		if err := s.Put(t.Context(), fmt.Sprintf("wal/%d", i), bytes.NewReader([]byte("x"))); err != nil {
			t.Fatal(err)
		}
	}
	if issued.Load() != 3 {
		t.Fatalf("%d tokens fetched for 3 requests with expiring tokens", issued.Load())
	}
	names, err := s.List(t.Context(), "wal/")
	if err != nil || strings.Join(names, ",") != "wal/0,wal/1,wal/2" {
		t.Fatalf("List over two pages = %v, %v", names, err)
	}
}

func TestGCSStoreReportsTheAPIsRefusal(t *testing.T) {
	metadata, _, _ := fakeMetadata(t, 3600)
	gcs, _ := fakeGCS(t, func() string { return "another identity's token" })
	t.Setenv("GCE_METADATA_HOST", strings.TrimPrefix(metadata.URL, "http://"))
	s, _ := OpenStore(t.Context(), "gs://backups/p")
	s.(*gcsStore).base = gcs.URL
	err := s.Put(t.Context(), "wal/1", bytes.NewReader([]byte("x")))
	if err == nil || !strings.Contains(err.Error(), "writing gs://backups/p/wal/1: 401") || !strings.Contains(err.Error(), "Invalid Credentials") {
		t.Fatalf("Put with a refused token: %v", err)
	}
}

func TestGCSStoreTakesARefusedOverwriteForAnExistingObject(t *testing.T) {
	metadata, current, _ := fakeMetadata(t, 3600)
	gcs, _ := fakeGCSAnswering(t, current, http.StatusForbidden, "does not have storage.objects.delete access")
	t.Setenv("GCE_METADATA_HOST", strings.TrimPrefix(metadata.URL, "http://"))
	s, _ := OpenStore(t.Context(), "gs://backups/p")
	s.(*gcsStore).base = gcs.URL
	checkStore(t, s)
}

func TestGCSStoreReportsAForbiddenWriteOfANewObject(t *testing.T) {
	metadata, _, _ := fakeMetadata(t, 3600)
	// A server that forbids everything (an identity without objectCreator): 403 for a name that is not there.
	forbidding := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "does not have storage.objects.create access", http.StatusForbidden)
	}))
	t.Cleanup(forbidding.Close)
	t.Setenv("GCE_METADATA_HOST", strings.TrimPrefix(metadata.URL, "http://"))
	s, _ := OpenStore(t.Context(), "gs://backups/p")
	s.(*gcsStore).base = forbidding.URL
	err := s.Put(t.Context(), "wal/1", bytes.NewReader([]byte("x")))
	if err == nil || errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "storage.objects.create") {
		t.Fatalf("Put without permission: %v", err)
	}
}
