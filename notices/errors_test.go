package notices_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/multa/multa/notices"
)

func TestErrorText(t *testing.T) {
	cause := errors.New("bucket missing")
	tests := []struct {
		name string
		err  *notices.Error
		want string
	}{
		{"code and message", notices.Errorf(notices.EAlreadyPaid, "fine %s is paid", "2026/1"), "already_paid: fine 2026/1 is paid"},
		{"with operation", &notices.Error{Code: notices.EInternal, Op: "CreateFine", Message: "boom"}, "CreateFine: internal: boom"},
		{"cause only", &notices.Error{Code: notices.EInternal, Op: "Backup", Err: cause}, "Backup: internal: bucket missing"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%s: Error() = %q, want %q", tt.name, got, tt.want)
		}
	}
	wrapped := fmt.Errorf("saving: %w", &notices.Error{Code: notices.EInternal, Err: cause})
	if !errors.Is(wrapped, cause) || notices.ErrorCode(wrapped) != notices.EInternal {
		t.Errorf("wrapped internal error: Is %v, code %s", errors.Is(wrapped, cause), notices.ErrorCode(wrapped))
	}
	if got := notices.ErrorMessage(fmt.Errorf("ctx: %w", notices.Errorf(notices.EFineCancelled, "cancelled"))); got != "cancelled" {
		t.Errorf("ErrorMessage through wrapping = %q, want %q", got, "cancelled")
	}
}

func TestValidationErrorText(t *testing.T) {
	err := &notices.ValidationError{Fields: []notices.FieldError{{Field: "plate", Message: "bad"}, {Field: "place", Message: "missing"}}}
	if got, want := err.Error(), "validation_failed: plate: bad; place: missing"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := notices.ErrorMessage(err); got == "" || strings.Contains(got, "plate") {
		t.Errorf("ErrorMessage = %q, want a generic sentence (fields travel separately)", got)
	}
}

func TestUnmarshalTextRejectsBadDates(t *testing.T) {
	var d notices.Date
	for _, in := range []string{"2026-02-30", "yesterday", "2026/11/02"} {
		wantCode(t, d.UnmarshalText([]byte(in)), notices.EInvalidDate)
	}
}

func TestRoles(t *testing.T) {
	tests := []struct {
		role         notices.Role
		valid, issue bool
	}{
		{notices.RoleOfficer, true, true},
		{notices.RoleSupervisor, true, true},
		{notices.RoleFinance, true, false},
		{notices.RoleAdmin, true, false},
		{"driver", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		if got := tt.role.Valid(); got != tt.valid {
			t.Errorf("Role(%q).Valid() = %v, want %v", tt.role, got, tt.valid)
		}
		if got := tt.role.CanIssue(); got != tt.issue {
			t.Errorf("Role(%q).CanIssue() = %v, want %v", tt.role, got, tt.issue)
		}
	}
}

func TestNewFineEntropyRunsOutMidway(t *testing.T) {
	// Enough for the id and the first NAV only.
	r := io.LimitReader(&countingReader{}, 16+8)
	_, err := notices.NewFine(validRequest(), notices.DefaultCatalogue(), settings, now, r)
	wantCode(t, err, notices.EInternal)
}
