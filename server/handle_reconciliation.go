package server

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/psp"
)

// reconciliation answers GET /api/v1/reconciliation?date=: the receipts of
// the day set against the provider's settlement flow for that day and any
// flows uploaded for it. The day defaults to yesterday, the last complete
// one. JSON by default; Accept: text/csv gives one row per receipt or line.
// Errors: invalid_date (400), psp_unavailable (502) when the provider
// cannot give its flow (reconciling without it would show every one of its
// payments as missing).
func (s *Server) reconciliation(c *fiber.Ctx) error {
	today := s.today()
	day, err := dateQuery(c, "date")
	if err != nil {
		return err
	}
	if day.IsZero() {
		day = today.AddDays(-1)
	}
	if day.After(today) {
		return notices.Errorf(notices.EInvalidDate, "%s is in the future: nothing was paid or settled yet", day)
	}
	ctx := c.UserContext()
	receipts, err := s.cfg.Store.Receipts(ctx, day, day)
	if err != nil {
		return err
	}
	pf, err := s.cfg.Provider.Settlement(ctx, day)
	if err != nil {
		return err
	}
	flows := []notices.SettlementFlow{settlementFlow(pf)}
	up, err := s.cfg.Store.Flows(ctx, day)
	if err != nil {
		return err
	}
	flows = append(flows, up...)
	rec := notices.Reconcile(day, receipts, flows)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Vary(fiber.HeaderAccept)
	if c.Accepts(fiber.MIMEApplicationJSON, mimeCSV) == mimeCSV {
		style, err := csvStyleOf(c.Query("locale"))
		if err != nil {
			return err
		}
		return sendReconciliationCSV(c, &rec, style)
	}
	return c.JSON(rec)
}

const mimeCSV = "text/csv"

// settlementFlow converts the provider's flow into the domain's, which
// does not import the provider package.
func settlementFlow(f psp.Flow) notices.SettlementFlow {
	out := notices.SettlementFlow{ID: f.ID, PSP: f.PSP, SettlementDate: f.SettlementDate, TotalCents: f.TotalCents,
		Lines: make([]notices.SettlementLine, len(f.Lines))}
	for i, l := range f.Lines {
		outcome := l.Outcome
		switch l.Outcome {
		case psp.OutcomeExecuted:
			outcome = notices.OutcomeExecuted
		case psp.OutcomeRevoked:
			outcome = notices.OutcomeRevoked
		}
		out.Lines[i] = notices.SettlementLine{IUV: l.IUV, TransactionID: l.TransactionID, AmountCents: l.AmountCents, Outcome: outcome, PaidAt: l.PaidAt}
	}
	return out
}

// csvHeader names the columns of the reconciliation export. Amounts come
// twice: in euro with a dot decimal for people, and in cents for formulas
// that must add up exactly.
var csvHeader = []string{
	"status", "reason", "flowId", "psp", "iuv", "noticeNumber", "receiptId", "transactionId", "lineTransactionId",
	"paidAt", "receiptAmount", "receiptAmountCents", "settledAmount", "settledAmountCents",
	"revokedAmount", "revokedAmountCents", "differenceCents",
}

// csvStyle is how a spreadsheet expects its CSV: RFC 4180 (comma, dot
// decimal) by default, or as Excel set to Italian opens it with a double
// click (semicolon, comma decimal), which is what a finance office has.
type csvStyle struct {
	sep     rune
	decimal string
}

func csvStyleOf(locale string) (csvStyle, error) {
	switch locale {
	case "":
		return csvStyle{',', "."}, nil
	case "it":
		return csvStyle{';', ","}, nil
	}
	return csvStyle{}, &notices.ValidationError{Fields: []notices.FieldError{{Field: "locale", Message: "must be empty or it"}}}
}

// sendReconciliationCSV writes the rows as CSV with CRLF line ends and a
// UTF-8 byte order mark: without the mark Excel reads the file in the
// local code page, and the header row tells both Excel and LibreOffice
// what each column is.
func sendReconciliationCSV(c *fiber.Ctx, rec *notices.Reconciliation, style csvStyle) error {
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	w.Comma = style.sep
	_ = w.Write(csvHeader)
	for _, r := range rec.Rows {
		var receipt, settled, revoked [2]string
		if r.HasReceipt() {
			receipt = amountCells(r.ReceiptAmountCents, style.decimal)
		}
		if r.SettledAmountCents != 0 {
			settled = amountCells(r.SettledAmountCents, style.decimal)
		}
		if r.RevokedAmountCents != 0 {
			revoked = amountCells(r.RevokedAmountCents, style.decimal)
		}
		diff := ""
		if r.Status == notices.ReconMismatched {
			diff = strconv.FormatInt(r.DifferenceCents, 10)
		}
		paidAt := ""
		if !r.PaidAt.IsZero() {
			paidAt = r.PaidAt.In(notices.Rome).Format(time.RFC3339)
		}
		_ = w.Write([]string{
			string(r.Status), r.Reason, cell(r.FlowID), cell(r.PSP), cell(r.IUV), string(r.NoticeNumber), r.ReceiptID,
			cell(r.TransactionID), cell(r.LineTransactionID), paidAt,
			receipt[0], receipt[1], settled[0], settled[1], revoked[0], revoked[1], diff,
		})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8; header=present")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="riconciliazione-`+rec.Date.String()+`.csv"`)
	return c.Send(buf.Bytes())
}

// amountCells formats cents as euro with the given decimal mark ("42.00")
// and as plain cents ("4200").
func amountCells(cents int64, decimal string) [2]string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	frac := strconv.FormatInt(cents%100, 10)
	if len(frac) < 2 {
		frac = "0" + frac
	}
	return [2]string{sign + strconv.FormatInt(cents/100, 10) + decimal + frac, sign + strconv.FormatInt(cents, 10)}
}

// cell defuses text that a spreadsheet would run as a formula. Uploaded
// identifiers are already restricted to safe characters; the provider's
// are not ours to trust blindly.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// maxFlowBody bounds an uploaded flow: 100,000 lines of about 150 bytes.
const maxFlowBody = 16 << 20

// flowUpload is the JSON of an uploaded flow, the shape the sandbox's
// flows have (see notices.SettlementFlow). Pointers tell a missing field
// from a zero: a line without an outcome must not silently count as paid.
type flowUpload struct {
	ID             string       `json:"id"`
	PSP            string       `json:"psp"`
	SettlementDate notices.Date `json:"settlementDate"`
	TotalCents     *int64       `json:"totalCents"`
	Lines          []struct {
		IUV           string    `json:"iuv"`
		TransactionID string    `json:"transactionId"`
		AmountCents   *int64    `json:"amountCents"`
		Outcome       *int      `json:"outcome"`
		PaidAt        time.Time `json:"paidAt"`
	} `json:"lines"`
}

// uploadFlow answers POST /api/v1/reconciliation/flows: it validates a
// settlement flow strictly (unknown fields, malformed IUVs, non-positive
// or fractional amounts, unknown outcomes, a declared total that does not
// add up, a future day) and stores it for the reconciliation of its day.
// Errors: validation_failed (422), invalid_json (400), invalid_date (400),
// conflict (409) when the id is already known, unsupported_media_type.
func (s *Server) uploadFlow(c *fiber.Ctx) error {
	var up flowUpload
	if err := decodeJSONWithin(c, &up, maxFlowBody); err != nil {
		return err
	}
	f, err := up.flow()
	if err != nil {
		return err
	}
	if f.SettlementDate.After(s.today()) {
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: "settlementDate", Message: "a flow cannot settle a day that has not come yet"}}}
	}
	ctx := c.UserContext()
	// The provider's own flow of that day takes part in every
	// reconciliation; an upload with its id would count it twice.
	if pf, err := s.cfg.Provider.Settlement(ctx, f.SettlementDate); err == nil && pf.ID == f.ID {
		return notices.Errorf(notices.EConflict, "flow %s is the payment provider's own flow for %s", f.ID, f.SettlementDate)
	}
	if err := s.cfg.Store.SaveFlow(ctx, f); err != nil {
		return err
	}
	s.log.Info("settlement flow uploaded", "flow", f.ID, "psp", f.PSP, "date", f.SettlementDate.String(),
		"lines", len(f.Lines), "cents", f.TotalCents, "by", principalOf(c).Username)
	c.Set(fiber.HeaderLocation, "/api/v1/reconciliation?date="+f.SettlementDate.String())
	c.Set(fiber.HeaderCacheControl, "no-store")
	executed := 0
	for _, l := range f.Lines {
		if l.Outcome == notices.OutcomeExecuted {
			executed++
		}
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{
		"id": f.ID, "psp": f.PSP, "settlementDate": f.SettlementDate, "lines": len(f.Lines),
		"count": executed, "amountCents": f.TotalCents, "totalCents": f.TotalCents,
	})
}

// flow turns the upload into a domain flow and validates it; a missing
// total is taken as the sum of the executed lines.
func (up *flowUpload) flow() (notices.SettlementFlow, error) {
	f := notices.SettlementFlow{ID: up.ID, PSP: up.PSP, SettlementDate: up.SettlementDate,
		Lines: make([]notices.SettlementLine, len(up.Lines))}
	var missing []notices.FieldError
	for i, l := range up.Lines {
		f.Lines[i] = notices.SettlementLine{IUV: l.IUV, TransactionID: l.TransactionID, PaidAt: l.PaidAt}
		if l.AmountCents == nil {
			missing = append(missing, notices.FieldError{Field: "lines[" + itoa(i) + "].amountCents", Message: "required"})
		} else {
			f.Lines[i].AmountCents = *l.AmountCents
		}
		if l.Outcome == nil {
			missing = append(missing, notices.FieldError{Field: "lines[" + itoa(i) + "].outcome", Message: "required: 0 (executed) or 3 (revoked)"})
		} else {
			f.Lines[i].Outcome = *l.Outcome
		}
		if len(missing) >= 20 {
			break
		}
	}
	if len(missing) > 0 {
		return f, &notices.ValidationError{Fields: missing}
	}
	if up.TotalCents != nil {
		f.TotalCents = *up.TotalCents
	} else {
		f.TotalCents = f.ExecutedCents()
	}
	return f, f.Validate()
}
