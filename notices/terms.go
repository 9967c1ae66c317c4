package notices

import "time"

// Terms are the last days of what a recipient may do once a verbale is
// perfected for them (docs/verbale-rules.md gives the sources).
type Terms struct {
	// Reduced is the last day to pay 30% off (art. 202 c.1); zero when
	// the violation is not reducible.
	Reduced Date `json:"reduced,omitempty"`
	// Minimum is the last day to pay the minimum (art. 202 c.1).
	Minimum Date `json:"minimum"`
	// Prefetto is the last day to appeal to the Prefetto (art. 203 c.1).
	Prefetto Date `json:"prefetto"`
	// GiudiceDiPace is the last day to appeal to the Giudice di Pace
	// (art. 204-bis CdS, art. 7 c.3 d.lgs. 150/2011).
	GiudiceDiPace Date `json:"giudiceDiPace"`
	// DriverIdentification is the last day for the owner to name the
	// driver when the driver was not identified (art. 126-bis c.2).
	DriverIdentification Date `json:"driverIdentification"`
}

// Periods of the terms, in days not counting the day they run from.
const (
	PrefettoDays             = 60 // art. 203 c.1
	GiudiceDiPaceDays        = 30 // art. 7 c.3 d.lgs. 150/2011
	GiudiceDiPaceAbroadDays  = 60 // the same, for residents abroad
	DriverIdentificationDays = 60 // art. 126-bis c.2
)

// TermsFrom returns the terms that run from the day a notification was
// perfected (or the violation was contested on the spot). Payment and
// administrative terms move past Sundays and holidays; the judicial term
// also skips the August court holidays (l. 742/1969) and moves past a
// Saturday (art. 155 c.p.c.).
func (c Calendar) TermsFrom(perfected Date, v Violation, abroad bool) Terms {
	t := Terms{
		Minimum:              c.Deadline(perfected, MinimumDays),
		Prefetto:             c.Deadline(perfected, PrefettoDays),
		DriverIdentification: c.Deadline(perfected, DriverIdentificationDays),
		GiudiceDiPace:        c.JudicialDeadline(perfected, GiudiceDiPaceDays),
	}
	if abroad {
		t.GiudiceDiPace = c.JudicialDeadline(perfected, GiudiceDiPaceAbroadDays)
	}
	if v.Reducible {
		t.Reduced = c.Deadline(perfected, ReducedDays)
	}
	return t
}

// JudicialDeadline returns the last day of a judicial term of n days from
// start: August days do not count (the term resumes, or starts, on
// 1 September), and a last day on a Saturday, Sunday or holiday moves to
// the next working day.
func (c Calendar) JudicialDeadline(start Date, n int) Date {
	d := start
	for counted := 0; counted < n; {
		d = d.AddDays(1)
		if d.Month != time.August {
			counted++
		}
	}
	for d.Weekday() == time.Saturday || !c.IsWorkingDay(d) {
		d = d.AddDays(1)
	}
	return d
}

// Party is who a verbale must reach, which decides its notification term.
type Party string

// Parties of art. 201 CdS.
const (
	// PartyResident: the offender or owner resident in Italy (90 days).
	PartyResident Party = "resident"
	// PartyAbroad: resident abroad (360 days).
	PartyAbroad Party = "abroad"
	// PartyJointlyLiable: the party jointly liable (art. 196) when the
	// violation was contested on the spot to the driver (100 days).
	PartyJointlyLiable Party = "jointly_liable"
)

// Days within which a verbale must be sent (art. 201 c.1).
const (
	NotifyResidentDays      = 90
	NotifyAbroadDays        = 360
	NotifyJointlyLiableDays = 100
)

// NotificationDue returns the last day to send the verbale to a party:
// the period runs from the violation, or from the day the owner's data
// became available to the police when that is later (art. 201 c.1); a last
// day on a Sunday or holiday moves to the next day (art. 2963 c.c.). The
// sender's date is what counts (Corte cost. 477/2002).
func (c Calendar) NotificationDue(violation, identified Date, p Party) Date {
	from := violation
	if identified.After(violation) {
		from = identified
	}
	n := NotifyResidentDays
	switch p {
	case PartyAbroad:
		n = NotifyAbroadDays
	case PartyJointlyLiable:
		n = NotifyJointlyLiableDays
	}
	return c.Deadline(from, n)
}

// NotifiedLate reports whether a verbale sent on sent missed its term:
// the obligation to pay is then extinguished for that party (art. 201
// c.5), and the fine must not be paid or enforced until a supervisor
// decides.
func (c Calendar) NotifiedLate(violation, identified, sent Date, p Party) bool {
	return sent.After(c.NotificationDue(violation, identified, p))
}
