package main

// The Azure Blob store: Blob Storage's REST API over plain HTTP, signed in as the pod's managed identity
// through workload identity: the projected ServiceAccount token in $AZURE_FEDERATED_TOKEN_FILE is
// exchanged at Entra ID ($AZURE_AUTHORITY_HOST, $AZURE_TENANT_ID) for an access token of the identity
// $AZURE_CLIENT_ID, the flow of azure-identity's WorkloadIdentityCredential. Blobs are written only if
// absent (If-None-Match: *); the tool never deletes. URL: azblob://<account>/<container>/<prefix>.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

// azureStorageVersion is the REST API version every request names: one that takes OAuth tokens and
// blocks of up to 4000 MiB (2019-12-12 or later).
const azureStorageVersion = "2023-11-03"

// blockSize is the size of a block of a block list, and of the largest blob written in one Put Blob.
// One block is held in memory; Azure's 50,000 blocks bound a blob at 1.6 TB.
var blockSize = 32 << 20

type azblobStore struct {
	client    *http.Client
	base      string // https://<account>.blob.core.windows.net
	account   string
	container string
	prefix    string
	token     func(ctx context.Context) (string, error)
}

func openAzblob(u *url.URL) (Store, error) {
	container, prefix, _ := strings.Cut(strings.Trim(u.Path, "/"), "/")
	if container == "" {
		return nil, fmt.Errorf("backup URL %q: an azblob URL names its account and container: azblob://account/container/prefix", u)
	}
	if prefix != "" {
		prefix += "/"
	}
	var missing []string
	for _, name := range []string{"AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE"} {
		if os.Getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("backup URL %q: workload identity needs %s in the environment", u, strings.Join(missing, ", "))
	}
	authority := os.Getenv("AZURE_AUTHORITY_HOST")
	if authority == "" {
		authority = "https://login.microsoftonline.com/"
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.ResponseHeaderTimeout = 5 * time.Minute
	client := &http.Client{Transport: transport}
	return &azblobStore{
		client:    client,
		base:      "https://" + u.Host + ".blob.core.windows.net",
		account:   u.Host,
		container: container,
		prefix:    prefix,
		token: federatedToken(client, strings.TrimSuffix(authority, "/")+"/"+os.Getenv("AZURE_TENANT_ID")+"/oauth2/v2.0/token",
			os.Getenv("AZURE_CLIENT_ID"), os.Getenv("AZURE_FEDERATED_TOKEN_FILE")),
	}, nil
}

// federatedToken exchanges the ServiceAccount token in file (read anew for each exchange: the kubelet
// rotates it) for a Storage access token of the identity clientID, cached until a minute before it expires.
func federatedToken(client *http.Client, endpoint, clientID, file string) func(ctx context.Context) (string, error) {
	return cachedToken(client, "access token from Entra ID", func(ctx context.Context) (*http.Request, error) {
		assertion, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("workload identity token: %w", err)
		}
		form := url.Values{
			"grant_type":            {"client_credentials"},
			"client_id":             {clientID},
			"scope":                 {"https://storage.azure.com/.default"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {strings.TrimSpace(string(assertion))},
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		return req, err
	})
}

// blobPath is the request path of a blob (or of the container, for name ""), each segment escaped.
func (s *azblobStore) blobPath(name string) string {
	segments := strings.Split(s.prefix+name, "/")
	for i, seg := range segments {
		segments[i] = url.PathEscape(seg)
	}
	return "/" + url.PathEscape(s.container) + "/" + strings.Join(segments, "/")
}

func (s *azblobStore) do(ctx context.Context, method, target string, header http.Header, body []byte) (*http.Response, error) {
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+target, reader)
	if err != nil {
		return nil, err
	}
	token, err := s.token(ctx)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("x-ms-version", azureStorageVersion)
	req.Header.Set("x-ms-date", time.Now().UTC().Format(http.TimeFormat))
	if body != nil {
		req.ContentLength = int64(len(body)) // Blob Storage refuses chunked bodies
	}
	return s.client.Do(req)
}

func (s *azblobStore) url(name string) string {
	return fmt.Sprintf("azblob://%s/%s/%s%s", s.account, s.container, s.prefix, name)
}

// Put writes name from r only if no blob has the name: one Put Blob when it fits in a block, else
// blocks and a Put Block List, the list carrying the condition. Blocks of an upload that fails midway
// are never committed; Azure drops them after a week.
func (s *azblobStore) Put(ctx context.Context, name string, r io.Reader) error {
	buf := make([]byte, blockSize)
	n, err := io.ReadFull(r, buf)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		header := http.Header{"X-Ms-Blob-Type": {"BlockBlob"}, "If-None-Match": {"*"}}
		return s.written(ctx, name, http.MethodPut, s.blobPath(name), header, buf[:n])
	}
	if err != nil {
		return err
	}
	var ids []string
	for n > 0 {
		if len(ids) == 50000 {
			return fmt.Errorf("%s: larger than 50,000 blocks of %d MiB", name, blockSize>>20)
		}
		id := base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "block-%08d", len(ids)))
		res, err := s.do(ctx, http.MethodPut, s.blobPath(name)+"?comp=block&blockid="+url.QueryEscape(id), nil, buf[:n])
		if err != nil {
			return err
		}
		if res.StatusCode != http.StatusCreated {
			defer res.Body.Close()
			return s.refused(ctx, name, fmt.Sprintf("writing %s, block %d", s.url(name), len(ids)), res)
		}
		res.Body.Close()
		ids = append(ids, id)
		n, err = io.ReadFull(r, buf)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return err
		}
	}
	var list bytes.Buffer
	list.WriteString(`<?xml version="1.0" encoding="utf-8"?><BlockList>`)
	for _, id := range ids {
		list.WriteString("<Latest>" + id + "</Latest>")
	}
	list.WriteString("</BlockList>")
	return s.written(ctx, name, http.MethodPut, s.blobPath(name)+"?comp=blocklist", http.Header{"If-None-Match": {"*"}}, list.Bytes())
}

// written sends a conditional write of name and maps the answer: created, or ErrExists.
func (s *azblobStore) written(ctx context.Context, name, method, target string, header http.Header, body []byte) error {
	res, err := s.do(ctx, method, target, header, body)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	switch res.StatusCode {
	case http.StatusCreated:
		return nil
	case http.StatusPreconditionFailed:
		return ErrExists // ConditionNotMet: the general answer to a failed condition
	case http.StatusConflict:
		// BlobAlreadyExists is what Put Blob answers to If-None-Match: * on a blob that is there; other
		// conflicts (a lease, a container being deleted) are errors.
		if code := res.Header.Get("x-ms-error-code"); code == "BlobAlreadyExists" || code == "BlobImmutableDueToPolicy" {
			return ErrExists
		}
		return s.refused(ctx, name, "writing "+s.url(name), res)
	default:
		return s.refused(ctx, name, "writing "+s.url(name), res)
	}
}

// refused is the error of a write's refusal. An identity that may create but not write blobs can be
// refused (403) for an existing name before any condition is checked: a blob that is there is
// ErrExists all the same (the caller compares contents).
func (s *azblobStore) refused(ctx context.Context, name, what string, res *http.Response) error {
	err := apiError(what, res)
	if res.StatusCode == http.StatusForbidden {
		if existing, getErr := s.Get(ctx, name); getErr == nil {
			existing.Close()
			return ErrExists
		}
	}
	return err
}

func (s *azblobStore) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	res, err := s.do(ctx, http.MethodGet, s.blobPath(name), nil, nil)
	if err != nil {
		return nil, err
	}
	return opened(res, "reading "+s.url(name))
}

func (s *azblobStore) List(ctx context.Context, prefix string) ([]string, error) {
	var names []string
	q := url.Values{"restype": {"container"}, "comp": {"list"}, "prefix": {s.prefix + prefix}}
	for {
		res, err := s.do(ctx, http.MethodGet, "/"+url.PathEscape(s.container)+"?"+q.Encode(), nil, nil)
		if err != nil {
			return nil, err
		}
		if res.StatusCode != http.StatusOK {
			defer res.Body.Close()
			return nil, apiError("listing "+s.url(prefix), res)
		}
		var page struct {
			Blobs      []struct{ Name string } `xml:"Blobs>Blob"`
			NextMarker string                  `xml:"NextMarker"`
		}
		err = xml.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if err != nil {
			return nil, errors.Join(fmt.Errorf("listing %s", s.url(prefix)), err)
		}
		for _, b := range page.Blobs {
			names = append(names, strings.TrimPrefix(b.Name, s.prefix))
		}
		if page.NextMarker == "" {
			sort.Strings(names)
			return names, nil
		}
		q.Set("marker", page.NextMarker)
	}
}
