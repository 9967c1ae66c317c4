package notices

import (
	"strings"
	"time"
	"unicode/utf8"
)

// States of a request for review in self-protection.
const (
	ReviewSubmitted = "submitted"
	ReviewAccepted  = "accepted"
	ReviewRejected  = "rejected"
)

// Review is a request for review in self-protection (istanza di riesame
// in autotutela, art. 21-nonies l. 241/1990): the recipient asks the
// office to withdraw the fine itself, outside the appeals of art. 203 and
// 204-bis, whose terms it does not suspend. The fine stays payable while
// it waits. Accepted, the fine is cancelled with the office's answer as
// the reason; rejected, the answer says why.
type Review struct {
	Text        string    `json:"text"`
	Attachments []int     `json:"attachments,omitempty"` // numbers of Fine.Photos
	SubmittedAt time.Time `json:"submittedAt"`
	Status      string    `json:"status"`
	DecidedBy   string    `json:"decidedBy,omitempty"`
	DecidedAt   time.Time `json:"decidedAt,omitzero"`
	Answer      string    `json:"answer,omitempty"`
}

// Bounds of a review request's text and attachments.
const (
	ReviewTextMax        = 4000
	ReviewAttachmentsMax = 4
)

// SubmitReview records a request for review. One request waits at a
// time; after an answer a new one may be made (new facts). Errors:
// EValidation (text of 10 to ReviewTextMax characters, too many
// attachments), EFineCancelled, EInvalidTransition (one is pending).
func (f *Fine) SubmitReview(text string, attachments []int, now time.Time) error {
	if f.Status == StatusCancelled {
		return Errorf(EFineCancelled, "fine %s was cancelled", f.ReportNumber)
	}
	if r := f.PendingReview(); r != nil {
		return Errorf(EInvalidTransition, "a request for review of %s already awaits an answer", f.ReportNumber)
	}
	text = strings.TrimSpace(text)
	if n := utf8.RuneCountInString(text); n < 10 || n > ReviewTextMax {
		return &ValidationError{Fields: []FieldError{{Field: "text", Message: "say why in 10 to 4000 characters"}}}
	}
	if len(attachments) > ReviewAttachmentsMax {
		return &ValidationError{Fields: []FieldError{{Field: "attachments", Message: "at most 4 attachments"}}}
	}
	for _, n := range attachments {
		if _, ok := f.Photo(n); !ok {
			return Errorf(EValidation, "attachment %d is not stored with the fine", n)
		}
	}
	f.Reviews = append(f.Reviews, Review{Text: text, Attachments: attachments, SubmittedAt: now, Status: ReviewSubmitted})
	f.UpdatedAt = now
	return nil
}

// PendingReview returns the request awaiting an answer, or nil.
func (f *Fine) PendingReview() *Review {
	if n := len(f.Reviews); n > 0 && f.Reviews[n-1].Status == ReviewSubmitted {
		return &f.Reviews[n-1]
	}
	return nil
}

// LastReview returns the latest request for review, or nil.
func (f *Fine) LastReview() *Review {
	if n := len(f.Reviews); n > 0 {
		return &f.Reviews[n-1]
	}
	return nil
}

// DecideReview answers the pending request. Accepting cancels the fine
// with the answer as its reason (so a paid fine cannot be accepted: its
// refund is another procedure); both need an answer of 1 to 480
// characters, which the recipient reads. Errors: EInvalidTransition
// (nothing pending), EValidation, and Cancel's errors.
func (f *Fine) DecideReview(accept bool, answer, by string, now time.Time) error {
	r := f.PendingReview()
	if r == nil {
		return Errorf(EInvalidTransition, "no request for review of %s awaits an answer", f.ReportNumber)
	}
	answer = strings.TrimSpace(answer)
	if answer == "" || utf8.RuneCountInString(answer) > 480 {
		return &ValidationError{Fields: []FieldError{{Field: "answer", Message: "an answer of 1 to 480 characters is required"}}}
	}
	if accept {
		if err := f.Cancel("Autotutela: "+answer, by, now); err != nil {
			return err
		}
		r.Status = ReviewAccepted
	} else {
		r.Status = ReviewRejected
	}
	r.DecidedBy, r.DecidedAt, r.Answer = by, now, answer
	f.UpdatedAt = now
	return nil
}
