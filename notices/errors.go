package notices

import (
	"errors"
	"fmt"
)

// Error codes are stable, snake_case words. Clients branch on them and the
// HTTP adapter maps each one to a status in one place, so never rename them.
const (
	ENotFound            = "not_found"
	EInvalidNoticeNumber = "invalid_notice_number"
	EInvalidFiscalCode   = "invalid_fiscal_code"
	ENoticeNotFound      = "notice_not_found"
	EFineNotFound        = "fine_not_found"
	EReceiptNotFound     = "receipt_not_found"
	EUserNotFound        = "user_not_found"
	EInvalidDate         = "invalid_date"
	EValidation          = "validation_failed"
	EUnknownViolation    = "unknown_violation"
	EAmountChanged       = "amount_changed"
	EAlreadyPaid         = "already_paid"
	EFineCancelled       = "fine_cancelled"
	EInvalidTransition   = "invalid_transition"
	EIdempotencyConflict = "idempotency_conflict"
	EConflict            = "conflict"
	EInternal            = "internal"

	// ENAVTaken is returned by a store's CreateFine when one of the fine's
	// NAVs already exists; the caller assigns new NAVs and tries again.
	ENAVTaken = "notice_number_taken"
	// EDatabaseInUse is returned when a store is opened while another
	// process (or another store in this one) holds it: bbolt allows one
	// writer per file, and waiting forever would look like a hang to an
	// operator.
	EDatabaseInUse = "database_in_use"
	// EDatabaseDamaged is returned when a database file fails its
	// consistency check at open (truncated, overwritten, empty where data
	// was): the operator restores it from a backup.
	EDatabaseDamaged = "database_damaged"
	// ELedgerMismatch is returned by VerifyLedger when a stored value, the
	// log or its hashes disagree.
	ELedgerMismatch = "ledger_mismatch"
	// EDuplicate is returned by a store's ImportFines for a fine whose
	// camera detection (Fine.DetectionKey) was already imported: uploading
	// the same export twice must not fine a driver twice.
	EDuplicate = "duplicate_detection"
	// EFineVoid is returned when a fine whose notification term passed is
	// to be paid or enforced before a supervisor decides (art. 201 c.5).
	EFineVoid = "fine_void"
	// EOwnerMismatch is returned when a driver declaration's owner code is
	// not the owner's on the verbale (art. 126-bis).
	EOwnerMismatch = "owner_mismatch"
	// EUnavailable: the store cannot be reached right now (a database
	// server restarting). Nothing was decided; the same request, with the
	// same Idempotency-Key, may be retried.
	EUnavailable = "store_unavailable"
	// EBackupExternal: the store is backed up with its own tools
	// (PostgreSQL: pg_dump, pg_basebackup), not through Multa.
	EBackupExternal = "backup_external"
)

// Error is the one error type of the domain. Code is for machines, Message
// for people; Op names the operation so that a log line says where it failed.
type Error struct {
	Code    string
	Message string
	Op      string
	Err     error // an underlying cause, never shown to clients
	// Details are facts a client acts on, shown with the error: the
	// "receiptId" that already settled a fine, the new "amountDue".
	Details map[string]any
}

// Errorf builds a domain error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Op != "" {
		return e.Op + ": " + e.Code + ": " + msg
	}
	return e.Code + ": " + msg
}

// Unwrap lets errors.Is and errors.As see the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the code of the first domain error in err's chain, or
// EInternal for any other non-nil error, so that unknown failures are never
// shown to clients as if they were their fault.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var v *ValidationError
	if errors.As(err, &v) {
		return EValidation
	}
	return EInternal
}

// ErrorMessage returns the human message of the first domain error in err's
// chain; internal errors get a generic text so that their details stay in logs.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EInternal {
		return e.Message
	}
	var v *ValidationError
	if errors.As(err, &v) {
		return "Some fields are invalid."
	}
	return "An internal error occurred."
}
