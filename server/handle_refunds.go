package server

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/notices"
)

// paymentView is one receipt of a fine as the office and finance see it:
// how it was paid and whether money must be given back.
type paymentView struct {
	paymentRef
	FineID        string          `json:"fineId"`
	ReportNumber  string          `json:"reportNumber"`
	NoticeNumber  notices.NAV     `json:"noticeNumber"`
	Anomaly       notices.Anomaly `json:"anomaly,omitempty"`
	ExpectedCents int64           `json:"expectedCents,omitempty"`
	RefundCents   int64           `json:"refundCents,omitempty"`
}

func paymentViewOf(r notices.Receipt) paymentView {
	return paymentView{paymentRef: paymentRefOf(r), FineID: r.FineID, ReportNumber: r.ReportNumber, NoticeNumber: r.NAV,
		Anomaly: r.Anomaly, ExpectedCents: r.ExpectedCents, RefundCents: r.RefundCents}
}

// finePayments lists every receipt of a fine.
func (s *Server) finePayments(ctx context.Context, fineID string) ([]paymentView, error) {
	rs, err := s.cfg.Store.ReceiptsOfFine(ctx, fineID)
	if err != nil {
		return nil, err
	}
	out := make([]paymentView, 0, len(rs))
	for _, r := range rs {
		out = append(out, paymentViewOf(r))
	}
	return out, nil
}

// refunds lists the receipts finance must act on: a fine paid twice (in
// two channels), paid after its cancellation, or with another amount than
// due; with what to give back. Money that arrived is never refused, so
// this list is where it is given back.
func (s *Server) refunds(c *fiber.Ctx) error {
	rs, err := s.cfg.Store.Anomalies(c.UserContext())
	if err != nil {
		return err
	}
	items := make([]paymentView, 0, len(rs))
	var total int64
	for _, r := range rs {
		items = append(items, paymentViewOf(r))
		total += r.RefundCents
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"count": len(items), "refundCents": total, "items": items})
}
