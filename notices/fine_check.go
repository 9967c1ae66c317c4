package notices

// CheckNewFine rejects a fine the domain could not have built, before a
// store writes it: every store is the last line of defence for its
// indexes, and all of them must refuse the same fines. Op is left for the
// store to name. Errors: EValidation; ENAVTaken when one of its NAVs
// appears twice.
func CheckNewFine(f *Fine) *Error {
	switch {
	case f == nil:
		return Errorf(EValidation, "no fine")
	case f.ID == "" || len(f.ID) > 64:
		return Errorf(EValidation, "a fine needs an id of 1 to 64 characters")
	case f.Status != StatusIssued && f.Status != StatusNotified:
		return Errorf(EValidation, "a new fine is issued or notified, not %q", f.Status)
	case f.Plate == "":
		return Errorf(EValidation, "a fine needs a plate")
	case f.OccurredAt.IsZero():
		return Errorf(EValidation, "a fine needs the time of the violation")
	case len(f.Options) == 0:
		return Errorf(EValidation, "a fine needs at least one payment option")
	}
	return f.CheckOptions()
}

// CheckOptions makes sure every option has a well-formed NAV, distinct
// from the fine's others. Errors: EValidation, ENAVTaken.
func (f *Fine) CheckOptions() *Error {
	for i, o := range f.Options {
		if len(o.NAV) != 18 {
			return Errorf(EValidation, "option %d has no valid notice number", i)
		}
		for _, p := range f.Options[:i] {
			if p.NAV == o.NAV {
				return Errorf(ENAVTaken, "notice number %s appears twice in fine %s", o.NAV, f.ID)
			}
		}
	}
	return nil
}

// CheckedReceipt returns the receipt a store writes for p, its FineID
// taken from p when empty, or why no store may write it. Errors:
// EValidation.
func (p *PaymentRecord) CheckedReceipt() (Receipt, *Error) {
	r := p.Receipt
	if r.FineID == "" {
		r.FineID = p.FineID
	}
	switch {
	case r.ID == "" || len(r.ID) > 64:
		return r, Errorf(EValidation, "a receipt needs an id of 1 to 64 characters")
	case p.FineID == "" || r.FineID != p.FineID:
		return r, Errorf(EValidation, "the receipt must name the fine it pays")
	case r.AmountCents <= 0:
		return r, Errorf(EValidation, "a receipt needs a positive amount")
	case p.Idempotency != nil && (p.Idempotency.Scope == "" || p.Idempotency.Key == ""):
		return r, Errorf(EValidation, "an idempotency record needs a scope and a key")
	}
	return r, nil
}

// CheckNewUser rejects a user no store may create. Errors: EValidation.
func CheckNewUser(u *User) *Error {
	if u.Username == "" || len(u.Username) > 64 {
		return Errorf(EValidation, "a username has 1 to 64 characters")
	}
	if !u.Role.Valid() {
		return Errorf(EValidation, "unknown role %q", u.Role)
	}
	return nil
}

// MaxRangeDays bounds one read of flows or bank credits by day range: a
// year and a little.
const MaxRangeDays = 400

// CheckDayRange rejects a day range for flows or bank credits that is
// backwards or longer than MaxRangeDays. Errors: EInvalidDate.
func CheckDayRange(from, to Date) *Error {
	if to.Before(from) || from.AddDays(MaxRangeDays).Before(to) {
		return Errorf(EInvalidDate, "a range of 1 to %d days is required", MaxRangeDays)
	}
	return nil
}
