package notices

import "time"

// PaymentTally counts payments and their sum in cents.
type PaymentTally struct {
	Payments    int   `json:"payments"`
	AmountCents int64 `json:"amountCents"`
}

func (t *PaymentTally) add(cents int64) { t.Payments++; t.AmountCents += cents }

// DayTally is the payments of one day (Europe/Rome).
type DayTally struct {
	Date        Date  `json:"date"`
	Payments    int   `json:"payments"`
	AmountCents int64 `json:"amountCents"`
}

// StageTallies splits payments by the stage of art. 202/203 they were
// made in: how many drivers take the 30% discount is what the finance
// office forecasts cash with.
type StageTallies struct {
	Reduced   PaymentTally `json:"reduced"`
	Minimum   PaymentTally `json:"minimum"`
	Increased PaymentTally `json:"increased"`
}

// stage returns the tally of stage s, or nil for an unknown stage.
func (s *StageTallies) stage(st Stage) *PaymentTally {
	switch st {
	case StageReduced:
		return &s.Reduced
	case StageMinimum:
		return &s.Minimum
	case StageIncreased:
		return &s.Increased
	}
	return nil
}

// FineTally counts fines and what they would cost.
type FineTally struct {
	Fines       int   `json:"fines"`
	AmountCents int64 `json:"amountCents"`
}

// Outstanding is what unpaid fines would bring in if all were paid today,
// in total and by the stage each one is in today.
type Outstanding struct {
	Fines       int   `json:"fines"`
	AmountCents int64 `json:"amountCents"`
	ByStage     struct {
		Reduced   FineTally `json:"reduced"`
		Minimum   FineTally `json:"minimum"`
		Increased FineTally `json:"increased"`
	} `json:"byStage"`
	// On is the day the amounts are valid for.
	On Date `json:"on"`
}

// Stats summarises the payments of a range of days and the fines still
// unpaid. Hours and days are Europe/Rome wall-clock time: a payment at
// 23:30 in Rome counts for that evening even though it is the next day in
// UTC in summer.
type Stats struct {
	From        Date   `json:"from"`
	To          Date   `json:"to"`
	TimeZone    string `json:"timeZone"`
	Payments    int    `json:"payments"`
	AmountCents int64  `json:"amountCents"`
	// ByDay has one entry for every day from From to To, zero days
	// included, so that a chart's axis has no gaps.
	ByDay []DayTally `json:"byDay"`
	// ByHour is indexed by the hour of the day, 0 to 23.
	ByHour [24]PaymentTally `json:"byHour"`
	// ByWeekday starts on Monday (index 0) and ends on Sunday (index 6),
	// as weeks do in Italy (ISO 8601), unlike time.Weekday; WeekStartsOn
	// says so in the JSON, for clients that never read this comment.
	ByWeekday    [7]PaymentTally `json:"byWeekday"`
	WeekStartsOn string          `json:"weekStartsOn"`
	ByStage      StageTallies    `json:"byStage"`
	Outstanding  Outstanding     `json:"outstanding"`
}

// MaxStatsDays bounds the range of one Stats: a year, leap day included.
const MaxStatsDays = 366

// NewStats returns empty statistics for the days from..to inclusive.
// Errors: EInvalidDate when a day is missing, from is after to, or the
// range is longer than MaxStatsDays.
func NewStats(from, to Date) (*Stats, error) {
	switch {
	case from.IsZero() || to.IsZero():
		return nil, Errorf(EInvalidDate, "both ends of the range are required")
	case from.After(to):
		return nil, Errorf(EInvalidDate, "the range starts (%s) after it ends (%s)", from, to)
	}
	n := daysBetween(from, to) + 1
	if n > MaxStatsDays {
		return nil, Errorf(EInvalidDate, "a range has at most %d days, this one has %d", MaxStatsDays, n)
	}
	s := &Stats{From: from, To: to, TimeZone: Rome.String(), WeekStartsOn: "monday", ByDay: make([]DayTally, n)}
	for i := range s.ByDay {
		s.ByDay[i].Date = from.AddDays(i)
	}
	return s, nil
}

// daysBetween counts the calendar days from a to b (negative when b is
// before a). Noon UTC keeps the division exact whatever DST does.
func daysBetween(a, b Date) int {
	x, ok1 := a.civil()
	y, ok2 := b.civil()
	if !ok1 || !ok2 {
		return int(b.noon().Sub(a.noon()) / (24 * time.Hour))
	}
	return int(y - x)
}

// AddReceipt counts one payment; a receipt paid outside the range is
// ignored, so callers may feed receipts fetched in wider windows.
func (s *Stats) AddReceipt(r Receipt) {
	at := r.PaidAt.In(Rome)
	d := DateOf(at)
	if d.Before(s.From) || d.After(s.To) {
		return
	}
	s.Payments++
	s.AmountCents += r.AmountCents
	day := &s.ByDay[daysBetween(s.From, d)]
	day.Payments++
	day.AmountCents += r.AmountCents
	s.ByHour[at.Hour()].add(r.AmountCents)
	s.ByWeekday[(int(at.Weekday())+6)%7].add(r.AmountCents)
	if t := s.ByStage.stage(r.Stage); t != nil {
		t.add(r.AmountCents)
	}
}

// AddOutstanding values every unpaid fine that outstanding yields at what
// a payment on day on would cost (cal.Due): the amount the payer would
// actually be charged, not the printed one. outstanding has the shape of
// Store.OutstandingFines, so a store streams fines instead of loading them
// all. Paid and cancelled fines are ignored. It returns the first error of
// outstanding.
func (s *Stats) AddOutstanding(outstanding func(fn func(*Fine) error) error, cal Calendar, on Date) error {
	s.Outstanding.On = on
	return outstanding(func(f *Fine) error {
		s.addOutstanding(f, cal, on)
		return nil
	})
}

func (s *Stats) addOutstanding(f *Fine, cal Calendar, on Date) {
	if f.Status != StatusIssued && f.Status != StatusNotified {
		return
	}
	due := cal.Due(f, on)
	o := &s.Outstanding
	o.Fines++
	o.AmountCents += due.Cents
	var t *FineTally
	switch due.Stage {
	case StageReduced:
		t = &o.ByStage.Reduced
	case StageMinimum:
		t = &o.ByStage.Minimum
	default:
		t = &o.ByStage.Increased
	}
	t.Fines++
	t.AmountCents += due.Cents
}

// ComputeStats builds the statistics of the days from..to from receipts
// (any outside the range are skipped) and the fines that outstanding
// yields, valued on day today; outstanding may be nil. Errors: those of
// NewStats, and the first error of outstanding.
func ComputeStats(receipts []Receipt, outstanding func(fn func(*Fine) error) error, cal Calendar, from, to, today Date) (Stats, error) {
	s, err := NewStats(from, to)
	if err != nil {
		return Stats{}, err
	}
	for _, r := range receipts {
		s.AddReceipt(r)
	}
	s.Outstanding.On = today
	if outstanding != nil {
		if err := s.AddOutstanding(outstanding, cal, today); err != nil {
			return Stats{}, err
		}
	}
	return *s, nil
}
