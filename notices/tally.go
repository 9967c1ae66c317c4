package notices

import (
	"fmt"
	"slices"
)

// A big city has millions of unpaid fines; valuing each one on every
// dashboard call (Stats.AddOutstanding) reads them all. What an unpaid
// fine is worth changes only on a few known days (the notification is
// perfected, a term ends), so a store can keep, per day, how the
// outstanding tallies change from that day on, updated in the same
// transaction as the fine. Summing the changes of every day up to today
// gives Outstanding without reading a fine: the days are a few thousand
// however many fines there are.

// TallyDelta is a change of the outstanding tallies that takes effect on
// day On (the zero Date: since always): Fines fines worth Cents more (or
// less, when negative) in stage Stage.
type TallyDelta struct {
	On    Date
	Stage Stage
	Fines int64
	Cents int64
}

// TallyVersion names the rules OutstandingDeltas values fines with. A
// store that keeps tallies records it with the calendar; when either
// differs from what wrote the tallies, the store recomputes them.
const TallyVersion = "1"

// TallyCalendarKey is how a store records the calendar and rules its
// tallies were computed with: equal keys give equal tallies.
func TallyCalendarKey(c Calendar) string {
	return fmt.Sprintf("v%s patron %02d-%02d", TallyVersion, int(c.PatronMonth), c.PatronDay)
}

// OutstandingDeltas returns how fine f moves the outstanding tallies as
// days pass, each change multiplied by sign (+1 when f is saved, -1 when
// the version of f it replaces is taken out). A fine that is not issued
// or notified adds nothing (nil). The sum of the deltas dated on or
// before a day is exactly what Stats.AddOutstanding adds for f on that
// day: Due is evaluated at every day its answer can change on.
func (c Calendar) OutstandingDeltas(f *Fine, sign int64) []TallyDelta {
	if f.Status != StatusIssued && f.Status != StatusNotified {
		return nil
	}
	// Due depends on the day only through asOn (the perfection day) and
	// the Until of the schedule in force: it is constant between these
	// days. Both schedules are computed once and read as Due reads them
	// (an import calls this for every fine).
	sched := c.Schedule(f)
	before := sched // the schedule before the perfection day
	days := make([]Date, 0, 8)
	if !f.NotifiedOn.IsZero() {
		days = append(days, f.NotifiedOn)
		g := *f
		g.NotifiedOn = Date{}
		before = c.Schedule(&g)
		for _, s := range before {
			if !s.Until.IsZero() {
				days = append(days, s.Until.AddDays(1))
			}
		}
	}
	for _, s := range sched {
		if !s.Until.IsZero() {
			days = append(days, s.Until.AddDays(1))
		}
	}
	slices.SortFunc(days, Date.Compare)
	days = slices.Compact(days)
	value := func(on Date) (Stage, int64) {
		steps := sched
		if !f.NotifiedOn.IsZero() && on.Before(f.NotifiedOn) {
			steps = before
		}
		for _, s := range steps {
			if s.Until.IsZero() || !on.After(s.Until) {
				if s.Stage == StageReduced || s.Stage == StageMinimum {
					return s.Stage, s.Cents
				}
				return StageIncreased, s.Cents
			}
		}
		panic("notices: schedule without an open-ended stage")
	}

	stage, cents := value(Date{Year: 1, Month: 1, Day: 1})
	out := make([]TallyDelta, 1, 1+2*len(days))
	out[0] = TallyDelta{Stage: stage, Fines: sign, Cents: sign * cents}
	for _, d := range days {
		st, ct := value(d)
		if st == stage && ct == cents {
			continue
		}
		out = append(out,
			TallyDelta{On: d, Stage: stage, Fines: -sign, Cents: -sign * cents},
			TallyDelta{On: d, Stage: st, Fines: sign, Cents: sign * ct})
		stage, cents = st, ct
	}
	return out
}

// AddTally adds fines and cents to the stage st of o and to its totals;
// a store sums its TallyDeltas up to a day with it. An unknown stage
// counts as increased, as in Stats.AddOutstanding.
func (o *Outstanding) AddTally(st Stage, fines, cents int64) {
	o.Fines += int(fines)
	o.AmountCents += cents
	t := &o.ByStage.Increased
	switch st {
	case StageReduced:
		t = &o.ByStage.Reduced
	case StageMinimum:
		t = &o.ByStage.Minimum
	}
	t.Fines += int(fines)
	t.AmountCents += cents
}

// HourTally is the payments of one hour of one day (Europe/Rome) in one
// stage: what Stats needs of receipts, kept by a store per hour so that a
// year of a big city's payments is read as at most 24 × 3 records a day
// instead of a million receipts.
type HourTally struct {
	Date     Date
	Hour     int // 0..23, Rome wall clock, as Stats.ByHour
	Stage    Stage
	Payments int64
	Cents    int64
}

// ReceiptHour is the tally of one receipt: the hour it counts under in
// Stats.AddReceipt.
func ReceiptHour(r Receipt) HourTally {
	at := r.PaidAt.In(Rome)
	return HourTally{Date: DateOf(at), Hour: at.Hour(), Stage: r.Stage, Payments: 1, Cents: r.AmountCents}
}

// AddHourTally counts t as AddReceipt counts t.Payments receipts of that
// hour and stage worth t.Cents together; a tally outside the range is
// ignored.
func (s *Stats) AddHourTally(t HourTally) {
	if t.Date.Before(s.From) || t.Date.After(s.To) || t.Hour < 0 || t.Hour > 23 {
		return
	}
	n := int(t.Payments)
	s.Payments += n
	s.AmountCents += t.Cents
	day := &s.ByDay[daysBetween(s.From, t.Date)]
	day.Payments += n
	day.AmountCents += t.Cents
	h := &s.ByHour[t.Hour]
	h.Payments += n
	h.AmountCents += t.Cents
	w := &s.ByWeekday[(int(t.Date.Weekday())+6)%7]
	w.Payments += n
	w.AmountCents += t.Cents
	if st := s.ByStage.stage(t.Stage); st != nil {
		st.Payments += n
		st.AmountCents += t.Cents
	}
}
