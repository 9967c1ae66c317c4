package boltdb

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

// timeKey encodes t so that byte order is time order: Unix nanoseconds
// with the sign bit flipped (negative instants sort first), big-endian.
func timeKey(t time.Time) [8]byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], uint64(t.UnixNano())^(1<<63))
	return k
}

// u64 is the big-endian key of a sequence number: byte order is numeric
// order, so cursors walk the ledger in append order.
func u64(n uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], n)
	return k[:]
}

// indexKey builds prefix ‖ time(8) ‖ id, the key shape of every
// time-ordered index.
func indexKey(prefix []byte, t time.Time, id string) []byte {
	tk := timeKey(t)
	k := make([]byte, 0, len(prefix)+8+len(id))
	k = append(k, prefix...)
	k = append(k, tk[:]...)
	return append(k, id...)
}

// platePrefix and statusPrefix end with 0x00, which no plate (letters and
// digits) or status contains, so one plate's keys never run into another's.
func platePrefix(plate string) []byte      { return append([]byte(plate), 0) }
func statusPrefix(s notices.Status) []byte { return append([]byte(s), 0) }

// idemKey keeps scope and key apart with a length prefix, so that no
// choice of either can collide with another pair.
func idemKey(scope, key string) []byte {
	k := binary.AppendUvarint(nil, uint64(len(scope)))
	k = append(k, scope...)
	return append(k, key...)
}

// fineRecord is how a fine sits on disk: compact JSON with short keys,
// times as Unix nanoseconds, the id only in the key, and the violation as
// the content address of its catalogue entry. A fine copies the entry it
// was issued under; storing that copy once instead of in every fine, and
// the short keys, halve the value (about 250 bytes instead of 600), which
// at a million fines is most of the file. TestFineRoundTripsEveryField
// fails when notices.Fine gains a field that is not mapped here.
//
// LedgerEntry is the number of the ledger record that describes this very
// version of the value. Keeping it in the value, rather than in an index
// keyed by fine id, saves a bucket of random keys: every random key
// inserted dirties a whole page per commit, and at a million fines those
// pages are what an import spends its time writing.
type fineRecord struct {
	ReportNumber string               `json:"rn,omitempty"`
	Status       notices.Status       `json:"st"`
	Plate        string               `json:"pl"`
	Violation    string               `json:"vi"`
	OccurredAt   int64                `json:"at"`
	Place        string               `json:"pc"`
	Lat          *float64             `json:"la,omitempty"`
	Lon          *float64             `json:"lo,omitempty"`
	Contestation notices.Contestation `json:"ct"`
	NotifiedOn   notices.Date         `json:"no,omitzero"`
	Channel      notices.Channel      `json:"ch,omitempty"`
	FeesCents    int64                `json:"fe,omitempty"`
	Options      []string             `json:"op"`
	Officer      string               `json:"of,omitempty"`
	CreatedAt    int64                `json:"ca,omitempty"`
	UpdatedAt    int64                `json:"ua,omitempty"`
	ReceiptID    string               `json:"rc,omitempty"`
	PaidAt       int64                `json:"pa,omitempty"`
	CancelledAt  int64                `json:"xa,omitempty"`
	CancelledBy  string               `json:"xb,omitempty"`
	CancelReason string               `json:"xr,omitempty"`
	Corrections  []notices.Correction `json:"cr,omitempty"`
	// The verbale's content, notifications, void flag and driver
	// identification keep their domain JSON: they are absent from most
	// fines (and short where present), and their shape is the domain's.
	Verbale     *notices.Verbale              `json:"vb,omitempty"`
	Attempts    []notices.Attempt             `json:"nt,omitempty"`
	Void        *notices.VoidFlag             `json:"vd,omitempty"`
	Driver      *notices.DriverIdentification `json:"dr,omitempty"`
	Photos      []notices.Photo               `json:"ph,omitempty"`
	Reviews     []notices.Review              `json:"rv,omitempty"`
	LedgerEntry int64                         `json:"le"`
}

// storedReceipt is a receipt on disk: its domain JSON and the number of
// its ledger record (which ReceiptProof needs). Receipts are few next to
// fines, so they keep their public field names.
//
// Idem is the idempotency record of the card payment that created the
// receipt, when its scope is "payment:" and the fine's id (as the payment
// service writes it): kept here instead of in the idempotency bucket,
// whose keys are random, so that a payment dirties one random page fewer
// at its commit (see paymentIdem).
type storedReceipt struct {
	*notices.Receipt
	LedgerEntry int64        `json:"le"`
	Idem        *receiptIdem `json:"idem,omitempty"`
}

// receiptIdem is the part of a payment's notices.Idempotent that its
// receipt does not already say: the scope is "payment:" and the receipt's
// fineId, the resource is the receipt itself.
type receiptIdem struct {
	Key         string    `json:"key"`
	RequestHash string    `json:"requestHash"`
	CreatedAt   time.Time `json:"createdAt"`
}

// valueEntry reads the ledger entry number of a stored fine or receipt.
// With encoding/json/v2, as decodeFine: every payment, correction and
// receipt reads it inside the write transaction, where v1 spent about a
// twentieth of a payment's time skipping the rest of the value.
func valueEntry(b []byte) (int64, bool) {
	var v struct {
		LedgerEntry *int64 `json:"le"`
	}
	if jsonv2.Unmarshal(b, &v) != nil || v.LedgerEntry == nil {
		return 0, false
	}
	return *v.LedgerEntry, true
}

// encodeReceipt is the stored form of r as ledger record entry; idem is
// its payment's idempotency record, or nil.
func encodeReceipt(r *notices.Receipt, entry int64, idem *receiptIdem) ([]byte, error) {
	return json.Marshal(storedReceipt{Receipt: r, LedgerEntry: entry, Idem: idem})
}

func decodeReceipt(b []byte) (notices.Receipt, error) {
	var r notices.Receipt
	// v2, as for fines: reconciliation decodes every receipt of a day
	// and its neighbours (8,000 at 3,000 payments a day).
	if err := jsonv2.Unmarshal(b, &storedReceipt{Receipt: &r}); err != nil {
		return notices.Receipt{}, fmt.Errorf("decode receipt: %w", err)
	}
	return r, nil
}

// unixNano and fromUnixNano store instants as integers; the zero time is
// 0 (omitted), an instant no fine can have. Decoded instants are in Rome,
// the zone every rule reads them in.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func unixNanoPtr(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return unixNano(*t)
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).In(notices.Rome)
}

func fromUnixNanoPtr(n int64) *time.Time {
	if n == 0 {
		return nil
	}
	t := fromUnixNano(n)
	return &t
}

// optionKinds abbreviates the known option kinds to one letter; an
// unknown kind is written out in full before a colon, so a new kind is
// stored correctly before anyone teaches it a letter.
var optionKinds = map[notices.OptionKind]string{notices.OptionReduced: "r", notices.OptionMinimum: "m"}

func encodeOption(o notices.PaymentOption) string {
	if k, ok := optionKinds[o.Kind]; ok {
		return k + string(o.NAV)
	}
	return string(o.Kind) + ":" + string(o.NAV)
}

func decodeOption(s string) (notices.PaymentOption, error) {
	if i := strings.IndexByte(s, ':'); i >= 0 {
		return notices.PaymentOption{Kind: notices.OptionKind(s[:i]), NAV: notices.NAV(s[i+1:])}, nil
	}
	for kind, k := range optionKinds {
		if strings.HasPrefix(s, k) {
			return notices.PaymentOption{Kind: kind, NAV: notices.NAV(s[len(k):])}, nil
		}
	}
	return notices.PaymentOption{}, fmt.Errorf("unknown payment option %q", s)
}

// violationRef returns the content address of v: the first 16 bytes of
// the SHA-256 of its JSON, in hex. Being content-addressed, an entry cannot
// be edited without VerifyLedger noticing.
func (s *Store) violationRef(v notices.Violation) (string, error) {
	s.vmu.RLock()
	ref, ok := s.vrefs[v]
	s.vmu.RUnlock()
	if ok {
		return ref, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	ref = contentRef(b)
	s.vmu.Lock()
	s.vrefs[v], s.violations[ref] = ref, v
	s.vmu.Unlock()
	return ref, nil
}

func contentRef(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// encodeFine stores f's violation entry if it is new and returns the bytes
// of the fine as stored in the fines bucket, described by ledger record
// entry.
func (s *Store) encodeFine(tx *bolt.Tx, f *notices.Fine, entry int64) ([]byte, error) {
	ref, err := s.violationRef(f.Violation)
	if err != nil {
		return nil, err
	}
	vbkt := tx.Bucket(bktViolations)
	if vbkt.Get([]byte(ref)) == nil {
		vb, err := json.Marshal(f.Violation)
		if err != nil {
			return nil, err
		}
		if err := vbkt.Put([]byte(ref), vb); err != nil {
			return nil, err
		}
	}
	return encodeFineRecord(f, ref, entry)
}

// encodeFineRecord is the stored value of f, whose violation is stored
// under ref, as ledger record entry. LedgerEntry is the record's last
// field, so the value ends with `"le":` entry `}` (preparePayment relies
// on it).
func encodeFineRecord(f *notices.Fine, ref string, entry int64) ([]byte, error) {
	r := fineRecord{
		ReportNumber: f.ReportNumber, Status: f.Status, Plate: f.Plate, Violation: ref,
		OccurredAt: unixNano(f.OccurredAt), Place: f.Place, Lat: f.Lat, Lon: f.Lon,
		Contestation: f.Contestation, NotifiedOn: f.NotifiedOn, Channel: f.Channel, FeesCents: f.FeesCents,
		Options: make([]string, len(f.Options)), Officer: f.Officer,
		CreatedAt: unixNano(f.CreatedAt), ReceiptID: f.ReceiptID, PaidAt: unixNanoPtr(f.PaidAt),
		CancelledAt: unixNanoPtr(f.CancelledAt), CancelledBy: f.CancelledBy, CancelReason: f.CancelReason,
		Corrections: f.Corrections,
		Verbale:     f.Verbale, Attempts: f.Attempts, Void: f.Void, Driver: f.Driver,
		Photos: f.Photos, Reviews: f.Reviews,
		LedgerEntry: entry,
	}
	if !f.UpdatedAt.Equal(f.CreatedAt) { // usually equal until the first change
		r.UpdatedAt = unixNano(f.UpdatedAt)
	}
	for i, o := range f.Options {
		r.Options[i] = encodeOption(o)
	}
	return json.Marshal(&r)
}

// decodeFine reads the stored fine with the given id (the key) and
// resolves its violation reference. The returned fine owns all its
// memory: nothing points into the mmap.
func (s *Store) decodeFine(tx *bolt.Tx, id, b []byte) (notices.Fine, error) {
	var r fineRecord
	// encoding/json/v2 (its module, until Go 1.27 ships it) decodes the
	// record about three times faster than v1, and every verify decodes
	// one. Records are written by v1's Marshal, which v2 reads exactly
	// (names matched case-sensitively, as written).
	if err := jsonv2.Unmarshal(b, &r); err != nil {
		return notices.Fine{}, fmt.Errorf("decode fine %s: %w", id, err)
	}
	v, err := s.violation(tx, r.Violation)
	if err != nil {
		return notices.Fine{}, fmt.Errorf("fine %s: %w", id, err)
	}
	f := notices.Fine{
		ID: string(id), ReportNumber: r.ReportNumber, Status: r.Status, Plate: r.Plate, Violation: v,
		OccurredAt: fromUnixNano(r.OccurredAt), Place: r.Place, Lat: r.Lat, Lon: r.Lon,
		Contestation: r.Contestation, NotifiedOn: r.NotifiedOn, Channel: r.Channel, FeesCents: r.FeesCents,
		Options: make([]notices.PaymentOption, len(r.Options)), Officer: r.Officer,
		CreatedAt: fromUnixNano(r.CreatedAt), UpdatedAt: fromUnixNano(r.UpdatedAt), ReceiptID: r.ReceiptID,
		PaidAt: fromUnixNanoPtr(r.PaidAt), CancelledAt: fromUnixNanoPtr(r.CancelledAt),
		CancelledBy: r.CancelledBy, CancelReason: r.CancelReason, Corrections: r.Corrections,
		Verbale: r.Verbale, Attempts: r.Attempts, Void: r.Void, Driver: r.Driver,
		Photos: r.Photos, Reviews: r.Reviews,
	}
	if r.UpdatedAt == 0 {
		f.UpdatedAt = f.CreatedAt
	}
	for i, o := range r.Options {
		if f.Options[i], err = decodeOption(o); err != nil {
			return notices.Fine{}, fmt.Errorf("fine %s: %w", id, err)
		}
	}
	return f, nil
}

// violation resolves a content address, from the cache when possible.
func (s *Store) violation(tx *bolt.Tx, ref string) (notices.Violation, error) {
	s.vmu.RLock()
	v, ok := s.violations[ref]
	s.vmu.RUnlock()
	if ok {
		return v, nil
	}
	b := tx.Bucket(bktViolations).Get([]byte(ref))
	if b == nil {
		return notices.Violation{}, fmt.Errorf("violation entry %s missing", ref)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return notices.Violation{}, fmt.Errorf("violation entry %s: %w", ref, err)
	}
	s.vmu.Lock()
	s.violations[ref], s.vrefs[v] = v, ref
	s.vmu.Unlock()
	return v, nil
}
