package server

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/qr"
)

func init() { operations = append(operations, verbaleOperations...) }

var pathFine = param{"id", "path", "Fine id"}

// Request schemas of the verbale's routes.
var (
	dateStr      = str("YYYY-MM-DD")
	personSchema = map[string]any{
		"name": str("Surname and name"), "fiscalCode": str("16-character codice fiscale; required when resident in Italy"),
		"birthDate": dateStr, "birthPlace": str("Place of birth"), "address": str("Residence, one line"),
		"country": str("ISO 3166-1 alpha-2; empty means IT"),
	}
	offenderSchema = obj([]string{"name", "address"}, merge(personSchema, map[string]any{
		"licenceNumber": str("Required on the spot"), "licenceCategory": str("AM, A1, A2, A, B1, B, BE, C1, C1E, C, CE, D1, D1E, D, DE"),
		"licenceIssuedBy": str("Issuing authority"),
	}))
	verbaleSchema = obj([]string{"vehicle"}, map[string]any{
		"offender": offenderSchema,
		"owner": obj([]string{"kind", "role", "name", "address"}, merge(personSchema, map[string]any{
			"kind": str("person or company"), "role": str("owner, usufructuary, buyer_reserved_title or lessee (art. 196)"),
			"vatNumber": str("A company's VAT number (11 digits in Italy)"), "pec": str("Certified e-mail address"),
			"knownOn": str("Day the owner's data became available, YYYY-MM-DD (default: today); the 90/360 days run from it"),
		})),
		"vehicle": obj([]string{"type"}, map[string]any{"type": str("car, motorcycle, moped, truck, bus, trailer or other"),
			"make": str("Make"), "model": str("Model"), "country": str("ISO 3166-1 alpha-2 of registration; empty means IT")}),
		"agents":         map[string]any{"type": "array", "maxItems": 6, "items": str("Badge number")},
		"statement":      str("Offender's statement; contestation on the spot only"),
		"deferredReason": str("camera, driver_absent, stop_impossible or other; deferred contestation only, and then required"),
		"deferredNote":   str("Details; required with other"),
	})
	outcomeSchema = obj([]string{"outcome", "on", "evidence"}, map[string]any{
		"outcome":     str("post_delivered, post_refused, post_deposited, pec_delivered, send_digital, send_undeliverable, send_paper, on_the_spot or failed"),
		"on":          str("Day of the event (delivery, refusal, CAD sent, receipt, SEND delivery or paper notice perfected)"),
		"at":          str("RFC 3339 instant of a SEND digital delivery (after 21:00 counts from the next day)"),
		"collectedOn": dateStr, "accessedOn": dateStr,
		"evidence": str("The proof: registered-mail number, RdAC id, SEND IUN"),
	})
	outcomesCSVSchema       = map[string]any{"type": "string", "description": "CSV with a header row: noticeNumber, outcome, on (required); collectedOn, accessedOn, at, evidence, attempt (optional, 1-based; default the last attempt awaiting an outcome). Each row is applied alone."}
	driverDeclarationSchema = obj([]string{"driver", "declaredBy", "ownerCode", "declaration"}, map[string]any{
		"driver": offenderSchema, "declaredBy": str("Who signs"), "ownerCode": str("The owner's fiscal code or VAT number as on the verbale"),
		"declaration": map[string]any{"type": "boolean", "description": "The owner declares it under their own responsibility"},
	})
)

func merge(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

var verbaleOperations = []op{
	{method: "POST", path: "/api/v1/notices/{nav}/driver", schema: driverDeclarationSchema, summary: "Name the driver (art. 126-bis c.2): the owner's declaration, checked against the owner's fiscal code or VAT number", tag: "public", body: "application/json",
		params: []param{pathNAV}, responses: map[string]string{"202": "Declaration recorded, awaiting the office's review", "403": "owner_mismatch", "409": "invalid_transition", "422": "validation_failed"}},
	{method: "PUT", path: "/api/v1/fines/{id}/verbale", schema: verbaleSchema, summary: "Set the verbale's content: offender, jointly liable party (art. 196), vehicle, agents, statement, reason of deferred contestation", tag: "office", auth: "bearer", body: "application/json",
		params: []param{pathFine}, responses: map[string]string{"200": "Fine", "409": "already_paid", "410": "fine_cancelled", "422": "validation_failed"}},
	{method: "POST", path: "/api/v1/fines/{id}/notifications", schema: obj([]string{"recipient", "channel", "sentOn"}, map[string]any{"recipient": str("owner or offender"), "channel": str("post, pec, send or hand"), "sentOn": str("The sender's day, YYYY-MM-DD"), "address": str("Postal address or PEC address (a PEC dispatch defaults to the owner's PEC)"), "evidence": str("Registered-mail number, message id, SEND IUN"), "feesCents": integer("Optional; default per channel")}), summary: "Record a notification sent (recipient, channel post|pec|send|hand, sentOn); a late one flags the fine void", tag: "office", auth: "bearer", body: "application/json",
		params: []param{pathFine}, responses: map[string]string{"201": "Fine", "409": "invalid_transition", "422": "validation_failed"}},
	{method: "POST", path: "/api/v1/fines/{id}/notifications/{n}/outcome", schema: outcomeSchema, summary: "Record the outcome of notification n (1-based) with its evidence; the perfection day drives amounts and terms", tag: "office", auth: "bearer", body: "application/json",
		params: []param{pathFine, {"n", "path", "Attempt number, from 1"}}, responses: map[string]string{"200": "Fine", "404": "not_found", "409": "invalid_transition", "422": "validation_failed"}},
	{method: "POST", path: "/api/v1/notification-outcomes/import", schema: outcomesCSVSchema, summary: "Import outcomes from the postal provider or SEND (text/csv: noticeNumber, outcome, on, at, collectedOn, accessedOn, evidence)", tag: "office", auth: "bearer", body: "text/csv",
		responses: map[string]string{"200": "Per-row result", "415": "unsupported_media_type", "422": "validation_failed"}},
	{method: "GET", path: "/api/v1/notification-terms", summary: "Fines whose notification term falls within the next days, or passed", tag: "office", auth: "bearer",
		params: []param{{"within", "query", "Days ahead, 0-400 (default 30)"}}, responses: map[string]string{"200": "Fines by due day"}},
	{method: "POST", path: "/api/v1/notification-terms/sweep", summary: "Flag void every fine whose notification term passed (supervisors)", tag: "office", auth: "bearer",
		responses: map[string]string{"200": "Fines flagged"}},
	{method: "POST", path: "/api/v1/fines/{id}/void-decision", schema: obj([]string{"decision", "note"}, map[string]any{"decision": str("lift (payable again) or confirm (cancels the fine)"), "note": str("Why, 1 to 400 characters")}), summary: "Lift or confirm a void flag (supervisors); confirming cancels the fine", tag: "office", auth: "bearer", body: "application/json",
		params: []param{pathFine}, responses: map[string]string{"200": "Fine", "409": "invalid_transition", "422": "validation_failed"}},
	{method: "GET", path: "/api/v1/driver-identifications", summary: "Driver declarations (art. 126-bis) by status", tag: "office", auth: "bearer",
		params: []param{{"status", "query", "submitted (default), accepted, rejected, not_named, or overdue: term passed with nobody named"}}, responses: map[string]string{"200": "Fines with their declarations"}},
	{method: "POST", path: "/api/v1/fines/{id}/driver-identification/review", schema: obj([]string{"accept"}, map[string]any{"accept": map[string]any{"type": "boolean"}, "note": str("Required to reject, at most 500 characters")}), summary: "Accept or reject a driver declaration", tag: "office", auth: "bearer", body: "application/json",
		params: []param{pathFine}, responses: map[string]string{"200": "Fine", "409": "invalid_transition", "422": "validation_failed"}},
	{method: "POST", path: "/api/v1/fines/{id}/driver-penalty", summary: "Issue the art. 126-bis c.2 fine to the owner once the 60 days passed with nobody named", tag: "office", auth: "bearer",
		params: []param{pathFine}, responses: map[string]string{"201": "The new fine", "409": "invalid_transition"}},
	{method: "GET", path: "/api/v1/licence-points", summary: "Licence points to deduct, for the national registry (JSON or text/csv)", tag: "office", auth: "bearer",
		params: []param{{"from", "query", "Violation day from"}, {"to", "query", "Violation day to"}}, responses: map[string]string{"200": "Points by licence"}},
}

// canSeePersonalData says which roles see the verbale's personal data:
// those who issue, notify and review fines. Finance and admins work on
// money and accounts and do not need names and licences.
func canSeePersonalData(r notices.Role) bool {
	return r == notices.RoleOfficer || r == notices.RoleSupervisor
}

// verbaleView is what fineView adds for issue 18.
type verbaleView struct {
	Verbale          *notices.Verbale              `json:"verbale,omitempty"`
	Notifications    []notices.Attempt             `json:"notifications,omitempty"`
	NotificationTerm *notices.NotificationTerm     `json:"notificationTerm,omitempty"`
	Terms            *notices.Terms                `json:"terms,omitempty"`
	Void             *notices.VoidFlag             `json:"void,omitempty"`
	Driver           *notices.DriverIdentification `json:"driverIdentification,omitempty"`
	DriverTerm       *notices.Date                 `json:"driverTerm,omitempty"`
	DriverPenaltyDue bool                          `json:"driverPenaltyDue,omitempty"`
	Abroad           bool                          `json:"abroad,omitempty"`
}

// verbaleOf builds the view; personal data only when personal is true.
func (s *Server) verbaleOf(f *notices.Fine, personal bool) verbaleView {
	cal := s.cfg.Settings.Calendar
	v := verbaleView{Void: f.Void, Abroad: f.Abroad()}
	if personal {
		v.Verbale, v.Notifications, v.Driver = f.Verbale, f.Attempts, f.Driver
	}
	if t, ok := cal.NotificationTerm(f); ok {
		v.NotificationTerm = &t
	}
	if !f.NotifiedOn.IsZero() {
		t := cal.TermsFrom(f.NotifiedOn, f.Violation, f.Abroad())
		v.Terms = &t
	}
	if d, ok := cal.DriverTerm(f); ok {
		v.DriverTerm = &d
	}
	v.DriverPenaltyDue = cal.DriverPenaltyDue(f, s.today())
	return v
}

// officeFine answers with the fine as the caller's role may see it.
func (s *Server) officeFine(c *fiber.Ctx, f *notices.Fine, status int) error {
	v := s.fineView(f)
	v.verbaleView = s.verbaleOf(f, canSeePersonalData(principalOf(c).Role))
	payments, err := s.finePayments(c.UserContext(), f.ID)
	if err != nil {
		return err
	}
	v.Payments = payments
	return c.Status(status).JSON(v)
}

func (s *Server) putVerbale(c *fiber.Ctx) error {
	var v notices.Verbale
	if err := decodeJSON(c, &v); err != nil {
		return err
	}
	now := s.now()
	f, err := s.cfg.Store.UpdateFine(c.UserContext(), c.Params("id"), func(f *notices.Fine) error {
		return f.SetVerbale(v, notices.DateOf(now), now)
	})
	if err != nil {
		return err
	}
	return s.officeFine(c, &f, fiber.StatusOK)
}

type sendRequest struct {
	Recipient notices.Recipient `json:"recipient"`
	Channel   notices.Channel   `json:"channel"`
	SentOn    notices.Date      `json:"sentOn"`
	Address   string            `json:"address,omitempty"`
	Evidence  string            `json:"evidence,omitempty"`
	// FeesCents overrides the channel's configured fees.
	FeesCents *int64 `json:"feesCents,omitempty"`
}

func (s *Server) sendNotification(c *fiber.Ctx) error {
	var req sendRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	fees := s.cfg.Settings.Fees.For(req.Channel)
	if req.FeesCents != nil {
		fees = *req.FeesCents
	}
	a := notices.Attempt{Recipient: req.Recipient, Channel: req.Channel, SentOn: req.SentOn, Address: req.Address,
		Evidence: req.Evidence, FeesCents: fees, SentBy: principalOf(c).Username}
	now := s.now()
	f, err := s.cfg.Store.UpdateFine(c.UserContext(), c.Params("id"), func(f *notices.Fine) error {
		return f.SendNotification(a, s.cfg.Settings.Calendar, s.cfg.Settings.Fees, now)
	})
	if err != nil {
		return err
	}
	return s.officeFine(c, &f, fiber.StatusCreated)
}

type outcomeRequest struct {
	notices.Delivery
	Evidence string `json:"evidence"`
}

func (s *Server) recordOutcome(c *fiber.Ctx) error {
	n, err := strconv.Atoi(c.Params("n"))
	if err != nil || n < 1 || n > 100 {
		return notices.Errorf(notices.ENotFound, "no notification attempt %q", c.Params("n"))
	}
	var req outcomeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	by, now := principalOf(c).Username, s.now()
	f, err := s.cfg.Store.UpdateFine(c.UserContext(), c.Params("id"), func(f *notices.Fine) error {
		return f.RecordOutcome(n-1, req.Delivery, req.Evidence, by, s.rules(), s.cfg.Settings.Fees, now)
	})
	if err != nil {
		return err
	}
	return s.officeFine(c, &f, fiber.StatusOK)
}

// rules are the installation's notification rules.
func (s *Server) rules() notices.NotificationRules {
	return notices.NotificationRules{Calendar: s.cfg.Settings.Calendar, MoveDepositTenthDay: s.cfg.MoveDepositTenthDay}
}

// termItem is one line of the list of fines approaching their term.
type termItem struct {
	ID           string                   `json:"id"`
	ReportNumber string                   `json:"reportNumber"`
	Plate        string                   `json:"plate"`
	OccurredAt   time.Time                `json:"occurredAt"`
	Term         notices.NotificationTerm `json:"term"`
	DaysLeft     int                      `json:"daysLeft"`
	// Sent is true when an attempt is on its way (sent in time, no outcome
	// yet): the sender's date saves the term.
	Sent        bool   `json:"sent"`
	OwnerKnown  bool   `json:"ownerKnown"`
	Void        bool   `json:"void"`
	HasVerbale  bool   `json:"hasVerbale"`
	NextChannel string `json:"-"`
}

func (s *Server) notificationTerms(c *fiber.Ctx) error {
	within := 30
	if w := c.Query("within"); w != "" {
		n, err := strconv.Atoi(w)
		if err != nil || n < 0 || n > 400 {
			return &notices.ValidationError{Fields: []notices.FieldError{{Field: "within", Message: "must be between 0 and 400"}}}
		}
		within = n
	}
	cal, today := s.cfg.Settings.Calendar, s.today()
	limit := today.AddDays(within)
	items := []termItem{}
	err := s.cfg.Store.OutstandingFines(c.UserContext(), func(f *notices.Fine) error {
		t, ok := cal.NotificationTerm(f)
		if !ok || t.Due.After(limit) {
			return nil
		}
		it := termItem{ID: f.ID, ReportNumber: f.ReportNumber, Plate: f.Plate, OccurredAt: f.OccurredAt.In(notices.Rome),
			Term: t, DaysLeft: daysBetween(today, t.Due), Void: f.Void.Blocking(), HasVerbale: f.Verbale != nil,
			OwnerKnown: f.Verbale != nil && f.Verbale.Owner != nil}
		for _, a := range f.Attempts {
			if a.Delivery == nil && !a.SentOn.After(t.Due) {
				it.Sent = true
			}
		}
		items = append(items, it)
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(items, func(a, b termItem) int { return a.Term.Due.Compare(b.Term.Due) })
	return c.JSON(fiber.Map{"today": today, "within": within, "items": items})
}

func daysBetween(a, b notices.Date) int {
	return int(b.Start().Sub(a.Start()).Round(24*time.Hour) / (24 * time.Hour))
}

// sweepNotificationTerms flags void every outstanding fine whose term
// passed unsent (the supervisors' button; RunNotificationSweep does the
// same on a timer).
func (s *Server) sweepNotificationTerms(c *fiber.Ctx) error {
	flagged, err := s.SweepLateNotifications(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"flagged": flagged})
}

// RunNotificationSweep flags late fines void at once and then every
// interval, until ctx ends, so that a fine whose notification term passed
// stops being payable the next day even if nobody presses the button.
func (s *Server) RunNotificationSweep(ctx context.Context, every time.Duration) {
	for {
		flagged, err := s.SweepLateNotifications(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("notification sweep failed", "err", err)
		} else if len(flagged) > 0 {
			s.log.Warn("fines flagged void: notification term passed (art. 201 c.5)", "count", len(flagged))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// SweepLateNotifications flags void every outstanding fine whose
// notification term passed with nothing sent in time, each in its own
// transaction, and returns their ids.
func (s *Server) SweepLateNotifications(ctx context.Context) ([]string, error) {
	cal, now := s.cfg.Settings.Calendar, s.now()
	var ids []string
	err := s.cfg.Store.OutstandingFines(ctx, func(f *notices.Fine) error {
		g := *f
		if g.FlagLate(cal, now) {
			ids = append(ids, f.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	flagged := []string{}
	for _, id := range ids {
		changed := false
		_, err := s.cfg.Store.UpdateFine(ctx, id, func(f *notices.Fine) error {
			changed = f.FlagLate(cal, now)
			if !changed {
				return errUnchanged
			}
			return nil
		})
		if err != nil && !errors.Is(err, errUnchanged) {
			return flagged, err
		}
		if changed && err == nil {
			flagged = append(flagged, id)
		}
	}
	return flagged, nil
}

// errUnchanged aborts an UpdateFine whose change turned out to be nothing.
var errUnchanged = notices.Errorf(notices.EConflict, "nothing to change")

type voidDecisionRequest struct {
	Decision string `json:"decision"` // lift or confirm
	Note     string `json:"note"`
}

func (s *Server) decideVoid(c *fiber.Ctx) error {
	var req voidDecisionRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Decision != "lift" && req.Decision != "confirm" {
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: "decision", Message: "must be lift or confirm"}}}
	}
	by, now := principalOf(c).Username, s.now()
	f, err := s.cfg.Store.UpdateFine(c.UserContext(), c.Params("id"), func(f *notices.Fine) error {
		return f.DecideVoid(req.Decision == "lift", req.Note, by, now)
	})
	if err != nil {
		return err
	}
	return s.officeFine(c, &f, fiber.StatusOK)
}

// publicVerbale is what the notice holder sees of issue 18's data: the
// terms and whether to name the driver, never a name, an address or a
// licence. Anyone holding the notice number can ask.
type publicVerbale struct {
	// PerfectsOn is the day a notification already on record takes effect,
	// when that day is still to come.
	PerfectsOn *notices.Date `json:"perfectsOn,omitempty"`
	// Terms run from the notification, once it is in force.
	Terms *notices.Terms `json:"terms,omitempty"`
	// Void is true while a missed notification term awaits a decision:
	// the fine cannot be paid.
	Void bool `json:"void,omitempty"`
	// NameDriver is set when the owner must name the driver (art. 126-bis).
	NameDriver *nameDriver `json:"nameDriver,omitempty"`
	// Languages are the languages of the notice's fixed texts: Italian,
	// and for a vehicle or owner from abroad English, German and French.
	Languages []string `json:"languages"`
	// FixedTexts are the notice's fixed texts in the other languages, as
	// printed (qr.VerbaleTexts); the fine's data stay as issued.
	FixedTexts map[string][]string `json:"fixedTexts,omitempty"`
}

type nameDriver struct {
	Until  notices.Date `json:"until"`
	Points int          `json:"points"`
	// Status is submitted, accepted, rejected or not_named once acted on.
	Status string `json:"status,omitempty"`
}

func (s *Server) publicVerbaleOf(f *notices.Fine, on notices.Date) publicVerbale {
	cal := s.cfg.Settings.Calendar
	v := publicVerbale{Void: f.Void.Blocking(), Languages: []string{"it"}}
	if f.Abroad() {
		v.Languages = []string{"it", "en", "de", "fr"}
		v.FixedTexts = qr.VerbaleTexts
	}
	if !f.NotifiedOn.IsZero() {
		if on.Before(f.NotifiedOn) {
			d := f.NotifiedOn
			v.PerfectsOn = &d
		} else {
			t := cal.TermsFrom(f.NotifiedOn, f.Violation, f.Abroad())
			v.Terms = &t
		}
	}
	if until, ok := cal.DriverTerm(f); ok && !on.Before(f.NotifiedOn) {
		v.NameDriver = &nameDriver{Until: until, Points: f.Violation.Points}
		if f.Driver != nil {
			v.NameDriver.Status = f.Driver.Status
		}
	}
	return v
}

// noticeDoc is what the printed notice of f shows: with its verbale (for
// the roles that may see personal data), the terms once notified, and the
// texts for recipients abroad.
func (s *Server) noticeDoc(c *fiber.Ctx, f *notices.Fine) qr.NoticeDoc {
	if f.Verbale != nil && !canSeePersonalData(principalOf(c).Role) {
		g := *f
		g.Verbale = nil
		f = &g
	}
	cal := s.cfg.Settings.Calendar
	d := qr.NoticeDoc{Creditor: s.cfg.Settings.Creditor, Fine: f, Options: cal.Options(f), PublicURL: s.cfg.PublicURL, Foreign: f.Abroad()}
	if !f.NotifiedOn.IsZero() {
		t := cal.TermsFrom(f.NotifiedOn, f.Violation, f.Abroad())
		d.Terms = &t
	}
	return d
}
