package boltdb

import (
	"context"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

// importGroup lets concurrent ImportFines calls share write transactions:
// a group commit for imports, with the scheme of groupCommit (the caller
// that finds no import transaction running leads; the others queue and
// the leader hands the queue on when its commit is durable), but the
// queue is read while the transaction is being written, not only when it
// starts.
//
// Why: an import commit rewrites every index page its random keys (NAVs,
// plates, detections, scattered violation times) land on, and at a
// million fines 10,000 keys land on some 40% of those pages, so most of a
// commit's cost is the size of the indexes, not the number of fines. Two
// chunks in one transaction rewrite far fewer pages than two transactions
// do (1 − e^(−2k/P) of them, not 2·(1 − e^(−k/P))), and pay one fsync.
// Measured on the bench's 1M import (two uploads in flight, quiet
// machine): 1 m 44 s and 1 m 57 s before, 1 m 37 s and 1 m 31 s after,
// while the CPU per fine moved less than its noise; the cost is ~130
// bytes a fine of free pages left at the end (bench/README.md).
// Uploads in flight together (two cameras, or a client sending its next
// chunk while the last is written) are what joins: the leader writes the
// chunks queued when it starts, then any that queued while it wrote them,
// until the queue is empty or the next chunk would pass maxFines; only
// then does it put the indexes and commit. A chunk never waits for a
// timer or for a later one.
//
// Every caller returns once the transaction holding its chunk is on disk
// (or failed), exactly as with a transaction of its own, and the outcome
// of every row is the one a serial order of the chunks would give (the
// transaction's queued NAVs and detections are checked across chunks).
// If the transaction fails for a reason other than a refused row, each of
// its chunks is written again in a transaction of its own, so one chunk's
// failure is never another's.
type importGroup struct {
	// maxFines bounds the fines of one transaction: bbolt keeps every
	// page it dirties in memory until the commit, and the pages the last
	// transaction rewrote stay free in the file when the import ends
	// (two chunks: 1,676 instead of 1,547 bytes a fine at 1M, against a
	// target of 1,700).
	maxFines int

	mu    sync.Mutex
	busy  bool         // a leader is writing or committing
	queue []*importJob // waiting for a transaction
}

// importJob is one chunk of an ImportFines call.
type importJob struct {
	ctx   context.Context
	fines []*notices.Fine
	// errs and reports are the outcome of each fine, set by writeImport.
	errs    []error
	reports []string
	// done receives the outcome of the job's transaction, or lead when
	// the receiver must now lead. Buffered: the sender never blocks.
	done chan importDone
}

type importDone struct {
	err  error
	lead bool
}

// run writes job, possibly in a transaction shared with other calls',
// and returns once that transaction is committed or has failed.
func (g *importGroup) run(s *Store, job *importJob) error {
	job.done = make(chan importDone, 1)
	g.mu.Lock()
	g.queue = append(g.queue, job)
	if g.busy {
		g.mu.Unlock()
		if d := <-job.done; !d.lead {
			return d.err
		}
	} else {
		g.busy = true
		g.mu.Unlock()
	}
	return g.lead(s, job)
}

// lead writes one transaction of queued jobs, self (always the first in
// the queue when its caller leads) and those that fit after it, answers
// the others, and passes the leadership on to the queue or ends it.
func (g *importGroup) lead(s *Store, self *importJob) error {
	jobs := []*importJob{g.take(true, 0)} // self
	err := s.db.Update(func(tx *bolt.Tx) error {
		jobs = jobs[:1]
		n := len(self.fines)
		return call(func(tx *bolt.Tx) error {
			return s.writeImports(tx, self, g.maxFines, func() *importJob {
				job := g.take(false, g.maxFines-n)
				if job != nil {
					jobs = append(jobs, job)
					n += len(job.fines)
				}
				return job
			})
		}, tx)
	})
	errs := make([]error, len(jobs))
	for i := range errs {
		errs[i] = err
	}
	if err != nil && len(jobs) > 1 {
		for i, job := range jobs {
			errs[i] = g.alone(s, job)
		}
	}
	var own error
	for i, job := range jobs {
		if job == self {
			own = errs[i]
		} else {
			job.done <- importDone{err: errs[i]}
		}
	}
	g.mu.Lock()
	if len(g.queue) == 0 {
		g.busy = false
		g.mu.Unlock()
		return own
	}
	next := g.queue[0]
	g.mu.Unlock()
	next.done <- importDone{lead: true}
	return own
}

// take removes and returns the first queued job when it fits in room
// fines (or whatever its size when first is set), else nil. A job stays
// in the queue until taken, so that the leader handed on to is the
// queue's first.
func (g *importGroup) take(first bool, room int) *importJob {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queue) == 0 || (!first && len(g.queue[0].fines) > room) {
		return nil
	}
	job := g.queue[0]
	g.queue = g.queue[1:]
	if len(g.queue) == 0 {
		g.queue = nil // let the old backing array go
	}
	return job
}

// alone writes job in a transaction of its own, after a shared one failed.
func (g *importGroup) alone(s *Store, job *importJob) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return call(func(tx *bolt.Tx) error {
			return s.writeImports(tx, job, len(job.fines), func() *importJob { return nil })
		}, tx)
	})
}

// writeImports writes job, then each job more returns until it returns
// nil, into tx, then puts their queued index entries and tallies; size is
// the most fines they may hold, which the batch's queues are made for.
func (s *Store) writeImports(tx *bolt.Tx, job *importJob, size int, more func() *importJob) error {
	acc, batch := tallies{}, newImportBatch(size)
	for ; job != nil; job = more() {
		if err := s.writeImport(tx, job, batch, acc); err != nil {
			return err
		}
	}
	if err := batch.flush(tx); err != nil {
		return err
	}
	return acc.flush(tx)
}

// importJoin is how many chunks of Options.ImportChunk fines one import
// transaction takes at most from concurrent calls.
const importJoin = 2
