package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/klauspost/compress/zstd"
)

// BackupInfo is written last, as base/<id>/backup.json: a base backup counts once it exists.
type BackupInfo struct {
	ID        string    `json:"id"`
	StartLSN  string    `json:"startLsn"`
	EndLSN    string    `json:"endLsn"`
	Timeline  string    `json:"timeline"`
	StartedAt time.Time `json:"startedAt"`
	// EndedAt: a restore target must be later (the backup is consistent only from its end).
	EndedAt  time.Time `json:"endedAt"`
	TarBytes int64     `json:"tarBytes"`
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ConnectPatience is how long Backup and the archive check keep trying to reach a server that does not
// answer, or answers that it cannot take connections yet: a Job's pod can start before the cluster's
// NetworkPolicy engine lets it through (its address is new), or while Postgres restarts or replays a
// restore. A server that refuses (a wrong password, pg_hba) fails at once.
var ConnectPatience = 60 * time.Second

// notYet is PostgreSQL's answer while it starts, stops or recovers (SQLSTATE 57P03, cannot_connect_now).
const notYet = "57P03"

func connect(ctx context.Context, cfg *pgconn.Config, patience time.Duration) (*pgconn.PgConn, error) {
	deadline := time.Now().Add(patience)
	for wait := 500 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		conn, err := pgconn.ConnectConfig(ctx, cfg)
		var answered *pgconn.PgError
		refused := errors.As(err, &answered) && answered.Code != notYet
		left := time.Until(deadline)
		if err == nil || refused || left <= 0 {
			return conn, err
		}
		wait = min(wait, left)
		fmt.Fprintf(os.Stderr, "pgbackup: %v; trying again in %s\n", err, wait)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// Backup takes a base backup over the replication protocol (BASE_BACKUP, PostgreSQL 15+) and stores the
// main data directory's tar, compressed, as base/<id>/base.tar.zst, then base/<id>/backup.json.
// Tablespaces other than the main one are refused (kubeship creates none).
func Backup(ctx context.Context, s Store, connString string, now func() time.Time) (*BackupInfo, error) {
	cfg, err := pgconn.ParseConfig(connString)
	if err != nil {
		return nil, err
	}
	// BASE_BACKUP needs a physical replication connection, whether or not the caller said so.
	cfg.RuntimeParams["replication"] = "true"
	conn, err := connect(ctx, cfg, ConnectPatience)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	started := now().UTC()
	id := started.Format("20060102T150405Z")

	pr, pw := io.Pipe()
	stored := make(chan error, 1)
	go func() {
		err := s.Put(ctx, "base/"+id+"/base.tar.zst", pr)
		pr.CloseWithError(err)
		stored <- err
	}()
	zw, err := zstd.NewWriter(pw)
	if err != nil {
		return nil, err
	}
	tarOut := &countingWriter{w: zw}
	info := &BackupInfo{ID: id, StartedAt: started}
	fail := func(err error) (*BackupInfo, error) {
		pw.CloseWithError(err)
		<-stored
		return nil, err
	}

	fe := conn.Frontend()
	fe.Send(&pgproto3.Query{String: "BASE_BACKUP (LABEL 'kubeship', CHECKPOINT 'fast', WAL false, MANIFEST 'no', TARGET 'client')"})
	if err := fe.Flush(); err != nil {
		return fail(err)
	}
	rows := 0
	var current io.Writer
	for {
		msg, err := fe.Receive()
		if err != nil {
			return fail(err)
		}
		switch m := msg.(type) {
		case *pgproto3.DataRow:
			// First result: the start position and timeline; then one row per tablespace; then the end.
			rows++
			if len(m.Values) == 2 {
				if info.StartLSN == "" {
					info.StartLSN, info.Timeline = string(m.Values[0]), string(m.Values[1])
				} else {
					info.EndLSN = string(m.Values[0])
				}
			} else if len(m.Values) == 3 && len(m.Values[1]) > 0 {
				return fail(fmt.Errorf("the server has a tablespace at %s: only the main data directory is backed up", m.Values[1]))
			}
		case *pgproto3.CopyData:
			if len(m.Data) == 0 {
				continue
			}
			switch m.Data[0] {
			case 'n':
				name := string(bytes.SplitN(m.Data[1:], []byte{0}, 2)[0])
				if name != "base.tar" {
					return fail(fmt.Errorf("unexpected archive %q", name))
				}
				current = tarOut
			case 'd':
				if current == nil {
					return fail(errors.New("backup data before an archive header"))
				}
				if _, err := current.Write(m.Data[1:]); err != nil {
					return fail(err)
				}
			case 'p', 'm':
				// progress; the manifest (not requested)
			default:
				return fail(fmt.Errorf("unknown backup stream message %q", m.Data[0]))
			}
		case *pgproto3.ErrorResponse:
			return fail(fmt.Errorf("BASE_BACKUP: %s (SQLSTATE %s)", m.Message, m.Code))
		case *pgproto3.ReadyForQuery:
			if info.EndLSN == "" || current == nil {
				return fail(errors.New("the backup ended without its end position or data"))
			}
			if err := zw.Close(); err != nil {
				return fail(err)
			}
			pw.Close()
			if err := <-stored; err != nil {
				return nil, err
			}
			info.EndedAt = now().UTC()
			info.TarBytes = tarOut.n
			meta, _ := json.MarshalIndent(info, "", "  ")
			if err := s.Put(ctx, "base/"+id+"/backup.json", bytes.NewReader(meta)); err != nil {
				return nil, err
			}
			return info, nil
		}
	}
}

// Backups lists the complete base backups (those with backup.json), oldest first.
func Backups(ctx context.Context, s Store) ([]BackupInfo, error) {
	names, err := s.List(ctx, "base/")
	if err != nil {
		return nil, err
	}
	var out []BackupInfo
	for _, n := range names {
		if !strings.HasSuffix(n, "/backup.json") {
			continue
		}
		r, err := s.Get(ctx, n)
		if err != nil {
			return nil, err
		}
		var info BackupInfo
		err = json.NewDecoder(r).Decode(&info)
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].EndedAt.Before(out[j].EndedAt) })
	return out, nil
}

// ChooseBackup picks the newest base backup that ended before target.
func ChooseBackup(backups []BackupInfo, target time.Time) (*BackupInfo, error) {
	var best *BackupInfo
	for i := range backups {
		if backups[i].EndedAt.Before(target) {
			best = &backups[i]
		}
	}
	if best == nil {
		return nil, fmt.Errorf("no base backup ended before %s (%d backups)", target.Format(time.RFC3339), len(backups))
	}
	return best, nil
}
