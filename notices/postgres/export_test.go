package postgres

// FastStats returns how many groups of payments the fast path committed
// and how many it sent to the locked path.
func (s *Store) FastStats() (commits, misses int64) {
	return s.fastCommits.Load(), s.fastMisses.Load()
}

// FastPayments returns how many payments the fast path committed.
func (s *Store) FastPayments() int64 { return s.fastPayments.Load() }
