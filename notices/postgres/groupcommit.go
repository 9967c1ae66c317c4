package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// groupCommit lets concurrent writers of one process share a transaction,
// as the bbolt adapter's group commit does, because the ledger makes every
// appending transaction take one lock, in turn, across all processes: the
// head row's, held for its last two round trips and its COMMIT (the WAL
// flush). One transaction per payment therefore caps payments at one WAL
// flush each, whatever the number of payers. Sharing a transaction shares
// that flush and that lock among the payers that arrived meanwhile.
//
// The scheme is bbolt's: a caller that finds no commit running leads and
// commits at once, alone; callers that arrive meanwhile queue, and when
// the leader's commit is done the first of them commits the whole queue
// in ONE transaction and hands on whatever queued meanwhile. Each call
// runs inside a SAVEPOINT: a call that fails (a refusal, a constraint) is
// rolled back alone and gets its error while the others go on; a call
// that loses a deadlock or a serialization check against another
// process's group is run again alone. Every caller returns only when the
// transaction holding its writes has committed (or failed: then all of
// them get the error, as nothing of theirs was written).
type groupCommit struct {
	s *Store

	mu    sync.Mutex
	busy  bool
	queue []*groupCall
}

// maxGroup bounds the calls of one transaction.
const maxGroup = 64

// groupTimeout bounds one shared transaction: it must not hang on behalf
// of callers whose own contexts it cannot follow.
const groupTimeout = 30 * time.Second

// groupFn is one caller's work in a shared transaction: ctx is the
// group's, l the transaction's ledger append. It may run more than once
// and must derive everything from tx, resetting what it sets outside.
type groupFn func(ctx context.Context, tx pgx.Tx, l *ledgerAppend) error

type groupCall struct {
	fn groupFn
	// pipelined calls open and release their savepoint in their own
	// batches (ledgerAppend.openSavepoint): two round trips fewer.
	pipelined bool
	// pay, when set, is the call's payment prepared for the fast path
	// (fastpay.go): a group made only of such calls is sent in one round
	// trip, and runs fn only if that misses.
	pay  *fastPayment
	done chan groupResult // buffered: the sender never blocks
}

type groupResult struct {
	err  error
	lead []*groupCall
}

// update runs fn in a transaction, possibly shared with other callers',
// and returns once that transaction has committed or failed.
func (g *groupCommit) update(ctx context.Context, fn groupFn) error {
	return g.run(ctx, &groupCall{fn: fn})
}

// pay runs a payment: fn opens its savepoint with l.openSavepoint in its
// first batch and releases it with l.releaseSavepoint in its last; pay,
// when not nil, is its fast form (fastpay.go), tried first.
func (g *groupCommit) pay(ctx context.Context, fn groupFn, pay *fastPayment) error {
	return g.run(ctx, &groupCall{fn: fn, pipelined: true, pay: pay})
}

func (g *groupCommit) run(ctx context.Context, c *groupCall) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.done = make(chan groupResult, 1)
	g.mu.Lock()
	if !g.busy {
		g.busy = true
		g.mu.Unlock()
		return g.lead([]*groupCall{c}, c)
	}
	g.queue = append(g.queue, c)
	g.mu.Unlock()
	r := <-c.done
	if r.lead != nil {
		return g.lead(r.lead, c)
	}
	return r.err
}

// lead commits group (which holds self), answers the other calls, and
// hands the queue to its first caller, or ends the leadership.
func (g *groupCommit) lead(group []*groupCall, self *groupCall) error {
	errs := g.commit(group)
	var own error
	for i, c := range group {
		if c == self {
			own = errs[i]
		} else {
			c.done <- groupResult{err: errs[i]}
		}
	}
	g.mu.Lock()
	if len(g.queue) == 0 {
		g.busy = false
		g.mu.Unlock()
		return own
	}
	n := min(len(g.queue), maxGroup)
	next := g.queue[:n:n]
	g.queue = g.queue[n:]
	if len(g.queue) == 0 {
		g.queue = nil
	}
	g.mu.Unlock()
	next[0].done <- groupResult{lead: next}
	return own
}

// commit runs the calls of group in one transaction, each in a savepoint,
// and returns the outcome of each; calls that lost a deadlock or a
// serialization check run again alone afterwards.
func (g *groupCommit) commit(group []*groupCall) []error {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	errs := make([]error, len(group))
	if fastGroup(group) {
		switch err := g.s.commitFast(ctx, group); {
		case err == nil:
			g.s.fastCommits.Add(1)
			g.s.fastPayments.Add(int64(len(group)))
			return errs
		case errors.Is(err, errFastMissed):
			g.s.fastMisses.Add(1)
		default:
			for i := range errs {
				errs[i] = err
			}
			return errs
		}
	}
	retry := make([]bool, len(group))
	var flushed *flushedHead
	err := g.s.inTx(ctx, writeTx, func(tx pgx.Tx) error {
		l := beginAppend()
		defer func() { flushed = l.flushed }()
		for i, c := range group {
			errs[i], retry[i] = nil, false
			if len(group) == 1 { // alone: no savepoint needed
				errs[i] = call(ctx, c.fn, tx, l)
				if errs[i] != nil {
					return errs[i]
				}
				continue
			}
			if c.pipelined {
				l.spWanted, l.spOpen = true, false
			} else if _, err := tx.Exec(ctx, `SAVEPOINT call`); err != nil {
				return err
			}
			mark, last := len(l.recs), cloneLast(l.last)
			if err := call(ctx, c.fn, tx, l); err != nil {
				if !c.pipelined || l.spOpen {
					if _, rerr := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT call`); rerr != nil {
						return rerr // the connection is gone: nothing of the group is written
					}
				}
				l.recs, l.last = l.recs[:mark], last
				errs[i], retry[i] = err, conflictRetry(err)
				continue
			}
			if c.pipelined {
				if l.spOpen { // the call returned before releasing it
					if _, err := tx.Exec(ctx, `RELEASE SAVEPOINT call`); err != nil {
						return err
					}
				}
				l.spWanted, l.spOpen = false, false
			} else if _, err := tx.Exec(ctx, `RELEASE SAVEPOINT call`); err != nil {
				return err
			}
		}
		return g.s.flush(ctx, tx, l)
	})
	if err != nil {
		if len(group) == 1 && errs[0] != nil && errors.Is(err, errs[0]) {
			if conflictRetry(err) { // a deadlock alone: once more
				errs[0] = g.s.inTx(ctx, writeTx, func(tx pgx.Tx) error { return g.alone(ctx, group[0], tx) })
			}
			return errs
		}
		for i := range errs { // the commit failed: nothing was written
			if errs[i] == nil || retry[i] {
				errs[i] = err
			}
		}
		return errs
	}
	if flushed != nil { // committed: the next group may append fast
		g.s.tip.set(flushed.size, flushed.hashes)
	}
	for i, c := range group {
		if retry[i] {
			errs[i] = g.s.inTx(ctx, writeTx, func(tx pgx.Tx) error { return g.alone(ctx, c, tx) })
		}
	}
	return errs
}

// fastGroup reports whether every call of group has its fast form.
func fastGroup(group []*groupCall) bool {
	for _, c := range group {
		if c.pay == nil {
			return false
		}
	}
	return true
}

// alone runs one call in its own transaction.
func (g *groupCommit) alone(ctx context.Context, c *groupCall, tx pgx.Tx) error {
	l := beginAppend()
	if err := call(ctx, c.fn, tx, l); err != nil {
		return err
	}
	return g.s.flush(ctx, tx, l)
}

// call runs fn, turning a panic into its error.
func call(ctx context.Context, fn groupFn, tx pgx.Tx, l *ledgerAppend) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("postgres: panic in a write transaction: %v", r)
		}
	}()
	return fn(ctx, tx, l)
}

func cloneLast(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// conflictRetry reports whether err is a deadlock or serialization
// failure: the call lost a race against another transaction and may
// simply run again.
func conflictRetry(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}
