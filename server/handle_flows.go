package server

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/camt"
	"github.com/multa/multa/fdr"
	"github.com/multa/multa/internal/xmlstrict"
	"github.com/multa/multa/notices"
)

// Bounds of a zip of flows: each member is bounded by fdr.MaxXMLBytes as
// it is read; the number of members keeps one request to minutes.
const maxZipFiles = 1000

// maxZipBytes bounds what a zip of flows may inflate to, in all.
const maxZipBytes = 2 << 30

// codeInvalidXML is the problem code of a document that does not follow
// its schema (422); the problem carries the line and element.
const codeInvalidXML = "invalid_xml"

// FlowImport is the outcome of importing one flow revision.
type FlowImport struct {
	File     string            `json:"file,omitempty"`
	ID       string            `json:"id,omitempty"`
	Revision int               `json:"revision,omitempty"`
	Status   notices.FlowSaved `json:"status,omitempty"`
	PSP      string            `json:"psp,omitempty"`
	// Lines, DeclaredCents and PaidCents describe the flow.
	Lines          int          `json:"lines,omitempty"`
	DeclaredCents  int64        `json:"declaredCents,omitempty"`
	PaidCents      int64        `json:"paidCents,omitempty"`
	RegulationDate notices.Date `json:"regulationDate,omitzero"`
	// FirstDay is the earliest payment day of the flow, the day to look
	// at in the reconciliation.
	FirstDay notices.Date `json:"firstDay,omitzero"`
	// StandIns is how many stand-in payments were recorded from the flow.
	StandIns int `json:"standIns,omitempty"`
	// Error is why the flow was not imported (a file of a zip).
	Error *Problem `json:"error,omitempty"`
}

// uploadFlows answers POST /api/v1/reconciliation/flows: one
// FlussoRiversamento (application/xml) or a zip of them
// (application/zip). Each flow is decoded strictly, must be addressed to
// this creditor, and is stored as a new flow, a later revision of one, or
// recognised as already imported. Stand-in payments are recorded as
// flagged payments of their fines. A single flow answers 201 (created or
// revised) or 200 (unchanged); a zip answers 200 with one result per
// file, failures included. Errors: invalid_xml (422, with line and
// element), validation_failed, flow_revision_outdated (409), conflict
// (409, a withdrawn flow), unsupported_media_type, payload_too_large.
func (s *Server) uploadFlows(c *fiber.Ctx) error {
	by := principalOf(c).Username
	c.Set(fiber.HeaderCacheControl, "no-store")
	switch mediaType(c) {
	case fiber.MIMEApplicationXML, fiber.MIMETextXML:
		res, err := s.importFlowXML(c.UserContext(), bytes.NewReader(c.Body()), notices.FlowUploaded, by)
		if err != nil {
			return err
		}
		status := fiber.StatusCreated
		if res.Status == notices.FlowUnchanged {
			status = fiber.StatusOK
		}
		c.Set(fiber.HeaderLocation, "/api/v1/reconciliation/flows/"+res.ID)
		return c.Status(status).JSON(res)
	case "application/zip", "application/x-zip-compressed":
		zr, err := zip.NewReader(bytes.NewReader(c.Body()), int64(len(c.Body())))
		if err != nil {
			return errCode(codeBadRequest, "The body is not a zip archive.")
		}
		if len(zr.File) > maxZipFiles {
			return errCode(codeTooLarge, "A zip holds at most 1000 flows.")
		}
		out := struct {
			Imported int          `json:"imported"`
			Failed   int          `json:"failed"`
			Files    []FlowImport `json:"files"`
		}{Files: []FlowImport{}}
		var members []*zip.File
		var total uint64
		for _, f := range zr.File {
			if f.FileInfo().IsDir() || strings.HasPrefix(path.Base(f.Name), ".") || strings.HasPrefix(f.Name, "__MACOSX/") {
				continue
			}
			// archive/zip refuses a member that inflates beyond its declared
			// size, so the declared sizes bound the work: no zip bomb.
			total += f.UncompressedSize64
			members = append(members, f)
		}
		if total > maxZipBytes {
			return errCode(codeTooLarge, "The zip inflates to more than 2 GB of flows; send it in parts.")
		}
		// Decoded in parallel, imported one by one in the zip's order.
		ctx := c.UserContext()
		err = fdr.DecodeEach(len(members), 0, func(i int) (io.ReadCloser, error) {
			rc, err := members[i].Open()
			if err != nil {
				return nil, &notices.ValidationError{Fields: []notices.FieldError{{Field: members[i].Name, Message: "cannot be read from the zip: " + err.Error()}}}
			}
			return rc, nil
		}, func(i int, f notices.SettlementFlow, err error) error {
			var res FlowImport
			if err != nil {
				err = xmlProblem(err)
			} else {
				res, err = s.importFlow(ctx, f, notices.FlowUploaded, by)
			}
			res.File = members[i].Name
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				p := problemFor(err, s.log, c.Path())
				res.Error = &p
				out.Failed++
			} else {
				out.Imported++
			}
			out.Files = append(out.Files, res)
			return nil
		})
		if err != nil {
			return err
		}
		if len(out.Files) == 0 {
			return &notices.ValidationError{Fields: []notices.FieldError{{Field: "body", Message: "the zip holds no flow"}}}
		}
		return c.JSON(out)
	}
	return errCode(codeUnsupportedMedia,
		"Send a FlussoRiversamento as application/xml, or many in an application/zip.")
}

// importFlowXML decodes one flow and imports it.
func (s *Server) importFlowXML(ctx context.Context, r io.Reader, src notices.FlowSource, by string) (FlowImport, error) {
	f, err := fdr.DecodeXML(r)
	if err != nil {
		return FlowImport{}, xmlProblem(err)
	}
	return s.importFlow(ctx, f, src, by)
}

// xmlProblem turns a decoder's error into the API's.
func xmlProblem(err error) error {
	var xe *xmlstrict.Error
	switch {
	case errors.As(err, &xe):
		return &coded{code: codeInvalidXML, msg: xe.Error(), extra: map[string]any{"line": xe.Line, "element": xe.Element}}
	case errors.Is(err, xmlstrict.ErrTooLarge):
		return errCode(codeTooLarge, "The document is too large.")
	}
	return err
}

// importFlow stores a decoded flow and records its stand-in payments. It
// is the one path of every flow: uploaded, zipped or fetched from FdR.
func (s *Server) importFlow(ctx context.Context, f notices.SettlementFlow, src notices.FlowSource, by string) (FlowImport, error) {
	if own := s.cfg.Settings.Creditor.FiscalCode; own != "" && f.Creditor != own {
		return FlowImport{}, &notices.ValidationError{Fields: []notices.FieldError{{Field: "istitutoRicevente",
			Message: "the flow is addressed to " + f.Creditor + ", not to this creditor (" + own + ")"}}}
	}
	rev, saved, err := s.cfg.Store.SaveFlow(ctx, f, src, by)
	if err != nil {
		return FlowImport{}, err
	}
	res := FlowImport{ID: rev.Flow.ID, Revision: rev.Flow.Revision, Status: saved, PSP: rev.Flow.PSP, Lines: len(rev.Flow.Lines),
		DeclaredCents: rev.Flow.DeclaredCents, PaidCents: rev.Flow.PaidCents(), RegulationDate: rev.Flow.RegulationDate}
	for _, l := range rev.Flow.Lines {
		if res.FirstDay.IsZero() || l.Date.Before(res.FirstDay) {
			res.FirstDay = l.Date
		}
	}
	if saved != notices.FlowUnchanged {
		s.log.Info("settlement flow imported", "flow", f.ID, "revision", rev.Flow.Revision, "status", saved, "source", src,
			"psp", f.PSP, "lines", len(f.Lines), "cents", f.DeclaredCents, "by", by)
	}
	// Recorded on every import, unchanged ones too: a crash between the
	// flow's transaction and these leaves them for the retry, and the
	// store knows each pagoPA receipt id already recorded.
	res.StandIns = s.recordStandIns(ctx, &rev.Flow)
	return res, nil
}

// recordStandIns records each stand-in payment of a flow (outcome 4 or 8)
// as a payment of its fine, flagged with the flow: the node took the
// money without asking us, so no receipt will come, and the fine must not
// stay unpaid. Lines of one payment (one IUR, several transfers) make one
// receipt. Payments of notices that are not ours stay as they are, and
// reconciliation lists them. It returns how many it recorded now.
func (s *Server) recordStandIns(ctx context.Context, f *notices.SettlementFlow) int {
	type key struct{ iuv, iur string }
	var order []key
	byKey := map[key]*notices.Receipt{}
	for _, l := range f.Lines {
		if !l.Outcome.StandIn() {
			continue
		}
		k := key{l.IUV, l.IUR}
		r := byKey[k]
		if r == nil {
			nav, err := notices.ParseNAV("3" + l.IUV)
			if err != nil {
				continue // not one of our IUVs
			}
			paid := l.Date.Start().Add(12 * time.Hour)
			r = &notices.Receipt{NAV: nav, Channel: notices.PaidViaPagoPA, FromFlow: f.ID, PaidAt: paid,
				PagoPA: &notices.PagoPAReceipt{ReceiptID: l.IUR, NoticeNumber: string(nav), CreditorReferenceID: l.IUV,
					IDPSP: f.PSP, PSPCompanyName: cmpOr(f.PSPName, f.PSP), IDChannel: "stand-in",
					ChannelDescription: "stand-in, from settlement flow " + f.ID, PaymentDateTime: paid}}
			byKey[k] = r
			order = append(order, k)
		}
		r.AmountCents += l.AmountCents
		r.PagoPA.PaymentAmountCents += l.AmountCents
		r.PagoPA.Transfers = append(r.PagoPA.Transfers, notices.PagoPATransfer{IDTransfer: l.TransferIndex, AmountCents: l.AmountCents,
			FiscalCodePA: f.Creditor})
	}
	n := 0
	for _, k := range order {
		rec, err := s.payments.RecordReceipt(ctx, *byKey[k])
		switch {
		case err != nil && notices.ErrorCode(err) != notices.ENoticeNotFound:
			s.log.Error("stand-in payment not recorded", "flow", f.ID, "iuv", k.iuv, "iur", k.iur, "err", err)
		case err == nil && !rec.Duplicate:
			n++
			s.log.Warn("stand-in payment recorded from a flow", "flow", f.ID, "receipt", rec.Receipt.ID, "fine", rec.Receipt.FineID,
				"cents", rec.Receipt.AmountCents, "anomaly", rec.Receipt.Anomaly)
		}
	}
	return n
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// flowHistory answers GET /api/v1/reconciliation/flows/{id}: every
// revision of a flow, oldest first, with its withdrawal. Errors: not_found.
func (s *Server) flowHistory(c *fiber.Ctx) error {
	h, err := s.cfg.Store.FlowHistory(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.JSON(fiber.Map{"id": c.Params("id"), "revisions": h})
}

// withdrawFlow answers POST /api/v1/reconciliation/flows/{id}/withdrawal
// with {"reason": "..."}: the flow in force leaves reconciliation; it
// stays in its history and in the ledger with the reason. Errors:
// validation_failed (no reason), not_found, conflict (already withdrawn).
func (s *Server) withdrawFlow(c *fiber.Ctx) error {
	var body struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSONWithin(c, &body, 4<<10); err != nil {
		return err
	}
	by := principalOf(c).Username
	rev, err := s.cfg.Store.WithdrawFlow(c.UserContext(), c.Params("id"), notices.FlowWithdrawal{Reason: body.Reason, By: by, At: s.now()})
	if err != nil {
		return err
	}
	s.log.Warn("settlement flow withdrawn", "flow", rev.Flow.ID, "revision", rev.Flow.Revision, "by", by, "reason", rev.Withdrawal.Reason)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(rev)
}

// uploadBankStatement answers POST /api/v1/reconciliation/bank-statements
// with a camt.053 document (application/xml): its booked entries are
// stored, and credits are matched to flows in every reconciliation.
// Errors: invalid_xml (422, with line and element), validation_failed,
// conflict (409, the statement was already imported),
// unsupported_media_type, payload_too_large.
func (s *Server) uploadBankStatement(c *fiber.Ctx) error {
	switch mediaType(c) {
	case fiber.MIMEApplicationXML, fiber.MIMETextXML:
	default:
		return errCode(codeUnsupportedMedia, "Send a camt.053 statement as application/xml.")
	}
	sts, err := camt.Decode(bytes.NewReader(c.Body()))
	if err != nil {
		return xmlProblem(err)
	}
	type result struct {
		ID          string `json:"id"`
		IBAN        string `json:"iban,omitempty"`
		Entries     int    `json:"entries"`
		Credits     int    `json:"credits"`
		CreditCents int64  `json:"creditCents"`
	}
	out := make([]result, 0, len(sts))
	for _, st := range sts {
		if err := s.cfg.Store.SaveBankStatement(c.UserContext(), st); err != nil {
			return err
		}
		r := result{ID: st.ID, IBAN: st.IBAN, Entries: len(st.Entries)}
		for _, e := range st.Entries {
			if e.Credit {
				r.Credits++
				r.CreditCents += e.AmountCents
			}
		}
		out = append(out, r)
		s.log.Info("bank statement imported", "statement", st.ID, "entries", r.Entries, "credits", r.Credits, "by", principalOf(c).Username)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"statements": out})
}

// pspFlow answers GET /api/v1/reconciliation/psp-flow?date=: the payment
// provider's settlement flow of a day as FlussoRiversamento XML, the file
// a PSP sends (the sandbox's, in the demo). Uploading it reconciles the
// day's card payments. Errors: invalid_date, not_found (nothing captured
// that day), psp_unavailable.
func (s *Server) pspFlow(c *fiber.Ctx) error {
	day, err := dateQuery(c, "date")
	if err != nil {
		return err
	}
	if day.IsZero() {
		day = s.today().AddDays(-1)
	}
	// A payment answered before this call may still be capturing: wait,
	// so that its line is in the flow.
	if err := s.payments.WaitCaptures(c.UserContext()); err != nil {
		return err
	}
	f, err := s.cfg.Provider.Settlement(c.UserContext(), day, s.cfg.Settings.Creditor)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := fdr.EncodeXML(&buf, &f); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set(fiber.HeaderContentType, "application/xml; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+f.ID+`.xml"`)
	return c.Send(buf.Bytes())
}

// codeFdRUnavailable: the FdR API could not be listed (502).
const codeFdRUnavailable = "fdr_unavailable"

// flowKnown reports whether the store holds a revision of flow id with
// this flow time, for the FdR poller.
func (s *Server) flowKnown(ctx context.Context, id string, at time.Time) (bool, error) {
	h, err := s.cfg.Store.FlowHistory(ctx, id)
	if notices.ErrorCode(err) == notices.ENotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, r := range h {
		if r.Flow.FlowTime.Equal(at) {
			return true, nil
		}
	}
	return false, nil
}

// RunFdR imports the flows FdR 3 publishes every interval until ctx ends;
// it returns at once when Config.FdR is not set.
func (s *Server) RunFdR(ctx context.Context, interval time.Duration) {
	if s.fdr != nil {
		s.fdr.Run(ctx, interval)
	}
}

// syncFdR answers POST /api/v1/reconciliation/fdr/sync: the FdR 3 poll,
// now. Flows already held are not fetched again; one that fails is
// listed and tried again by the next sync. Errors: not_found (FdR is not
// configured), fdr_unavailable (502: the list could not be read).
func (s *Server) syncFdR(c *fiber.Ctx) error {
	if s.fdr == nil {
		return notices.Errorf(notices.ENotFound, "FdR polling is not configured (--fdr-url)")
	}
	res, err := s.fdr.Sync(c.UserContext())
	if err != nil && res.Listed == 0 && len(res.Failed) == 0 {
		s.log.Error("FdR sync", "err", err)
		return errCode(codeFdRUnavailable, "The FdR API could not be read; try again later.")
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(res)
}
