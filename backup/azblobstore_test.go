package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeAzure plays Entra ID's token endpoint and the part of Blob Storage's REST API the store uses, as
// documented (learn.microsoft.com/rest/api/storageservices): a client-credentials exchange of the
// federated token in `assertionFile` (any other assertion, client or scope refused), then requests that
// must carry the current bearer token, x-ms-version and x-ms-date. Put Blob and Put Block List need
// If-None-Match: * and answer `exists` for a name that is there; Put Block stages blocks; Get answers
// 404 for a missing blob; List pages by two with NextMarker. DELETE is refused and counted.
type fakeAzure struct {
	server   *httptest.Server
	issued   atomic.Int32
	deletes  atomic.Int32
	blocks   atomic.Int32 // Put Block requests
	exists   int          // the answer to a write to an existing name
	expires  int          // the tokens' expires_in
	mu       sync.Mutex
	blobs    map[string][]byte
	staged   map[string][]byte // "blob\x00blockid"
	lastForm url.Values
}

const fakeTenant = "tenant-1"

func newFakeAzure(t *testing.T, assertionFile string, exists int) *fakeAzure {
	t.Helper()
	f := &fakeAzure{exists: exists, expires: 3600, blobs: map[string][]byte{}, staged: map[string][]byte{}}
	f.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/"+fakeTenant+"/oauth2/v2.0/token" {
			f.token(w, r, assertionFile)
			return
		}
		if r.Header.Get("Authorization") != fmt.Sprintf("Bearer token-%d", f.issued.Load()) || f.issued.Load() == 0 {
			azureError(w, http.StatusUnauthorized, "InvalidAuthenticationInfo")
			return
		}
		// OAuth needs 2017-11-09 or later, blocks above 100 MiB 2019-12-12; the date is RFC 1123.
		if _, err := http.ParseTime(r.Header.Get("x-ms-date")); err != nil || r.Header.Get("x-ms-version") < "2019-12-12" {
			azureError(w, http.StatusBadRequest, "MissingRequiredHeader")
			return
		}
		if r.Method == http.MethodDelete {
			f.deletes.Add(1)
			azureError(w, http.StatusForbidden, "AuthorizationPermissionMismatch")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.blob(w, r)
	}))
	t.Cleanup(f.server.Close)
	t.Setenv("AZURE_AUTHORITY_HOST", f.server.URL+"/")
	t.Setenv("AZURE_TENANT_ID", fakeTenant)
	t.Setenv("AZURE_CLIENT_ID", "client-1")
	t.Setenv("AZURE_FEDERATED_TOKEN_FILE", assertionFile)
	return f
}

func azureError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("x-ms-error-code", code)
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, code)
}

func (f *fakeAzure) token(w http.ResponseWriter, r *http.Request, assertionFile string) {
	r.ParseForm()
	f.mu.Lock()
	f.lastForm = r.PostForm
	f.mu.Unlock()
	want, _ := os.ReadFile(assertionFile)
	form := r.PostForm
	if r.Method != http.MethodPost || form.Get("grant_type") != "client_credentials" || form.Get("client_id") != "client-1" ||
		form.Get("scope") != "https://storage.azure.com/.default" ||
		form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" ||
		form.Get("client_assertion") != strings.TrimSpace(string(want)) {
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	}
	n := f.issued.Add(1)
	json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("token-%d", n), "expires_in": f.expires, "token_type": "Bearer"})
}

func (f *fakeAzure) blob(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	path := strings.TrimPrefix(r.URL.Path, "/")
	switch {
	case r.Method == http.MethodPut && q.Get("comp") == "block":
		if _, ok := f.blobs[path]; ok && f.exists == http.StatusForbidden {
			azureError(w, http.StatusForbidden, "AuthorizationPermissionMismatch") // blocks for a blob that is there: a write
			return
		}
		if id, err := base64.StdEncoding.DecodeString(q.Get("blockid")); err != nil || len(id) == 0 || len(id) > 64 {
			azureError(w, http.StatusBadRequest, "InvalidQueryParameterValue") // a block ID is base64 of at most 64 bytes
			return
		}
		f.blocks.Add(1)
		body, _ := io.ReadAll(r.Body)
		f.staged[path+"\x00"+q.Get("blockid")] = body
		w.WriteHeader(http.StatusCreated)
	case r.Method == http.MethodPut && (q.Get("comp") == "blocklist" || q.Get("comp") == ""):
		if r.Header.Get("If-None-Match") != "*" {
			azureError(w, http.StatusBadRequest, "expected If-None-Match: *")
			return
		}
		if r.ContentLength < 0 {
			azureError(w, http.StatusLengthRequired, "MissingContentLengthHeader")
			return
		}
		body, _ := io.ReadAll(r.Body)
		if _, ok := f.blobs[path]; ok {
			azureError(w, f.exists, map[int]string{409: "BlobAlreadyExists", 412: "ConditionNotMet", 403: "AuthorizationPermissionMismatch"}[f.exists])
			return
		}
		if q.Get("comp") == "" {
			if r.Header.Get("x-ms-blob-type") != "BlockBlob" {
				azureError(w, http.StatusBadRequest, "expected x-ms-blob-type: BlockBlob")
				return
			}
			f.blobs[path] = body
		} else {
			var list struct {
				Latest []string `xml:"Latest"`
			}
			if err := xml.Unmarshal(body, &list); err != nil || len(list.Latest) == 0 {
				azureError(w, http.StatusBadRequest, "InvalidXmlDocument")
				return
			}
			var blob []byte
			for _, id := range list.Latest {
				if len(id) != len(list.Latest[0]) {
					azureError(w, http.StatusBadRequest, "InvalidBlockList") // a blob's block IDs are of one length
					return
				}
				block, ok := f.staged[path+"\x00"+id]
				if !ok {
					azureError(w, http.StatusBadRequest, "InvalidBlockList")
					return
				}
				blob = append(blob, block...)
			}
			f.blobs[path] = blob
		}
		w.WriteHeader(http.StatusCreated)
	case r.Method == http.MethodGet && q.Get("comp") == "list" && q.Get("restype") == "container":
		var names []string
		for name := range f.blobs {
			if container, blob, _ := strings.Cut(name, "/"); container == path && strings.HasPrefix(blob, q.Get("prefix")) && blob > q.Get("marker") {
				names = append(names, blob)
			}
		}
		sort.Strings(names)
		next := ""
		if len(names) > 2 {
			names, next = names[:2], names[1]
		}
		fmt.Fprint(w, `<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Blobs>`)
		for _, n := range names {
			fmt.Fprintf(w, "<Blob><Name>%s</Name><Properties/></Blob>", n)
		}
		fmt.Fprintf(w, "</Blobs><NextMarker>%s</NextMarker></EnumerationResults>", next)
	case r.Method == http.MethodGet:
		body, ok := f.blobs[path]
		if !ok {
			azureError(w, http.StatusNotFound, "BlobNotFound")
			return
		}
		w.Write(body)
	default:
		azureError(w, http.StatusBadRequest, fmt.Sprintf("unexpected %s %s", r.Method, r.URL))
	}
}

// openFake opens `raw` with the fake's Entra ID and points the store at the fake's Blob endpoint.
func (f *fakeAzure) open(t *testing.T, raw string) *azblobStore {
	t.Helper()
	s, err := OpenStore(t.Context(), raw)
	if err != nil {
		t.Fatal(err)
	}
	s.(*azblobStore).base = f.server.URL // the account's endpoint, on loopback
	return s.(*azblobStore)
}

func federatedTokenFile(t *testing.T, content string) string {
	file := filepath.Join(t.TempDir(), "azure-identity-token")
	os.WriteFile(file, []byte(content), 0o600)
	return file
}

func TestAzblobStoreIsWriteOnceThroughWorkloadIdentity(t *testing.T) {
	for _, exists := range []int{http.StatusConflict, http.StatusPreconditionFailed, http.StatusForbidden} {
		t.Run(fmt.Sprint(exists), func(t *testing.T) {
			f := newFakeAzure(t, federatedTokenFile(t, "sa-token-1\n"), exists)
			s := f.open(t, "azblob://acmeprod/postgres/restore-1")
			checkStore(t, s)
			if f.deletes.Load() != 0 {
				t.Fatalf("the tool sent %d DELETE requests", f.deletes.Load())
			}
			if f.issued.Load() != 1 {
				t.Fatalf("%d tokens fetched: a valid token is reused", f.issued.Load())
			}
			if _, ok := f.blobs["postgres/restore-1/base/x/backup.json"]; !ok {
				t.Fatalf("blobs %v: the container is the URL's first segment, the rest the prefix", f.blobs)
			}
		})
	}
}

func TestAzblobStoreWritesLargeBlobsAsBlocksAndCommitsThemOnlyOnce(t *testing.T) {
	defer func(size int) { blockSize = size }(blockSize)
	blockSize = 1 << 10
	for _, exists := range []int{http.StatusConflict, http.StatusPreconditionFailed, http.StatusForbidden} {
		t.Run(fmt.Sprint(exists), func(t *testing.T) {
			f := newFakeAzure(t, federatedTokenFile(t, "sa-token"), exists)
			s := f.open(t, "azblob://acmeprod/postgres")
			big := bytes.Repeat([]byte("0123456789abcdef"), 200) // 3.125 blocks
			if err := s.Put(t.Context(), "base/b/base.tar.zst", bytes.NewReader(big)); err != nil {
				t.Fatal(err)
			}
			if f.blocks.Load() != 4 {
				t.Fatalf("%d blocks staged, want 4", f.blocks.Load())
			}
			if !bytes.Equal(f.blobs["postgres/base/b/base.tar.zst"], big) {
				t.Fatal("the committed blob differs from what was written")
			}
			if err := s.Put(t.Context(), "base/b/base.tar.zst", bytes.NewReader(bytes.Repeat([]byte("x"), 3000))); !errors.Is(err, ErrExists) {
				t.Fatalf("blocks for the name again: %v, want ErrExists", err)
			}
			if !bytes.Equal(f.blobs["postgres/base/b/base.tar.zst"], big) {
				t.Fatal("the blob was replaced")
			}
			// Exactly one block's worth: one block, committed.
			if err := s.Put(t.Context(), "base/exact/base.tar.zst", bytes.NewReader(big[:blockSize])); err != nil {
				t.Fatal(err)
			}
			names, err := s.List(t.Context(), "base/")
			if err != nil || strings.Join(names, ",") != "base/b/base.tar.zst,base/exact/base.tar.zst" {
				t.Fatalf("List = %v, %v", names, err)
			}
		})
	}
}

func TestAzblobStoreExchangesTheRotatedTokenFileWhenItsTokenExpires(t *testing.T) {
	file := federatedTokenFile(t, "sa-token-1")
	f := newFakeAzure(t, file, http.StatusConflict)
	f.expires = 30 // within the store's minute of margin: exchanged again for every request
	s := f.open(t, "azblob://acmeprod/postgres")
	for i := 0; i < 3; i++ {
		os.WriteFile(file, []byte(fmt.Sprintf("sa-token-%d", i+2)), 0o600) // the kubelet rotates it
		if err := s.Put(t.Context(), fmt.Sprintf("wal/%d", i), strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
	}
	if f.issued.Load() != 3 || f.lastForm.Get("client_assertion") != "sa-token-4" {
		t.Fatalf("%d exchanges, the last with %q: the file is read for each", f.issued.Load(), f.lastForm.Get("client_assertion"))
	}
	names, err := s.List(t.Context(), "wal/")
	if err != nil || strings.Join(names, ",") != "wal/0,wal/1,wal/2" {
		t.Fatalf("List over two pages = %v, %v", names, err)
	}
}

func TestAzblobStoreTakesOnlyAnExistingBlobsConflictForExisting(t *testing.T) {
	f := newFakeAzure(t, federatedTokenFile(t, "sa-token"), http.StatusConflict)
	s := f.open(t, "azblob://acmeprod/postgres")
	leased := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		azureError(w, http.StatusConflict, "LeaseIdMissing")
	}))
	t.Cleanup(leased.Close)
	s.base = leased.URL
	if err := s.Put(t.Context(), "wal/1", strings.NewReader("x")); err == nil || errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "LeaseIdMissing") {
		t.Fatalf("Put refused for a lease: %v, want that error", err)
	}
}

func TestAzblobStoreReportsRefusals(t *testing.T) {
	f := newFakeAzure(t, federatedTokenFile(t, "sa-token"), http.StatusConflict)
	s := f.open(t, "azblob://acmeprod/postgres")
	t.Setenv("AZURE_CLIENT_ID", "another-client")
	other := f.open(t, "azblob://acmeprod/postgres")
	if err := other.Put(t.Context(), "wal/1", strings.NewReader("x")); err == nil || !strings.Contains(err.Error(), "access token from Entra ID: 401") {
		t.Fatalf("Put as an identity Entra ID refuses: %v", err)
	}
	// An identity without the create permission: 403 for a name that is not there is the error.
	f.exists = http.StatusForbidden
	forbidding := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		azureError(w, http.StatusForbidden, "AuthorizationPermissionMismatch")
	}))
	t.Cleanup(forbidding.Close)
	s.base = forbidding.URL
	err := s.Put(t.Context(), "wal/1", strings.NewReader("x"))
	if err == nil || errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "writing azblob://acmeprod/postgres/wal/1: 403") || !strings.Contains(err.Error(), "AuthorizationPermissionMismatch") {
		t.Fatalf("Put without permission: %v", err)
	}
}

func TestOpenAzblobNeedsItsContainerAndIdentity(t *testing.T) {
	newFakeAzure(t, federatedTokenFile(t, "x"), http.StatusConflict)
	for _, raw := range []string{"azblob://acmeprod", "azblob:///postgres"} {
		if _, err := OpenStore(t.Context(), raw); err == nil {
			t.Errorf("%s accepted", raw)
		}
	}
	t.Setenv("AZURE_FEDERATED_TOKEN_FILE", "")
	t.Setenv("AZURE_CLIENT_ID", "")
	if _, err := OpenStore(t.Context(), "azblob://acmeprod/postgres"); err == nil || !strings.Contains(err.Error(), "AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE") {
		t.Fatalf("without workload identity: %v", err)
	}
}
