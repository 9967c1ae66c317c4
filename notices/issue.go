package notices

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// FineRequest is what an officer (or a camera import) gives to issue a fine.
type FineRequest struct {
	Plate         string
	ViolationCode string
	OccurredAt    time.Time
	Place         string
	Lat, Lon      *float64
	Contestation  Contestation
	Officer       string
}

// FieldError names one invalid field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError carries every invalid field at once, so a form can show
// all its mistakes in one round trip.
type ValidationError struct {
	Fields []FieldError
}

func (v *ValidationError) Error() string {
	var parts []string
	for _, f := range v.Fields {
		parts = append(parts, f.Field+": "+f.Message)
	}
	return EValidation + ": " + strings.Join(parts, "; ")
}

// maxAge bounds how old a violation may be when issued: art. 201 gives 90
// days to notify, and a camera backlog of a year is already an anomaly.
const maxAge = 365 * 24 * time.Hour

// NewFine validates a request and builds an issued fine with fresh,
// random NAVs. The store assigns the report number.
func NewFine(req FineRequest, cat *Catalogue, s Settings, now time.Time, rnd io.Reader) (*Fine, error) {
	var errs []FieldError
	bad := func(field, msg string) { errs = append(errs, FieldError{field, msg}) }
	plate, err := NormalizePlate(req.Plate)
	if err != nil {
		bad("plate", ErrorMessage(err))
	}
	v, err := cat.Lookup(req.ViolationCode)
	if err != nil {
		bad("violationCode", ErrorMessage(err))
	}
	switch {
	case req.OccurredAt.IsZero():
		bad("occurredAt", "the time of the violation is required")
	case req.OccurredAt.After(now.Add(5 * time.Minute)):
		bad("occurredAt", "the violation cannot be in the future")
	case req.OccurredAt.Before(now.Add(-maxAge)):
		bad("occurredAt", "the violation is more than a year old")
	}
	place := strings.TrimSpace(req.Place)
	if place == "" || utf8.RuneCountInString(place) > 200 {
		bad("place", "the place is required, at most 200 characters")
	} else if msg := FreeTextProblem(place); msg != "" {
		bad("place", msg)
	}
	if req.Lat != nil && (math.IsNaN(*req.Lat) || *req.Lat < -90 || *req.Lat > 90) {
		bad("lat", "latitude must be between -90 and 90")
	}
	if req.Lon != nil && (math.IsNaN(*req.Lon) || *req.Lon < -180 || *req.Lon > 180) {
		bad("lon", "longitude must be between -180 and 180")
	}
	if req.Contestation != ContestImmediate && req.Contestation != ContestDeferred {
		bad("contestation", "must be immediate or deferred")
	}
	if len(errs) > 0 {
		return nil, &ValidationError{errs}
	}
	id, err := NewTimeID(now, rnd)
	if err != nil {
		return nil, err
	}
	f := &Fine{
		ID: id, Status: StatusIssued, Plate: plate, Violation: v,
		OccurredAt: req.OccurredAt.In(Rome), Place: place, Lat: req.Lat, Lon: req.Lon,
		Contestation: req.Contestation, Officer: req.Officer, CreatedAt: now, UpdatedAt: now,
	}
	if req.Contestation == ContestImmediate {
		f.Status, f.NotifiedOn, f.Channel = StatusNotified, DateOf(req.OccurredAt), ChannelHand
	}
	if err := f.AssignNAVs(s.Segregation, rnd); err != nil {
		return nil, err
	}
	return f, nil
}

// AssignNAVs gives the fine fresh random NAVs: one per payment option, the
// reduced option only where the violation allows the discount. The store
// calls it again when a NAV is already taken.
func (f *Fine) AssignNAVs(segregation string, rnd io.Reader) error {
	kinds := []OptionKind{OptionMinimum}
	if f.Violation.Reducible {
		kinds = []OptionKind{OptionReduced, OptionMinimum}
	}
	// A fresh slice, not f.Options[:0]: a copy of the fine taken before a
	// retry shares the old backing array and must keep the NAVs it saw.
	opts := make([]PaymentOption, 0, len(kinds))
	for _, k := range kinds {
		n, err := distinctNAV(segregation, rnd, opts)
		if err != nil {
			return err
		}
		opts = append(opts, PaymentOption{Kind: k, NAV: n})
	}
	f.Options = opts
	return nil
}

// distinctNAV draws a NAV that none of taken has. Two options of one fine
// must not share a NAV (paying one could not be told from paying the
// other), and a store that checks NAVs against those already saved cannot
// see a clash inside the fine being saved. The bound turns a stuck random
// source into an error instead of a hang.
func distinctNAV(segregation string, rnd io.Reader, taken []PaymentOption) (NAV, error) {
	for range 8 {
		n, err := NewNAV(segregation, rnd)
		if err != nil {
			return "", err
		}
		if !slices.ContainsFunc(taken, func(o PaymentOption) bool { return o.NAV == n }) {
			return n, nil
		}
	}
	return "", &Error{Code: EInternal, Op: "AssignNAVs", Message: "the random source keeps repeating the same notice number"}
}

// NewTimeID returns a 128-bit identifier in hex whose first 48 bits are
// the milliseconds of now since 1970 and whose other 80 are random: as
// long as NewID's and still unguessable (80 random bits), but ids made
// later sort after earlier ones. A store keyed by id then appends new
// fines at the end of its B+tree instead of dirtying a random page per
// fine: a million-fine import writes far fewer pages (issue 16).
func NewTimeID(now time.Time, rnd io.Reader) (string, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	// Sixteen bytes are read, as NewID does, so that a seeded source
	// gives the same numbers to whatever is drawn after the id.
	var b [16]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", &Error{Code: EInternal, Op: "NewTimeID", Err: err}
	}
	ms := uint64(max(now.UnixMilli(), 0))
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	return hex.EncodeToString(b[:]), nil
}

// NewID returns a random 128-bit identifier in hex: unguessable, so that
// knowing one receipt or fine id tells nothing about any other.
func NewID(rnd io.Reader) (string, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	var b [16]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", &Error{Code: EInternal, Op: "NewID", Err: err}
	}
	return hex.EncodeToString(b[:]), nil
}
