package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// archiverQuery reads what the server's archiver last did (pg_stat_archiver, readable by any role):
// whether it is in recovery (a restore replaying: nothing is archived yet), its last success and
// failure with their times in Unix microseconds, whether archiving is on, the segment being written
// and the segment size, the time now and when the server started.
const archiverQuery = `SELECT pg_is_in_recovery(),
       coalesce(last_archived_wal, ''), coalesce((extract(epoch FROM last_archived_time) * 1000000)::bigint::text, ''),
       coalesce(last_failed_wal, ''), coalesce((extract(epoch FROM last_failed_time) * 1000000)::bigint::text, ''),
       failed_count, current_setting('archive_mode'),
       CASE WHEN pg_is_in_recovery() THEN '' ELSE pg_walfile_name(pg_current_wal_lsn()) END,
       (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'),
       (extract(epoch FROM now()) * 1000000)::bigint::text,
       (extract(epoch FROM pg_postmaster_start_time()) * 1000000)::bigint::text
  FROM pg_stat_archiver`

// StuckAfter is how long finished segments may wait while the archiver reports neither success nor
// failure (an archive_command that hangs) before the check fails.
const StuckAfter = 15 * time.Minute

// ArchiverState is one reading of pg_stat_archiver and the server's WAL position.
type ArchiverState struct {
	InRecovery               bool
	LastArchived, LastFailed string
	ArchivedAt, FailedAt     time.Time
	FailedCount              int64
	// ArchiveMode is the server's archive_mode; Current the segment being written ("" in recovery).
	ArchiveMode, Current string
	SegmentBytes         int64
	Now, StartedAt       time.Time
}

// segmentIndex is a WAL segment's position from its file name (timeline, log and segment in hex), or
// -1 for another archived file (a timeline's .history).
func segmentIndex(name string, segmentBytes int64) int64 {
	if len(name) < 24 || segmentBytes <= 0 {
		return -1
	}
	var log, seg int64
	if _, err := fmt.Sscanf(name[8:24], "%08X%08X", &log, &seg); err != nil {
		return -1
	}
	return log*(0x100000000/segmentBytes) + seg
}

// Waiting is how many finished segments wait to be archived: those after the last archived and before
// the one being written; -1 when either is unknown (nothing archived yet, a .history file last).
func (s ArchiverState) Waiting() int64 {
	current, archived := segmentIndex(s.Current, s.SegmentBytes), segmentIndex(s.LastArchived, s.SegmentBytes)
	if current < 0 || archived < 0 {
		return -1
	}
	return current - 1 - archived
}

// Verdict is nil when archiving works, or an error saying what is wrong: archiving is off; the
// archiver's latest attempt failed (PostgreSQL retries a failed segment every minute, so while a store
// refuses writes its last failure stays newer than its last success); or finished segments wait while
// nothing was archived or failed for StuckAfter (an archive_command that hangs). A server in recovery
// archives nothing yet and passes.
func (s ArchiverState) Verdict() error {
	if s.InRecovery {
		return nil
	}
	if s.ArchiveMode == "off" {
		return fmt.Errorf("archive_mode is off: nothing is archived")
	}
	last := "none since the server started"
	if s.LastArchived != "" {
		last = fmt.Sprintf("%s at %s", s.LastArchived, s.ArchivedAt.UTC().Format(time.RFC3339))
	}
	if s.LastFailed != "" && (s.ArchivedAt.IsZero() || s.FailedAt.After(s.ArchivedAt)) {
		return fmt.Errorf("archiving is failing: %s failed at %s (%d failures since the server started); the last archived: %s. Read the postgres container's log for archive_command's error",
			s.LastFailed, s.FailedAt.UTC().Format(time.RFC3339), s.FailedCount, last)
	}
	since := s.ArchivedAt
	if since.IsZero() {
		since = s.StartedAt
	}
	if waiting := s.Waiting(); waiting > 0 && s.Now.Sub(since) > StuckAfter {
		return fmt.Errorf("archiving is stuck: %d finished segments wait, and nothing was archived or failed for %s; the last archived: %s",
			waiting, s.Now.Sub(since).Round(time.Second), last)
	}
	return nil
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
	if len(row) != 11 {
		return ArchiverState{}, fmt.Errorf("pg_stat_archiver: %d columns", len(row))
	}
	s := ArchiverState{InRecovery: string(row[0]) == "t", LastArchived: string(row[1]), LastFailed: string(row[3]), ArchiveMode: string(row[6]), Current: string(row[7])}
	for _, t := range []struct {
		into *time.Time
		from []byte
	}{{&s.ArchivedAt, row[2]}, {&s.FailedAt, row[4]}, {&s.Now, row[9]}, {&s.StartedAt, row[10]}} {
		if len(t.from) == 0 {
			continue
		}
		var micros int64
		if _, err := fmt.Sscan(string(t.from), &micros); err != nil {
			return s, fmt.Errorf("pg_stat_archiver time %q: %w", t.from, err)
		}
		*t.into = time.UnixMicro(micros)
	}
	for _, n := range []struct {
		into *int64
		from []byte
	}{{&s.FailedCount, row[5]}, {&s.SegmentBytes, row[8]}} {
		if _, err := fmt.Sscan(string(n.from), n.into); err != nil {
			return s, fmt.Errorf("pg_stat_archiver: %q is not a number: %w", n.from, err)
		}
	}
	return s, nil
}
