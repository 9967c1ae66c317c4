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

// outcomeColumns are the required columns of an outcomes file from the
// postal provider or SEND; at, collectedOn, accessedOn, attempt and
// evidence are optional (evidence falls back to the file's row).
var outcomeColumns = []string{"noticeNumber", "outcome", "on"}

// maxOutcomeRows bounds one file, so that one upload is one short job.
const maxOutcomeRows = 20_000

// outcomeRow is a parsed line of an outcomes file.
type outcomeRow struct {
	NAV      notices.NAV
	Attempt  int // 1-based; 0: the last attempt awaiting its outcome
	Delivery notices.Delivery
	Evidence string
}

// outcomeResult is the answer for one row.
type outcomeResult struct {
	Row          int                  `json:"row"`
	ReportNumber string               `json:"reportNumber,omitempty"`
	NotifiedOn   *notices.Date        `json:"notifiedOn,omitempty"`
	Errors       []notices.FieldError `json:"errors,omitempty"`
}

// parseOutcomeRow reads one record of an outcomes file; it never trusts
// a field it has not checked.
func parseOutcomeRow(rec []string, col map[string]int) (outcomeRow, []notices.FieldError) {
	get := func(name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var (
		r    outcomeRow
		errs []notices.FieldError
	)
	bad := func(field, msg string) { errs = append(errs, notices.FieldError{Field: field, Message: msg}) }
	nav, err := notices.ParseNAV(get("noticeNumber"))
	if err != nil {
		bad("noticeNumber", notices.ErrorMessage(err))
	}
	r.NAV = nav
	r.Delivery.Outcome = notices.Outcome(get("outcome"))
	if len(r.Delivery.Outcome) > 40 {
		bad("outcome", "unknown outcome")
	}
	for _, d := range []struct {
		name     string
		dst      *notices.Date
		required bool
	}{{"on", &r.Delivery.On, true}, {"collectedOn", &r.Delivery.CollectedOn, false}, {"accessedOn", &r.Delivery.AccessedOn, false}} {
		v := get(d.name)
		if v == "" {
			if d.required {
				bad(d.name, "a date YYYY-MM-DD is required")
			}
			continue
		}
		day, err := notices.ParseDate(v)
		if err != nil {
			bad(d.name, "must be a date YYYY-MM-DD")
		}
		*d.dst = day
	}
	if v := get("at"); v != "" {
		at, err := time.Parse(time.RFC3339, v)
		if err != nil {
			bad("at", "must be an RFC 3339 instant with offset")
		}
		r.Delivery.At = at
	}
	if v := get("attempt"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			bad("attempt", "must be a number from 1")
		}
		r.Attempt = n
	}
	r.Evidence = get("evidence")
	return r, errs
}

// importOutcomes applies a CSV of notification outcomes. Each row is one
// transaction on its fine and succeeds or fails alone, with its reason.
func (s *Server) importOutcomes(c *fiber.Ctx) error {
	if mediaType(c) != "text/csv" {
		return errCode(codeUnsupportedMedia, "Send the outcomes as text/csv.")
	}
	r := csv.NewReader(bytes.NewReader(c.Body()))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: "header", Message: "the CSV needs a header row"}}}
	}
	col := make(map[string]int)
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, want := range outcomeColumns {
		if _, ok := col[want]; !ok {
			return &notices.ValidationError{Fields: []notices.FieldError{{Field: "header", Message: "missing column " + want}}}
		}
	}
	by, now := principalOf(c).Username, s.now()
	results := []outcomeResult{}
	applied := 0
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if line-1 > maxOutcomeRows {
			return &notices.ValidationError{Fields: []notices.FieldError{{Field: "rows", Message: "at most 20000 rows per file"}}}
		}
		res := outcomeResult{Row: line}
		if err != nil {
			res.Errors = []notices.FieldError{{Field: "row", Message: "not valid CSV"}}
			results = append(results, res)
			if _, ok := err.(*csv.ParseError); !ok {
				break
			}
			continue
		}
		row, ferrs := parseOutcomeRow(rec, col)
		if ferrs == nil {
			ferrs = s.applyOutcome(c, row, line, by, now, &res)
		}
		if ferrs != nil {
			res.Errors = ferrs
		} else {
			applied++
		}
		results = append(results, res)
	}
	return c.JSON(fiber.Map{"applied": applied, "failed": len(results) - applied, "rows": results})
}

func (s *Server) applyOutcome(c *fiber.Ctx, row outcomeRow, line int, by string, now time.Time, res *outcomeResult) []notices.FieldError {
	f, err := s.cfg.Store.FineByNAV(c.UserContext(), row.NAV)
	if err != nil {
		return []notices.FieldError{{Field: "noticeNumber", Message: notices.ErrorMessage(err)}}
	}
	evidence := row.Evidence
	if evidence == "" {
		evidence = "import row " + strconv.Itoa(line) + " by " + by + " at " + now.Format(time.RFC3339)
	}
	f, err = s.cfg.Store.UpdateFine(c.UserContext(), f.ID, func(f *notices.Fine) error {
		i := row.Attempt - 1
		if row.Attempt == 0 {
			i = -1
			for j := len(f.Attempts) - 1; j >= 0; j-- {
				if f.Attempts[j].Delivery == nil {
					i = j
					break
				}
			}
			if i < 0 {
				return notices.Errorf(notices.EInvalidTransition, "no notification of %s awaits an outcome", f.ReportNumber)
			}
		}
		return f.RecordOutcome(i, row.Delivery, evidence, by, s.rules(), s.cfg.Settings.Fees, now)
	})
	if err != nil {
		var ve *notices.ValidationError
		if errors.As(err, &ve) {
			return ve.Fields
		}
		return []notices.FieldError{{Field: "row", Message: notices.ErrorMessage(err)}}
	}
	res.ReportNumber = f.ReportNumber
	if !f.NotifiedOn.IsZero() {
		d := f.NotifiedOn
		res.NotifiedOn = &d
	}
	return nil
}
