package server

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/qr"
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
	On           notices.Date           `json:"on"` // the day AmountDue is for
	AmountDue    notices.AmountDue      `json:"amountDue"`
	Schedule     []notices.Step         `json:"schedule"`
	Options      []notices.OptionAmount `json:"options"`
	Payment      *paymentRef            `json:"payment,omitempty"`
	// Review is the state of the latest request for review in autotutela
	// and the office's answer (issue 14).
	Review *publicReview `json:"review,omitempty"`
	publicVerbale
}

type violationRef struct {
	Code          string `json:"code"`
	Article       string `json:"article"`
	Description   string `json:"description"`
	DescriptionIt string `json:"descriptionIt,omitempty"`
}

type paymentRef struct {
	// ReceiptID names the receipt for staff only: in a public verify it
	// is left out, as the receipt id is the payer's proof of payment
	// and the key to the receipt (issue 12).
	ReceiptID   string    `json:"receiptId,omitempty"`
	PaidAt      time.Time `json:"paidAt"`
	AmountCents int64     `json:"amountCents"`
	// How it was paid: Multa's checkout or a pagoPA channel, with the
	// PSP and its channel when pagoPA.
	Channel            notices.PaymentChannel `json:"channel"`
	PSP                string                 `json:"psp,omitempty"`
	ChannelDescription string                 `json:"channelDescription,omitempty"`
}

// paymentRefOf says who was paid how; receipts from before pagoPA have no
// channel and all came through the checkout.
func paymentRefOf(r notices.Receipt) paymentRef {
	p := paymentRef{ReceiptID: r.ID, PaidAt: r.PaidAt, AmountCents: r.AmountCents, Channel: r.Channel, PSP: r.PSP.Name}
	if p.Channel == "" {
		p.Channel = notices.PaidViaCheckout
	}
	if r.PagoPA != nil {
		p.PSP, p.ChannelDescription = r.PagoPA.PSPCompanyName, r.PagoPA.ChannelDescription
	}
	return p
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
	f, due, err := s.payments.Quote(c.UserContext(), nav, on)
	if err != nil {
		return err
	}
	view, err := s.noticeView(c, &f, nav, on, due)
	if err != nil {
		return err
	}
	view.On = on
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(view)
}

// noticeView shows fine f, reached by nav, with due: what the payment use
// case quoted for the chosen day on.
func (s *Server) noticeView(c *fiber.Ctx, f *notices.Fine, nav notices.NAV, on notices.Date, due notices.AmountDue) (noticeView, error) {
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
		AmountDue:    due,
		Schedule:     cal.ScheduleOn(f, on),
		Options:      cal.Options(f),
	}
	if !f.NotifiedOn.IsZero() && !on.Before(f.NotifiedOn) {
		d := f.NotifiedOn
		v.NotifiedOn = &d
	}
	v.publicVerbale = s.publicVerbaleOf(f, on)
	v.Review = publicReviewOf(f)
	if f.Status == notices.StatusPaid && f.ReceiptID != "" {
		r, err := s.cfg.Store.Receipt(c.UserContext(), f.ReceiptID)
		if err != nil {
			return v, err
		}
		p := paymentRefOf(r)
		if !s.staffCaller(c) {
			// Anyone holding the paper notice learns that and when it was
			// paid; the receipt (card, PSP transaction) stays with the
			// payer, who got its link in the payment's answer.
			p.ReceiptID = ""
		}
		v.Payment = &p
	}
	return v, nil
}

// noticeQR serves the QR code of one NAV. A notice's code never changes,
// so it is cached by content with a strong ETag and immutable caching.
func (s *Server) noticeQR(format string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		nav, err := notices.ParseNAV(c.Params("nav"))
		if err != nil {
			return err
		}
		f, err := s.cfg.Store.FineByNAV(c.UserContext(), nav)
		if err != nil {
			return err
		}
		var content string
		kind := c.Query("kind", "pagopa")
		switch kind {
		case "pagopa":
			amount := int64(0)
			for _, o := range s.cfg.Settings.Calendar.Options(&f) {
				if o.NAV == nav {
					amount = o.AmountCents
				}
			}
			content, err = qr.EncodePagoPA(qr.Payload{NAV: nav, FiscalCode: s.cfg.Settings.Creditor.FiscalCode, AmountCents: amount})
			if err != nil {
				return err
			}
		case "link":
			content = qr.LinkURL(s.cfg.PublicURL, nav)
		default:
			return &notices.ValidationError{Fields: []notices.FieldError{{Field: "kind", Message: "must be pagopa or link"}}}
		}
		scale := 8
		if sc := c.Query("scale"); sc != "" {
			if scale, err = strconv.Atoi(sc); err != nil || scale < 2 || scale > 20 {
				return &notices.ValidationError{Fields: []notices.FieldError{{Field: "scale", Message: "must be between 2 and 20"}}}
			}
		}
		body, etag, err := s.qr.Get(content, format, scale)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderETag, etag)
		// A link code never changes, nor does a pagoPA code once the fine is
		// notified. Before that, notification fees may still join the amount
		// hint, so the code is revalidated (cheaply, by ETag).
		if kind == "link" || f.Status != notices.StatusIssued {
			c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
		} else {
			c.Set(fiber.HeaderCacheControl, "public, max-age=300, must-revalidate")
		}
		if c.Get(fiber.HeaderIfNoneMatch) == etag {
			return c.SendStatus(fiber.StatusNotModified)
		}
		if format == "svg" {
			c.Set(fiber.HeaderContentType, "image/svg+xml")
		} else {
			c.Set(fiber.HeaderContentType, "image/png")
		}
		return c.Send(body)
	}
}

// staffCaller reports whether the request carries a valid access token of
// an enabled user. Public routes use it to show staff what strangers may
// not see (a paid notice's receipt id); a bad or absent token is simply
// the public view, never an error.
func (s *Server) staffCaller(c *fiber.Ctx) bool {
	tok, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if !ok || tok == "" || s.cfg.Auth == nil {
		return false
	}
	_, err := s.cfg.Auth.Authenticate(c.UserContext(), tok)
	return err == nil
}
