package server

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/notices"
)

// noticeView is the answer to a verify (paVerifyPaymentNotice): what the
// notice is and what a payment on the chosen day costs.
type noticeView struct {
	NoticeNumber string                 `json:"noticeNumber"`
	Creditor     notices.Creditor       `json:"creditor"`
	Status       notices.Status         `json:"status"`
	Option       notices.OptionKind     `json:"option"`
	Violation    violationRef           `json:"violation"`
	OccurredAt   time.Time              `json:"occurredAt"`
	Place        string                 `json:"place"`
	PlateMasked  string                 `json:"plateMasked"`
	Night        bool                   `json:"night"`
	NotifiedOn   *notices.Date          `json:"notifiedOn"`
	AmountDue    notices.AmountDue      `json:"amountDue"`
	Schedule     []notices.Step         `json:"schedule"`
	Options      []notices.OptionAmount `json:"options"`
	Payment      *paymentRef            `json:"payment,omitempty"`
}

type violationRef struct {
	Code          string `json:"code"`
	Article       string `json:"article"`
	Description   string `json:"description"`
	DescriptionIt string `json:"descriptionIt,omitempty"`
}

type paymentRef struct {
	ReceiptID   string    `json:"receiptId"`
	PaidAt      time.Time `json:"paidAt"`
	AmountCents int64     `json:"amountCents"`
}

// getNotice verifies a notice: it never changes state.
func (s *Server) getNotice(c *fiber.Ctx) error {
	nav, err := notices.ParseNAV(c.Params("nav"))
	if err != nil {
		return err
	}
	on := s.today()
	if q := c.Query("on"); q != "" {
		if on, err = notices.ParseDate(q); err != nil {
			return err
		}
	}
	if fc := c.Query("fiscalCode"); fc != "" {
		if err := notices.ValidateCreditorFiscalCode(fc); err != nil {
			return err
		}
		if fc != s.cfg.Settings.Creditor.FiscalCode {
			return notices.Errorf(notices.ENoticeNotFound, "no notice %s for creditor %s", nav, fc)
		}
	}
	f, err := s.cfg.Store.FineByNAV(c.UserContext(), nav)
	if err != nil {
		return err
	}
	view, err := s.noticeView(c, &f, nav, on)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(view)
}

func (s *Server) noticeView(c *fiber.Ctx, f *notices.Fine, nav notices.NAV, on notices.Date) (noticeView, error) {
	opt, _ := f.Option(nav)
	cal := s.cfg.Settings.Calendar
	v := noticeView{
		NoticeNumber: string(nav),
		Creditor:     s.cfg.Settings.Creditor,
		Status:       f.Status,
		Option:       opt.Kind,
		Violation:    violationRef{f.Violation.Code, f.Violation.Article, f.Violation.Description, f.Violation.DescriptionIt},
		OccurredAt:   f.OccurredAt.In(notices.Rome),
		Place:        f.Place,
		PlateMasked:  notices.MaskPlate(f.Plate),
		Night:        f.IsNight(),
		AmountDue:    cal.Due(f, on),
		Schedule:     cal.Schedule(f),
		Options:      cal.Options(f),
	}
	if !f.NotifiedOn.IsZero() {
		d := f.NotifiedOn
		v.NotifiedOn = &d
	}
	if f.Status == notices.StatusPaid && f.ReceiptID != "" {
		r, err := s.cfg.Store.Receipt(c.UserContext(), f.ReceiptID)
		if err != nil {
			return v, err
		}
		v.Payment = &paymentRef{r.ID, r.PaidAt, r.AmountCents}
	}
	return v, nil
}

// listViolations returns the catalogue, which changes only with a decree.
func (s *Server) listViolations(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.JSON(s.cfg.Catalogue.All())
}
