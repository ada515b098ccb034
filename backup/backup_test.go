package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFileStoreIsWriteOnce(t *testing.T) {
	ctx := context.Background()
	s, err := OpenStore(context.Background(), "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "wal/a", strings.NewReader("one")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "wal/a", strings.NewReader("two")); !errors.Is(err, ErrExists) {
		t.Fatalf("second Put: %v, want ErrExists", err)
	}
	r, _ := s.Get(ctx, "wal/a")
	var buf bytes.Buffer
	buf.ReadFrom(r)
	r.Close()
	if buf.String() != "one" {
		t.Fatalf("content %q after a refused overwrite", buf.String())
	}
	if _, err := s.Get(ctx, "wal/b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing object: %v", err)
	}
	if err := s.Put(ctx, "../escape", strings.NewReader("x")); err == nil {
		t.Fatal("a name with .. was accepted")
	}
	names, _ := s.List(ctx, "wal/")
	if len(names) != 1 || names[0] != "wal/a" {
		t.Fatalf("List = %v", names)
	}
}

func TestOpenStoreRefusesWhatItCannotServe(t *testing.T) {
	for _, u := range []string{"ftp://x/y", "file://relative", "s3:///no-bucket"} {
		if _, err := OpenStore(context.Background(), u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
}

func TestWalPushAcceptsARetryAndRefusesOtherContent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, _ := OpenStore(ctx, "file://"+filepath.Join(dir, "store"))
	seg := filepath.Join(dir, "000000010000000000000001")
	os.WriteFile(seg, bytes.Repeat([]byte{7}, 1<<20), 0o600)
	if err := WalPush(ctx, s, seg, "000000010000000000000001"); err != nil {
		t.Fatal(err)
	}
	if err := WalPush(ctx, s, seg, "000000010000000000000001"); err != nil {
		t.Fatalf("a retry of the same content: %v", err)
	}
	os.WriteFile(seg, bytes.Repeat([]byte{8}, 1<<20), 0o600)
	if err := WalPush(ctx, s, seg, "000000010000000000000001"); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Fatalf("other content under an archived name: %v", err)
	}
	if err := WalPush(ctx, s, seg, "postgresql.conf"); err == nil {
		t.Fatal("a name that is not a WAL file was archived")
	}
	out := filepath.Join(dir, "restored")
	if err := WalFetch(ctx, s, "000000010000000000000001", out); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, bytes.Repeat([]byte{7}, 1<<20)) {
		t.Fatal("fetched content differs from the first push")
	}
	if err := WalFetch(ctx, s, "000000010000000000000002", out); !errors.Is(err, ErrNotFound) {
		t.Fatalf("fetch of an unarchived segment: %v", err)
	}
}

func TestDecodeDetectsCorruption(t *testing.T) {
	object, _ := encode([]byte("hello wal"))
	if data, err := decode(object); err != nil || string(data) != "hello wal" {
		t.Fatalf("round trip: %q %v", data, err)
	}
	object[len(object)-10] ^= 0xff
	if _, err := decode(object); err == nil {
		t.Fatal("a changed checksum went unnoticed")
	}
	if _, err := decode([]byte("plain")); err == nil {
		t.Fatal("an object without a trailer was accepted")
	}
}

func TestChooseBackupTakesTheNewestThatEndedBeforeTheTarget(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	backups := []BackupInfo{{ID: "a", EndedAt: at("2026-12-01T03:00:10Z")}, {ID: "b", EndedAt: at("2026-12-02T03:00:10Z")}}
	for target, want := range map[string]string{"2026-12-01T12:00:00Z": "a", "2026-12-02T03:00:11Z": "b", "2026-12-02T03:00:05Z": "a"} {
		got, err := ChooseBackup(backups, at(target))
		if err != nil || got.ID != want {
			t.Errorf("target %s: %v %v, want %s", target, got, err, want)
		}
	}
	if _, err := ChooseBackup(backups, at("2026-12-01T03:00:00Z")); err == nil {
		t.Error("a target before every backup's end was accepted")
	}
}

func TestInstallCopiesItselfReadOnlyWithoutAStore(t *testing.T) {
	t.Setenv("KUBESHIP_BACKUP_URL", "")
	dest := filepath.Join(t.TempDir(), "pgbackup")
	if err := run(context.Background(), []string{"install", dest}); err != nil {
		t.Fatal(err)
	}
	self, _ := os.Executable()
	want, _ := os.ReadFile(self)
	got, err := os.ReadFile(dest)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("installed copy differs from the binary (%v)", err)
	}
	if fi, _ := os.Stat(dest); fi.Mode().Perm() != 0o555 {
		t.Fatalf("mode %v, want r-xr-xr-x", fi.Mode().Perm())
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".pgbackup-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
}

// TestRootsWithoutABundle runs itself again where the system has no CA certificates (the pgbackup image
// and the official postgres image): the built-in roots must still be there for HTTPS to the stores.
func TestRootsWithoutABundle(t *testing.T) {
	if os.Getenv("PGBACKUP_ROOTS_CHILD") == "1" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			t.Fatal(err)
		}
		// Subjects is deprecated for the platform verifier's pools; this one is built from PEM.
		if n := len(pool.Subjects()); n < 100 {
			t.Fatalf("%d roots without a system bundle", n)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRootsWithoutABundle$")
	cmd.Env = append(os.Environ(), "PGBACKUP_ROOTS_CHILD=1", "SSL_CERT_FILE=/nonexistent", "SSL_CERT_DIR="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}
