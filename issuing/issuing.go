// Package issuing holds the use cases that create fines: one fine issued
// by an officer (Issue) and a batch imported from cameras (Import). Both
// give a fine fresh notice numbers (NAVs) when the store finds one taken,
// which the HTTP handlers used to do each on its own.
package issuing

import (
	"context"
	"crypto/rand"
	"io"
	"time"

	"github.com/multa/multa/notices"
)

// navAttempts bounds how many times a fine gets new NAVs after a
// collision. A NAV has 15 random digits, so even one retry is rare; five
// failures in a row mean something other than chance is wrong.
const navAttempts = 5

// Config wires the use cases to their ports. Store and Catalogue are
// required; Now defaults to time.Now and Rand to crypto/rand.
type Config struct {
	Store     notices.FineStore
	Catalogue *notices.Catalogue
	Settings  notices.Settings
	Now       func() time.Time
	Rand      io.Reader
}

// Service runs the issuing use cases; it is safe for concurrent use.
type Service struct{ cfg Config }

// New returns a Service with cfg's defaults filled in.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Catalogue == nil {
		cfg.Catalogue = notices.DefaultCatalogue()
	}
	return &Service{cfg: cfg}
}

// Idempotency names a request that may be retried: within Scope (e.g.
// "fine:<officer>"), the same Key with the same RequestHash is the same
// request, and gets the first answer again.
type Idempotency struct {
	Scope, Key, RequestHash string
}

// Issue builds a fine from req (notices.NewFine, now from the clock) and
// saves it with Save. Errors: those of Save, EValidation (a
// *notices.ValidationError naming the fields), EUnknownViolation.
func (s *Service) Issue(ctx context.Context, req notices.FineRequest, idem *Idempotency) (f notices.Fine, replayed bool, err error) {
	nf, err := notices.NewFine(req, s.cfg.Catalogue, s.cfg.Settings, s.cfg.Now().In(notices.Rome), s.cfg.Rand)
	if err != nil {
		return notices.Fine{}, false, err
	}
	return s.Save(ctx, nf, idem)
}

// Save stores a fine built by the domain (NewFine, NewDriverPenalty…),
// giving it fresh NAVs when one is taken. With idem, a retry of a request
// already served returns the fine it created, as it is now, with replayed
// true, and nf is not stored. Errors: EIdempotencyConflict (same key,
// other request), ENAVTaken (after navAttempts collisions), EValidation.
func (s *Service) Save(ctx context.Context, nf *notices.Fine, idem *Idempotency) (f notices.Fine, replayed bool, err error) {
	var rec *notices.Idempotent
	if idem != nil {
		rec = &notices.Idempotent{Scope: idem.Scope, Key: idem.Key, RequestHash: idem.RequestHash, ResourceID: nf.ID,
			CreatedAt: s.cfg.Now().In(notices.Rome)}
	}
	for attempt := 1; ; attempt++ {
		replay, err := s.cfg.Store.CreateFine(ctx, nf, rec)
		if notices.ErrorCode(err) == notices.ENAVTaken && attempt < navAttempts {
			if err := nf.AssignNAVs(s.cfg.Settings.Segregation, s.cfg.Rand); err != nil {
				return notices.Fine{}, false, err
			}
			continue
		}
		if err != nil {
			return notices.Fine{}, false, err
		}
		if replay != nil {
			first, err := s.cfg.Store.Fine(ctx, replay.ResourceID)
			return first, err == nil, err
		}
		return *nf, false, nil
	}
}

// Import saves many fines built by the caller (notices.NewFine) in few
// transactions. errs[i] is the outcome of fines[i]: nil when saved (its
// report number is then set), else why not; a fine whose NAV is taken
// gets fresh ones and is tried again, and one bad fine never stops the
// others. err is a failure of the whole batch.
func (s *Service) Import(ctx context.Context, fines []*notices.Fine) (errs []error, err error) {
	errs = make([]error, len(fines))
	pending := make([]int, len(fines)) // indexes into fines still to save
	for i := range fines {
		pending[i] = i
	}
	for attempt := 1; len(pending) > 0; attempt++ {
		batch := make([]*notices.Fine, len(pending))
		for j, i := range pending {
			batch[j] = fines[i]
		}
		got, err := s.cfg.Store.ImportFines(ctx, batch)
		if err != nil {
			return nil, err
		}
		var retry []int
		for j, i := range pending {
			errs[i] = got[j]
			if notices.ErrorCode(got[j]) == notices.ENAVTaken && attempt < navAttempts {
				if err := fines[i].AssignNAVs(s.cfg.Settings.Segregation, s.cfg.Rand); err != nil {
					return nil, err
				}
				retry = append(retry, i)
			}
		}
		pending = retry
	}
	return errs, nil
}
