package boltdb

import (
	"fmt"
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

// The hand-built tally keys are the bytes fmt wrote before: files keep
// their keys, and a day's sum reads the same range.
func TestTallyKeysAsFmtWroteThem(t *testing.T) {
	for _, d := range []notices.Date{{Year: 2026, Month: time.March, Day: 9}, {Year: 1, Month: time.January, Day: 1}, {Year: 999, Month: time.December, Day: 31}, {Year: 12026, Month: time.July, Day: 10}, {Year: -5, Month: time.May, Day: 3}, {}} {
		for _, st := range []notices.Stage{"", notices.StageReduced, "x"} {
			if got, want := tallyKey(d, st), fmt.Sprintf("%04d%02d%02d", d.Year, int(d.Month), d.Day)+string(st); got != want {
				t.Errorf("tallyKey(%v, %q) = %q, want %q", d, st, got, want)
			}
			for _, h := range []int{0, 9, 23} {
				ht := notices.HourTally{Date: d, Hour: h, Stage: st}
				if got, want := payKey(ht), fmt.Sprintf("%04d%02d%02d%02d", d.Year, int(d.Month), d.Day, h)+string(st); got != want {
					t.Errorf("payKey(%+v) = %q, want %q", ht, got, want)
				}
			}
		}
	}
}
