package notices

import (
	"context"
	"io"
	"time"
)

// FineFilter selects fines for listing, newest violation first.
type FineFilter struct {
	Plate string // exact, normalised plate
	// PlatePart is part of a normalised plate ("AB123" finds AB123CD).
	PlatePart string
	// ReportNumber is an exact report number, YYYY/NNNNNN.
	ReportNumber string
	// Unpaid keeps the fines still to be paid: issued or notified.
	Unpaid bool
	Status Status
	From   Date // violation day on or after, when set
	To     Date // violation day on or before, when set
	Limit  int  // 1..500; 0 means 50
	Cursor string
}

// FinePage is one page of a listing; NextCursor is empty on the last page.
type FinePage struct {
	Items      []Fine
	NextCursor string
}

// PaymentRecord is everything that settles a fine, written at once.
type PaymentRecord struct {
	FineID      string
	Receipt     Receipt
	Idempotency *Idempotent // the answer to replay for this key, when given
}

// CartRecord is everything that settles several fines paid with one card
// authorization (a driver's cart): one PaymentRecord per fine, without
// their own Idempotency, and the cart's idempotency record, whose
// ResourceID lists the receipt ids joined by commas.
type CartRecord struct {
	Payments    []PaymentRecord
	Idempotency *Idempotent
}

// LedgerHead is the size and Merkle root of the tamper-evident log.
type LedgerHead struct {
	Size int64    `json:"size"`
	Root [32]byte `json:"-"`
}

// LedgerProof proves that one record is in the log of a given head.
type LedgerProof struct {
	Index  int64      `json:"index"`
	Record []byte     `json:"record"`
	Head   LedgerHead `json:"head"`
	Proof  [][32]byte `json:"-"`
}

// Store is a whole persistence adapter: every port below plus Close. An
// adapter that lacks a port does not compile where a Store is wanted, so no
// caller needs to ask for an optional capability at run time. Callers that
// need only part of it take the narrower port.
//
// Every method that changes state does so in one transaction together with
// its ledger entry, so a crash leaves either all of a change or none of it.
type Store interface {
	FineStore
	TallyStore
	UserStore
	LedgerStore
	FlowStore
	BackupStore
	EvidenceStore
	// Close releases the database.
	Close() error
}

// FineStore keeps fines, the receipts that settle them and the answers of
// idempotent requests that created or paid them.
type FineStore interface {
	// CreateFine assigns a report number and saves an issued fine. With an
	// Idempotent record, a second call with the same scope and key returns
	// the stored answer instead (replay true). Errors: ENAVTaken,
	// EIdempotencyConflict (same key, other request).
	CreateFine(ctx context.Context, f *Fine, idem *Idempotent) (replay *Idempotent, err error)
	// ImportFines saves many fines in few transactions; errs[i] is the
	// outcome of fines[i] (ENAVTaken on a collision; EDuplicate when a fine
	// with the same DetectionKey was imported before, by this call or an
	// earlier one), and a bad fine never stops the others.
	ImportFines(ctx context.Context, fines []*Fine) (errs []error, err error)
	// Fine returns a fine by id. Errors: EFineNotFound.
	Fine(ctx context.Context, id string) (Fine, error)
	// FineByNAV returns the fine that one of whose options has NAV n.
	// Errors: ENoticeNotFound.
	FineByNAV(ctx context.Context, n NAV) (Fine, error)
	// FineByNAVWithIdempotency is FineByNAV that also returns the answer
	// stored under key in the scope scopePrefix + the fine's id (nil when
	// none), in one read: a payment's first read, which on a database
	// server is then one round trip. Errors: ENoticeNotFound.
	FineByNAVWithIdempotency(ctx context.Context, n NAV, scopePrefix, key string) (Fine, *Idempotent, error)
	// FineAndIdempotency returns fine id and the answer stored for scope
	// and key (nil when none) in one read: a payment needs both, fresh,
	// under its lock, and on a database server one read is one round trip
	// instead of two. Errors: EFineNotFound (the stored answer, if any,
	// is still returned with it).
	FineAndIdempotency(ctx context.Context, id, scope, key string) (Fine, *Idempotent, error)
	// FineHistory returns the ledger entries of one fine, oldest first,
	// with who made each change (see WithActor). Errors: EFineNotFound.
	FineHistory(ctx context.Context, id string) ([]FineEvent, error)
	// ListFines returns a page of fines matching the filter.
	ListFines(ctx context.Context, q FineFilter) (FinePage, error)
	// UpdateFine loads a fine, applies change and saves it with a ledger
	// entry naming ActorOf(ctx), all in one transaction; an error from
	// change aborts it.
	UpdateFine(ctx context.Context, id string, change func(*Fine) error) (Fine, error)
	// RecordPayment marks the fine paid and saves the receipt and the
	// idempotent answer in one transaction. Errors: EAlreadyPaid (the
	// existing receipt is returned with it), EFineCancelled, EFineNotFound.
	RecordPayment(ctx context.Context, p PaymentRecord) (Receipt, error)
	// RecordCart settles every fine of a cart in ONE transaction: each
	// fine is marked paid by its receipt, and the cart's idempotency
	// record is saved, or nothing is written at all. Errors: those of
	// RecordPayment, for the first fine that cannot be paid, naming it
	// (Details fineId; with EAlreadyPaid also receiptId); EValidation for
	// an empty cart or a fine twice.
	RecordCart(ctx context.Context, c CartRecord) ([]Receipt, error)
	// RecordReceipt stores a receipt that arrived from outside Multa's
	// checkout (a pagoPA channel) in one transaction with its ledger
	// entry. Money that arrived is never refused: Fine.Settle decides
	// whether it settles the fine or is stored flagged with a refund due.
	// The same pagoPA receipt again (same PagoPA.FiscalCode and
	// PagoPA.ReceiptID) writes nothing and returns the stored one with
	// duplicate true; that is decided inside the transaction. Errors:
	// EFineNotFound, EValidation, EConflict (receipt id taken).
	RecordReceipt(ctx context.Context, r Receipt) (saved Receipt, duplicate bool, err error)
	// ReceiptsOfFine returns every receipt of a fine, the one that
	// settled it and any extra (double payments), in order of payment.
	ReceiptsOfFine(ctx context.Context, fineID string) ([]Receipt, error)
	// Anomalies returns every receipt flagged with an anomaly, in order
	// of payment: what finance has to look at or give back.
	Anomalies(ctx context.Context) ([]Receipt, error)
	// Idempotency returns a stored answer for scope and key, if any.
	Idempotency(ctx context.Context, scope, key string) (*Idempotent, error)
	// Receipt returns a receipt by id. Errors: EReceiptNotFound.
	Receipt(ctx context.Context, id string) (Receipt, error)
	// Receipts returns the receipts paid on days from..to inclusive (Rome).
	Receipts(ctx context.Context, from, to Date) ([]Receipt, error)
	// OutstandingFines calls fn for every fine that is issued or notified.
	OutstandingFines(ctx context.Context, fn func(*Fine) error) error
}

// TallyStore answers the dashboard's outstanding figures from tallies the
// store keeps, so that /stats costs the same with three million unpaid
// fines as with three: the days on which some fine changes value, not the
// fines, are read.
//
// An adapter keeps, per day, the TallyDeltas of every stored fine
// (Calendar.OutstandingDeltas with the calendar it was opened with), and
// every method that writes a fine (CreateFine, ImportFines, UpdateFine,
// RecordPayment, RecordReceipt) adds the new version's deltas and takes
// out the old one's in the same transaction as the fine itself, so the
// tallies never disagree with the fines, even after a crash.
// Likewise every receipt stored (RecordPayment, RecordReceipt) adds its
// ReceiptHour to per-hour payment tallies in its own transaction.
type TallyStore interface {
	// OutstandingOn returns what the unpaid (issued or notified) fines
	// are worth on day on: the Outstanding that Stats.AddOutstanding
	// computes by reading every one of them, with the store's calendar.
	OutstandingOn(ctx context.Context, on Date) (Outstanding, error)
	// PaymentTallies calls fn for the payment tally of every hour and
	// stage of days from..to (Rome) that has one, in no set order:
	// Stats.AddHourTally of each gives what Stats.AddReceipt of every
	// receipt of Receipts(from, to) gives.
	PaymentTallies(ctx context.Context, from, to Date, fn func(HourTally)) error
}

// UserStore keeps the back office's accounts and their sign-in sessions
// (refresh tokens); the auth package needs nothing else.
type UserStore interface {
	// CreateUser saves a new user. Errors: EConflict when the name is taken.
	CreateUser(ctx context.Context, u User) error
	// User returns a user by name. Errors: EUserNotFound.
	User(ctx context.Context, username string) (User, error)
	// Users lists all users, by name.
	Users(ctx context.Context) ([]User, error)
	// UpdateUser loads a user, applies change and saves it, in one
	// transaction; an error from change aborts it and is returned as is.
	// The username cannot change. When the change disables the user, or
	// changes its role or password hash, every refresh-token family of the
	// user is revoked in the same transaction, so no session outlives the
	// change. Errors: EUserNotFound, EValidation.
	UpdateUser(ctx context.Context, username string, change UserChange) (User, error)
	// SaveRefreshToken stores (or updates) a refresh token by its hash.
	SaveRefreshToken(ctx context.Context, t RefreshToken) error
	// RefreshToken returns a refresh token by hash. Errors: ENotFound.
	RefreshToken(ctx context.Context, hash string) (RefreshToken, error)
	// RotateRefreshToken marks the old token rotated (keeping the sealed
	// successor on it) and saves the next, atomically; when the old token
	// was already rotated or revoked it revokes its whole family and
	// returns EConflict instead, unless the old token was rotated within
	// the rotation's grace: then it returns EConflict and changes nothing.
	RotateRefreshToken(ctx context.Context, r TokenRotation) error
	// RevokeFamily revokes every refresh token of a family.
	RevokeFamily(ctx context.Context, family string, now time.Time) error
}

// LedgerStore reads the tamper-evident log that every change to a fine or
// receipt is written to (the writes happen inside FineStore's methods).
type LedgerStore interface {
	// LedgerHead returns the current size and root of the ledger.
	LedgerHead(ctx context.Context) (LedgerHead, error)
	// ReceiptProof returns the inclusion proof of a receipt's ledger entry.
	ReceiptProof(ctx context.Context, receiptID string) (LedgerProof, error)
	// VerifyLedger checks every stored fine and receipt against the log
	// and the log against its hashes; it names the first bad entry.
	VerifyLedger(ctx context.Context) error
	// VerifyLedgerExtends checks that the current log is an append-only
	// extension of an earlier head (a consistency proof): a history
	// rewritten since that head was signed fails even when it is
	// consistent in itself. Errors: ELedgerMismatch.
	VerifyLedgerExtends(ctx context.Context, old LedgerHead) error
	// LedgerConsistency proves that the current log extends its first
	// oldSize entries (tlog.ProveTree), for an auditor who kept an earlier
	// head and checks the proof with tlog.CheckTree. Errors: EValidation
	// when oldSize is negative or more than the current size.
	LedgerConsistency(ctx context.Context, oldSize int64) (LedgerConsistency, error)
}

// LedgerConsistency is a consistency proof between the log's first
// OldSize entries and its current head.
type LedgerConsistency struct {
	OldSize int64
	Head    LedgerHead
	Proof   [][32]byte
}

// FlowStore keeps settlement flows and bank statements for
// reconciliation. It is separate from Store because not every store needs
// it: the server asks for it with a type assertion and refuses uploads
// when it is missing. Every method that writes does so in one transaction
// with its ledger entry.
type FlowStore interface {
	// SaveFlow stores a validated flow revision. A new id is created; the
	// same id with a later FlowTime becomes the revision in force and the
	// previous one is kept as superseded; the same id and FlowTime with the
	// same lines is FlowUnchanged (so a retried import imports nothing
	// twice). The stored revision (with its number) is returned. Errors:
	// EValidation; EFlowOutdated for an older FlowTime, or the same
	// FlowTime with other content; EConflict when the id was withdrawn
	// (a withdrawn flow comes back only with a later revision, which is
	// then FlowRevised).
	SaveFlow(ctx context.Context, f SettlementFlow, src FlowSource, by string) (FlowRevision, FlowSaved, error)
	// WithdrawFlow takes the flow in force with id out of reconciliation,
	// recording reason. Errors: ENotFound; EConflict when already
	// withdrawn; EValidation for an empty reason.
	WithdrawFlow(ctx context.Context, id string, w FlowWithdrawal) (FlowRevision, error)
	// FlowHistory returns every revision of a flow, oldest first.
	// Errors: ENotFound.
	FlowHistory(ctx context.Context, id string) ([]FlowRevision, error)
	// FlowsBetween returns the flows in force (latest revision, not
	// withdrawn) that have a line dated, or a regulation date, in from..to.
	FlowsBetween(ctx context.Context, from, to Date) ([]SettlementFlow, error)
	// SaveBankStatement stores the entries of a bank statement. Errors:
	// EConflict when a statement with the same id was already stored;
	// EValidation.
	SaveBankStatement(ctx context.Context, st BankStatement) error
	// BankCredits returns the credit entries booked on days from..to.
	BankCredits(ctx context.Context, from, to Date) ([]BankEntry, error)
}

// EvidenceStore keeps the photos of fines. The images are stored beside
// the fine in the same database (bbolt: a bucket of the same file;
// PostgreSQL: a bytea column), so a backup of the database holds them and
// the fine's ledger entry holds their hashes (Fine.Photos).
type EvidenceStore interface {
	// SavePhotos stores images with a fine and, in the same transaction
	// and ledger entry, appends their descriptions to it (Fine.AddPhotos)
	// and then applies change, which receives their numbers (nil change:
	// nothing else). An error from change aborts it all. Errors:
	// EFineNotFound, EValidation, and change's.
	SavePhotos(ctx context.Context, fineID string, photos []NewPhoto, change func(f *Fine, added []int) error) (Fine, error)
	// PhotoJPEG returns the bytes of photo n of a fine. Errors: ENotFound.
	PhotoJPEG(ctx context.Context, fineID string, n int) ([]byte, error)
}

// BackupStore copies the whole database while it is in use.
type BackupStore interface {
	// Backup writes a consistent copy of the whole database to w while
	// writers go on, and returns the bytes written. Errors:
	// EBackupExternal when the store is backed up with its own tools
	// (nothing is written).
	Backup(ctx context.Context, w io.Writer) (int64, error)
	// BackupUnsupported is the EBackupExternal error Backup would return,
	// or nil when Backup copies this store; the HTTP adapter asks it before
	// it starts streaming a download.
	BackupUnsupported() error
}
