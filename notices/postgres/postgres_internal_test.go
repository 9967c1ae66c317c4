package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/multa/multa/notices"
)

// TestAbortedIsUnavailable: a transaction PostgreSQL cancelled against a
// concurrent one (deadlock, serialization failure) is answered as a
// retryable store_unavailable, never a 500; another refusal stays internal.
func TestAbortedIsUnavailable(t *testing.T) {
	for code, want := range map[string]string{"40P01": notices.EUnavailable, "40001": notices.EUnavailable, "23505": notices.EInternal} {
		err := wrap("op", fmt.Errorf("commit: %w", &pgconn.PgError{Code: code, Message: "x"}))
		if got := notices.ErrorCode(err); got != want {
			t.Errorf("SQLSTATE %s: code %q, want %q", code, got, want)
		}
	}
}

// TestWithoutDeadline: the tallies' recompute at Open outlives the
// caller's open timeout, but not a cancellation.
func TestWithoutDeadline(t *testing.T) {
	parent, cancelParent := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancelParent()
	ctx, cancel := withoutDeadline(parent)
	defer cancel()
	<-parent.Done()
	time.Sleep(10 * time.Millisecond) // AfterFunc has run by now, in practice
	if err := ctx.Err(); err != nil {
		t.Fatalf("the deadline of the parent ended the derived context: %v", err)
	}
	if _, ok := ctx.Deadline(); ok {
		t.Error("the derived context has a deadline")
	}

	parent2, cancelParent2 := context.WithTimeout(context.Background(), time.Hour)
	ctx2, cancel2 := withoutDeadline(parent2)
	defer cancel2()
	cancelParent2()
	select {
	case <-ctx2.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("cancelling the parent did not end the derived context")
	}
}
