package server

import (
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/evidence"
	"github.com/multa/multa/notices"
)

// publicReview is what anyone holding the notice number sees of a request
// for review: its state and the office's answer, never the request's text.
type publicReview struct {
	Status      string    `json:"status"`
	SubmittedAt time.Time `json:"submittedAt"`
	DecidedAt   time.Time `json:"decidedAt,omitzero"`
	Answer      string    `json:"answer,omitempty"`
}

func publicReviewOf(f *notices.Fine) *publicReview {
	r := f.LastReview()
	if r == nil {
		return nil
	}
	return &publicReview{Status: r.Status, SubmittedAt: r.SubmittedAt.In(notices.Rome), DecidedAt: r.DecidedAt, Answer: r.Answer}
}

// plateHeader carries the plate, the second factor that, with the notice
// number, shows the evidence of a fine. A header rather than the query
// string, so that it is not written into access logs.
const plateHeader = "Multa-Plate"

// fineWithPlate returns the fine of nav when plate (normalised here) is
// its plate; any mismatch answers like an unknown notice.
func (s *Server) fineWithPlate(c *fiber.Ctx, plate string) (notices.Fine, error) {
	nav, err := notices.ParseNAV(c.Params("nav"))
	if err != nil {
		return notices.Fine{}, err
	}
	p, err := notices.NormalizePlate(plate)
	if err != nil {
		return notices.Fine{}, errNoPlateMatch()
	}
	f, err := s.cfg.Store.FineByNAV(c.UserContext(), nav)
	if err != nil || f.Plate != p {
		return notices.Fine{}, errNoPlateMatch()
	}
	return f, nil
}

// submitReview takes a request for review in self-protection from the
// driver app: multipart/form-data with plate, text and up to four image
// attachments, stored with the request in one transaction.
func (s *Server) submitReview(c *fiber.Ctx) error {
	if mediaType(c) != fiber.MIMEMultipartForm {
		return errCode(codeUnsupportedMedia, "Send the request as multipart/form-data.")
	}
	form, err := c.MultipartForm()
	if err != nil {
		return errCode(codeBadRequest, "The form could not be read.")
	}
	value := func(k string) string {
		if v := form.Value[k]; len(v) == 1 {
			return v[0]
		}
		return ""
	}
	f, err := s.fineWithPlate(c, value("plate"))
	if err != nil {
		return err
	}
	files := form.File["attachment"]
	if len(files) > notices.ReviewAttachmentsMax {
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: "attachment", Message: "at most 4 attachments"}}}
	}
	var photos []notices.NewPhoto
	for _, fh := range files {
		if fh.Size > evidence.MaxUpload {
			return notices.Errorf(evidence.EBadImage, "an attachment is at most %d MB", evidence.MaxUpload>>20)
		}
		rd, err := fh.Open()
		if err != nil {
			return errCode(codeBadRequest, "An attachment could not be read.")
		}
		data, err := io.ReadAll(io.LimitReader(rd, evidence.MaxUpload+1))
		rd.Close()
		if err != nil {
			return errCode(codeBadRequest, "An attachment could not be read.")
		}
		p, err := evidence.Reencode(data, notices.PhotoByDriver, "")
		if err != nil {
			return err
		}
		photos = append(photos, p)
	}
	text, now := value("text"), s.now()
	submit := func(f *notices.Fine, added []int) error { return f.SubmitReview(text, added, now) }
	if len(photos) == 0 {
		f, err = s.cfg.Store.UpdateFine(c.UserContext(), f.ID, func(f *notices.Fine) error { return submit(f, nil) })
	} else {
		f, err = s.cfg.Store.SavePhotos(c.UserContext(), f.ID, photos, submit)
	}
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(publicReviewOf(&f))
}

// reviewItem is one request in the office's queue.
type reviewItem struct {
	FineID       string         `json:"fineId"`
	ReportNumber string         `json:"reportNumber"`
	Plate        string         `json:"plate"`
	Status       notices.Status `json:"fineStatus"`
	Violation    string         `json:"violation"`
	notices.Review
}

// listReviews is the office's queue of requests for review, by state
// (default: submitted, those awaiting an answer), oldest first.
func (s *Server) listReviews(c *fiber.Ctx) error {
	status := c.Query("status", notices.ReviewSubmitted)
	switch status {
	case notices.ReviewSubmitted, notices.ReviewAccepted, notices.ReviewRejected:
	default:
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: "status", Message: "must be submitted, accepted or rejected"}}}
	}
	items := []reviewItem{}
	err := s.eachFine(c, func(f *notices.Fine) {
		if r := f.LastReview(); r != nil && r.Status == status {
			items = append(items, reviewItem{FineID: f.ID, ReportNumber: f.ReportNumber, Plate: f.Plate, Status: f.Status,
				Violation: f.Violation.Article, Review: *r})
		}
	})
	if err != nil {
		return err
	}
	// The queue is served in order of arrival.
	slices.SortStableFunc(items, func(a, b reviewItem) int { return a.SubmittedAt.Compare(b.SubmittedAt) })
	return c.JSON(fiber.Map{"status": status, "items": items})
}

type reviewDecision struct {
	Accept bool   `json:"accept"`
	Answer string `json:"answer"`
}

// decideReview answers a request: accepted, the fine is cancelled with the
// answer as reason, in the same transaction.
func (s *Server) decideReview(c *fiber.Ctx) error {
	var req reviewDecision
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	by, now := principalOf(c).Username, s.now()
	f, err := s.cfg.Store.UpdateFine(c.UserContext(), c.Params("id"), func(f *notices.Fine) error {
		return f.DecideReview(req.Accept, req.Answer, by, now)
	})
	if err != nil {
		return err
	}
	return s.officeFine(c, &f, fiber.StatusOK)
}

// addPhotos stores photos an officer took of a fine: the body is one
// image (image/jpeg, image/png or image/webp), re-encoded before storing.
func (s *Server) addPhotos(c *fiber.Ctx) error {
	if !strings.HasPrefix(mediaType(c), "image/") {
		return errCode(codeUnsupportedMedia, "Send the photo as image/jpeg, image/png or image/webp.")
	}
	source := notices.PhotoByOfficer
	if c.Query("source") == notices.PhotoByCamera {
		source = notices.PhotoByCamera
	}
	p, err := evidence.Reencode(c.Body(), source, principalOf(c).Username)
	if err != nil {
		return err
	}
	f, err := s.cfg.Store.SavePhotos(c.UserContext(), c.Params("id"), []notices.NewPhoto{p}, nil)
	if err != nil {
		return err
	}
	last := f.Photos[len(f.Photos)-1]
	c.Set(fiber.HeaderLocation, "/api/v1/fines/"+f.ID+"/photos/"+strconv.Itoa(last.N))
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"photo": last, "photos": f.Photos})
}

// officePhoto serves a photo of a fine to the office.
func (s *Server) officePhoto(c *fiber.Ctx) error {
	n, err := strconv.Atoi(c.Params("n"))
	if err != nil {
		return notices.Errorf(notices.ENotFound, "no such photo")
	}
	return s.sendPhoto(c, c.Params("id"), n)
}

// driverPhoto serves an evidence photo to whoever gives the notice number
// and, in the Multa-Plate header, the plate. The driver's own attachments
// are not served here: they are the office's to read.
func (s *Server) driverPhoto(c *fiber.Ctx) error {
	f, err := s.fineWithPlate(c, c.Get(plateHeader))
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.Params("n"))
	p, ok := f.Photo(n)
	if err != nil || !ok || p.Source == notices.PhotoByDriver {
		return notices.Errorf(notices.ENotFound, "no such photo")
	}
	return s.sendPhoto(c, f.ID, n)
}

func (s *Server) sendPhoto(c *fiber.Ctx, fineID string, n int) error {
	b, err := s.cfg.Store.PhotoJPEG(c.UserContext(), fineID, n)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/jpeg")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set("X-Content-Type-Options", "nosniff")
	return c.Send(b)
}
