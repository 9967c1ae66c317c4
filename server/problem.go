package server

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/notices"
)

// Problem is an RFC 9457 problem detail. Code is the stable word clients
// branch on; Extra carries code-specific fields such as amountDue.
type Problem struct {
	Type   string               `json:"type"`
	Title  string               `json:"title"`
	Status int                  `json:"status"`
	Detail string               `json:"detail"`
	Code   string               `json:"code"`
	Errors []notices.FieldError `json:"errors,omitempty"`
	Extra  map[string]any       `json:"-"`
}

// statusOf is the one place that maps domain codes to HTTP statuses.
var statusOf = map[string]int{
	notices.EInvalidNoticeNumber: http.StatusBadRequest,
	notices.EInvalidFiscalCode:   http.StatusBadRequest,
	notices.EInvalidDate:         http.StatusBadRequest,
	notices.EValidation:          http.StatusUnprocessableEntity,
	notices.EUnknownViolation:    http.StatusUnprocessableEntity,
	notices.ENotFound:            http.StatusNotFound,
	notices.ENoticeNotFound:      http.StatusNotFound,
	notices.EFineNotFound:        http.StatusNotFound,
	notices.EReceiptNotFound:     http.StatusNotFound,
	notices.EUserNotFound:        http.StatusNotFound,
	notices.EAmountChanged:       http.StatusConflict,
	notices.EAlreadyPaid:         http.StatusConflict,
	notices.EConflict:            http.StatusConflict,
	notices.EInvalidTransition:   http.StatusConflict,
	notices.EFineCancelled:       http.StatusGone,
	notices.EIdempotencyConflict: http.StatusUnprocessableEntity,
	codeCardDeclined:             http.StatusPaymentRequired,
	codeInvalidToken:             http.StatusUnprocessableEntity,
	codeInvalidCard:              http.StatusUnprocessableEntity,
	codeCardExpired:              http.StatusUnprocessableEntity,
	codeInvalidCVC:               http.StatusUnprocessableEntity,
	codeUnauthorized:             http.StatusUnauthorized,
	codeForbidden:                http.StatusForbidden,
	codeRateLimited:              http.StatusTooManyRequests,
	codeBadJSON:                  http.StatusBadRequest,
	codeBadRequest:               http.StatusBadRequest,
	codeUnsupportedMedia:         http.StatusUnsupportedMediaType,
	codeTooLarge:                 http.StatusRequestEntityTooLarge,
	codeMethodNotAllowed:         http.StatusMethodNotAllowed,
	codeNoCodeFound:              http.StatusUnprocessableEntity,
	codeInvalidImage:             http.StatusUnprocessableEntity,
	codeInvalidQR:                http.StatusUnprocessableEntity,
	codeInvalidIdempotencyKey:    http.StatusBadRequest,
	codePSPUnavailable:           http.StatusBadGateway,
	"invalid_expiry":             http.StatusUnprocessableEntity,
	"invalid_amount":             http.StatusUnprocessableEntity,
	"unsupported_image":          http.StatusUnsupportedMediaType,
	"image_too_large":            http.StatusRequestEntityTooLarge,
	"unsupported_qr_version":     http.StatusUnprocessableEntity,
	"database_in_use":            http.StatusServiceUnavailable,
	"ledger_mismatch":            http.StatusInternalServerError,
}

// Codes that belong to the HTTP adapter rather than to the domain.
const (
	codeUnauthorized          = "unauthorized"
	codeForbidden             = "forbidden"
	codeRateLimited           = "rate_limited"
	codeBadJSON               = "invalid_json"
	codeBadRequest            = "bad_request"
	codeUnsupportedMedia      = "unsupported_media_type"
	codeTooLarge              = "payload_too_large"
	codeMethodNotAllowed      = "method_not_allowed"
	codeRouteNotFound         = "not_found"
	codeNoCodeFound           = "no_code_found"
	codeInvalidImage          = "invalid_image"
	codeInvalidQR             = "invalid_qr_payload"
	codeInvalidIdempotencyKey = "invalid_idempotency_key"
	codeCardDeclined          = "card_declined"
	codeInvalidToken          = "invalid_token"
	codeInvalidCard           = "invalid_card"
	codeCardExpired           = "card_expired"
	codeInvalidCVC            = "invalid_cvc"
	codePSPUnavailable        = "psp_unavailable"
)

// problemFor builds the problem for any error. Internal errors are logged
// with their cause and shown only as a generic message.
func problemFor(err error, log *slog.Logger, path string) Problem {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fiberProblem(fe)
	}
	var ce *coded
	if errors.As(err, &ce) {
		p := newProblem(ce.status, ce.code, ce.msg)
		p.Extra = ce.extra
		return p
	}
	code := notices.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
		if code != notices.EInternal {
			status = http.StatusUnprocessableEntity
		}
	}
	if status >= 500 {
		log.Error("request failed", "path", path, "err", err)
	}
	p := newProblem(status, code, notices.ErrorMessage(err))
	var ve *notices.ValidationError
	if errors.As(err, &ve) {
		p.Errors = ve.Fields
	}
	var de *notices.Error
	if errors.As(err, &de) && len(de.Details) > 0 && status < 500 {
		p.Extra = de.Details
	}
	if status == http.StatusUnprocessableEntity && code == notices.EInternal {
		p.Code = notices.EValidation
	}
	return p
}

func fiberProblem(fe *fiber.Error) Problem {
	switch fe.Code {
	case http.StatusNotFound:
		return newProblem(fe.Code, codeRouteNotFound, "There is nothing at this address.")
	case http.StatusMethodNotAllowed:
		return newProblem(fe.Code, codeMethodNotAllowed, "This method is not allowed here.")
	case http.StatusRequestEntityTooLarge:
		return newProblem(fe.Code, codeTooLarge, "The request body is too large.")
	case http.StatusTooManyRequests:
		return newProblem(fe.Code, codeRateLimited, "Too many requests; try again shortly.")
	case http.StatusRequestTimeout:
		return newProblem(fe.Code, "request_timeout", "The request took too long.")
	}
	if fe.Code >= 500 {
		return newProblem(fe.Code, notices.EInternal, "An internal error occurred.")
	}
	return newProblem(fe.Code, codeBadRequest, fe.Message)
}

func newProblem(status int, code, detail string) Problem {
	return Problem{
		Type:   "https://multa.example/problems/" + code,
		Title:  http.StatusText(status),
		Status: status,
		Detail: detail,
		Code:   code,
	}
}

// coded is an adapter-level error that already knows its status and code,
// with optional extra members for the problem body.
type coded struct {
	status int
	code   string
	msg    string
	extra  map[string]any
}

func (c *coded) Error() string { return c.code + ": " + c.msg }

func errStatus(status int, code, msg string) error {
	return &coded{status: status, code: code, msg: msg}
}

// writeProblem sends p as application/problem+json.
func writeProblem(c *fiber.Ctx, p Problem) error {
	body := map[string]any{
		"type": p.Type, "title": p.Title, "status": p.Status, "detail": p.Detail, "code": p.Code,
	}
	if len(p.Errors) > 0 {
		body["errors"] = p.Errors
	}
	for k, v := range p.Extra {
		body[k] = v
	}
	if p.Status == http.StatusTooManyRequests && c.GetRespHeader(fiber.HeaderRetryAfter) == "" {
		c.Set(fiber.HeaderRetryAfter, "60")
	}
	c.Status(p.Status)
	c.Set(fiber.HeaderContentType, "application/problem+json")
	c.Set(fiber.HeaderCacheControl, "no-store")
	b, err := jsonMarshal(body)
	if err != nil {
		return err
	}
	return c.Send(b)
}
