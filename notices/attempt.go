package notices

import (
	"strings"
	"time"
	"unicode/utf8"
)

// ChannelSEND is SEND, the national platform for digital notifications
// (piattaforma notifiche digitali, art. 26 DL 76/2020).
const ChannelSEND Channel = "send"

// Recipient is whom a notification attempt was addressed to.
type Recipient string

// Recipients of a verbale.
const (
	RecipientOwner    Recipient = "owner"    // the party jointly liable (art. 196)
	RecipientOffender Recipient = "offender" // the driver
)

// Attempt is one notification of the verbale: sent on a day by a channel
// to a recipient, and later its outcome with evidence. A failed attempt is
// followed by another, perhaps to another address.
type Attempt struct {
	Recipient Recipient `json:"recipient"`
	Channel   Channel   `json:"channel"`
	// SentOn is the sender's day (deposit at the post office, PEC sent,
	// SEND upload): it is what the notification term looks at.
	SentOn Date `json:"sentOn"`
	// Address is where it went: a postal address or a PEC address.
	Address string `json:"address,omitempty"`
	// FeesCents are this attempt's costs charged to the recipient.
	FeesCents int64 `json:"feesCents"`
	// Late is set when the attempt was sent after the notification term.
	Late bool `json:"late,omitempty"`
	// Delivery is the outcome, once known.
	Delivery *Delivery `json:"delivery,omitempty"`
	// PerfectedOn is the day the notification is perfected (zero while
	// pending, or when the attempt failed).
	PerfectedOn Date `json:"perfectedOn,omitzero"`
	// Evidence identifies the proof: registered-mail number, the RdAC's
	// message id, SEND's IUN, or the imported file and row.
	Evidence   string    `json:"evidence,omitempty"`
	SentBy     string    `json:"sentBy,omitempty"`
	RecordedBy string    `json:"recordedBy,omitempty"`
	RecordedAt time.Time `json:"recordedAt,omitzero"`
}

// VoidFlag marks a fine whose notification term passed (art. 201 c.5): it
// cannot be paid or enforced until a supervisor decides.
type VoidFlag struct {
	Since  Date   `json:"since"`
	Reason string `json:"reason"`
	// Decision is empty until a supervisor decides: "lifted" (the term was
	// in fact kept; the fine is payable again) or "confirmed" (cancelled).
	Decision  string     `json:"decision,omitempty"`
	DecidedBy string     `json:"decidedBy,omitempty"`
	DecidedAt *time.Time `json:"decidedAt,omitempty"`
	Note      string     `json:"note,omitempty"`
}

// Blocking reports whether the flag still stops payment and enforcement.
func (v *VoidFlag) Blocking() bool { return v != nil && v.Decision == "" }

// NotificationTerm is when a verbale must be sent, and to whom.
type NotificationTerm struct {
	Party Party `json:"party"`
	Due   Date  `json:"due"`
}

// Recipient returns the party a notification goes to by default: the
// owner when known (camera fines), else the offender.
func (f *Fine) recipient(r Recipient) (country, name string, ok bool) {
	if f.Verbale == nil {
		return "", "", false
	}
	switch r {
	case RecipientOwner:
		if o := f.Verbale.Owner; o != nil {
			return o.Country, o.Name, true
		}
	case RecipientOffender:
		if o := f.Verbale.Offender; o != nil {
			return o.Country, o.Name, true
		}
	}
	return "", "", false
}

// Abroad reports whether the fine's notifications go abroad: the owner
// (or, with none known, the vehicle's registration) is foreign. Foreign
// notices carry their fixed texts in other languages too, and the
// notification term is 360 days.
func (f *Fine) Abroad() bool {
	if f.Verbale == nil {
		return false
	}
	if o := f.Verbale.Owner; o != nil {
		return o.Abroad()
	}
	if o := f.Verbale.Offender; o != nil && f.Contestation == ContestDeferred {
		return abroad(o.Country)
	}
	return f.Verbale.Vehicle.Foreign()
}

// NotificationTerm returns the last day to send the verbale, or false
// when none is owed: contested on the spot to an offender who is also the
// owner, or already perfected. A deferred fine owes it to the owner (90
// days, 360 abroad, from the violation or from the day the owner became
// known); after a contestation on the spot a separate owner is owed it
// within 100 days (art. 201 c.1).
func (c Calendar) NotificationTerm(f *Fine) (NotificationTerm, bool) {
	violation := DateOf(f.OccurredAt)
	var known Date
	if f.Verbale != nil && f.Verbale.Owner != nil {
		known = f.Verbale.Owner.KnownOn
	}
	switch {
	case f.Contestation == ContestDeferred:
		if !f.NotifiedOn.IsZero() {
			return NotificationTerm{}, false
		}
		p := PartyResident
		if f.Abroad() {
			p = PartyAbroad
		}
		return NotificationTerm{p, c.NotificationDue(violation, known, p)}, true
	case f.Verbale != nil && f.Verbale.Owner != nil:
		for _, a := range f.Attempts {
			if a.Recipient == RecipientOwner && !a.PerfectedOn.IsZero() {
				return NotificationTerm{}, false
			}
		}
		p := PartyJointlyLiable
		if f.Verbale.Owner.Abroad() {
			p = PartyAbroad
		}
		return NotificationTerm{p, c.NotificationDue(violation, Date{}, p)}, true
	}
	return NotificationTerm{}, false
}

// SendNotification records that the verbale was sent to a recipient. An
// attempt sent after the term flags the fine void (art. 201 c.5). Errors:
// EValidation (channel, day, recipient unknown or without a PEC address),
// EInvalidTransition (an attempt to the same recipient still awaits its
// outcome), EAlreadyPaid, EFineCancelled.
func (f *Fine) SendNotification(a Attempt, cal Calendar, fees Fees, now time.Time) error {
	if err := f.Payable(); err != nil && ErrorCode(err) != EFineVoid {
		return err
	}
	var errs []FieldError
	bad := func(field, msg string) { errs = append(errs, FieldError{field, msg}) }
	switch a.Channel {
	case ChannelPost, ChannelPEC, ChannelSEND, ChannelHand:
	default:
		bad("channel", "must be post, pec, send or hand")
	}
	if a.Recipient != RecipientOwner && a.Recipient != RecipientOffender {
		bad("recipient", "must be owner or offender")
	} else if _, _, ok := f.recipient(a.Recipient); !ok {
		bad("recipient", "add the "+string(a.Recipient)+"'s data to the verbale first")
	}
	if a.SentOn.IsZero() || a.SentOn.Before(DateOf(f.OccurredAt)) || a.SentOn.After(DateOf(now)) {
		bad("sentOn", "must be between the violation day and today")
	}
	a.Address = strings.TrimSpace(a.Address)
	if a.Channel == ChannelPEC && a.Address == "" && f.Verbale != nil && f.Verbale.Owner != nil && a.Recipient == RecipientOwner {
		a.Address = f.Verbale.Owner.PEC
	}
	if a.Channel == ChannelPEC && a.Address == "" {
		bad("address", "a PEC notification needs the recipient's PEC address")
	}
	if utf8.RuneCountInString(a.Address) > 254 || utf8.RuneCountInString(a.Evidence) > 200 {
		bad("address", "address at most 254 and evidence at most 200 characters")
	}
	if a.FeesCents < 0 || a.FeesCents > 100_000 {
		bad("feesCents", "between 0 and 1000.00 euro")
	}
	if len(errs) > 0 {
		return &ValidationError{errs}
	}
	for _, p := range f.Attempts {
		if p.Recipient == a.Recipient && p.Delivery == nil {
			return Errorf(EInvalidTransition, "the last notification to the %s awaits its outcome", a.Recipient)
		}
		if p.Recipient == a.Recipient && !p.PerfectedOn.IsZero() {
			return Errorf(EInvalidTransition, "the verbale was already notified to the %s on %s", a.Recipient, p.PerfectedOn)
		}
	}
	if len(f.Attempts) >= 20 {
		return Errorf(EValidation, "too many notification attempts")
	}
	if t, ok := cal.NotificationTerm(f); ok && a.SentOn.After(t.Due) {
		a.Late = true
		f.flagVoid(DateOf(now), "sent on "+a.SentOn.String()+", after the term of "+t.Due.String()+" (art. 201 c.5)")
	}
	a.Delivery, a.PerfectedOn, a.RecordedAt = nil, Date{}, now
	f.Attempts = append(f.Attempts, a)
	f.UpdatedAt = now
	return nil
}

// channelOutcomes says which outcomes each channel can have.
var channelOutcomes = map[Channel][]Outcome{
	ChannelHand: {OutcomeOnTheSpot, OutcomePostDelivered, OutcomePostRefused, OutcomeFailed},
	ChannelPost: {OutcomePostDelivered, OutcomePostRefused, OutcomePostDeposited, OutcomeFailed},
	ChannelPEC:  {OutcomePECDelivered, OutcomeFailed},
	ChannelSEND: {OutcomeSENDDigital, OutcomeSENDUndeliverable, OutcomeSENDPaper, OutcomeFailed},
}

// RecordOutcome records the outcome of attempt i with its evidence. The
// first attempt that perfects the notification makes the fine notified
// from that day: the 5- and 60-day windows and the appeal terms run from
// it, and the fees of every attempt so far are charged (a SEND paper
// delivery adds the postage). Errors: EValidation (outcome not of the
// channel, days out of order or in the future), ENotFound (no attempt i),
// EInvalidTransition (outcome already recorded), EFineCancelled.
func (f *Fine) RecordOutcome(i int, d Delivery, evidence, by string, rules NotificationRules, fees Fees, now time.Time) error {
	if f.Status == StatusCancelled {
		return Errorf(EFineCancelled, "fine %s was cancelled", f.ReportNumber)
	}
	if i < 0 || i >= len(f.Attempts) {
		return Errorf(ENotFound, "fine %s has no notification attempt %d", f.ReportNumber, i+1)
	}
	a := &f.Attempts[i]
	if a.Delivery != nil {
		return Errorf(EInvalidTransition, "attempt %d already has its outcome (%s)", i+1, a.Delivery.Outcome)
	}
	var errs []FieldError
	bad := func(field, msg string) { errs = append(errs, FieldError{field, msg}) }
	allowed := false
	for _, o := range channelOutcomes[a.Channel] {
		allowed = allowed || o == d.Outcome
	}
	if !allowed {
		bad("outcome", "not an outcome of a "+string(a.Channel)+" notification")
	}
	today := DateOf(now)
	if d.On.IsZero() || d.On.Before(a.SentOn) || d.On.After(today) {
		bad("on", "the day of the outcome must be between the sending day and today")
	}
	if !d.At.IsZero() && DateOf(d.At) != d.On {
		bad("at", "must fall on the day of the outcome")
	}
	for _, x := range []struct {
		name string
		day  Date
	}{{"collectedOn", d.CollectedOn}, {"accessedOn", d.AccessedOn}} {
		if !x.day.IsZero() && (x.day.Before(a.SentOn) || x.day.After(today)) {
			bad(x.name, "must be between the sending day and today")
		}
	}
	if !d.CollectedOn.IsZero() && d.Outcome != OutcomePostDeposited {
		bad("collectedOn", "only a deposited envelope is collected")
	}
	if !d.AccessedOn.IsZero() && a.Channel != ChannelSEND {
		bad("accessedOn", "only SEND records an access")
	}
	evidence = strings.TrimSpace(evidence)
	if evidence == "" && a.Evidence == "" {
		bad("evidence", "name the proof: registered-mail number, receipt id, SEND IUN or file")
	}
	if utf8.RuneCountInString(evidence) > 200 {
		bad("evidence", "at most 200 characters")
	}
	if len(errs) > 0 {
		return &ValidationError{errs}
	}
	perfected, err := rules.Perfected(d)
	if err != nil {
		return &ValidationError{[]FieldError{{"outcome", ErrorMessage(err)}}}
	}
	if evidence != "" {
		a.Evidence = evidence
	}
	if d.Outcome == OutcomeSENDPaper {
		a.FeesCents += fees.SENDPaper
	}
	a.Delivery, a.PerfectedOn, a.RecordedBy, a.RecordedAt = &d, perfected, by, now
	f.UpdatedAt = now
	if perfected.IsZero() || !f.NotifiedOn.IsZero() || f.Status != StatusIssued {
		return nil // a failure, a second party, or a fine already settled
	}
	var total int64
	for _, x := range f.Attempts {
		total += x.FeesCents
	}
	f.Status, f.NotifiedOn, f.Channel, f.FeesCents = StatusNotified, perfected, a.Channel, total
	return nil
}

// FlagLate flags the fine void when its notification term passed on
// today with no attempt sent in time; it reports whether it did. A fine
// whose verbale names nobody to notify is left alone: its term runs from
// the day the owner's data became available, which Multa cannot know
// before someone records them (the list of terms shows such fines, so
// the office can act).
func (f *Fine) FlagLate(cal Calendar, now time.Time) bool {
	if f.Status != StatusIssued && f.Status != StatusNotified || f.Void != nil {
		return false
	}
	if f.Verbale == nil || f.Verbale.Owner == nil && (f.Verbale.Offender == nil || f.Contestation != ContestDeferred) {
		return false
	}
	t, ok := cal.NotificationTerm(f)
	today := DateOf(now)
	if !ok || !today.After(t.Due) {
		return false
	}
	for _, a := range f.Attempts {
		if !a.SentOn.After(t.Due) && (a.Delivery == nil || a.Delivery.Outcome != OutcomeFailed) {
			return false // sent in time; its outcome decides
		}
	}
	f.flagVoid(today, "not notified by "+t.Due.String()+" (art. 201 c.5)")
	f.UpdatedAt = now
	return true
}

// NotifyWithinTerm records a notification through the office's short
// form (a day and a channel, no attempts): as Notify, and when that day is
// after the fine's notification term the verbale may have been sent late,
// so the fine is flagged void until a supervisor decides, exactly as a
// late attempt is (art. 201 c.5). The form has no sending day, and the
// sender's date is what counts: a supervisor lifts the flag when the
// verbale left in time.
func (f *Fine) NotifyWithinTerm(on Date, ch Channel, feesCents int64, cal Calendar, now time.Time) error {
	term, owed := cal.NotificationTerm(f)
	if err := f.Notify(on, ch, feesCents, now); err != nil {
		return err
	}
	if owed && on.After(term.Due) {
		f.flagVoid(DateOf(now), "notified on "+on.String()+", after the term of "+term.Due.String()+
			": check the day it was sent (art. 201 c.5)")
	}
	return nil
}

func (f *Fine) flagVoid(on Date, reason string) {
	if f.Void == nil {
		f.Void = &VoidFlag{Since: on, Reason: reason}
	}
}

// DecideVoid is a supervisor's decision on a void flag: lift it (the term
// was kept after all, e.g. the owner's data came later than recorded) or
// confirm it, which cancels the fine. Errors: EInvalidTransition (no
// undecided flag), EValidation (no note).
func (f *Fine) DecideVoid(lift bool, note, by string, now time.Time) error {
	if !f.Void.Blocking() {
		return Errorf(EInvalidTransition, "fine %s has no void flag awaiting a decision", f.ReportNumber)
	}
	note = strings.TrimSpace(note)
	if note == "" || utf8.RuneCountInString(note) > 500 {
		return Errorf(EValidation, "a decision needs a note of 1 to 500 characters")
	}
	v := *f.Void
	v.DecidedBy, v.DecidedAt, v.Note = by, &now, note
	if lift {
		v.Decision = "lifted"
		f.Void, f.UpdatedAt = &v, now
		return nil
	}
	v.Decision = "confirmed"
	f.Void = &v
	return f.Cancel("void: "+v.Reason+" — "+note, by, now)
}
