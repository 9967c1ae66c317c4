package server_test

import (
	"encoding/json"
	"testing"
)

// patchUser sends PATCH /api/v1/users/{name} with an admin's bearer.
func (e *env) patchUser(bearer, name string, body any) response {
	e.t.Helper()
	return e.do("PATCH", "/api/v1/users/"+name, body, "Authorization", bearer)
}

func loginAs(e *env, user, password string) response {
	e.t.Helper()
	return e.do("POST", "/api/v1/auth/login", map[string]string{"username": user, "password": password})
}

func TestAdminDisablesAndEnablesUser(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	admin := e.login("root")
	login := loginAs(e, "officer", "correct horse battery")
	if login.status != 200 {
		t.Fatalf("login: %d %s", login.status, login.body)
	}
	officer := "Bearer " + login.json(t)["accessToken"].(string)
	cookie := refreshCookie(t, login)
	if r := e.do("GET", "/api/v1/fines", nil, "Authorization", officer); r.status != 200 {
		t.Fatalf("officer before: %d %s", r.status, r.body)
	}

	r := e.patchUser(admin, "officer", map[string]any{"disabled": true})
	if r.status != 200 {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	if m := r.json(t); m["username"] != "officer" || m["role"] != "officer" || m["disabled"] != true {
		t.Errorf("disable answer = %v", m)
	}
	// Authenticate re-reads the user: the still unexpired access token is
	// refused at once.
	if r := e.do("GET", "/api/v1/fines", nil, "Authorization", officer); r.status != 401 || r.code(t) != "unauthorized" {
		t.Errorf("disabled officer's access token: %d %s", r.status, r.body)
	}
	// The store revoked the refresh-token family with the change.
	if r := e.do("POST", "/api/v1/auth/refresh", nil, "Cookie", cookie); r.status != 401 {
		t.Errorf("disabled officer's refresh: %d %s", r.status, r.body)
	}
	if r := loginAs(e, "officer", "correct horse battery"); r.status != 401 {
		t.Errorf("disabled officer's login: %d %s", r.status, r.body)
	}
	// The list shows who is disabled.
	r = e.do("GET", "/api/v1/users", nil, "Authorization", admin)
	if r.status != 200 {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	seen := 0
	for _, u := range jsonArray(t, r.body) {
		want := u["username"] == "officer"
		if d, ok := u["disabled"].(bool); !ok || d != want {
			t.Errorf("listed %v: disabled should be %v", u, want)
		}
		seen++
	}
	if seen != 4 {
		t.Errorf("listed %d users, want 4", seen)
	}

	if r := e.patchUser(admin, "officer", map[string]any{"disabled": false}); r.status != 200 || r.json(t)["disabled"] != false {
		t.Fatalf("enable: %d %s", r.status, r.body)
	}
	again := loginAs(e, "officer", "correct horse battery")
	if again.status != 200 {
		t.Fatalf("login after enabling: %d %s", again.status, again.body)
	}
	if r := e.do("GET", "/api/v1/fines", nil, "Authorization", "Bearer "+again.json(t)["accessToken"].(string)); r.status != 200 {
		t.Errorf("enabled officer: %d %s", r.status, r.body)
	}
	// The family revoked while disabled stays dead after re-enabling.
	if r := e.do("POST", "/api/v1/auth/refresh", nil, "Cookie", cookie); r.status != 401 {
		t.Errorf("old refresh after enabling: %d %s", r.status, r.body)
	}
}

func TestAdminChangesRole(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	admin := e.login("root")
	officer := e.login("officer")
	fine := parkingFine(e, officer)
	id := fine["id"].(string)
	if r := e.do("POST", "/api/v1/fines/"+id+"/cancellation", map[string]string{"reason": "wrong plate"}, "Authorization", officer); r.status != 403 || r.code(t) != "forbidden" {
		t.Fatalf("officer cancels: %d %s", r.status, r.body)
	}
	r := e.patchUser(admin, "officer", map[string]any{"role": "supervisor"})
	if r.status != 200 {
		t.Fatalf("promote: %d %s", r.status, r.body)
	}
	if m := r.json(t); m["role"] != "supervisor" || m["disabled"] != false {
		t.Errorf("promote answer = %v", m)
	}
	// The same access token, whose claim still says officer, now cancels:
	// the role is the stored one.
	if r := e.do("POST", "/api/v1/fines/"+id+"/cancellation", map[string]string{"reason": "wrong plate"}, "Authorization", officer); r.status != 200 {
		t.Errorf("promoted officer cancels: %d %s", r.status, r.body)
	}
	// Demoting to finance takes issuing away on the next request too.
	if r := e.patchUser(admin, "officer", map[string]any{"role": "finance"}); r.status != 200 {
		t.Fatalf("demote: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/fines", map[string]any{"plate": "AB123CD"}, "Authorization", officer); r.status != 403 {
		t.Errorf("finance issues: %d %s", r.status, r.body)
	}
}

func TestAdminResetsPassword(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	admin := e.login("root")
	login := loginAs(e, "officer", "correct horse battery")
	cookie := refreshCookie(t, login)
	r := e.patchUser(admin, "officer", map[string]any{"password": "a brand new secret"})
	if r.status != 200 {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	if _, leaked := r.json(t)["password"]; leaked {
		t.Error("the answer echoes the password")
	}
	if r := loginAs(e, "officer", "correct horse battery"); r.status != 401 {
		t.Errorf("old password: %d %s", r.status, r.body)
	}
	if r := loginAs(e, "officer", "a brand new secret"); r.status != 200 {
		t.Errorf("new password: %d %s", r.status, r.body)
	}
	// A reset ends the sessions started with the old password.
	if r := e.do("POST", "/api/v1/auth/refresh", nil, "Cookie", cookie); r.status != 401 {
		t.Errorf("refresh after reset: %d %s", r.status, r.body)
	}
}

func TestLastAdminCannotBeRemoved(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	root := e.login("root")
	for _, body := range []map[string]any{{"disabled": true}, {"role": "supervisor"}, {"role": "finance", "disabled": true}} {
		if r := e.patchUser(root, "root", body); r.status != 409 || r.code(t) != "conflict" {
			t.Errorf("%v on the last admin: %d %s", body, r.status, r.body)
		}
	}
	if r := e.do("GET", "/api/v1/users", nil, "Authorization", root); r.status != 200 {
		t.Fatalf("the refused change must leave root an admin: %d %s", r.status, r.body)
	}
	// With a second admin, the first may step down; then the second is
	// the last one.
	if r := e.patchUser(root, "super", map[string]any{"role": "admin"}); r.status != 200 {
		t.Fatalf("promote super: %d %s", r.status, r.body)
	}
	if r := e.patchUser(root, "root", map[string]any{"disabled": true}); r.status != 200 {
		t.Fatalf("disable root with another admin: %d %s", r.status, r.body)
	}
	super := e.login("super")
	if r := e.patchUser(super, "super", map[string]any{"role": "officer"}); r.status != 409 || r.code(t) != "conflict" {
		t.Errorf("demote the new last admin: %d %s", r.status, r.body)
	}
	// Changing the last admin's password is no lock-out.
	if r := e.patchUser(super, "super", map[string]any{"password": "another long secret"}); r.status != 200 {
		t.Errorf("password of the last admin: %d %s", r.status, r.body)
	}
}

func TestUpdateUserRefusals(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	admin := e.login("root")
	for _, who := range []string{"officer", "super", "money"} {
		if r := e.patchUser(e.login(who), "officer", map[string]any{"disabled": true}); r.status != 403 || r.code(t) != "forbidden" {
			t.Errorf("%s patches: %d %s", who, r.status, r.body)
		}
	}
	if r := e.patchUser("", "officer", map[string]any{"disabled": true}); r.status != 401 || r.code(t) != "unauthorized" {
		t.Errorf("anonymous patch: %d %s", r.status, r.body)
	}
	for _, tc := range []struct {
		name, body, ctype string
		status            int
		code, field       string
	}{
		{"empty object", `{}`, "application/json", 422, "validation_failed", "body"},
		{"null fields", `{"role":null,"disabled":null}`, "application/json", 422, "validation_failed", "body"},
		{"unknown field", `{"disabled":true,"admin":true}`, "application/json", 422, "validation_failed", "admin"},
		{"username cannot change", `{"username":"boss"}`, "application/json", 422, "validation_failed", "username"},
		{"bad role", `{"role":"mayor"}`, "application/json", 422, "validation_failed", "role"},
		{"short password", `{"password":"short"}`, "application/json", 422, "validation_failed", "password"},
		{"disabled as string", `{"disabled":"yes"}`, "application/json", 422, "validation_failed", "disabled"},
		{"not JSON", `{"disabled":`, "application/json", 400, "invalid_json", ""},
		{"two objects", `{"disabled":true}{}`, "application/json", 400, "invalid_json", ""},
		{"array", `[]`, "application/json", 422, "validation_failed", ""},
		{"form", `disabled=true`, "application/x-www-form-urlencoded", 415, "unsupported_media_type", ""},
	} {
		r := e.do("PATCH", "/api/v1/users/officer", []byte(tc.body), "Authorization", admin, "Content-Type", tc.ctype)
		if r.status != tc.status || r.code(t) != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.status, r.body, tc.status, tc.code)
			continue
		}
		if tc.field != "" && !hasFieldError(r.json(t), tc.field) {
			t.Errorf("%s: no error for field %q in %s", tc.name, tc.field, r.body)
		}
	}
	// Nothing refused above changed the officer.
	if r := loginAs(e, "officer", "correct horse battery"); r.status != 200 || r.json(t)["user"].(map[string]any)["role"] != "officer" {
		t.Errorf("officer after refusals: %d %s", r.status, r.body)
	}
	for _, name := range []string{"nobody", "x", "UPPER%20CASE"} {
		if r := e.patchUser(admin, name, map[string]any{"disabled": true}); r.status != 404 || r.code(t) != "user_not_found" {
			t.Errorf("unknown user %q: %d %s", name, r.status, r.body)
		}
	}
}

func hasFieldError(m map[string]any, field string) bool {
	errs, _ := m["errors"].([]any)
	for _, fe := range errs {
		if f, _ := fe.(map[string]any); f != nil && f["field"] == field {
			return true
		}
	}
	return false
}

func jsonArray(t *testing.T, body []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("body is not a JSON array of objects: %v\n%s", err, body)
	}
	return out
}
