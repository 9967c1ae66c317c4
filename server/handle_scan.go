package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/qr"
)

// maxScanBody is the largest photo accepted for decoding.
const maxScanBody = 5 << 20

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
