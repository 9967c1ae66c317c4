package boltdb

// SetReportIndexChunk makes the build of the report-number index use
// transactions of n fines, until the returned function restores it.
func SetReportIndexChunk(n int) (restore func()) {
	old := reportIndexChunk
	reportIndexChunk = n
	return func() { reportIndexChunk = old }
}
