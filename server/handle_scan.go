package server

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/qr"
)

// maxScanBody is the largest photo accepted for decoding.
const maxScanBody = 5 << 20

// scanBudget is the memory all photo decodes running at once may take
// (qr.Limiter): two ordinary 12 MP photos at a time, a 40 MP one alone.
const scanBudget = 256 << 20

// scanWait is how long an upload waits for its turn before the scanner
// answers busy (503), so that a burst cannot queue work for minutes.
const scanWait = 8 * time.Second

// scan reads a QR code from a photo, for phones without a native
// barcode detector and for pictures of paper notices.
func (s *Server) scan(c *fiber.Ctx) error {
	body := c.Body()
	if len(body) > maxScanBody {
		return errCode(codeTooLarge, "Photos up to 5 MB are accepted.")
	}
	if len(body) == 0 {
		return errCode(qr.EInvalidImage, "Send a JPEG or PNG photo as the request body.")
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), scanWait)
	defer cancel()
	text, err := s.scanner.DecodeBytes(ctx, body)
	if notices.ErrorCode(err) == qr.EBusy {
		c.Set(fiber.HeaderRetryAfter, "5")
	}
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
