package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// archiverQuery reads what the server's archiver last did (pg_stat_archiver, readable by any role):
// whether it is in recovery (a restore replaying: nothing is archived yet), and its last success and
// failure with their times in Unix microseconds.
const archiverQuery = `SELECT pg_is_in_recovery(),
       coalesce(last_archived_wal, ''), coalesce((extract(epoch FROM last_archived_time) * 1000000)::bigint::text, ''),
       coalesce(last_failed_wal, ''), coalesce((extract(epoch FROM last_failed_time) * 1000000)::bigint::text, ''),
       failed_count
  FROM pg_stat_archiver`

// ArchiverState is one reading of pg_stat_archiver.
type ArchiverState struct {
	InRecovery               bool
	LastArchived, LastFailed string
	ArchivedAt, FailedAt     time.Time
	FailedCount              int64
}

// Verdict is nil when archiving works, or an error saying what failed: the archiver's latest attempt
// failed (PostgreSQL retries a failed segment every minute, so while a store refuses writes its last
// failure stays newer than its last success). A server in recovery archives nothing yet and passes.
func (s ArchiverState) Verdict() error {
	if s.InRecovery || s.LastFailed == "" || (!s.ArchivedAt.IsZero() && !s.FailedAt.After(s.ArchivedAt)) {
		return nil
	}
	last := "none since the server started"
	if s.LastArchived != "" {
		last = fmt.Sprintf("%s at %s", s.LastArchived, s.ArchivedAt.UTC().Format(time.RFC3339))
	}
	return fmt.Errorf("archiving is failing: %s failed at %s (%d failures since the server started); the last archived: %s. Read the postgres container's log for archive_command's error",
		s.LastFailed, s.FailedAt.UTC().Format(time.RFC3339), s.FailedCount, last)
}

// CheckArchiving reads the server's archiver state over a normal connection (CONNINFO names the
// database) and returns a line describing it, or the Verdict's error.
func CheckArchiving(ctx context.Context, connString string) (string, error) {
	cfg, err := pgconn.ParseConfig(connString)
	if err != nil {
		return "", err
	}
	conn, err := connect(ctx, cfg, ConnectPatience)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	result := conn.ExecParams(ctx, archiverQuery, nil, nil, nil, nil).Read()
	if result.Err != nil {
		return "", result.Err
	}
	if len(result.Rows) != 1 {
		return "", fmt.Errorf("pg_stat_archiver returned %d rows", len(result.Rows))
	}
	s, err := parseArchiverRow(result.Rows[0])
	if err != nil {
		return "", err
	}
	if err := s.Verdict(); err != nil {
		return "", err
	}
	switch {
	case s.InRecovery:
		return "in recovery: nothing is archived until it promotes", nil
	case s.LastArchived == "":
		return "nothing archived yet, and no failure", nil
	default:
		return fmt.Sprintf("archiving works: the last archived is %s at %s", s.LastArchived, s.ArchivedAt.UTC().Format(time.RFC3339)), nil
	}
}

func parseArchiverRow(row [][]byte) (ArchiverState, error) {
	if len(row) != 6 {
		return ArchiverState{}, fmt.Errorf("pg_stat_archiver: %d columns", len(row))
	}
	at := func(b []byte) (time.Time, error) {
		if len(b) == 0 {
			return time.Time{}, nil
		}
		var micros int64
		if _, err := fmt.Sscan(string(b), &micros); err != nil {
			return time.Time{}, fmt.Errorf("pg_stat_archiver time %q: %w", b, err)
		}
		return time.UnixMicro(micros), nil
	}
	s := ArchiverState{InRecovery: string(row[0]) == "t", LastArchived: string(row[1]), LastFailed: string(row[3])}
	var err error
	if s.ArchivedAt, err = at(row[2]); err != nil {
		return s, err
	}
	if s.FailedAt, err = at(row[4]); err != nil {
		return s, err
	}
	if _, err := fmt.Sscan(string(row[5]), &s.FailedCount); err != nil {
		return s, fmt.Errorf("pg_stat_archiver failed_count %q: %w", row[5], err)
	}
	return s, nil
}
