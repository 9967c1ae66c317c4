package server

import (
	"bytes"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/psp"
	"github.com/multa/multa/qr"
)

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
	doc := qr.NoticeDoc{Creditor: s.cfg.Settings.Creditor, Fine: &f, Options: s.cfg.Settings.Calendar.Options(&f), PublicURL: s.cfg.PublicURL}
	if err := qr.NoticePDF(&buf, doc, format); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="avviso-`+safeName(f.ReportNumber)+`.pdf"`)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(buf.Bytes())
}

func (s *Server) receiptPDF(c *fiber.Ctx) error {
	r, err := s.receiptParam(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := qr.ReceiptPDF(&buf, r); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="ricevuta-`+r.ID[:8]+`.pdf"`)
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

// maxScanBody is the largest photo accepted for decoding.
const maxScanBody = 5 << 20

// scan reads a QR code from a photo, for phones without a native
// barcode detector and for pictures of paper notices.
func (s *Server) scan(c *fiber.Ctx) error {
	body := c.Body()
	if len(body) > maxScanBody {
		return errStatus(fiber.StatusRequestEntityTooLarge, codeTooLarge, "Photos up to 5 MB are accepted.")
	}
	if len(body) == 0 {
		return errStatus(fiber.StatusBadRequest, codeInvalidImage, "Send a JPEG or PNG photo as the request body.")
	}
	text, err := qr.DecodeBytes(body)
	if err != nil {
		return err
	}
	got, err := qr.Parse(text)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	out := fiber.Map{"kind": got.Kind, "noticeNumber": got.NAV}
	if got.Kind == "pagopa" {
		out["fiscalCode"], out["amountCents"] = got.FiscalCode, got.AmountCents
	}
	return c.JSON(out)
}

// tokenize is the sandbox provider's card vault: card numbers stop here
// and never reach the fines API.
func (s *Server) tokenize(c *fiber.Ctx) error {
	if s.cfg.Sandbox == nil {
		return fiber.ErrNotFound
	}
	var req psp.CardRequest // the provider's own request type: one definition of the card fields
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	t, err := s.cfg.Sandbox.Tokenize(req)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(t)
}
