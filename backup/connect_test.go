package main

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// refusingServer answers every connection on l with an authentication failure, as a server that is up
// but will not let the role in.
func refusingServer(l net.Listener) {
	answeringServer(l, func(int) string { return "28P01" })
}

// answeringServer answers the n-th connection on l (from 1) with the error code(n) names.
func answeringServer(l net.Listener, code func(n int) string) {
	for n := 1; ; n++ {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func(code string) {
			defer c.Close()
			be := pgproto3.NewBackend(c, c)
			if _, err := be.ReceiveStartupMessage(); err != nil {
				return
			}
			be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: code, Message: "the server's answer " + code})
			be.Flush()
		}(code(n))
	}
}

func TestConnectWaitsForAServerThatIsStartingAndStopsAtItsRefusal(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// "the database system is starting up" twice, then the role refused.
	go answeringServer(l, func(n int) string {
		if n <= 2 {
			return "57P03"
		}
		return "28P01"
	})
	cfg, err := pgconn.ParseConfig("postgres://backup@" + l.Addr().String() + "/?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	_, err = connect(context.Background(), cfg, 20*time.Second)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Fatalf("connect: %v, want the third answer, after two that the server is starting", err)
	}
	if elapsed := time.Since(started); elapsed < time.Second || elapsed > 8*time.Second {
		t.Fatalf("answered after %s: two retries (0.5 s, then 1 s) before the refusal", elapsed)
	}
}

func TestConnectWaitsForAServerThatDoesNotAnswerYetButNotForOneThatRefuses(t *testing.T) {
	probe, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := probe.Addr().String()
	probe.Close()
	cfg, err := pgconn.ParseConfig("postgres://backup@" + addr + "/?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}

	// Nothing listens: a dial error, given up on after the patience.
	started := time.Now()
	if _, err := connect(context.Background(), cfg, 1500*time.Millisecond); err == nil {
		t.Fatal("connected to nothing")
	}
	if elapsed := time.Since(started); elapsed < time.Second || elapsed > 5*time.Second {
		t.Fatalf("gave up after %s, want about the patience (1.5 s)", elapsed)
	}

	// The server comes up after a second and refuses the role: that answer ends the wait at once.
	go func() {
		time.Sleep(time.Second)
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		t.Cleanup(func() { l.Close() })
		refusingServer(l)
	}()
	started = time.Now()
	_, err = connect(context.Background(), cfg, 20*time.Second)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Fatalf("connect: %v, want the server's authentication failure", err)
	}
	if elapsed := time.Since(started); elapsed < 900*time.Millisecond || elapsed > 8*time.Second {
		t.Fatalf("answered after %s: it should wait for the server (1 s), then stop at its refusal", elapsed)
	}
}
