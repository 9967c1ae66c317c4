package notices

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Correction is a supervisor's fix of a fine's recorded facts (a plate
// typo, a wrong place): what changed, from what to what, why, by whom and
// when. The old values stay in it, so the fine's page and an auditor can
// see what was first written.
type Correction struct {
	At      time.Time     `json:"at"`
	By      string        `json:"by"`
	Reason  string        `json:"reason"`
	Changes []FieldChange `json:"changes"`
}

// FieldChange is one corrected field with its old and new value.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// CorrectionRequest names the fields to correct; an empty one is kept.
type CorrectionRequest struct {
	Plate  string
	Place  string
	Reason string
}

// Correct applies a correction of the plate and/or the place. A paid fine
// cannot be corrected (its receipt names what was paid), nor a cancelled
// one. The amounts and notice numbers do not depend on plate or place,
// so the notice already in the driver's hands stays valid.
func (f *Fine) Correct(req CorrectionRequest, by string, now time.Time) error {
	switch f.Status {
	case StatusPaid:
		return Errorf(EAlreadyPaid, "a paid fine cannot be corrected (%s)", f.ReportNumber)
	case StatusCancelled:
		return Errorf(EFineCancelled, "fine %s was cancelled", f.ReportNumber)
	}
	var errs []FieldError
	reason := strings.TrimSpace(req.Reason)
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		errs = append(errs, FieldError{"reason", "a correction needs a reason of 1 to 500 characters"})
	}
	c := Correction{At: now, By: by, Reason: reason}
	plate, place := f.Plate, f.Place
	if strings.TrimSpace(req.Plate) != "" {
		p, err := NormalizePlate(req.Plate)
		if err != nil {
			errs = append(errs, FieldError{"plate", ErrorMessage(err)})
		} else if p != f.Plate {
			c.Changes = append(c.Changes, FieldChange{"plate", f.Plate, p})
			plate = p
		}
	}
	if p := strings.TrimSpace(req.Place); p != "" {
		if utf8.RuneCountInString(p) > 200 {
			errs = append(errs, FieldError{"place", "the place is required, at most 200 characters"})
		} else if msg := FreeTextProblem(p); msg != "" {
			errs = append(errs, FieldError{"place", msg})
		} else if p != f.Place {
			c.Changes = append(c.Changes, FieldChange{"place", f.Place, p})
			place = p
		}
	}
	if errs == nil && len(c.Changes) == 0 {
		field := "plate"
		if strings.TrimSpace(req.Plate) == "" && strings.TrimSpace(req.Place) != "" {
			field = "place"
		}
		msg := "nothing to change: the values are the same"
		if strings.TrimSpace(req.Plate) == "" && strings.TrimSpace(req.Place) == "" {
			msg = "change at least the plate or the place"
		}
		errs = append(errs, FieldError{field, msg})
	}
	if errs != nil {
		return &ValidationError{errs}
	}
	f.Plate, f.Place, f.UpdatedAt = plate, place, now
	f.Corrections = append(f.Corrections[:len(f.Corrections):len(f.Corrections)], c)
	return nil
}

// actorKey carries the name of whoever makes a change, for the ledger.
type actorKey struct{}

// WithActor returns ctx naming the user on whose behalf the store writes:
// the store records the name with each change in its ledger, so the audit
// trail says who, not only when.
func WithActor(ctx context.Context, username string) context.Context {
	return context.WithValue(ctx, actorKey{}, username)
}

// ActorOf returns the user named by WithActor, or "".
func ActorOf(ctx context.Context) string {
	s, _ := ctx.Value(actorKey{}).(string)
	return s
}

// FineEvent is one entry of a fine's audit trail, as the ledger recorded
// it: Op is create, update or pay; Status the status it left; By the
// user who made it (empty for entries written before names were kept,
// and for payments, which drivers make without an account).
type FineEvent struct {
	Index  int64     `json:"index"`
	Op     string    `json:"op"`
	Status Status    `json:"status"`
	By     string    `json:"by,omitempty"`
	At     time.Time `json:"at"`
}
