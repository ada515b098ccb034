package main

import (
	"strings"
	"testing"
	"time"
)

func TestVerdictFailsOnlyWhileTheArchiversLatestAttemptFailed(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	cases := []struct {
		name  string
		state ArchiverState
		fails bool
	}{
		{"nothing archived, nothing failed", ArchiverState{}, false},
		{"archived, never failed", ArchiverState{LastArchived: "000000010000000000000003", ArchivedAt: t0}, false},
		{"failed, then archived (the store came back)", ArchiverState{LastArchived: "3", ArchivedAt: t0.Add(time.Second), LastFailed: "3", FailedAt: t0, FailedCount: 1}, false},
		{"archived, then failed", ArchiverState{LastArchived: "3", ArchivedAt: t0, LastFailed: "4", FailedAt: t0.Add(time.Microsecond), FailedCount: 1}, true},
		{"failed, never archived", ArchiverState{LastFailed: "1", FailedAt: t0, FailedCount: 3}, true},
		{"failing, but in recovery (a restore replaying)", ArchiverState{InRecovery: true, LastFailed: "1", FailedAt: t0, FailedCount: 3}, false},
	}
	for _, c := range cases {
		c.state.ArchiveMode = "on"
		err := c.state.Verdict()
		if (err != nil) != c.fails {
			t.Errorf("%s: verdict %v, want failing %v", c.name, err, c.fails)
		}
		if err != nil && !strings.Contains(err.Error(), "archiving is failing: "+c.state.LastFailed+" failed at") {
			t.Errorf("%s: the message names the failed segment: %v", c.name, err)
		}
	}
}

func TestParseArchiverRowReadsMicrosecondsAndEmptyColumns(t *testing.T) {
	row := func(cols ...string) [][]byte {
		out := make([][]byte, len(cols))
		for i, c := range cols {
			out[i] = []byte(c)
		}
		return out
	}
	s, err := parseArchiverRow(row("f", "000000010000000000000003", "1764662400000001", "", "", "0", "on", "000000010000000000000004", "16777216", "1764662460000000", "1764662000000000"))
	if err != nil {
		t.Fatal(err)
	}
	if s.InRecovery || s.LastArchived != "000000010000000000000003" || !s.ArchivedAt.Equal(time.UnixMicro(1764662400000001)) || !s.FailedAt.IsZero() || s.FailedCount != 0 ||
		s.ArchiveMode != "on" || s.Current != "000000010000000000000004" || s.SegmentBytes != 16<<20 || !s.Now.Equal(time.UnixMicro(1764662460000000)) || !s.StartedAt.Equal(time.UnixMicro(1764662000000000)) {
		t.Errorf("parsed %+v", s)
	}
	if s.Waiting() != 0 {
		t.Errorf("segment 4 being written, 3 archived: %d waiting, want 0", s.Waiting())
	}
	if _, err := parseArchiverRow([][]byte{[]byte("f")}); err == nil {
		t.Error("a short row is an error")
	}
	if _, err := parseArchiverRow(row("f", "", "soon", "", "", "0", "on", "", "16777216", "1", "1")); err == nil {
		t.Error("a time that is not a number is an error")
	}
}

func TestVerdictFailsWhenArchivingIsOffOrSegmentsWaitWithoutProgress(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	const mb16 = 16 << 20
	if err := (ArchiverState{ArchiveMode: "off"}).Verdict(); err == nil || !strings.Contains(err.Error(), "archive_mode is off") {
		t.Errorf("archive_mode off: %v", err)
	}
	stuck := ArchiverState{ArchiveMode: "on", SegmentBytes: mb16, LastArchived: "000000010000000000000003", ArchivedAt: t0,
		Current: "000000010000000000000007", Now: t0.Add(StuckAfter + time.Minute), StartedAt: t0.Add(-time.Hour)}
	if err := stuck.Verdict(); err == nil || !strings.Contains(err.Error(), "archiving is stuck: 3 finished segments wait") {
		t.Errorf("three segments waiting for 16 minutes: %v", err)
	}
	recent := stuck
	recent.Now = t0.Add(time.Minute)
	if err := recent.Verdict(); err != nil {
		t.Errorf("segments waiting a minute after the last archive (a burst): %v", err)
	}
	caughtUp := stuck
	caughtUp.Current = "000000010000000000000004"
	if err := caughtUp.Verdict(); err != nil {
		t.Errorf("an idle server, its last segment archived long ago: %v", err)
	}
	history := stuck
	history.LastArchived = "00000002.history"
	if err := history.Verdict(); err != nil {
		t.Errorf("a .history file last (after a promotion): unknown, not stuck: %v", err)
	}
	// Across a log boundary: segment FF of log 0 then 00 of log 1, with 16 MiB segments (256 per log).
	if n := segmentIndex("000000010000000100000000", mb16) - segmentIndex("0000000100000000000000FF", mb16); n != 1 {
		t.Errorf("consecutive segments across a log boundary are %d apart", n)
	}
	if segmentIndex("00000002.history", mb16) != -1 {
		t.Error("a .history file is not a segment")
	}
}
