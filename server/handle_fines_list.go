package server

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/notices"
)

// reportNumberRe is the shape of a report number, YYYY/NNNNNN: six
// digits at least, seven once a big city numbers its millionth fine of a
// year (the store writes the number with %06d).
var reportNumberRe = regexp.MustCompile(`^\d{4}/\d{1,7}$`)

// fineFilter reads a listing's query: plate (exact), q (a report number,
// a notice number or part of a plate, told apart by their shape), status,
// unpaid, from, to, limit and cursor. A notice number is answered by nav,
// set apart because it is one lookup, not a scan.
func fineFilter(c *fiber.Ctx) (q notices.FineFilter, nav notices.NAV, err error) {
	q = notices.FineFilter{Cursor: c.Query("cursor")}
	var errs []notices.FieldError
	if p := c.Query("plate"); p != "" {
		plate, err := notices.NormalizePlate(p)
		if err != nil {
			errs = append(errs, notices.FieldError{Field: "plate", Message: notices.ErrorMessage(err)})
		}
		q.Plate = plate
	}
	if text := strings.TrimSpace(c.Query("q")); text != "" {
		digits := strings.NewReplacer(" ", "", "-", "", ".", "").Replace(text)
		switch {
		case reportNumberRe.MatchString(text):
			year, num, _ := strings.Cut(text, "/")
			n, _ := strconv.Atoi(num)
			q.ReportNumber = year + "/" + leftPad(strconv.Itoa(n), 6)
		case len(digits) == 18 && strings.Trim(digits, "0123456789") == "":
			n, err := notices.ParseNAV(digits)
			if err != nil {
				errs = append(errs, notices.FieldError{Field: "q", Message: notices.ErrorMessage(err)})
			}
			nav = n
		default:
			part := strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(text))
			if part == "" || len(part) > 10 || strings.Trim(part, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
				errs = append(errs, notices.FieldError{Field: "q", Message: "give a report number, a notice number or part of a plate"})
			}
			q.PlatePart = part
		}
	}
	if st := notices.Status(c.Query("status")); st != "" {
		if !st.Valid() {
			errs = append(errs, notices.FieldError{Field: "status", Message: "must be issued, notified, paid or cancelled"})
		}
		q.Status = st
	}
	switch c.Query("unpaid") {
	case "", "false":
	case "true":
		q.Unpaid = true
	default:
		errs = append(errs, notices.FieldError{Field: "unpaid", Message: "must be true or false"})
	}
	for _, d := range []struct {
		name string
		dst  *notices.Date
	}{{"from", &q.From}, {"to", &q.To}} {
		if v := c.Query(d.name); v != "" {
			date, err := notices.ParseDate(v)
			if err != nil {
				errs = append(errs, notices.FieldError{Field: d.name, Message: "must be a date YYYY-MM-DD"})
			}
			*d.dst = date
		}
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			errs = append(errs, notices.FieldError{Field: "limit", Message: "must be between 1 and 500"})
		}
		q.Limit = n
	}
	if len(errs) > 0 {
		return q, "", &notices.ValidationError{Fields: errs}
	}
	return q, nav, nil
}

func leftPad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}

// findFines returns one page for the filter, or for a notice number the
// fine that has it (when it also passes the filter's other conditions).
func (s *Server) findFines(c *fiber.Ctx, q notices.FineFilter, nav notices.NAV) (notices.FinePage, error) {
	if q.Unpaid && q.Status != "" && q.Status != notices.StatusIssued && q.Status != notices.StatusNotified {
		// Unpaid and paid (or cancelled) at once: nothing, known without
		// walking every paid fine of a big city to find none.
		return notices.FinePage{}, nil
	}
	if nav == "" {
		return s.cfg.Store.ListFines(c.UserContext(), q)
	}
	f, err := s.cfg.Store.FineByNAV(c.UserContext(), nav)
	switch {
	case notices.ErrorCode(err) == notices.ENoticeNotFound:
		return notices.FinePage{}, nil
	case err != nil:
		return notices.FinePage{}, err
	case q.Cursor != "" || !navMatches(&f, q):
		return notices.FinePage{}, nil
	}
	return notices.FinePage{Items: []notices.Fine{f}}, nil
}

// navMatches applies the filter's other conditions to the one fine found
// by notice number.
func navMatches(f *notices.Fine, q notices.FineFilter) bool {
	d := notices.DateOf(f.OccurredAt)
	switch {
	case q.Plate != "" && f.Plate != q.Plate,
		q.Status != "" && f.Status != q.Status,
		q.Unpaid && f.Status != notices.StatusIssued && f.Status != notices.StatusNotified,
		!q.From.IsZero() && d.Before(q.From),
		!q.To.IsZero() && d.After(q.To):
		return false
	}
	return true
}

func (s *Server) listFines(c *fiber.Ctx) error {
	q, nav, err := fineFilter(c)
	if err != nil {
		return err
	}
	page, err := s.findFines(c, q, nav)
	if err != nil {
		return err
	}
	items := make([]fineView, len(page.Items))
	for i := range page.Items {
		items[i] = s.fineView(&page.Items[i])
	}
	return c.JSON(fiber.Map{"items": items, "nextCursor": page.NextCursor})
}

// maxExportRows bounds one CSV export; a narrower filter gets the rest.
const maxExportRows = 20_000

// fineCSVHeader names the export's columns; amounts come in euro and in
// cents, as in the reconciliation export.
var fineCSVHeader = []string{
	"reportNumber", "plate", "status", "violationCode", "article", "occurredAt", "place",
	"noticeNumberReduced", "noticeNumberMinimum", "amountDueToday", "amountDueTodayCents", "stage", "payBy",
	"notifiedOn", "channel", "paidAt", "receiptId",
}

// exportFines answers GET /api/v1/fines.csv: every fine of a listing's
// filter (at most maxExportRows, newest first) as CSV with a BOM and CRLF.
// With locale=it the separator is ";", decimals use a comma and notice
// numbers are written ="…", so that Excel keeps their 18 digits as text
// instead of rounding them to a number.
func (s *Server) exportFines(c *fiber.Ctx) error {
	q, nav, err := fineFilter(c)
	if err != nil {
		return err
	}
	style, err := csvStyleOf(c.Query("locale"))
	if err != nil {
		return err
	}
	q.Limit, q.Cursor = 500, ""
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	w := csv.NewWriter(&buf)
	w.UseCRLF, w.Comma = true, style.sep
	_ = w.Write(fineCSVHeader)
	text := func(n notices.NAV) string {
		if n == "" || style.sep != ';' {
			return string(n)
		}
		return `="` + string(n) + `"`
	}
	today := s.today()
	for rows := 0; rows < maxExportRows; {
		page, err := s.findFines(c, q, nav)
		if err != nil {
			return err
		}
		for i := range page.Items {
			f := &page.Items[i]
			var reduced, minimum notices.NAV
			for _, o := range f.Options {
				if o.Kind == notices.OptionReduced {
					reduced = o.NAV
				} else {
					minimum = o.NAV
				}
			}
			var due [2]string
			var stage, payBy string
			if f.Status == notices.StatusIssued || f.Status == notices.StatusNotified {
				d := s.cfg.Settings.Calendar.Due(f, today)
				due, stage = amountCells(d.Cents, style.decimal), string(d.Stage)
				if !d.PayBy.IsZero() {
					payBy = d.PayBy.String()
				}
			}
			notified, paidAt := "", ""
			if !f.NotifiedOn.IsZero() {
				notified = f.NotifiedOn.String()
			}
			if f.PaidAt != nil {
				paidAt = f.PaidAt.In(notices.Rome).Format("2006-01-02T15:04:05-07:00")
			}
			_ = w.Write([]string{
				f.ReportNumber, f.Plate, string(f.Status), f.Violation.Code, f.Violation.Article,
				f.OccurredAt.In(notices.Rome).Format("2006-01-02T15:04:05-07:00"), cell(f.Place),
				text(reduced), text(minimum), due[0], due[1], stage, payBy, notified, string(f.Channel), paidAt, f.ReceiptID,
			})
			rows++
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8; header=present")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="multe-`+today.String()+`.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}
