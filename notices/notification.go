package notices

import (
	"time"
)

// Outcome is what happened to one attempt to notify a verbale. The law
// makes the terms of payment and appeal run from the day the notification
// is perfected for the recipient, and that day depends on the outcome, not
// on when the act was sent (docs/verbale-rules.md gives the sources).
type Outcome string

// Outcomes of a notification attempt, by channel.
const (
	// OutcomeOnTheSpot: contested to the offender in person (art. 200 CdS).
	OutcomeOnTheSpot Outcome = "on_the_spot"
	// OutcomePostDelivered: atti giudiziari handed to the addressee or a
	// person entitled to receive them (l. 890/1982 art. 7).
	OutcomePostDelivered Outcome = "post_delivered"
	// OutcomePostRefused: the addressee refused the envelope; refusal is
	// delivery (l. 890/1982 art. 8 c.1).
	OutcomePostRefused Outcome = "post_refused"
	// OutcomePostDeposited: nobody there; the envelope is deposited and a
	// CAD (comunicazione di avvenuto deposito) is sent; perfected 10 days
	// after the CAD was sent, or on collection if earlier (compiuta
	// giacenza, l. 890/1982 art. 8 c.4).
	OutcomePostDeposited Outcome = "post_deposited"
	// OutcomePECDelivered: the PEC delivery receipt (RdAC) was issued
	// (DM Interno 18 Dec 2017).
	OutcomePECDelivered Outcome = "pec_delivered"
	// OutcomeSENDDigital: SEND delivered to the digital domicile; perfected
	// on the 7th day after (counted from the next day when delivered after
	// 21:00), or on first access if earlier (DL 76/2020 art. 26 c.9).
	OutcomeSENDDigital Outcome = "send_digital"
	// OutcomeSENDUndeliverable: two failed digital deliveries; perfected on
	// the 15th day after the non-delivery notice is filed, or on access.
	OutcomeSENDUndeliverable Outcome = "send_undeliverable"
	// OutcomeSENDPaper: SEND's paper notice was itself perfected on a day;
	// the act is perfected 10 days after that, or on access.
	OutcomeSENDPaper Outcome = "send_paper"
	// OutcomeFailed: addressee unknown, moved, mailbox full or invalid: not
	// perfected; the fine must be notified again (by post after a PEC).
	OutcomeFailed Outcome = "failed"
)

// Delivery is the evidence of one outcome: the days the postal provider,
// the PEC receipt or SEND's records give.
type Delivery struct {
	Outcome Outcome `json:"outcome"`
	// On is the day of the event the outcome names: handed, delivered,
	// refused, CAD sent, RdAC, non-delivery notice filed, paper notice
	// perfected.
	On Date `json:"on"`
	// At is the instant of a SEND digital delivery (the 21:00 rule).
	At time.Time `json:"at,omitempty"`
	// CollectedOn is the day a deposited envelope was collected, if it was.
	CollectedOn Date `json:"collectedOn,omitempty"`
	// AccessedOn is the day the recipient first opened the act on SEND.
	AccessedOn Date `json:"accessedOn,omitempty"`
}

// NotificationRules are the settings that decide perfection days.
type NotificationRules struct {
	Calendar Calendar
	// MoveDepositTenthDay moves the 10th day of a compiuta giacenza that
	// falls on a Saturday, Sunday or holiday to the next working day, as
	// some courts do; off by default (the law counts calendar days).
	MoveDepositTenthDay bool
}

// sendEveningHour is the hour after which a SEND digital delivery counts
// from the next day (DL 76/2020 art. 26 c.9 lett. a).
const sendEveningHour = 21

// Days of the perfection rules.
const (
	depositDays          = 10 // l. 890/1982 art. 8 c.4
	sendDigitalDays      = 7  // DL 76/2020 art. 26 c.9 a)
	sendUndeliveredDays  = 15 // DL 76/2020 art. 26 c.9 b)
	sendPaperDays        = 10 // DL 76/2020 art. 26 c.9 c)
	maxOutcomeSpreadDays = 400
)

// Perfected returns the day the notification is perfected for the
// recipient, from which every term runs; the zero Date when the outcome
// perfects nothing (a failed attempt: notify again). Errors: EValidation
// when the evidence is missing or inconsistent.
func (r NotificationRules) Perfected(d Delivery) (Date, error) {
	if d.On.IsZero() {
		return Date{}, Errorf(EValidation, "the day of the %s outcome is required", d.Outcome)
	}
	switch d.Outcome {
	case OutcomeOnTheSpot, OutcomePostDelivered, OutcomePostRefused, OutcomePECDelivered:
		return d.On, nil
	case OutcomePostDeposited:
		return r.deposited(d)
	case OutcomeSENDDigital:
		start := d.On
		if !d.At.IsZero() {
			start = DateOf(d.At)
			if d.At.In(Rome).Hour() >= sendEveningHour {
				start = start.AddDays(1)
			}
		}
		return accessedEarlier(d, start.AddDays(sendDigitalDays))
	case OutcomeSENDUndeliverable:
		return accessedEarlier(d, d.On.AddDays(sendUndeliveredDays))
	case OutcomeSENDPaper:
		return accessedEarlier(d, d.On.AddDays(sendPaperDays))
	case OutcomeFailed:
		return Date{}, nil
	}
	return Date{}, Errorf(EValidation, "unknown notification outcome %q", d.Outcome)
}

func (r NotificationRules) deposited(d Delivery) (Date, error) {
	tenth := d.On.AddDays(depositDays)
	if r.MoveDepositTenthDay {
		for tenth.Weekday() == time.Saturday || !r.Calendar.IsWorkingDay(tenth) {
			tenth = tenth.AddDays(1)
		}
	}
	if d.CollectedOn.IsZero() {
		return tenth, nil
	}
	if d.CollectedOn.Before(d.On) || d.CollectedOn.After(d.On.AddDays(maxOutcomeSpreadDays)) {
		return Date{}, Errorf(EValidation, "the collection day must follow the deposit notice")
	}
	if d.CollectedOn.Before(tenth) {
		return d.CollectedOn, nil
	}
	return tenth, nil
}

// accessedEarlier applies SEND's rule that opening the act on the platform
// perfects it at once, if that comes before the legal day.
func accessedEarlier(d Delivery, legal Date) (Date, error) {
	if d.AccessedOn.IsZero() {
		return legal, nil
	}
	if d.AccessedOn.After(d.On.AddDays(maxOutcomeSpreadDays)) {
		return Date{}, Errorf(EValidation, "the access day is too far from the delivery")
	}
	if d.AccessedOn.Before(legal) {
		return d.AccessedOn, nil
	}
	return legal, nil
}
