package server

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/issuing"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/qr"
)

// fineRequest is an officer's new fine.
type fineRequest struct {
	Plate         string   `json:"plate"`
	ViolationCode string   `json:"violationCode"`
	OccurredAt    string   `json:"occurredAt"`
	Place         string   `json:"place"`
	Lat           *float64 `json:"lat,omitempty"`
	Lon           *float64 `json:"lon,omitempty"`
	Contestation  string   `json:"contestation"`
}

// fineView is a fine as the back office sees it, with the amounts and due
// dates of its payment options computed for the notice.
type fineView struct {
	ID           string                 `json:"id"`
	ReportNumber string                 `json:"reportNumber"`
	Status       notices.Status         `json:"status"`
	Plate        string                 `json:"plate"`
	Violation    notices.Violation      `json:"violation"`
	OccurredAt   time.Time              `json:"occurredAt"`
	Place        string                 `json:"place"`
	Lat          *float64               `json:"lat,omitempty"`
	Lon          *float64               `json:"lon,omitempty"`
	Night        bool                   `json:"night"`
	Contestation notices.Contestation   `json:"contestation"`
	NotifiedOn   *notices.Date          `json:"notifiedOn"`
	Channel      notices.Channel        `json:"channel,omitempty"`
	FeesCents    int64                  `json:"feesCents"`
	Options      []notices.OptionAmount `json:"options"`
	AmountDue    notices.AmountDue      `json:"amountDue"`
	Officer      string                 `json:"officer"`
	CreatedAt    time.Time              `json:"createdAt"`
	ReceiptID    string                 `json:"receiptId,omitempty"`
	PaidAt       *time.Time             `json:"paidAt,omitempty"`
	CancelledAt  *time.Time             `json:"cancelledAt,omitempty"`
	CancelledBy  string                 `json:"cancelledBy,omitempty"`
	CancelReason string                 `json:"cancelReason,omitempty"`
	Corrections  []notices.Correction   `json:"corrections,omitempty"`
	// Payments are every receipt of the fine, the settling one and any
	// second payment to refund; only in single-fine answers.
	Payments []paymentView `json:"payments,omitempty"`
	// Photos are the evidence (GET /fines/{id}/photos/{n}); Reviews the
	// requests for review in autotutela (issue 14).
	Photos  []notices.Photo  `json:"photos,omitempty"`
	Reviews []notices.Review `json:"reviews,omitempty"`
	verbaleView
}

func (s *Server) fineView(f *notices.Fine) fineView {
	cal := s.cfg.Settings.Calendar
	v := fineView{
		ID: f.ID, ReportNumber: f.ReportNumber, Status: f.Status, Plate: f.Plate, Violation: f.Violation,
		OccurredAt: f.OccurredAt.In(notices.Rome), Place: f.Place, Lat: f.Lat, Lon: f.Lon, Night: f.IsNight(),
		Contestation: f.Contestation, Channel: f.Channel, FeesCents: f.FeesCents, Options: cal.Options(f),
		AmountDue: cal.Due(f, s.today()), Officer: f.Officer, CreatedAt: f.CreatedAt.In(notices.Rome),
		ReceiptID: f.ReceiptID, PaidAt: f.PaidAt, CancelledAt: f.CancelledAt, CancelledBy: f.CancelledBy,
		CancelReason: f.CancelReason, Corrections: f.Corrections, Photos: f.Photos, Reviews: f.Reviews,
	}
	if !f.NotifiedOn.IsZero() {
		d := f.NotifiedOn
		v.NotifiedOn = &d
	}
	v.verbaleView = s.verbaleOf(f, false)
	return v
}

// parseInstant reads an RFC 3339 instant; a missing offset is refused
// rather than guessed, since an hour decides the night surcharge.
func parseInstant(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, &notices.ValidationError{Fields: []notices.FieldError{{Field: field, Message: "must be an RFC 3339 instant with offset, e.g. 2026-11-25T08:30:00+01:00"}}}
	}
	return t, nil
}

// issueFine creates a fine. An Idempotency-Key makes an officer's retry
// on a bad network return the first fine instead of creating a second.
func (s *Server) issueFine(c *fiber.Ctx) error {
	p := principalOf(c)
	key, err := idempotencyKey(c, false)
	if err != nil {
		return err
	}
	var req fineRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	at, err := parseInstant("occurredAt", req.OccurredAt)
	if err != nil {
		return err
	}
	var idem *issuing.Idempotency
	if key != "" {
		raw, _ := json.Marshal(req)
		idem = &issuing.Idempotency{Scope: "fine:" + p.Username, Key: key, RequestHash: requestHash(string(raw))}
	}
	f, replayed, err := s.issuing.Issue(c.UserContext(), notices.FineRequest{
		Plate: req.Plate, ViolationCode: req.ViolationCode, OccurredAt: at, Place: req.Place,
		Lat: req.Lat, Lon: req.Lon, Contestation: notices.Contestation(req.Contestation), Officer: p.Username,
	}, idem)
	if err != nil {
		return err
	}
	if replayed {
		// The first answer again, with the fine as it is now.
		c.Set("Idempotent-Replayed", "true")
		return c.Status(fiber.StatusCreated).JSON(s.fineView(&f))
	}
	s.metrics.fineIssued(f)
	c.Set(fiber.HeaderLocation, "/api/v1/fines/"+f.ID)
	return c.Status(fiber.StatusCreated).JSON(s.fineView(&f))
}

func (s *Server) getFine(c *fiber.Ctx) error {
	f, err := s.cfg.Store.Fine(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return s.officeFine(c, &f, fiber.StatusOK)
}

type notificationRequest struct {
	NotifiedOn string `json:"notifiedOn"`
	Channel    string `json:"channel"`
	FeesCents  *int64 `json:"feesCents,omitempty"`
}

// notify records the formal notification; fees default per channel.
func (s *Server) notify(c *fiber.Ctx) error {
	var req notificationRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	on, err := notices.ParseDate(req.NotifiedOn)
	if err != nil {
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: "notifiedOn", Message: "must be a date YYYY-MM-DD"}}}
	}
	ch := notices.Channel(req.Channel)
	fees := s.cfg.Settings.Fees.For(ch)
	if req.FeesCents != nil {
		fees = *req.FeesCents
	}
	now := s.now()
	f, err := s.cfg.Store.UpdateFine(c.UserContext(), c.Params("id"), func(f *notices.Fine) error {
		return f.NotifyWithinTerm(on, ch, fees, s.cfg.Settings.Calendar, now)
	})
	if err != nil {
		return err
	}
	return c.JSON(s.fineView(&f))
}

type cancellationRequest struct {
	Reason string `json:"reason"`
}

// cancel annuls a fine; only supervisors reach this handler.
func (s *Server) cancel(c *fiber.Ctx) error {
	var req cancellationRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	by, now := principalOf(c).Username, s.now()
	f, err := s.cfg.Store.UpdateFine(c.UserContext(), c.Params("id"), func(f *notices.Fine) error {
		return f.Cancel(req.Reason, by, now)
	})
	if err != nil {
		return err
	}
	return c.JSON(s.fineView(&f))
}

// noticePDF renders the printable notice of a fine (A4 or thermal roll).
func (s *Server) noticePDF(c *fiber.Ctx) error {
	format := c.Query("format", "a4")
	if format != "a4" && format != "thermal" {
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: "format", Message: "must be a4 or thermal"}}}
	}
	f, err := s.cfg.Store.Fine(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if f.Status == notices.StatusCancelled {
		return notices.Errorf(notices.EFineCancelled, "fine %s was cancelled; there is no notice to print", f.ReportNumber)
	}
	var buf bytes.Buffer
	doc := s.noticeDoc(c, &f)
	if err := qr.NoticePDF(&buf, doc, format); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="avviso-`+safeName(f.ReportNumber)+`.pdf"`)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(buf.Bytes())
}

func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			b[i] = '-'
		}
	}
	return string(b)
}
