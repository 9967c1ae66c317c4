package server

import (
	"bytes"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/qr"
)

// batchRequest names the fines of a batch print or notification.
type batchRequest struct {
	IDs []string `json:"ids"`
}

// batchNoticePDF answers POST /api/v1/fines/notices.pdf: the A4 notices
// of up to qr.MaxBatchNotices fines as one PDF, one page each, in the
// order given. A cancelled or unknown fine fails the whole batch, naming
// it, so that no notice silently goes missing from a print run.
func (s *Server) batchNoticePDF(c *fiber.Ctx) error {
	var req batchRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if len(req.IDs) == 0 || len(req.IDs) > qr.MaxBatchNotices {
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: "ids", Message: "give 1 to 200 fine ids"}}}
	}
	docs := make([]qr.NoticeDoc, 0, len(req.IDs))
	for _, id := range req.IDs {
		f, err := s.cfg.Store.Fine(c.UserContext(), id)
		if err != nil {
			return err
		}
		if f.Status == notices.StatusCancelled {
			return notices.Errorf(notices.EFineCancelled, "fine %s was cancelled; there is no notice to print", f.ReportNumber)
		}
		docs = append(docs, s.noticeDoc(c, &f))
	}
	var buf bytes.Buffer
	if err := qr.NoticesPDF(&buf, docs); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="avvisi.pdf"`)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(buf.Bytes())
}
