package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

// tokenOf saves a live refresh token of user in family.
func tokenOf(t *testing.T, e *env, hash, user, family string) {
	t.Helper()
	now := e.clock.Now()
	err := e.st.SaveRefreshToken(context.Background(), notices.RefreshToken{
		Hash: hash, Username: user, Family: family, CreatedAt: now, ExpiresAt: now.Add(12 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
}

func revoked(t *testing.T, e *env, hash string) bool {
	t.Helper()
	tok, err := e.st.RefreshToken(context.Background(), hash)
	if err != nil {
		t.Fatal(err)
	}
	return !tok.RevokedAt.IsZero()
}

func testUpdateUserRevokesSessions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for _, name := range []string{"anna", "bruno"} {
		if err := e.st.CreateUser(ctx, notices.User{Username: name, Role: notices.RoleOfficer, PasswordHash: "h0"}); err != nil {
			t.Fatal(err)
		}
	}
	reset := func() {
		// A fresh set of live sessions: anna has two families (two
		// devices), bruno one.
		tokenOf(t, e, "a1-"+e.clock.Now().Format("150405"), "anna", "fa1-"+e.clock.Now().Format("150405"))
		tokenOf(t, e, "a2-"+e.clock.Now().Format("150405"), "anna", "fa2-"+e.clock.Now().Format("150405"))
	}
	tokenOf(t, e, "b1", "bruno", "fb1")

	for i, tc := range []struct {
		name   string
		change func(*notices.User)
		revoke bool
	}{
		{"no change", func(*notices.User) {}, false},
		{"same role", func(u *notices.User) { u.Role = notices.RoleOfficer }, false},
		{"disable", func(u *notices.User) { u.Disabled = true }, true},
		{"enable", func(u *notices.User) { u.Disabled = false }, false},
		{"role", func(u *notices.User) { u.Role = notices.RoleSupervisor }, true},
		{"password", func(u *notices.User) { u.PasswordHash = "h1" }, true},
	} {
		e.clock.Set(e.clock.Now().Add(time.Duration(i+1) * time.Second))
		reset()
		stamp := e.clock.Now().Format("150405")
		u, err := e.st.UpdateUser(ctx, "anna", func(u *notices.User, _ int) error { tc.change(u); return nil })
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		stored, err := e.st.User(ctx, "anna")
		if err != nil || stored != u {
			t.Fatalf("%s: stored %+v, %v; returned %+v", tc.name, stored, err, u)
		}
		for _, h := range []string{"a1-" + stamp, "a2-" + stamp} {
			if got := revoked(t, e, h); got != tc.revoke {
				t.Errorf("%s: token %s revoked = %v, want %v", tc.name, h, got, tc.revoke)
			}
		}
		if revoked(t, e, "b1") {
			t.Fatalf("%s: another user's session was revoked", tc.name)
		}
	}
	if u, _ := e.st.User(ctx, "anna"); u.Role != notices.RoleSupervisor || u.PasswordHash != "h1" || u.Disabled {
		t.Errorf("anna after the changes = %+v", u)
	}
}

func testUpdateUserRefusals(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if err := e.st.CreateUser(ctx, notices.User{Username: "anna", Role: notices.RoleAdmin, PasswordHash: "h0"}); err != nil {
		t.Fatal(err)
	}
	tokenOf(t, e, "a1", "anna", "fa1")
	_, err := e.st.UpdateUser(ctx, "nobody", func(*notices.User, int) error { return nil })
	wantCode(t, err, notices.EUserNotFound)

	// An error from change aborts: nothing written, nothing revoked.
	stop := errors.New("stop")
	_, err = e.st.UpdateUser(ctx, "anna", func(u *notices.User, _ int) error { u.Disabled = true; return stop })
	if !errors.Is(err, stop) {
		t.Fatalf("change error = %v, want it returned as is", err)
	}
	for _, bad := range []func(*notices.User){
		func(u *notices.User) { u.Username = "bruno"; u.Disabled = true },
		func(u *notices.User) { u.Role = "mayor" },
		func(u *notices.User) { u.PasswordHash = ""; u.Disabled = true },
	} {
		_, err = e.st.UpdateUser(ctx, "anna", func(u *notices.User, _ int) error { bad(u); return nil })
		wantCode(t, err, notices.EValidation)
	}
	u, err := e.st.User(ctx, "anna")
	if err != nil || u.Disabled || u.Role != notices.RoleAdmin || u.PasswordHash != "h0" {
		t.Errorf("anna after refused changes = %+v, %v", u, err)
	}
	if revoked(t, e, "a1") {
		t.Error("a refused change revoked a session")
	}
	if _, err := e.st.User(ctx, "bruno"); notices.ErrorCode(err) != notices.EUserNotFound {
		t.Errorf("a rename was stored: %v", err)
	}
}

func testUpdateUserCountsOtherAdmins(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for _, u := range []notices.User{
		{Username: "anna", Role: notices.RoleAdmin, PasswordHash: "h"},
		{Username: "bruno", Role: notices.RoleAdmin, PasswordHash: "h"},
		{Username: "carla", Role: notices.RoleAdmin, PasswordHash: "h", Disabled: true},
		{Username: "dario", Role: notices.RoleFinance, PasswordHash: "h"},
	} {
		if err := e.st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	count := func(name string) int {
		t.Helper()
		n := -1
		if _, err := e.st.UpdateUser(ctx, name, func(_ *notices.User, others int) error { n = others; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if a, d := count("anna"), count("dario"); a != 1 || d != 2 {
		t.Fatalf("other enabled admins of anna, dario = %d, %d; want 1, 2 (carla is disabled)", a, d)
	}

	// anna and bruno disable each other at once, each keeping "another
	// admin remains": the store must make the second wait for the first,
	// so exactly one of them succeeds. Each change waits (briefly) for
	// the other to be inside its transaction too: a store that let both
	// count at once would let both through.
	var inside sync.WaitGroup
	inside.Add(2)
	both := make(chan struct{})
	go func() { inside.Wait(); close(both) }()
	lastAdmin := errors.New("last admin")
	disable := func(name string) error {
		_, err := e.st.UpdateUser(ctx, name, func(u *notices.User, others int) error {
			inside.Done()
			select {
			case <-both:
			case <-time.After(300 * time.Millisecond):
			}
			if others == 0 {
				return lastAdmin
			}
			u.Disabled = true
			return nil
		})
		return err
	}
	errs := make(chan error, 2)
	for _, name := range []string{"anna", "bruno"} {
		go func() { errs <- disable(name) }()
	}
	var ok, refused int
	for range 2 {
		switch err := <-errs; {
		case err == nil:
			ok++
		case errors.Is(err, lastAdmin):
			refused++
		default:
			t.Fatal(err)
		}
	}
	if ok != 1 || refused != 1 {
		t.Fatalf("two admins disabling each other: %d succeeded, %d refused; want 1 and 1", ok, refused)
	}
	enabled := 0
	users, err := e.st.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.EnabledAdmin() {
			enabled++
		}
	}
	if enabled != 1 {
		t.Fatalf("enabled admins after = %d, want 1", enabled)
	}
}
