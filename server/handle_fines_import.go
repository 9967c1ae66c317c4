package server

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/importcsv"
	"github.com/multa/multa/notices"
)

// importRow is the outcome of one CSV row: a fine, a duplicate of one
// already imported, or why not. Row is the line number in the file.
type importRow struct {
	Row          int                  `json:"row"`
	Status       string               `json:"status"` // imported, refused, duplicate; valid in a dry run
	ID           string               `json:"id,omitempty"`
	ReportNumber string               `json:"reportNumber,omitempty"`
	Errors       []notices.FieldError `json:"errors,omitempty"`
}

// Row outcomes of an import.
const (
	rowImported  = "imported"
	rowRefused   = "refused"
	rowDuplicate = "duplicate"
	rowValid     = "valid" // dry run: would be imported
)

// importPreviewRows is how many rows a dry run shows as they were read.
const importPreviewRows = 5

// importFines issues deferred fines from a CSV of camera detections (see
// package importcsv for the accepted forms). Each row succeeds or fails
// alone: a bad row never stops the good ones, and a detection imported
// before is reported as a duplicate, not fined again. With dryRun=true
// nothing is saved: the answer shows the separator, how the columns were
// understood and the first rows, for the office to check before importing.
func (s *Server) importFines(c *fiber.Ctx) error {
	if mediaType(c) != "text/csv" {
		return errCode(codeUnsupportedMedia, "Send the detections as text/csv.")
	}
	dry := c.Query("dryRun") == "true"
	file, err := importcsv.Parse(c.Body())
	if err != nil {
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: "header", Message: err.Error()}}}
	}
	officer, now := principalOf(c).Username, s.now()
	var (
		rows    = []importRow{} // a header-only file answers "rows": [], not null
		pending []*notices.Fine
		at      []int // index in rows of each pending fine
	)
	for _, r := range file.Rows {
		if r.Problem != importcsv.ProblemNone {
			rows = append(rows, importRow{Row: r.Line, Status: rowRefused, Errors: []notices.FieldError{{Field: "row", Message: lineProblem[r.Problem]}}})
			continue
		}
		f, ferrs := s.importFine(r.Fields, officer, now)
		if ferrs != nil {
			rows = append(rows, importRow{Row: r.Line, Status: rowRefused, Errors: ferrs})
			continue
		}
		rows = append(rows, importRow{Row: r.Line, Status: rowValid})
		pending, at = append(pending, f), append(at, len(rows)-1)
	}
	if !dry {
		if err := s.saveImported(c, pending, at, rows); err != nil {
			return err
		}
	}
	count := map[string]int{}
	for i := range rows {
		rows[i].Errors = localizeFields(c, rows[i].Errors)
		count[rows[i].Status]++
	}
	out := fiber.Map{"dryRun": dry, "imported": count[rowImported], "duplicates": count[rowDuplicate],
		"failed": count[rowRefused], "rows": rows}
	if dry {
		out["valid"] = count[rowValid]
		out["separator"] = string(file.Separator)
		columns := map[string]string{}
		for name, i := range file.Columns {
			columns[name] = file.Header[i]
		}
		out["columns"] = columns
		preview := []map[string]any{}
		for _, r := range file.Rows[:min(len(file.Rows), importPreviewRows)] {
			preview = append(preview, map[string]any{"row": r.Line, "fields": r.Fields})
		}
		out["preview"] = preview
	}
	return c.JSON(out)
}

// lineProblem words, in English, why a line could not be read; the
// Italian is in the message catalogue (messages.go) like every other.
var lineProblem = map[importcsv.Problem]string{
	importcsv.ProblemQuote:      "a quote is not closed on this line",
	importcsv.ProblemFieldCount: "the line does not have as many fields as the header",
	importcsv.ProblemTooLong:    "the line is too long",
	importcsv.ProblemEncoding:   "the line is not UTF-8 text",
}

// saveImported stores the valid fines through the issuing use case
// (which gives fresh NAVs to the rare ones that collide) and fills each
// row's outcome.
func (s *Server) saveImported(c *fiber.Ctx, pending []*notices.Fine, at []int, rows []importRow) error {
	errs, err := s.issuing.Import(c.UserContext(), pending)
	if err != nil {
		return err
	}
	for i, f := range pending {
		row := &rows[at[i]]
		if errs[i] != nil {
			row.Status = rowRefused
			if notices.ErrorCode(errs[i]) == notices.EDuplicate {
				row.Status = rowDuplicate
			}
			row.Errors = []notices.FieldError{{Field: "row", Message: notices.ErrorMessage(errs[i])}}
			continue
		}
		row.Status, row.ID, row.ReportNumber = rowImported, f.ID, f.ReportNumber
		s.metrics.fineIssued(*f)
	}
	return nil
}

func (s *Server) importFine(get map[string]string, officer string, now time.Time) (*notices.Fine, []notices.FieldError) {
	req := notices.FineRequest{Plate: get[importcsv.Plate], ViolationCode: get[importcsv.ViolationCode], Place: get[importcsv.Place],
		Contestation: notices.ContestDeferred, Officer: officer}
	var errs []notices.FieldError
	at, err := importcsv.ParseTime(get[importcsv.OccurredAt], notices.Rome)
	if err != nil {
		errs = append(errs, notices.FieldError{Field: "occurredAt", Message: "must be dd/mm/yyyy hh:mm or an RFC 3339 instant with offset"})
	}
	req.OccurredAt = at
	for _, c := range []struct {
		name string
		dst  **float64
	}{{importcsv.Lat, &req.Lat}, {importcsv.Lon, &req.Lon}} {
		if v := get[c.name]; v != "" {
			// Italian exports write decimal commas (45,4642).
			v = strings.Replace(v, ",", ".", 1)
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || !plainDecimal(v) {
				errs = append(errs, notices.FieldError{Field: c.name, Message: "must be a number"})
				continue
			}
			*c.dst = &x
		}
	}
	f, err := notices.NewFine(req, s.cfg.Catalogue, s.cfg.Settings, now, s.cfg.Rand)
	if err != nil {
		var ve *notices.ValidationError
		if errors.As(err, &ve) {
			// The time error above is clearer than NewFine's "required".
			for _, fe := range ve.Fields {
				if fe.Field != "occurredAt" || req.OccurredAt != (time.Time{}) {
					errs = append(errs, fe)
				}
			}
			return nil, errs
		}
		return nil, append(errs, notices.FieldError{Field: "row", Message: notices.ErrorMessage(err)})
	}
	if errs != nil {
		return nil, errs
	}
	return f, nil
}

// plainDecimal reports whether v is a decimal number as people write
// coordinates (-45.4642): ParseFloat also takes hex floats (0x1p3), "Inf",
// "NaN" and exponents, none of which a camera or a clerk produces.
func plainDecimal(v string) bool {
	v = strings.TrimPrefix(strings.TrimPrefix(v, "-"), "+")
	whole, frac, dot := strings.Cut(v, ".")
	digits := func(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }
	return digits(whole) && (!dot || digits(frac))
}
