// Command pgbackup archives a PostgreSQL server's WAL and base backups to write-once storage, and
// restores it to a point in time. The store is $KUBESHIP_BACKUP_URL: file:///path, s3://bucket/prefix
// or gs://bucket/prefix.
//
//	pgbackup wal-push %p %f        archive_command
//	pgbackup wal-fetch %f %p [URL] restore_command; from URL instead of the store when given
//	pgbackup backup CONNSTRING     a base backup over the replication protocol
//	pgbackup restore DIR TIME [ID] prepare DIR to recover to TIME (RFC 3339), then start postgres on it;
//	                               from $KUBESHIP_RESTORE_FROM when set. With ID: once per volume, and a
//	                               non-empty DIR is moved aside to DIR.before-ID
//	pgbackup list                  the complete base backups
//	pgbackup install DEST          copy this binary to DEST (an init container puts it in the postgres pod)
//	pgbackup check CONNSTRING      fail when the server's archiver's latest attempt failed (pg_stat_archiver)
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	// Mozilla's root certificates, built in: the pgbackup image is empty and the official postgres image
	// has no CA bundle, so without them every HTTPS call to S3, Spaces or Cloud Storage would fail. Used
	// only where the system has no roots of its own.
	_ "golang.org/x/crypto/x509roots/fallback"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pgbackup:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: pgbackup wal-push|wal-fetch|backup|restore|list|install|check ...")
	}
	// The arguments each command takes: at least, at most.
	need := map[string][2]int{"wal-push": {2, 2}, "wal-fetch": {2, 3}, "backup": {1, 1}, "restore": {2, 3}, "list": {0, 0}, "install": {1, 1}, "check": {1, 1}}
	n, ok := need[args[0]]
	if !ok {
		return fmt.Errorf("unknown command %q", args[0])
	}
	if got := len(args) - 1; got < n[0] || got > n[1] {
		return fmt.Errorf("%s takes %d to %d arguments, got %d", args[0], n[0], n[1], got)
	}
	switch args[0] {
	case "install":
		return install(args[1])
	case "check":
		// The server's own view: no store is opened.
		line, err := CheckArchiving(ctx, args[1])
		if err == nil {
			fmt.Println(line)
		}
		return err
	}
	url := os.Getenv("KUBESHIP_BACKUP_URL")
	// Where WAL and base backups are read from, when it is not the store this server archives to.
	switch {
	case args[0] == "wal-fetch" && len(args) == 4:
		url = args[3]
	case args[0] == "restore" && os.Getenv("KUBESHIP_RESTORE_FROM") != "":
		url = os.Getenv("KUBESHIP_RESTORE_FROM")
	}
	if url == "" {
		return errors.New("KUBESHIP_BACKUP_URL is not set")
	}
	s, err := OpenStore(ctx, url)
	if err != nil {
		return err
	}
	switch args[0] {
	case "wal-push":
		return WalPush(ctx, s, args[1], args[2])
	case "wal-fetch":
		return WalFetch(ctx, s, args[1], args[2])
	case "backup":
		info, err := Backup(ctx, s, args[1], time.Now)
		if err == nil {
			fmt.Printf("base backup %s: %s to %s on timeline %s, %d bytes\n", info.ID, info.StartLSN, info.EndLSN, info.Timeline, info.TarBytes)
		}
		return err
	case "restore":
		target, err := time.Parse(time.RFC3339Nano, args[2])
		if err != nil {
			return fmt.Errorf("restore time %q: %w (RFC 3339, e.g. 2026-12-02T08:00:00Z)", args[2], err)
		}
		self, err := os.Executable()
		if err != nil {
			return err
		}
		o := RestoreOptions{Source: url, Self: self}
		if len(args) == 4 {
			o.ID = args[3]
		}
		// Restoring from another archive than the one this server will write to: that one must be new.
		if own := os.Getenv("KUBESHIP_BACKUP_URL"); own != "" && own != url {
			if o.Archive, err = OpenStore(ctx, own); err != nil {
				return err
			}
		}
		info, err := Restore(ctx, s, args[1], target, o)
		if errors.Is(err, ErrRestored) {
			fmt.Printf("this volume holds restore %s already: nothing to do\n", o.ID)
			return nil
		}
		if err == nil {
			fmt.Printf("%s holds base backup %s (ended %s) from %s; start postgres on it to recover to %s\n", args[1], info.ID, info.EndedAt.Format(time.RFC3339), url, target.Format(time.RFC3339Nano))
		}
		return err
	default:
		backups, err := Backups(ctx, s)
		for _, b := range backups {
			fmt.Printf("%s  %s .. %s  %d bytes\n", b.ID, b.StartLSN, b.EndLSN, b.TarBytes)
		}
		return err
	}
}

// install copies the running binary to dest, executable by all and written by none: the postgres image
// lacks pgbackup, so an init container of the pgbackup image (which has no shell) copies it into a
// volume both containers mount. The copy is renamed into place, so a half-written file is never run.
func install(dest string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	in, err := os.Open(self)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := writeTemp(filepath.Dir(dest), ".pgbackup-*", in, 0o555)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Rename(tmp, dest); err != nil {
		return err
	}
	fmt.Printf("installed %s\n", dest)
	return nil
}
