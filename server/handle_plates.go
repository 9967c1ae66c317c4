package server

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/payment"
)

// plateProof is what a driver gives to see the fines of a plate: the
// plate and the report number (or a notice number) of one fine of it, as
// printed on the verbale. A plate alone is public (anyone reads it on the
// car), so it never reveals anything by itself.
type plateProof struct {
	Plate string `json:"plate"`
	Proof string `json:"proof"`
}

// plateFine is one open fine of the plate, as its driver sees it.
type plateFine struct {
	NoticeNumber string                 `json:"noticeNumber"` // the one to pay with
	ReportNumber string                 `json:"reportNumber"`
	Status       notices.Status         `json:"status"`
	Violation    violationRef           `json:"violation"`
	OccurredAt   time.Time              `json:"occurredAt"`
	Place        string                 `json:"place"`
	AmountDue    notices.AmountDue      `json:"amountDue"`
	Options      []notices.OptionAmount `json:"options"`
	// Payable is false while the fine cannot be paid (a void flag).
	Payable bool           `json:"payable"`
	Terms   *notices.Terms `json:"terms,omitempty"`
	// Photos are the numbers of the evidence photos, for
	// GET /notices/{noticeNumber}/photos/{n} with the plate.
	Photos []int         `json:"photos"`
	Review *publicReview `json:"review,omitempty"`
}

// errNoPlateMatch is the one answer to every proof that fails, whatever
// the reason (unknown plate, unknown number, a number of another plate),
// so that a failed lookup teaches nothing.
func errNoPlateMatch() error {
	return notices.Errorf(notices.ENoticeNotFound, "No fine matches this plate and this number.")
}

// provenFine returns the fine the proof names when it belongs to plate
// (already normalised).
func (s *Server) provenFine(ctx context.Context, plate, proof string) (notices.Fine, error) {
	proof = strings.TrimSpace(proof)
	if nav, err := notices.ParseNAV(proof); err == nil {
		f, err := s.cfg.Store.FineByNAV(ctx, nav)
		if err != nil || f.Plate != plate {
			return notices.Fine{}, errNoPlateMatch()
		}
		return f, nil
	}
	if len(proof) != 11 || proof[4] != '/' {
		return notices.Fine{}, errNoPlateMatch()
	}
	// The plate's index first: the cost is the plate's fines, never a scan.
	page, err := s.cfg.Store.ListFines(ctx, notices.FineFilter{Plate: plate, ReportNumber: proof, Limit: 1})
	if notices.ErrorCode(err) == notices.EValidation {
		return notices.Fine{}, errNoPlateMatch()
	}
	if err != nil {
		return notices.Fine{}, err
	}
	if len(page.Items) == 0 || page.Items[0].Plate != plate {
		return notices.Fine{}, errNoPlateMatch()
	}
	return page.Items[0], nil
}

// finesByPlate lists the open fines of a plate with today's amounts, for
// the driver's "my fines" page, once the proof holds.
func (s *Server) finesByPlate(c *fiber.Ctx) error {
	var req plateProof
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	plate, err := notices.NormalizePlate(req.Plate)
	if err != nil {
		return errNoPlateMatch()
	}
	ctx := c.UserContext()
	if _, err := s.provenFine(ctx, plate, req.Proof); err != nil {
		return err
	}
	cal, today := s.cfg.Settings.Calendar, s.today()
	items := []plateFine{}
	q := notices.FineFilter{Plate: plate, Unpaid: true, Limit: 100}
	for {
		page, err := s.cfg.Store.ListFines(ctx, q)
		if err != nil {
			return err
		}
		for i := range page.Items {
			f := &page.Items[i]
			it := plateFine{NoticeNumber: string(f.Options[0].NAV), ReportNumber: f.ReportNumber, Status: f.Status,
				Violation:  violationRef{f.Violation.Code, f.Violation.Article, f.Violation.Description, f.Violation.DescriptionIt},
				OccurredAt: f.OccurredAt.In(notices.Rome), Place: f.Place, AmountDue: cal.Due(f, today), Options: cal.Options(f),
				Payable: f.Payable() == nil, Photos: []int{}, Review: publicReviewOf(f)}
			if !f.NotifiedOn.IsZero() && !today.Before(f.NotifiedOn) {
				t := cal.TermsFrom(f.NotifiedOn, f.Violation, f.Abroad())
				it.Terms = &t
			}
			for _, p := range f.Photos {
				if p.Source != notices.PhotoByDriver {
					it.Photos = append(it.Photos, p.N)
				}
			}
			items = append(items, it)
		}
		if page.NextCursor == "" || len(items) >= 200 {
			break
		}
		q.Cursor = page.NextCursor
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"plate": plate, "on": today, "items": items})
}

// cartRequest pays several fines with one card authorization.
type cartRequest struct {
	Items []payment.CartItem `json:"items"`
	Token string             `json:"token"`
	Email string             `json:"email,omitempty"`
}

// payCart takes a cart payment exactly once through the payment use case;
// a retry with the same Idempotency-Key gets the same receipts again.
func (s *Server) payCart(c *fiber.Ctx) error {
	key, err := idempotencyKey(c, true)
	if err != nil {
		return err
	}
	var req cartRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	rs, replayed, err := s.payments.PayCart(c.UserContext(), payment.CartPayment{
		Items: req.Items, Token: req.Token, Email: req.Email, IdempotencyKey: key,
	})
	if notices.ErrorCode(err) == notices.EAlreadyPaid && !s.staffCaller(c) {
		// As for one notice (pay): a stranger learns that a fine of the
		// cart is paid, and which, but not the receipt that paid it.
		var de *notices.Error
		rn := ""
		if errors.As(err, &de) {
			rn, _ = de.Details["reportNumber"].(string)
		}
		return &notices.Error{Code: notices.EAlreadyPaid, Message: "Fine " + rn + " of the cart is already paid; nothing was charged.",
			Details: map[string]any{"reportNumber": rn}}
	}
	if err != nil {
		return err
	}
	var total int64
	for _, r := range rs {
		total += r.AmountCents
		if !replayed {
			s.metrics.paid(r)
		}
	}
	if replayed {
		c.Set("Idempotent-Replayed", "true")
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"totalCents": total, "receipts": rs})
}
