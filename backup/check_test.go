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
	s, err := parseArchiverRow([][]byte{[]byte("f"), []byte("000000010000000000000003"), []byte("1764662400000001"), []byte(""), []byte(""), []byte("0")})
	if err != nil {
		t.Fatal(err)
	}
	if s.InRecovery || s.LastArchived != "000000010000000000000003" || !s.ArchivedAt.Equal(time.UnixMicro(1764662400000001)) || !s.FailedAt.IsZero() || s.FailedCount != 0 {
		t.Errorf("parsed %+v", s)
	}
	if _, err := parseArchiverRow([][]byte{[]byte("f")}); err == nil {
		t.Error("a short row is an error")
	}
	if _, err := parseArchiverRow([][]byte{[]byte("f"), nil, []byte("soon"), nil, nil, []byte("0")}); err == nil {
		t.Error("a time that is not a number is an error")
	}
}
