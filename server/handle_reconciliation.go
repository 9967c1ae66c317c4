package server

import (
	"context"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/notices"
)

// maxReconDays bounds a reconciliation period: a quarter.
const maxReconDays = 92

// maxReconLimit bounds ?limit=: more rows than that is the whole answer's
// job (leave limit out).
const maxReconLimit = 10000

// Margins around a period within which receipts, flows and credits are
// loaded to be matched against (see notices.ReconInput): a payment late on
// the last day may be reported the next day, a flow regulated on Friday
// may be credited on Monday, a flow of Christmas week a week later.
const (
	receiptMarginDays = 1
	flowMarginDays    = 7
)

// reconciliation answers GET /api/v1/reconciliation?date= (one day) or
// ?from=&to= (a period of up to 92 days): the receipts of the period set
// against the settlement flows, each flow against its own totals and the
// bank's credits. The day defaults to yesterday, the last complete one.
// JSON by default; Accept: text/csv gives the rows as CSV for a
// spreadsheet set to Italian. ?limit=N keeps the first N rows (problems
// come first; counts and totals still cover all), which is what the
// dashboard's panel shows. Errors: invalid_date (400), validation_failed
// (422: limit).
func (s *Server) reconciliation(c *fiber.Ctx) error {
	in, err := s.reconInput(c)
	if err != nil {
		return err
	}
	rec := notices.Reconcile(in)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Vary(fiber.HeaderAccept)
	if c.Accepts(fiber.MIMEApplicationJSON, mimeCSV) == mimeCSV {
		if l := c.Query("locale"); l != "" && l != "it" {
			return &notices.ValidationError{Fields: []notices.FieldError{{Field: "locale", Message: "the CSV is in Italian: leave it out, or it"}}}
		}
		return sendReconciliationCSV(c, &rec)
	}
	return c.JSON(rec)
}

// reconInput reads the period of a reconciliation request and loads what
// to match it against.
func (s *Server) reconInput(c *fiber.Ctx) (notices.ReconInput, error) {
	today := s.today()
	var in notices.ReconInput
	day, err := dateQuery(c, "date")
	if err != nil {
		return in, err
	}
	from, err := dateQuery(c, "from")
	if err != nil {
		return in, err
	}
	to, err := dateQuery(c, "to")
	if err != nil {
		return in, err
	}
	switch {
	case !day.IsZero() && (!from.IsZero() || !to.IsZero()):
		return in, notices.Errorf(notices.EInvalidDate, "give either date or from and to")
	case !day.IsZero():
		from, to = day, day
	case from.IsZero() && to.IsZero():
		from, to = today.AddDays(-1), today.AddDays(-1)
	case from.IsZero() || to.IsZero():
		return in, notices.Errorf(notices.EInvalidDate, "a period needs both from and to")
	}
	if to.Before(from) {
		return in, notices.Errorf(notices.EInvalidDate, "the period ends (%s) before it starts (%s)", to, from)
	}
	if from.AddDays(maxReconDays - 1).Before(to) {
		return in, notices.Errorf(notices.EInvalidDate, "a period is at most %d days", maxReconDays)
	}
	if from.After(today) {
		return in, notices.Errorf(notices.EInvalidDate, "%s is in the future: nothing was paid or settled yet", from)
	}
	ctx := c.UserContext()
	limit := 0
	if l := c.Query("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit < 1 || limit > maxReconLimit {
			return in, &notices.ValidationError{Fields: []notices.FieldError{{Field: "limit", Message: "must be between 1 and " + strconv.Itoa(maxReconLimit)}}}
		}
	}
	in = notices.ReconInput{From: from, To: to, Today: today, Calendar: s.cfg.Settings.Calendar, Limit: limit}
	if in.Receipts, err = s.cfg.Store.Receipts(ctx, from, to); err != nil {
		return in, err
	}
	if in.Flows, err = s.cfg.Store.FlowsBetween(ctx, from.AddDays(-flowMarginDays), to.AddDays(flowMarginDays)); err != nil {
		return in, err
	}
	if in.Credits, err = s.cfg.Store.BankCredits(ctx, from.AddDays(-flowMarginDays), to.AddDays(flowMarginDays)); err != nil {
		return in, err
	}
	return in, s.neighbourReceipts(ctx, &in)
}

// neighbourReceipts adds to in the receipts of the days next to its period
// that a line of the period names (notices.NeighbourNeed): none, without
// reading those days, when the period's own receipts answer every line,
// as they do on most days; a day's reconciliation then costs its own
// receipts, not three days' worth.
func (s *Server) neighbourReceipts(ctx context.Context, in *notices.ReconInput) error {
	need := notices.NeighbourNeed(in.From, in.To, in.Receipts, in.Flows)
	if need == nil {
		return nil
	}
	before, err := s.cfg.Store.Receipts(ctx, in.From.AddDays(-receiptMarginDays), in.From.AddDays(-1))
	if err != nil {
		return err
	}
	after, err := s.cfg.Store.Receipts(ctx, in.To.AddDays(1), in.To.AddDays(receiptMarginDays))
	if err != nil {
		return err
	}
	// In order of payment, as one read of the whole range gives them:
	// Reconcile keeps the first receipt of a key.
	in.Receipts = slices.Concat(need.Keep(before), in.Receipts, need.Keep(after))
	return nil
}
