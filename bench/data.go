package main

import (
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"time"
)

// benchViolations are catalogue codes from shared/domain.md §6, day and
// night ones alike, so that amounts and the night rule both take part.
var benchViolations = []string{"7-15", "7-14", "158-5", "158-6", "142-7", "142-8", "142-9", "142-9bis", "146-2", "146-3"}

var benchStreets = []string{
	"Via Torino 12", "Corso Buenos Aires 45", "Viale Monza 120", "Piazza Cordusio", "Via Padova 88",
	"Corso di Porta Romana 61", "Viale Certosa 210", "Via Novara 5", "Corso Sempione 33", "Via Ripamonti 150",
}

// csvHeader is the camera export's header (server/handle_fines_import.go).
const csvHeader = "plate,violationCode,occurredAt,place\n"

// detectionWindow is how far back the generated violations go: recent
// enough that every fine is valid, payable and in its reduced stage.
const detectionWindow = 72 * time.Hour

// scatteredTimes places violations at random in the last three days: the
// worst case for the time-ordered indexes, as when many cameras' exports
// interleave.
func scatteredTimes(rng *mrand.Rand, now time.Time) func(int) time.Time {
	return func(int) time.Time {
		return now.Add(-time.Minute - time.Duration(rng.Int64N(int64(detectionWindow))))
	}
}

// orderedTimes places violation i of total in time order over the last
// three days, as in one camera's export or a migration.
func orderedTimes(total int, now time.Time) func(int) time.Time {
	start := now.Add(-detectionWindow)
	step := (detectionWindow - time.Minute) / time.Duration(max(total, 1))
	return func(i int) time.Time { return start.Add(time.Duration(i) * step) }
}

// detectionsCSV returns rows camera detections as the CSV body of one
// import request; the k-th row happened at at(first+k). rng makes a run
// repeatable.
func detectionsCSV(rng *mrand.Rand, first, rows int, at func(int) time.Time) []byte {
	var b strings.Builder
	b.Grow(len(csvHeader) + rows*72)
	b.WriteString(csvHeader)
	for k := range rows {
		at := at(first + k)
		fmt.Fprintf(&b, "%c%c%03d%c%c,%s,%s,\"%s, Milano\"\n",
			'A'+rng.IntN(26), 'A'+rng.IntN(26), rng.IntN(1000), 'A'+rng.IntN(26), 'A'+rng.IntN(26),
			benchViolations[rng.IntN(len(benchViolations))],
			at.Truncate(time.Second).Format(time.RFC3339),
			benchStreets[rng.IntN(len(benchStreets))])
	}
	return []byte(b.String())
}
