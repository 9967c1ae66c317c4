package notices

import "time"

// Role is what a back-office user may do.
type Role string

// Roles. A supervisor can do all an officer can, and cancel fines.
const (
	RoleOfficer    Role = "officer"
	RoleSupervisor Role = "supervisor"
	RoleFinance    Role = "finance"
	RoleAdmin      Role = "admin"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleOfficer, RoleSupervisor, RoleFinance, RoleAdmin:
		return true
	}
	return false
}

// CanIssue reports whether the role may issue and notify fines.
func (r Role) CanIssue() bool { return r == RoleOfficer || r == RoleSupervisor }

// User is a back-office account. PasswordHash is a slow KDF hash, never the
// password.
type User struct {
	Username     string    `json:"username"`
	Role         Role      `json:"role"`
	PasswordHash string    `json:"passwordHash"`
	CreatedAt    time.Time `json:"createdAt"`
	Disabled     bool      `json:"disabled,omitempty"`
}

// EnabledAdmin reports whether u can administer now: an admin, not
// disabled. A city must always keep one (UserChange).
func (u User) EnabledAdmin() bool { return u.Role == RoleAdmin && !u.Disabled }

// UserChange edits a user inside UserStore.UpdateUser's transaction.
// otherAdmins is the number of enabled admins other than the user, read in
// that transaction while every other UpdateUser waits, in this process and
// in any other sharing the database: a change may rely on it to keep the
// last admin, which a count taken before the transaction could not promise
// once two servers share one database.
type UserChange func(u *User, otherAdmins int) error

// RefreshToken is a stored refresh token. Only its hash is kept; tokens of
// one login share a Family, so the reuse of a rotated token can revoke all.
type RefreshToken struct {
	Hash      string    `json:"hash"`
	Username  string    `json:"username"`
	Family    string    `json:"family"`
	ExpiresAt time.Time `json:"expiresAt"`
	CreatedAt time.Time `json:"createdAt"`
	RotatedAt time.Time `json:"rotatedAt,omitzero"`
	RevokedAt time.Time `json:"revokedAt,omitzero"`
	// Successor is, once the token is rotated, its successor token sealed
	// by the auth service with a key the store never sees: any process
	// sharing the store can hand it out again during the grace period
	// (TokenRotation.Grace) without the token being readable at rest.
	Successor []byte `json:"successor,omitempty"`
}

// RotatedWithin reports whether t was rotated less than grace before at
// and is not revoked: a second use then is a client's retry (two tabs
// waking together, possibly on two servers), not theft.
func (t RefreshToken) RotatedWithin(at time.Time, grace time.Duration) bool {
	return !t.RotatedAt.IsZero() && t.RevokedAt.IsZero() && !at.Before(t.RotatedAt) && at.Sub(t.RotatedAt) < grace
}

// TokenRotation is the exchange of a refresh token for its successor
// (UserStore.RotateRefreshToken).
type TokenRotation struct {
	OldHash string
	// Next is the successor's record; its Family and Username default to
	// the old token's.
	Next RefreshToken
	// Successor is stored on the old token (RefreshToken.Successor).
	Successor []byte
	// At is the time of the rotation.
	At time.Time
	// Grace is how long after its rotation a use of the old token is
	// answered with EConflict alone instead of revoking its family.
	Grace time.Duration
}
