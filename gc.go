package main

import (
	"log/slog"
	"runtime/debug"
)

// The garbage collector's settings of `multa serve` when the environment
// sets neither GOGC nor GOMEMLIMIT (Go's own variables, which win when
// set: the runtime has read them before main).
//
// A bulk import keeps every node bbolt has changed in the open write
// transaction, over 500 MB for a 10,000-fine chunk of a 1M-fine file, and
// allocates around 40 KB per fine. At Go's default GOGC of 100 the
// collector marked that live heap every ~500 MB allocated: 14% of the
// import's CPU, plus the page buffers bbolt pools in a sync.Pool, which
// every collection empties. Collecting at 5 times the live heap (GOGC
// 400, no limit) took a 1M import at 157 µs of server CPU a fine against
// 184 µs just before at the default, both on the shared machine (bench/
// README.md, "Import, issue 16 part 4"); the memory limit caps what it may
// cost in memory (that run ended with 2.5 GB of heap and stacks): past
// it the collector runs as often as it must to stay under (Go limits the
// collector to about half the CPU if the live heap itself grows past
// the limit, rather than failing). A server that is not importing (165
// MB resident after its start on a 1M-fine file) stays far below it.
const (
	serverGCPercent   = 400
	serverMemoryLimit = 2 << 30 // bytes: a soft limit, see runtime/debug.SetMemoryLimit
)

// tuneGC applies serverGCPercent and serverMemoryLimit unless getenv
// returns a value for GOGC or GOMEMLIMIT, in which case the operator's
// settings stand untouched. It reports whether it changed anything.
func tuneGC(getenv func(string) string, log *slog.Logger) bool {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return false
	}
	debug.SetGCPercent(serverGCPercent)
	debug.SetMemoryLimit(serverMemoryLimit)
	log.Debug("garbage collector tuned for bulk imports", "gogc", serverGCPercent, "memoryLimitBytes", serverMemoryLimit)
	return true
}
