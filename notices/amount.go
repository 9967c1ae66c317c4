package notices

// Stage is the period of art. 202/203 that a payment falls in.
type Stage string

// The three stages of what is due.
const (
	StageReduced   Stage = "reduced"   // within 5 days: minimum less 30%
	StageMinimum   Stage = "minimum"   // within 60 days: the minimum
	StageIncreased Stage = "increased" // afterwards: half of the maximum
)

// Periods of art. 202 c.1 and c.2 in days, not counting the first day.
const (
	ReducedDays = 5
	MinimumDays = 60
)

// AmountDue is what a payment on a given day costs. Fees are never
// discounted.
type AmountDue struct {
	Cents         int64 `json:"cents"`
	SanctionCents int64 `json:"sanctionCents"`
	FeesCents     int64 `json:"feesCents"`
	Stage         Stage `json:"stage"`
	PayBy         Date  `json:"payBy,omitzero"` // last day of the stage; zero when open-ended
}

// Step is one stage of a fine's schedule: Cents are due until Until
// (inclusive); the last step has no end.
type Step struct {
	Stage Stage `json:"stage"`
	Until Date  `json:"until,omitzero"`
	Cents int64 `json:"cents"`
}

// TermStart is the day from which the periods run: the notification (or
// contestation) day, or the violation day for a payment before notification.
func (f *Fine) TermStart() Date {
	if !f.NotifiedOn.IsZero() {
		return f.NotifiedOn
	}
	return DateOf(f.OccurredAt)
}

// fees are owed only once the fine is notified: a payment on the
// windscreen notice (preavviso) costs no notification fees.
func (f *Fine) fees() int64 {
	if f.NotifiedOn.IsZero() {
		return 0
	}
	return f.FeesCents
}

// Schedule lists what the fine costs in each stage and until when.
func (c Calendar) Schedule(f *Fine) []Step {
	minC, maxC := f.Range()
	start, fees := f.TermStart(), f.fees()
	var steps []Step
	if f.Violation.Reducible {
		steps = append(steps, Step{StageReduced, c.Deadline(start, ReducedDays), mulRound(minC, 7, 10) + fees})
	}
	steps = append(steps,
		Step{StageMinimum, c.Deadline(start, MinimumDays), minC + fees},
		Step{Stage: StageIncreased, Cents: mulRound(maxC, 1, 2) + fees})
	return steps
}

// Due returns what a payment on day on costs. Before the day the
// notification is perfected (known in advance after a compiuta giacenza
// or a SEND delivery) the fine costs what it did before notification: the
// terms and fees of the notification start on that day.
func (c Calendar) Due(f *Fine, on Date) AmountDue {
	f = f.asOn(on)
	fees := f.fees()
	for _, s := range c.Schedule(f) {
		if s.Until.IsZero() || !on.After(s.Until) {
			return AmountDue{Cents: s.Cents, SanctionCents: s.Cents - fees, FeesCents: fees, Stage: s.Stage, PayBy: s.Until}
		}
	}
	panic("notices: schedule without an open-ended stage")
}

// ScheduleOn is the schedule a payer sees on day on: before the
// notification is perfected, the one before notification.
func (c Calendar) ScheduleOn(f *Fine, on Date) []Step { return c.Schedule(f.asOn(on)) }

// asOn returns f as it stands on day on: a perfection day still to come
// is not in force yet.
func (f *Fine) asOn(on Date) *Fine {
	if f.NotifiedOn.IsZero() || !on.Before(f.NotifiedOn) {
		return f
	}
	g := *f
	g.NotifiedOn = Date{}
	return &g
}

// OptionAmount is what a payment option asks for on the printed notice.
type OptionAmount struct {
	Kind        OptionKind `json:"kind"`
	NAV         NAV        `json:"noticeNumber"`
	AmountCents int64      `json:"amountCents"`
	DueDate     Date       `json:"dueDate"`
}

// Options returns the fine's payment options with their printed amounts and
// due dates.
func (c Calendar) Options(f *Fine) []OptionAmount {
	steps := c.Schedule(f)
	out := make([]OptionAmount, 0, len(f.Options))
	for _, o := range f.Options {
		for _, s := range steps {
			if string(s.Stage) == string(o.Kind) {
				out = append(out, OptionAmount{o.Kind, o.NAV, s.Cents, s.Until})
			}
		}
	}
	return out
}

// mulRound returns cents × num / den rounded half up, in integers, so that
// money never passes through floating point.
func mulRound(cents, num, den int64) int64 {
	return (2*cents*num + den) / (2 * den)
}
