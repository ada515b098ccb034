package main

// The GCS store: Google Cloud Storage's JSON API over plain HTTP, with the access token of the pod's
// Google identity from the metadata server (GKE Workload Identity serves one per Kubernetes
// ServiceAccount). Objects are written only if absent (ifGenerationMatch=0); the tool never deletes.
// $STORAGE_EMULATOR_HOST (the Google client libraries' convention) points it at an emulator without
// credentials, and $GCE_METADATA_HOST at another metadata server.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

type gcsStore struct {
	client *http.Client
	base   string // scheme://host of the JSON API
	bucket string
	prefix string
	token  func(ctx context.Context) (string, error) // nil: no credentials (an emulator)
}

func openGCS(u *url.URL) (Store, error) {
	prefix := strings.Trim(u.Path, "/")
	if prefix != "" {
		prefix += "/"
	}
	// No overall timeout: a base backup streams for as long as the database takes to read. A server
	// that stops answering is caught by the header timeout and TCP keep-alives.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.ResponseHeaderTimeout = 5 * time.Minute
	s := &gcsStore{client: &http.Client{Transport: transport}, base: "https://storage.googleapis.com", bucket: u.Host, prefix: prefix}
	if host := os.Getenv("STORAGE_EMULATOR_HOST"); host != "" {
		s.base = strings.TrimSuffix(host, "/")
		if !strings.Contains(s.base, "://") {
			s.base = "http://" + s.base
		}
		return s, nil
	}
	metadata := os.Getenv("GCE_METADATA_HOST")
	if metadata == "" {
		metadata = "169.254.169.254" // metadata.google.internal, without depending on the pod's DNS
	}
	s.token = metadataToken(s.client, "http://"+metadata)
	return s, nil
}

// metadataToken returns the default service account's access token, cached until a minute before it expires.
func metadataToken(client *http.Client, server string) func(ctx context.Context) (string, error) {
	return cachedToken(client, "access token from the metadata server", func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, server+"/computeMetadata/v1/instance/service-accounts/default/token", nil)
		if err == nil {
			req.Header.Set("Metadata-Flavor", "Google")
		}
		return req, err
	})
}

// cachedToken returns the access token of the answer to request (OAuth's JSON: access_token and
// expires_in), asking again a minute before it expires. Each request is made anew.
func cachedToken(client *http.Client, what string, request func(ctx context.Context) (*http.Request, error)) func(ctx context.Context) (string, error) {
	var mu sync.Mutex
	var token string
	var expires time.Time
	return func(ctx context.Context) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if token != "" && time.Now().Before(expires) {
			return token, nil
		}
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		req, err := request(ctx)
		if err != nil {
			return "", fmt.Errorf("%s: %w", what, err)
		}
		res, err := client.Do(req)
		if err != nil {
			return "", fmt.Errorf("%s: %w", what, err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return "", apiError(what, res)
		}
		var body struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int    `json:"expires_in"`
		}
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil || body.AccessToken == "" {
			return "", fmt.Errorf("%s: no token in the answer (%v)", what, err)
		}
		token, expires = body.AccessToken, time.Now().Add(time.Duration(body.ExpiresIn)*time.Second-time.Minute)
		return token, nil
	}
}

func (s *gcsStore) do(ctx context.Context, method, target string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.base+target, body)
	if err != nil {
		return nil, err
	}
	if s.token != nil {
		token, err := s.token(ctx)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return s.client.Do(req)
}

// apiError reads a failed answer's message.
func apiError(what string, res *http.Response) error {
	msg, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	return fmt.Errorf("%s: %s: %s", what, res.Status, strings.TrimSpace(string(msg)))
}

// Put uploads r in one streamed request (media upload), only if no live object has the name.
func (s *gcsStore) Put(ctx context.Context, name string, r io.Reader) error {
	q := url.Values{"uploadType": {"media"}, "name": {s.prefix + name}, "ifGenerationMatch": {"0"}}
	res, err := s.do(ctx, http.MethodPost, "/upload/storage/v1/b/"+url.PathEscape(s.bucket)+"/o?"+q.Encode(), r)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	switch res.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusPreconditionFailed:
		return ErrExists
	case http.StatusForbidden:
		// Replacing an object needs storage.objects.delete, which the archiving identity lacks: Cloud
		// Storage may refuse the write for that before it checks ifGenerationMatch. An object that is
		// there is ErrExists all the same (the caller compares contents); anything else is the error.
		refused := apiError(fmt.Sprintf("writing gs://%s/%s%s", s.bucket, s.prefix, name), res)
		if existing, err := s.Get(ctx, name); err == nil {
			existing.Close()
			return ErrExists
		}
		return refused
	default:
		return apiError(fmt.Sprintf("writing gs://%s/%s%s", s.bucket, s.prefix, name), res)
	}
}

func (s *gcsStore) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	res, err := s.do(ctx, http.MethodGet, "/storage/v1/b/"+url.PathEscape(s.bucket)+"/o/"+url.PathEscape(s.prefix+name)+"?alt=media", nil)
	if err != nil {
		return nil, err
	}
	return opened(res, fmt.Sprintf("reading gs://%s/%s%s", s.bucket, s.prefix, name))
}

// opened is a download's answer: the body, ErrNotFound, or the API's error about `what`.
func opened(res *http.Response, what string) (io.ReadCloser, error) {
	switch res.StatusCode {
	case http.StatusOK:
		return res.Body, nil
	case http.StatusNotFound:
		res.Body.Close()
		return nil, ErrNotFound
	default:
		defer res.Body.Close()
		return nil, apiError(what, res)
	}
}

func (s *gcsStore) List(ctx context.Context, prefix string) ([]string, error) {
	var names []string
	q := url.Values{"prefix": {s.prefix + prefix}, "fields": {"items(name),nextPageToken"}}
	for {
		res, err := s.do(ctx, http.MethodGet, "/storage/v1/b/"+url.PathEscape(s.bucket)+"/o?"+q.Encode(), nil)
		if err != nil {
			return nil, err
		}
		if res.StatusCode != http.StatusOK {
			defer res.Body.Close()
			return nil, apiError(fmt.Sprintf("listing gs://%s/%s%s", s.bucket, s.prefix, prefix), res)
		}
		var page struct {
			Items         []struct{ Name string } `json:"items"`
			NextPageToken string                  `json:"nextPageToken"`
		}
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if err != nil {
			return nil, errors.Join(fmt.Errorf("listing gs://%s/%s%s", s.bucket, s.prefix, prefix), err)
		}
		for _, o := range page.Items {
			names = append(names, strings.TrimPrefix(o.Name, s.prefix))
		}
		if page.NextPageToken == "" {
			return names, nil
		}
		q.Set("pageToken", page.NextPageToken)
	}
}
