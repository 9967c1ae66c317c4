package notices

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Status is where a fine is in its life. Paid and cancelled are final.
type Status string

// The states of a fine (pagoPA GPD debt position).
const (
	StatusIssued    Status = "issued"    // created, not yet notified
	StatusNotified  Status = "notified"  // contested on the spot or notified: payable with fees
	StatusPaid      Status = "paid"      // a receipt exists
	StatusCancelled Status = "cancelled" // annulled by a supervisor
)

// Valid reports whether s is one of the four states.
func (s Status) Valid() bool {
	switch s {
	case StatusIssued, StatusNotified, StatusPaid, StatusCancelled:
		return true
	}
	return false
}

// Contestation says whether the driver was stopped on the spot.
type Contestation string

// Immediate contestation counts as notification on the day, with no fees;
// deferred fines wait for a notification by post, PEC or by hand.
const (
	ContestImmediate Contestation = "immediate"
	ContestDeferred  Contestation = "deferred"
)

// Channel is how a fine was notified; it decides the default fees.
type Channel string

// Notification channels.
const (
	ChannelHand Channel = "hand"
	ChannelPost Channel = "post"
	ChannelPEC  Channel = "pec"
)

// OptionKind names one of a notice's two payment options.
type OptionKind string

// The two payment options of the traffic-fine notice variant.
const (
	OptionReduced OptionKind = "reduced" // 30% off, within 5 days
	OptionMinimum OptionKind = "minimum" // the minimum sanction, within 60 days
)

// PaymentOption is one payable option of a fine with its own NAV. Paying
// either option settles the fine and disables the other.
type PaymentOption struct {
	Kind OptionKind `json:"kind"`
	NAV  NAV        `json:"noticeNumber"`
}

// Fine is a traffic fine: one debt position with its payment options.
type Fine struct {
	ID           string          `json:"id"`
	ReportNumber string          `json:"reportNumber"`
	Status       Status          `json:"status"`
	Plate        string          `json:"plate"`
	Violation    Violation       `json:"violation"`
	OccurredAt   time.Time       `json:"occurredAt"`
	Place        string          `json:"place"`
	Lat          *float64        `json:"lat,omitempty"`
	Lon          *float64        `json:"lon,omitempty"`
	Contestation Contestation    `json:"contestation"`
	NotifiedOn   Date            `json:"notifiedOn"`
	Channel      Channel         `json:"channel,omitempty"`
	FeesCents    int64           `json:"feesCents"`
	Options      []PaymentOption `json:"options"`
	Officer      string          `json:"officer"`
	CreatedAt    time.Time       `json:"createdAt"`
	UpdatedAt    time.Time       `json:"updatedAt"`
	ReceiptID    string          `json:"receiptId,omitempty"`
	PaidAt       *time.Time      `json:"paidAt,omitempty"`
	CancelledAt  *time.Time      `json:"cancelledAt,omitempty"`
	CancelledBy  string          `json:"cancelledBy,omitempty"`
	CancelReason string          `json:"cancelReason,omitempty"`
	Corrections  []Correction    `json:"corrections,omitempty"`
	// Verbale is the report's content beyond the above (personal data).
	Verbale *Verbale `json:"verbale,omitempty"`
	// Attempts are the notifications sent and their outcomes, in order.
	Attempts []Attempt `json:"notifications,omitempty"`
	// Void is set when the notification term passed (art. 201 c.5).
	Void *VoidFlag `json:"void,omitempty"`
	// Driver is the driver named by the owner under art. 126-bis c.2.
	Driver *DriverIdentification `json:"driverIdentification,omitempty"`
	// Photos describe the evidence stored with the fine (EvidenceStore).
	Photos []Photo `json:"photos,omitempty"`
	// Reviews are the requests for review in self-protection, oldest first.
	Reviews []Review `json:"reviews,omitempty"`
}

// IsNight reports whether the night surcharge of art. 195 c.2-bis applies:
// a night-sensitive article committed from 22:00 to before 07:00, Rome time.
func (f *Fine) IsNight() bool {
	if !f.Violation.Night {
		return false
	}
	h := f.OccurredAt.In(Rome).Hour()
	return h >= 22 || h < 7
}

// Range returns the sanction range of this fine, night surcharge included.
func (f *Fine) Range() (minCents, maxCents int64) {
	minCents, maxCents = f.Violation.MinCents, f.Violation.MaxCents
	if f.IsNight() {
		minCents, maxCents = mulRound(minCents, 4, 3), mulRound(maxCents, 4, 3)
	}
	return minCents, maxCents
}

// Option returns the payment option with the given NAV.
func (f *Fine) Option(n NAV) (PaymentOption, bool) {
	for _, o := range f.Options {
		if o.NAV == n {
			return o, true
		}
	}
	return PaymentOption{}, false
}

// Payable returns nil when the fine can be paid now, else already_paid,
// fine_cancelled, or fine_void while its missed notification term awaits
// a supervisor's decision.
func (f *Fine) Payable() error {
	switch f.Status {
	case StatusPaid:
		return Errorf(EAlreadyPaid, "fine %s is already paid", f.ReportNumber)
	case StatusCancelled:
		return Errorf(EFineCancelled, "fine %s was cancelled", f.ReportNumber)
	}
	if f.Void.Blocking() {
		return Errorf(EFineVoid, "fine %s was not notified in time; a supervisor must decide before it is paid", f.ReportNumber)
	}
	return nil
}

// Notify records a formal notification (by hand, post or PEC) on day on,
// with its fees. Only an issued fine can be notified, and not before the
// violation nor after today.
func (f *Fine) Notify(on Date, ch Channel, feesCents int64, now time.Time) error {
	if err := f.Payable(); err != nil {
		return err
	}
	if f.Status != StatusIssued {
		return Errorf(EInvalidTransition, "fine %s was already notified on %s", f.ReportNumber, f.NotifiedOn)
	}
	switch ch {
	case ChannelHand, ChannelPost, ChannelPEC:
	default:
		return Errorf(EValidation, "channel must be hand, post or pec")
	}
	if feesCents < 0 || feesCents > 100_000 {
		return Errorf(EValidation, "fees must be between 0 and 1000.00 euro")
	}
	if on.Before(DateOf(f.OccurredAt)) || on.After(DateOf(now)) {
		return Errorf(EValidation, "notification date must be between the violation day and today")
	}
	f.Status, f.NotifiedOn, f.Channel, f.FeesCents, f.UpdatedAt = StatusNotified, on, ch, feesCents, now
	return nil
}

// Cancel annuls the fine (self-protection, art. 21-nonies l. 241/1990); the
// reason is kept for audit.
func (f *Fine) Cancel(reason, by string, now time.Time) error {
	if err := f.Payable(); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		return Errorf(EValidation, "a cancellation needs a reason of 1 to 500 characters")
	}
	f.Status, f.CancelReason, f.CancelledBy, f.UpdatedAt = StatusCancelled, reason, by, now
	f.CancelledAt = &now
	return nil
}

// MarkPaid settles the fine with a receipt. It is called by the store in
// the same transaction that saves the receipt.
func (f *Fine) MarkPaid(receiptID string, at time.Time) error {
	if err := f.Payable(); err != nil {
		return err
	}
	f.Status, f.ReceiptID, f.UpdatedAt = StatusPaid, receiptID, at
	f.PaidAt = &at
	return nil
}

// MaskPlate hides the middle of a plate, so that a verify answer (which
// anyone with the NAV can ask for) shows only enough to recognise the car:
// never more than half of its characters, split between the two ends
// (AB123CD → AB••••D), and none at all of a plate of four or fewer.
func MaskPlate(p string) string {
	r := []rune(p)
	if len(r) <= 4 {
		return strings.Repeat("•", len(r))
	}
	shown := len(r) / 2
	head, tail := (shown+1)/2, shown/2
	return string(r[:head]) + strings.Repeat("•", len(r)-shown) + string(r[len(r)-tail:])
}

// NormalizePlate upper-cases a plate and drops spaces and dashes; it
// accepts 2 to 10 letters and digits, which covers Italian and foreign plates.
// Only ASCII letters are upper-cased: strings.ToUpper would turn the Turkish
// dotless ı into I and the long ſ into S, accepting a plate nobody typed.
func NormalizePlate(p string) (string, error) {
	var b strings.Builder
	for _, c := range p {
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteRune(c - 'a' + 'A')
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == ' ' || c == '-':
		default:
			return "", Errorf(EValidation, "a plate has only letters and digits")
		}
	}
	if b.Len() < 2 || b.Len() > 10 {
		return "", Errorf(EValidation, "a plate has 2 to 10 letters and digits")
	}
	return b.String(), nil
}
