package server

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/notices"
)

// importRow is the outcome of one CSV row: a fine, or why not.
type importRow struct {
	Row          int                  `json:"row"`
	ID           string               `json:"id,omitempty"`
	ReportNumber string               `json:"reportNumber,omitempty"`
	Errors       []notices.FieldError `json:"errors,omitempty"`
}

// importColumns are the camera export's required columns; lat and lon
// are optional. Order in the file is free, found from the header.
var importColumns = []string{"plate", "violationCode", "occurredAt", "place"}

// importFines issues deferred fines from a CSV of camera detections. Each
// row succeeds or fails alone: a bad row never stops the good ones.
func (s *Server) importFines(c *fiber.Ctx) error {
	if mediaType(c) != "text/csv" {
		return errCode(codeUnsupportedMedia, "Send the detections as text/csv.")
	}
	r := csv.NewReader(bytes.NewReader(c.Body()))
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: "header", Message: "the CSV needs a header row"}}}
	}
	col, err := columnIndex(header)
	if err != nil {
		return err
	}
	officer, now := principalOf(c).Username, s.now()
	var (
		rows    = []importRow{} // a header-only file answers "rows": [], not null
		pending []*notices.Fine
		at      []int // index in rows of each pending fine
	)
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rows = append(rows, importRow{Row: line, Errors: []notices.FieldError{{Field: "row", Message: "not valid CSV"}}})
			if _, ok := err.(*csv.ParseError); !ok {
				break
			}
			continue
		}
		f, ferrs := s.importFine(rec, col, officer, now)
		if ferrs != nil {
			rows = append(rows, importRow{Row: line, Errors: ferrs})
			continue
		}
		rows = append(rows, importRow{Row: line})
		pending, at = append(pending, f), append(at, len(rows)-1)
	}
	if err := s.saveImported(c, pending, at, rows); err != nil {
		return err
	}
	imported := 0
	for _, row := range rows {
		if row.ID != "" {
			imported++
		}
	}
	return c.JSON(fiber.Map{"imported": imported, "failed": len(rows) - imported, "rows": rows})
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
			row.Errors = []notices.FieldError{{Field: "row", Message: notices.ErrorMessage(errs[i])}}
			continue
		}
		row.ID, row.ReportNumber = f.ID, f.ReportNumber
		s.metrics.fineIssued(*f)
	}
	return nil
}

func columnIndex(header []string) (map[string]int, error) {
	col := make(map[string]int)
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, want := range importColumns {
		if _, ok := col[want]; !ok {
			return nil, &notices.ValidationError{Fields: []notices.FieldError{{Field: "header", Message: "missing column " + want}}}
		}
	}
	return col, nil
}

func (s *Server) importFine(rec []string, col map[string]int, officer string, now time.Time) (*notices.Fine, []notices.FieldError) {
	get := func(name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	req := notices.FineRequest{Plate: get("plate"), ViolationCode: get("violationCode"), Place: get("place"),
		Contestation: notices.ContestDeferred, Officer: officer}
	var errs []notices.FieldError
	at, err := parseInstant("occurredAt", get("occurredAt"))
	if err != nil {
		errs = append(errs, notices.FieldError{Field: "occurredAt", Message: "must be an RFC 3339 instant with offset"})
	}
	req.OccurredAt = at
	for _, c := range []struct {
		name string
		dst  **float64
	}{{"lat", &req.Lat}, {"lon", &req.Lon}} {
		if v := get(c.name); v != "" {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || !plainDecimal(v) {
				errs = append(errs, notices.FieldError{Field: c.name, Message: "must be a number"})
				continue
			}
			*c.dst = &x
		}
	}
	if errs != nil {
		return nil, errs
	}
	f, err := notices.NewFine(req, s.cfg.Catalogue, s.cfg.Settings, now, s.cfg.Rand)
	if err != nil {
		var ve *notices.ValidationError
		if errors.As(err, &ve) {
			return nil, ve.Fields
		}
		return nil, []notices.FieldError{{Field: "row", Message: notices.ErrorMessage(err)}}
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
