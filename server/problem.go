package server

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/evidence"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/psp"
	"github.com/multa/multa/qr"
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

// statusOf is the one place that maps error codes to HTTP statuses. The
// codes are defined once, by the package that returns them: the domain's in
// notices, the provider's in psp, the QR reader's in qr, sign-in's in auth,
// and the HTTP adapter's own below. TestEveryCodeHasAStatus checks that each
// of them that a request can end with is here.
var statusOf = map[string]int{
	notices.EInvalidNoticeNumber: http.StatusBadRequest,
	notices.EInvalidFiscalCode:   http.StatusBadRequest,
	notices.EInvalidDate:         http.StatusBadRequest,
	notices.EValidation:          http.StatusUnprocessableEntity,
	notices.EUnknownViolation:    http.StatusUnprocessableEntity,
	notices.EDuplicate:           http.StatusConflict,
	notices.ENotFound:            http.StatusNotFound,
	notices.ENoticeNotFound:      http.StatusNotFound,
	notices.EFineNotFound:        http.StatusNotFound,
	notices.EReceiptNotFound:     http.StatusNotFound,
	notices.EUserNotFound:        http.StatusNotFound,
	notices.EAmountChanged:       http.StatusConflict,
	notices.EAlreadyPaid:         http.StatusConflict,
	notices.EConflict:            http.StatusConflict,
	notices.EFlowOutdated:        http.StatusConflict,
	codeInvalidXML:               http.StatusUnprocessableEntity,
	codeFdRUnavailable:           http.StatusBadGateway,
	notices.EInvalidTransition:   http.StatusConflict,
	notices.EFineCancelled:       http.StatusGone,
	notices.EFineVoid:            http.StatusConflict,
	notices.EOwnerMismatch:       http.StatusForbidden,
	notices.EIdempotencyConflict: http.StatusUnprocessableEntity,
	// Five random NAVs in a row already taken: the server gave up
	// retrying; the client may try again (with the same idempotency key).
	notices.ENAVTaken:         http.StatusServiceUnavailable,
	notices.EInternal:         http.StatusInternalServerError,
	notices.EUnavailable:      http.StatusServiceUnavailable,
	notices.EBackupExternal:   http.StatusNotImplemented,
	psp.ECardDeclined:         http.StatusPaymentRequired,
	psp.EInvalidToken:         http.StatusUnprocessableEntity,
	psp.EInvalidCard:          http.StatusUnprocessableEntity,
	psp.EInvalidExpiry:        http.StatusUnprocessableEntity,
	psp.ECardExpired:          http.StatusUnprocessableEntity,
	psp.EInvalidCVC:           http.StatusUnprocessableEntity,
	psp.EUnavailable:          http.StatusBadGateway,
	qr.EInvalidQRPayload:      http.StatusUnprocessableEntity,
	qr.EUnsupportedQRVersion:  http.StatusUnprocessableEntity,
	qr.EInvalidAmount:         http.StatusUnprocessableEntity,
	qr.ENoCodeFound:           http.StatusUnprocessableEntity,
	qr.EUnsupportedImage:      http.StatusUnsupportedMediaType,
	qr.EInvalidImage:          http.StatusUnprocessableEntity,
	qr.EImageTooLarge:         http.StatusRequestEntityTooLarge,
	qr.EBusy:                  http.StatusServiceUnavailable,
	evidence.EBadImage:        http.StatusUnprocessableEntity,
	auth.EUnauthorized:        http.StatusUnauthorized,
	auth.ERateLimited:         http.StatusTooManyRequests,
	codeForbidden:             http.StatusForbidden,
	codeBadJSON:               http.StatusBadRequest,
	codeBadRequest:            http.StatusBadRequest,
	codeUnsupportedMedia:      http.StatusUnsupportedMediaType,
	codeTooLarge:              http.StatusRequestEntityTooLarge,
	codeMethodNotAllowed:      http.StatusMethodNotAllowed,
	codeRequestTimeout:        http.StatusRequestTimeout,
	codeInvalidIdempotencyKey: http.StatusBadRequest,
}

// Codes that belong to the HTTP adapter rather than to the domain or to
// another package. An unknown route answers notices.ENotFound.
const (
	codeForbidden             = "forbidden"
	codeBadJSON               = "invalid_json"
	codeBadRequest            = "bad_request"
	codeUnsupportedMedia      = "unsupported_media_type"
	codeTooLarge              = "payload_too_large"
	codeMethodNotAllowed      = "method_not_allowed"
	codeRequestTimeout        = "request_timeout"
	codeInvalidIdempotencyKey = "invalid_idempotency_key"
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
		p := known(ce.code, ce.msg, log, path, err)
		p.Extra = ce.extra
		return p
	}
	p := known(notices.ErrorCode(err), notices.ErrorMessage(err), log, path, err)
	var ve *notices.ValidationError
	if errors.As(err, &ve) {
		p.Errors = ve.Fields
	}
	var de *notices.Error
	if errors.As(err, &de) && len(de.Details) > 0 && p.Status < 500 {
		p.Extra = de.Details
	}
	if errors.Is(err, psp.ErrInsufficientFunds) {
		// The payer can act on this one: another card, not a retry.
		p.Extra = map[string]any{"reason": "insufficient_funds"}
	}
	return p
}

// known builds the problem of code with its status from statusOf, logging
// server-side failures. A code missing from statusOf is a bug of ours
// (TestEveryCodeHasAStatus exists to catch it): it is logged and answered
// as an internal error, not guessed, and its message is not shown.
func known(code, msg string, log *slog.Logger, path string, err error) Problem {
	status, ok := statusOf[code]
	if !ok {
		log.Error("error code without an HTTP status", "code", code, "path", path)
		status, code, msg = http.StatusInternalServerError, notices.EInternal, "An internal error occurred."
	}
	if status >= 500 {
		log.Error("request failed", "path", path, "err", err)
	}
	return newProblem(status, code, msg)
}

func fiberProblem(fe *fiber.Error) Problem {
	switch fe.Code {
	case http.StatusNotFound:
		return newProblem(fe.Code, notices.ENotFound, "There is nothing at this address.")
	case http.StatusMethodNotAllowed:
		return newProblem(fe.Code, codeMethodNotAllowed, "This method is not allowed here.")
	case http.StatusRequestEntityTooLarge:
		return newProblem(fe.Code, codeTooLarge, "The request body is too large.")
	case http.StatusTooManyRequests:
		return newProblem(fe.Code, auth.ERateLimited, "Too many requests; try again shortly.")
	case http.StatusRequestTimeout:
		return newProblem(fe.Code, codeRequestTimeout, "The request took too long.")
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

// coded is an adapter-level error with its code, for failures found in the
// HTTP adapter itself, and with optional extra members for the problem
// body. Its status comes from statusOf like every other code's.
type coded struct {
	code  string
	msg   string
	extra map[string]any
}

func (c *coded) Error() string { return c.code + ": " + c.msg }

// errCode is an error with a code and a message for the client.
func errCode(code, msg string) error {
	return &coded{code: code, msg: msg}
}

// writeProblem sends p as application/problem+json.
func writeProblem(c *fiber.Ctx, p Problem) error {
	localizeProblem(c, &p)
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
