package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/notices"
)

// correctionRequest is a supervisor's correction of a fine: the new plate
// and/or place (an empty one is kept) and why.
type correctionRequest struct {
	Plate  string `json:"plate"`
	Place  string `json:"place"`
	Reason string `json:"reason"`
}

// correct answers POST /api/v1/fines/:id/correction (supervisors): the
// correction and its old values are kept in the fine, and the change is a
// ledger record naming the supervisor. Errors: validation_failed (422),
// already_paid (409), fine_cancelled (410), fine_not_found (404).
func (s *Server) correct(c *fiber.Ctx) error {
	var req correctionRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	by, now := principalOf(c).Username, s.now()
	f, err := s.cfg.Store.UpdateFine(c.UserContext(), c.Params("id"), func(f *notices.Fine) error {
		return f.Correct(notices.CorrectionRequest{Plate: req.Plate, Place: req.Place, Reason: req.Reason}, by, now)
	})
	if err != nil {
		return err
	}
	return c.JSON(s.fineView(&f))
}

// fineHistory answers GET /api/v1/fines/:id/history: the fine's ledger
// records, oldest first (who and when, the status each left), and its
// corrections with the old values.
func (s *Server) fineHistory(c *fiber.Ctx) error {
	ctx := c.UserContext()
	f, err := s.cfg.Store.Fine(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	events, err := s.cfg.Store.FineHistory(ctx, f.ID)
	if err != nil {
		return err
	}
	corrections := f.Corrections
	if corrections == nil {
		corrections = []notices.Correction{}
	}
	return c.JSON(fiber.Map{"events": events, "corrections": corrections})
}
