package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// storeWithBackup is a file store holding one base backup (ended at ended) of a data directory with
// PG_VERSION alone.
func storeWithBackup(t *testing.T, ended time.Time) (Store, string) {
	t.Helper()
	ctx := context.Background()
	url := "file://" + t.TempDir()
	s, err := OpenStore(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	var tarball bytes.Buffer
	zw, _ := zstd.NewWriter(&tarball)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "PG_VERSION", Mode: 0o600, Size: 3, Typeflag: tar.TypeReg})
	tw.Write([]byte("17\n"))
	tw.Close()
	zw.Close()
	id := ended.Add(-time.Minute).Format("20060102T150405Z")
	info, _ := json.Marshal(BackupInfo{ID: id, StartLSN: "0/2000028", EndLSN: "0/2000100", Timeline: "1", StartedAt: ended.Add(-time.Minute), EndedAt: ended})
	if err := s.Put(ctx, "base/"+id+"/base.tar.zst", &tarball); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "base/"+id+"/backup.json", bytes.NewReader(info)); err != nil {
		t.Fatal(err)
	}
	return s, url
}

// restoreCase is a store with one base backup ended at ended, and a volume whose data directory dir
// (volume/pgdata) does not exist yet.
type restoreCase struct {
	ctx    context.Context
	s      Store
	url    string
	ended  time.Time
	volume string
	dir    string
}

func newRestoreCase(t *testing.T) restoreCase {
	t.Helper()
	ended := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	s, url := storeWithBackup(t, ended)
	volume := t.TempDir()
	return restoreCase{context.Background(), s, url, ended, volume, filepath.Join(volume, "pgdata")}
}

// holding writes a data directory at path with PG_VERSION = content.
func holding(path, content string) {
	os.Mkdir(path, 0o700)
	os.WriteFile(filepath.Join(path, "PG_VERSION"), []byte(content), 0o600)
}

func TestRestoreWithAnIDMovesTheOldDataAsideAndRestoresOnce(t *testing.T) {
	c := newRestoreCase(t)
	ctx, s, url, ended, volume, dir := c.ctx, c.s, c.url, c.ended, c.volume, c.dir
	holding(dir, "old\n")
	o := RestoreOptions{Source: url, Self: "/kubeship/bin/pgbackup", ID: "restore-1"}

	if _, err := Restore(ctx, s, dir, ended.Add(time.Hour), RestoreOptions{Source: url, Self: o.Self}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("a restore without an ID into a server's data: %v, want a refusal", err)
	}
	if _, err := Restore(ctx, s, dir, ended.Add(time.Hour), o); err != nil {
		t.Fatal(err)
	}
	if old, _ := os.ReadFile(filepath.Join(dir+".before-restore-1", "PG_VERSION")); string(old) != "old\n" {
		t.Fatalf("the replaced data was not kept aside: %q", old)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "PG_VERSION")); string(got) != "17\n" {
		t.Fatalf("restored PG_VERSION = %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "recovery.signal")); err != nil {
		t.Fatal(err)
	}
	conf, _ := os.ReadFile(filepath.Join(dir, "postgresql.auto.conf"))
	for _, want := range []string{
		"restore_command = '/kubeship/bin/pgbackup wal-fetch %f %p " + url + "'",
		"recovery_target_time = '2026-12-02 09:00:00+00'",
		"recovery_target_timeline = 'current'",
		"recovery_target_action = 'promote'",
	} {
		if !strings.Contains(string(conf), want) {
			t.Errorf("postgresql.auto.conf lacks %q:\n%s", want, conf)
		}
	}
	if marker, _ := os.ReadFile(filepath.Join(volume, "kubeship-restore")); string(marker) != "done restore-1\n" {
		t.Fatalf("marker = %q", marker)
	}

	// The pod restarts: its init container runs again with the same ID and must leave the server alone.
	os.WriteFile(filepath.Join(dir, "written-after-the-restore"), nil, 0o600)
	if _, err := Restore(ctx, s, dir, ended.Add(time.Hour), o); !errors.Is(err, ErrRestored) {
		t.Fatalf("the same restore again: %v, want ErrRestored", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "written-after-the-restore")); err != nil {
		t.Fatal("the same restore again touched the data")
	}
}

func TestRestoreRetriesAnInterruptedAttemptWithoutLosingTheOriginal(t *testing.T) {
	c := newRestoreCase(t)
	ctx, s, url, ended, volume, dir := c.ctx, c.s, c.url, c.ended, c.volume, c.dir
	// An attempt moved the original aside, recorded that, then died while extracting.
	holding(dir+".before-r2", "original\n")
	os.WriteFile(filepath.Join(volume, "kubeship-restore"), []byte("pending r2\n"), 0o600)
	os.Mkdir(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "half-extracted"), nil, 0o600)
	if _, err := Restore(ctx, s, dir, ended.Add(time.Hour), RestoreOptions{Source: url, Self: "/bin/pgbackup", ID: "r2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "half-extracted")); err == nil {
		t.Fatal("the partial extraction was kept")
	}
	if old, _ := os.ReadFile(filepath.Join(dir+".before-r2", "PG_VERSION")); string(old) != "original\n" {
		t.Fatalf("the original data was lost: %q", old)
	}
	if marker, _ := os.ReadFile(filepath.Join(volume, "kubeship-restore")); string(marker) != "done r2\n" {
		t.Fatalf("marker = %q", marker)
	}
}

func TestRestoreTouchesNothingUntilEveryCheckPasses(t *testing.T) {
	c := newRestoreCase(t)
	ctx, s, url, ended, dir := c.ctx, c.s, c.url, c.ended, c.dir
	holding(dir, "live\n")
	live := func(what string) {
		t.Helper()
		if got, _ := os.ReadFile(filepath.Join(dir, "PG_VERSION")); string(got) != "live\n" {
			t.Fatalf("%s: the live data was moved or changed (%q)", what, got)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "kubeship-restore")); err == nil {
			t.Fatalf("%s: a marker was written", what)
		}
	}
	o := RestoreOptions{Source: url, Self: "/bin/pgbackup", ID: "r3"}
	if _, err := Restore(ctx, s, dir, ended.Add(-time.Hour), o); err == nil {
		t.Fatal("a time before every backup's end was accepted")
	}
	live("no base backup for the time")
	empty, _ := OpenStore(ctx, "file://"+t.TempDir())
	if _, err := Restore(ctx, empty, dir, ended.Add(time.Hour), RestoreOptions{Source: "file:///elsewhere", Self: "/bin/pgbackup", ID: "r3"}); err == nil {
		t.Fatal("a source without backups was accepted")
	}
	live("an empty source")

	// The restored server's location already holds WAL: this restore ran before, on a volume since
	// replaced; restoring its point again would hide what its server wrote after.
	archive, _ := OpenStore(ctx, "file://"+t.TempDir())
	seg := filepath.Join(t.TempDir(), "seg")
	os.WriteFile(seg, []byte("written after the first run"), 0o600)
	WalPush(ctx, archive, seg, "000000020000000000000003")
	o.Archive = archive
	if _, err := Restore(ctx, s, dir, ended.Add(time.Hour), o); err == nil || !strings.Contains(err.Error(), "ran before") {
		t.Fatalf("a restore into a used location: %v", err)
	}
	live("a used archive location")
}

func TestRestoreOfAnEarlierPointAgainKeepsEveryCopy(t *testing.T) {
	// Restore X, then Y, then X again (a reverted config): the data Y restored, and what was written on
	// it since, is moved aside under a name of its own, never removed.
	c := newRestoreCase(t)
	ctx, s, url, ended, volume, dir := c.ctx, c.s, c.url, c.ended, c.volume, c.dir
	holding(dir+".before-x", "the original\n")
	holding(dir, "restored by y\n")
	os.WriteFile(filepath.Join(volume, "kubeship-restore"), []byte("done y\n"), 0o600)
	if _, err := Restore(ctx, s, dir, ended.Add(time.Hour), RestoreOptions{Source: url, Self: "/bin/pgbackup", ID: "x"}); err != nil {
		t.Fatal(err)
	}
	for aside, want := range map[string]string{dir + ".before-x": "the original\n", dir + ".before-x.2": "restored by y\n"} {
		if got, _ := os.ReadFile(filepath.Join(aside, "PG_VERSION")); string(got) != want {
			t.Errorf("%s holds %q, want %q", aside, got, want)
		}
	}
}

func TestRestoreRefusesWhatCannotGoIntoRestoreCommand(t *testing.T) {
	c := newRestoreCase(t)
	ctx, s, url, ended, dir := c.ctx, c.s, c.url, c.ended, c.dir
	for _, o := range []RestoreOptions{
		{Source: url + "/a b", Self: "/bin/pgbackup"},
		{Source: url + "/50%", Self: "/bin/pgbackup"},
		{Source: url + "';x", Self: "/bin/pgbackup"},
		{Source: url, Self: "/bin/pgbackup", ID: "../escape"},
	} {
		if _, err := Restore(ctx, s, dir, ended.Add(time.Hour), o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	if _, err := Restore(ctx, s, dir, ended.Add(-time.Second), RestoreOptions{Source: url, Self: "/bin/pgbackup"}); err == nil {
		t.Error("a target before every backup's end accepted")
	}
}

func TestWalFetchReadsTheURLItIsGivenOverTheServersOwnStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	source, own := "file://"+filepath.Join(dir, "source"), "file://"+filepath.Join(dir, "own")
	s, _ := OpenStore(ctx, source)
	seg := filepath.Join(dir, "segment")
	os.WriteFile(seg, []byte("from the source"), 0o600)
	if err := WalPush(ctx, s, seg, "000000010000000000000001"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBESHIP_BACKUP_URL", own)
	dest := filepath.Join(dir, "RECOVERYXLOG")
	if err := run(ctx, []string{"wal-fetch", "000000010000000000000001", dest}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("from the server's own store: %v, want ErrNotFound", err)
	}
	if err := run(ctx, []string{"wal-fetch", "000000010000000000000001", dest, source}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dest); string(got) != "from the source" {
		t.Fatalf("fetched %q", got)
	}
	if err := run(ctx, []string{"wal-fetch", "a", "b", "c", "d"}); err == nil || !strings.Contains(err.Error(), "2 to 3 arguments") {
		t.Fatalf("too many arguments: %v", err)
	}
}
