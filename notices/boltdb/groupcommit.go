package boltdb

import (
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// groupCommit lets concurrent writers share bbolt transactions without
// waiting for a timer. It replaces db.Batch, whose MaxBatchDelay made every
// payment made alone wait for the delay before committing (1 ms was a third
// of the solo rate in BenchmarkStoreRecordPayment).
//
// The scheme: a caller that finds no commit running becomes the leader and
// commits at once, its own function alone. Callers arriving while a commit
// runs are queued; when the leader's commit is durable, it answers the
// calls it committed and hands the whole queue (up to maxGroup calls) to
// the first queued caller, which commits them in ONE db.Update (one fsync)
// and in turn hands on whatever queued meanwhile. So under load the group
// grows to whatever arrived during one fsync, and without load nobody waits.
// Every caller returns only after the commit holding its function is on
// disk (or failed).
//
// The semantics are db.Batch's: if a function of a group returns an error
// (or panics), the group's transaction is rolled back, the failing call is
// run again alone in its own db.Update, whose result goes to its caller,
// and the others are committed together again. A function may therefore
// run more than once and must derive everything from its transaction,
// resetting any variable it sets outside it on each run. A panic is
// recovered and returned to that caller as an error, so it neither kills
// the leader nor leaves the queue waiting.
type groupCommit struct {
	db *bolt.DB

	mu    sync.Mutex
	busy  bool               // a leader is committing
	queue []*groupCommitCall // waiting for the next group
}

// maxGroup bounds the functions of one transaction (bbolt's MaxBatchSize
// default), so that a huge burst does not build one huge transaction.
const maxGroup = 1000

type groupCommitCall struct {
	fn   func(*bolt.Tx) error
	done chan groupCommitResult // buffered: the sender never blocks
}

// groupCommitResult is either the outcome of a call or, when lead is set,
// the group the receiver must now commit as leader (itself included).
type groupCommitResult struct {
	err  error
	lead []*groupCommitCall
}

// update runs fn in a write transaction, possibly shared with other
// callers', and returns once that transaction is committed (fsynced) or
// has failed. fn may run more than once; see groupCommit.
func (g *groupCommit) update(fn func(*bolt.Tx) error) error {
	c := &groupCommitCall{fn: fn, done: make(chan groupCommitResult, 1)}
	g.mu.Lock()
	if !g.busy {
		g.busy = true
		g.mu.Unlock()
		return g.lead([]*groupCommitCall{c}, c)
	}
	g.queue = append(g.queue, c)
	g.mu.Unlock()
	r := <-c.done
	if r.lead != nil {
		return g.lead(r.lead, c)
	}
	return r.err
}

// lead commits group (which holds self), answers the other calls of the
// group, and passes the leadership on to the queue, or ends it when the
// queue is empty.
func (g *groupCommit) lead(group []*groupCommitCall, self *groupCommitCall) error {
	errs := g.commit(group)
	var own error
	for i, c := range group {
		if c == self {
			own = errs[i]
		} else {
			c.done <- groupCommitResult{err: errs[i]}
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
		g.queue = nil // let the old backing array go
	}
	g.mu.Unlock()
	next[0].done <- groupCommitResult{lead: next}
	return own
}

// commit runs the functions of group in one transaction and returns the
// outcome of each. A failing function is taken out and run alone, and the
// rest are retried together, until a group commits (or fails to commit,
// which is then every remaining call's error).
func (g *groupCommit) commit(group []*groupCommitCall) []error {
	errs := make([]error, len(group))
	pending := make([]int, len(group)) // indexes into group still to commit
	for i := range pending {
		pending[i] = i
	}
	for len(pending) > 0 {
		failed := -1
		err := g.db.Update(func(tx *bolt.Tx) error {
			for j, i := range pending {
				if err := call(group[i].fn, tx); err != nil {
					failed = j
					return err
				}
			}
			return nil
		})
		if failed < 0 { // committed, or the commit itself failed: same for all
			for _, i := range pending {
				errs[i] = err
			}
			return errs
		}
		i := pending[failed]
		if len(pending) == 1 { // it already ran alone: that is its answer
			errs[i] = err
			return errs
		}
		errs[i] = g.db.Update(func(tx *bolt.Tx) error { return call(group[i].fn, tx) })
		pending = append(pending[:failed], pending[failed+1:]...)
	}
	return errs
}

// call runs fn, turning a panic into its error so that the transaction is
// rolled back and the group goes on.
func call(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("boltdb: panic in a write transaction: %v", r)
		}
	}()
	return fn(tx)
}
