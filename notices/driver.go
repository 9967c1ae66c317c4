package notices

import (
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// DriverPenaltyCode is the catalogue code of the fine for an owner who,
// without a justified reason, does not name the driver (art. 126-bis c.2).
const DriverPenaltyCode = "126bis-2"

// Review states of a driver identification.
const (
	DriverSubmitted = "submitted"
	DriverAccepted  = "accepted"
	DriverRejected  = "rejected"
	// DriverNotNamed: nobody was named in time; the c.2 fine was issued.
	DriverNotNamed = "not_named"
)

// DriverIdentification is the owner's answer to art. 126-bis c.2: who was
// driving, with their licence, declared by the owner; then the office's
// review. Accepted, it puts the violation's points on the driver's
// licence (communicated to the national registry).
type DriverIdentification struct {
	Driver Offender `json:"driver"`
	// DeclaredBy is the name of who signs the declaration (the owner, or a
	// company's legal representative).
	DeclaredBy  string    `json:"declaredBy"`
	SubmittedAt time.Time `json:"submittedAt"`
	Status      string    `json:"status"`
	ReviewedBy  string    `json:"reviewedBy,omitempty"`
	ReviewedAt  time.Time `json:"reviewedAt,omitzero"`
	ReviewNote  string    `json:"reviewNote,omitempty"`
	// PenaltyFineID is the art. 126-bis c.2 fine issued when nobody was
	// named in time (kept here so that it is issued once).
	PenaltyFineID string `json:"penaltyFineId,omitempty"`
}

// DriverTerm returns the last day for the owner to name the driver, or
// false when no naming is owed: the violation takes no points, the driver
// was contested on the spot, or the notification is not perfected yet.
func (c Calendar) DriverTerm(f *Fine) (Date, bool) {
	if f.Violation.Points == 0 || f.Contestation != ContestDeferred || f.NotifiedOn.IsZero() {
		return Date{}, false
	}
	return c.Deadline(f.NotifiedOn, DriverIdentificationDays), true
}

// DriverDeclaration is what the owner submits from the driver app.
type DriverDeclaration struct {
	Driver Offender `json:"driver"`
	// DeclaredBy is the signer's name.
	DeclaredBy string `json:"declaredBy"`
	// OwnerCode is the owner's fiscal code or VAT number, as on the
	// verbale: knowing the notice number alone does not let anyone name a
	// driver for someone else's car.
	OwnerCode string `json:"ownerCode"`
	// Declaration confirms the owner declares it under their own
	// responsibility (DPR 445/2000 art. 47).
	Declaration bool `json:"declaration"`
}

// SubmitDriver records an owner's declaration. A late one is still taken
// (the office decides). Errors: EValidation (bad data, no declaration),
// EForbiddenOwner (the owner code does not match), EInvalidTransition
// (nothing owed, or a declaration already pending or accepted),
// EFineCancelled.
func (f *Fine) SubmitDriver(d DriverDeclaration, cal Calendar, now time.Time) error {
	if f.Status == StatusCancelled {
		return Errorf(EFineCancelled, "fine %s was cancelled", f.ReportNumber)
	}
	if _, ok := cal.DriverTerm(f); !ok {
		return Errorf(EInvalidTransition, "this verbale asks no one to name the driver")
	}
	if f.Driver != nil && f.Driver.Status != DriverRejected {
		return Errorf(EInvalidTransition, "a driver was already named for this verbale")
	}
	owner := f.Verbale.Owner
	code := strings.ToUpper(strings.TrimSpace(d.OwnerCode))
	if owner == nil || code == "" || (code != strings.ToUpper(owner.FiscalCode) && code != strings.ToUpper(owner.VATNumber)) {
		return Errorf(EOwnerMismatch, "the fiscal code or VAT number is not the owner's on this verbale")
	}
	errs := d.Driver.validate("driver.", true, DateOf(now))
	if !textOK(d.DeclaredBy, 2, 120) {
		errs = append(errs, FieldError{"declaredBy", "the signer's name is required, at most 120 characters"})
	}
	if !d.Declaration {
		errs = append(errs, FieldError{"declaration", "the owner must confirm the declaration"})
	}
	if len(errs) > 0 {
		return &ValidationError{errs}
	}
	f.Driver = &DriverIdentification{Driver: d.Driver, DeclaredBy: d.DeclaredBy, SubmittedAt: now, Status: DriverSubmitted}
	f.UpdatedAt = now
	return nil
}

// ReviewDriver is the office's decision on a submitted declaration;
// accepted, the driver becomes the verbale's offender. Errors:
// EInvalidTransition (nothing submitted), EValidation (a rejection needs
// a note).
func (f *Fine) ReviewDriver(accept bool, note, by string, now time.Time) error {
	if f.Driver == nil || f.Driver.Status != DriverSubmitted {
		return Errorf(EInvalidTransition, "no driver declaration awaits review")
	}
	note = strings.TrimSpace(note)
	if (!accept && note == "") || utf8.RuneCountInString(note) > 500 {
		return Errorf(EValidation, "a rejection needs a note; notes are at most 500 characters")
	}
	d := *f.Driver
	d.ReviewedBy, d.ReviewedAt, d.ReviewNote, d.Status = by, now, note, DriverRejected
	if accept {
		d.Status = DriverAccepted
		v := *f.Verbale
		drv := d.Driver
		v.Offender = &drv
		f.Verbale = &v
	}
	f.Driver, f.UpdatedAt = &d, now
	return nil
}

// DriverPenaltyDue reports whether the office may issue the art. 126-bis
// c.2 fine on today: the term passed with no driver named (or only a
// rejected declaration), and none was issued yet.
func (c Calendar) DriverPenaltyDue(f *Fine, today Date) bool {
	term, ok := c.DriverTerm(f)
	if !ok || !today.After(term) || f.Status == StatusCancelled {
		return false
	}
	return f.Driver == nil || f.Driver.Status == DriverRejected && f.Driver.PenaltyFineID == ""
}

// NewDriverPenalty builds the art. 126-bis c.2 fine for the owner of f:
// committed on the day after the term, deferred (sent to the owner), with
// the owner as jointly liable party and the same vehicle. Errors:
// EInvalidTransition (not due), EUnknownViolation (the catalogue lacks
// the entry).
func NewDriverPenalty(f *Fine, cat *Catalogue, s Settings, officer string, now time.Time, rnd io.Reader) (*Fine, error) {
	if !s.Calendar.DriverPenaltyDue(f, DateOf(now)) {
		return nil, Errorf(EInvalidTransition, "the art. 126-bis c.2 fine is not due for %s", f.ReportNumber)
	}
	term, _ := s.Calendar.DriverTerm(f)
	p, err := NewFine(FineRequest{
		Plate: f.Plate, ViolationCode: DriverPenaltyCode, OccurredAt: term.AddDays(1).Start(),
		Place: "Comando di Polizia Locale (art. 126-bis c.2 CdS)", Contestation: ContestDeferred, Officer: officer,
	}, cat, s, now, rnd)
	if err != nil {
		return nil, err
	}
	owner := *f.Verbale.Owner
	owner.KnownOn = DateOf(p.OccurredAt)
	p.Verbale = &Verbale{
		Owner: &owner, Vehicle: f.Verbale.Vehicle,
		DeferredReason: DeferredOther,
		DeferredNote:   "Driver not named within 60 days of the notification of verbale " + f.ReportNumber + " (" + term.String() + ")",
	}
	return p, nil
}

// MarkDriverPenalty records that the art. 126-bis c.2 fine penaltyID was
// issued for f, so that it is never issued twice.
func (f *Fine) MarkDriverPenalty(penaltyID string, now time.Time) {
	if f.Driver == nil {
		f.Driver = &DriverIdentification{Status: DriverNotNamed}
	}
	d := *f.Driver
	d.PenaltyFineID = penaltyID
	f.Driver, f.UpdatedAt = &d, now
}
