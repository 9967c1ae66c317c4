package server

import (
	"bytes"
	"encoding/csv"
	"testing"
)

// FuzzParseOutcomeRow feeds hostile outcome files to the row parser: it
// must never panic, and a row it accepts has a valid notice number and
// the day of its outcome.
func FuzzParseOutcomeRow(f *testing.F) {
	f.Add("302032002700000251,post_deposited,2026-09-18,,,CAD 1\n")
	f.Add("3020 3200 2700 0002 51,send_digital,2026-09-18,2026-09-18T21:30:00+02:00,2026-09-20,IUN\n")
	f.Add(",,,,,\n")
	f.Add("\"a\"\"b\",x,2026-02-30,,,\n")
	col := map[string]int{"noticeNumber": 0, "outcome": 1, "on": 2, "at": 3, "accessedOn": 4, "evidence": 5, "attempt": 6}
	f.Fuzz(func(t *testing.T, line string) {
		r := csv.NewReader(bytes.NewReader([]byte(line)))
		r.FieldsPerRecord = -1
		for i := 0; i < 20; i++ {
			rec, err := r.Read()
			if err != nil {
				return
			}
			row, errs := parseOutcomeRow(rec, col)
			if errs == nil && (row.NAV == "" || row.Delivery.On.IsZero() || row.Attempt < 0) {
				t.Fatalf("accepted %q as %+v", rec, row)
			}
		}
	})
}
