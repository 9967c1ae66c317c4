package server

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/issuing"
	"github.com/multa/multa/notices"
)

// submitDriver takes the owner's art. 126-bis declaration from the driver
// app. Anyone may hold a notice number, so the declaration must carry the
// owner's fiscal code or VAT number as written on the verbale, and the
// answer says nothing of the fine's personal data.
func (s *Server) submitDriver(c *fiber.Ctx) error {
	nav, err := notices.ParseNAV(c.Params("nav"))
	if err != nil {
		return err
	}
	var d notices.DriverDeclaration
	if err := decodeJSON(c, &d); err != nil {
		return err
	}
	f, err := s.cfg.Store.FineByNAV(c.UserContext(), nav)
	if err != nil {
		return err
	}
	now := s.now()
	f, err = s.cfg.Store.UpdateFine(c.UserContext(), f.ID, func(f *notices.Fine) error {
		return f.SubmitDriver(d, s.cfg.Settings.Calendar, now)
	})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": f.Driver.Status, "submittedAt": f.Driver.SubmittedAt})
}

type driverReviewRequest struct {
	Accept bool   `json:"accept"`
	Note   string `json:"note,omitempty"`
}

func (s *Server) reviewDriver(c *fiber.Ctx) error {
	var req driverReviewRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	by, now := principalOf(c).Username, s.now()
	f, err := s.cfg.Store.UpdateFine(c.UserContext(), c.Params("id"), func(f *notices.Fine) error {
		return f.ReviewDriver(req.Accept, req.Note, by, now)
	})
	if err != nil {
		return err
	}
	return s.officeFine(c, &f, fiber.StatusOK)
}

// issueDriverPenalty issues the art. 126-bis c.2 fine in one step. The
// new fine's idempotency key is derived from the original fine, so a
// retry (or two clerks at once) yields the same fine, never two; then the
// original records it.
func (s *Server) issueDriverPenalty(c *fiber.Ctx) error {
	ctx := c.UserContext()
	orig, err := s.cfg.Store.Fine(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	p := principalOf(c)
	now := s.now()
	pf, err := notices.NewDriverPenalty(&orig, s.cfg.Catalogue, s.cfg.Settings, p.Username, now, s.cfg.Rand)
	if err != nil {
		return err
	}
	saved, _, err := s.issuing.Save(ctx, pf, &issuing.Idempotency{Scope: "driver-penalty", Key: orig.ID, RequestHash: requestHash(orig.ID)})
	if err != nil {
		return err
	}
	pf = &saved
	if _, err := s.cfg.Store.UpdateFine(ctx, orig.ID, func(f *notices.Fine) error {
		f.MarkDriverPenalty(pf.ID, now)
		return nil
	}); err != nil {
		return err
	}
	c.Set(fiber.HeaderLocation, "/api/v1/fines/"+pf.ID)
	return s.officeFine(c, pf, fiber.StatusCreated)
}

// driverItem is one fine in the list of driver identifications.
type driverItem struct {
	ID           string                        `json:"id"`
	ReportNumber string                        `json:"reportNumber"`
	Plate        string                        `json:"plate"`
	Violation    string                        `json:"violation"`
	Points       int                           `json:"points"`
	Term         notices.Date                  `json:"term"`
	PenaltyDue   bool                          `json:"penaltyDue"`
	Owner        string                        `json:"owner,omitempty"`
	Driver       *notices.DriverIdentification `json:"driverIdentification,omitempty"`
}

// listDriverIdentifications lists the fines whose owner must name the
// driver, by the state of the declaration: submitted ones await review;
// overdue ones can get the art. 126-bis c.2 fine.
func (s *Server) listDriverIdentifications(c *fiber.Ctx) error {
	status := c.Query("status", notices.DriverSubmitted)
	switch status {
	case notices.DriverSubmitted, notices.DriverAccepted, notices.DriverRejected, notices.DriverNotNamed, "overdue":
	default:
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: "status", Message: "must be submitted, accepted, rejected, not_named or overdue"}}}
	}
	cal, today := s.cfg.Settings.Calendar, s.today()
	items := []driverItem{}
	err := s.eachFine(c, func(f *notices.Fine) {
		term, ok := cal.DriverTerm(f)
		if !ok {
			return
		}
		due := cal.DriverPenaltyDue(f, today)
		switch {
		case status == "overdue" && !due:
			return
		case status != "overdue" && (f.Driver == nil || f.Driver.Status != status):
			return
		}
		it := driverItem{ID: f.ID, ReportNumber: f.ReportNumber, Plate: f.Plate, Violation: f.Violation.Article,
			Points: f.Violation.Points, Term: term, PenaltyDue: due, Driver: f.Driver}
		if f.Verbale != nil && f.Verbale.Owner != nil {
			it.Owner = f.Verbale.Owner.Name
		}
		items = append(items, it)
	})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"status": status, "items": items})
}

// eachFine walks every fine, newest first, page by page; the lists of
// issue 18 are small next to the fines and read rarely.
func (s *Server) eachFine(c *fiber.Ctx, fn func(*notices.Fine)) error {
	q := notices.FineFilter{Limit: 500}
	if v := c.Query("from"); v != "" {
		d, err := notices.ParseDate(v)
		if err != nil {
			return &notices.ValidationError{Fields: []notices.FieldError{{Field: "from", Message: "must be a date YYYY-MM-DD"}}}
		}
		q.From = d
	}
	if v := c.Query("to"); v != "" {
		d, err := notices.ParseDate(v)
		if err != nil {
			return &notices.ValidationError{Fields: []notices.FieldError{{Field: "to", Message: "must be a date YYYY-MM-DD"}}}
		}
		q.To = d
	}
	for {
		page, err := s.cfg.Store.ListFines(c.UserContext(), q)
		if err != nil {
			return err
		}
		for i := range page.Items {
			fn(&page.Items[i])
		}
		if page.NextCursor == "" {
			return nil
		}
		q.Cursor = page.NextCursor
	}
}

// pointsItem is one deduction to communicate to the national registry of
// drivers (art. 126-bis c.2): a violation with points, whose driver is
// known, contested on the spot or named and accepted.
type pointsItem struct {
	ReportNumber    string       `json:"reportNumber"`
	Article         string       `json:"article"`
	Points          int          `json:"points"`
	OccurredAt      time.Time    `json:"occurredAt"`
	NotifiedOn      notices.Date `json:"notifiedOn"`
	Source          string       `json:"source"` // on_the_spot or named
	Name            string       `json:"name"`
	FiscalCode      string       `json:"fiscalCode,omitempty"`
	LicenceNumber   string       `json:"licenceNumber"`
	LicenceCategory string       `json:"licenceCategory"`
	LicenceIssuedBy string       `json:"licenceIssuedBy,omitempty"`
}

// licencePoints lists the points to deduct; with Accept: text/csv, as a
// file for the registry's upload.
func (s *Server) licencePoints(c *fiber.Ctx) error {
	items := []pointsItem{}
	err := s.eachFine(c, func(f *notices.Fine) {
		if f.Violation.Points == 0 || f.Status == notices.StatusCancelled || f.Verbale == nil || f.Verbale.Offender == nil {
			return
		}
		src := "on_the_spot"
		if f.Contestation == notices.ContestDeferred {
			if f.Driver == nil || f.Driver.Status != notices.DriverAccepted {
				return
			}
			src = "named"
		}
		o := f.Verbale.Offender
		items = append(items, pointsItem{ReportNumber: f.ReportNumber, Article: f.Violation.Article, Points: f.Violation.Points,
			OccurredAt: f.OccurredAt.In(notices.Rome), NotifiedOn: f.NotifiedOn, Source: src, Name: o.Name, FiscalCode: o.FiscalCode,
			LicenceNumber: o.LicenceNumber, LicenceCategory: o.LicenceCategory, LicenceIssuedBy: o.LicenceIssuedBy})
	})
	if err != nil {
		return err
	}
	if strings.Contains(c.Get(fiber.HeaderAccept), "text/csv") {
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		_ = w.Write([]string{"reportNumber", "article", "points", "occurredAt", "notifiedOn", "source", "name", "fiscalCode", "licenceNumber", "licenceCategory", "licenceIssuedBy"})
		for _, it := range items {
			_ = w.Write([]string{it.ReportNumber, it.Article, strconv.Itoa(it.Points), it.OccurredAt.Format(time.RFC3339), it.NotifiedOn.String(),
				it.Source, csvSafe(it.Name), it.FiscalCode, it.LicenceNumber, it.LicenceCategory, csvSafe(it.LicenceIssuedBy)})
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return errors.Join(err)
		}
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="licence-points.csv"`)
		return c.Send(b.Bytes())
	}
	return c.JSON(fiber.Map{"items": items})
}

// csvSafe keeps a spreadsheet from reading a name as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
