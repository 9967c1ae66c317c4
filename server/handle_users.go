package server

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/notices"
)

type userView struct {
	Username  string       `json:"username"`
	Role      notices.Role `json:"role"`
	CreatedAt *time.Time   `json:"createdAt,omitempty"`
	// Disabled is shown where admins manage accounts (the list and PATCH);
	// a session's user is never disabled, so it is left out there.
	Disabled *bool `json:"disabled,omitempty"`
}

type newUserRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

func (s *Server) createUser(c *fiber.Ctx) error {
	var req newUserRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.cfg.Auth.CreateUser(c.UserContext(), req.Username, req.Password, notices.Role(req.Role))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(userView{Username: u.Username, Role: u.Role})
}

func (s *Server) listUsers(c *fiber.Ctx) error {
	users, err := s.cfg.Store.Users(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]userView, len(users))
	for i, u := range users {
		out[i] = userView{Username: u.Username, Role: u.Role, CreatedAt: &users[i].CreatedAt, Disabled: &users[i].Disabled}
	}
	return c.JSON(out)
}

// updateUserRequest is the body of PATCH /users/:username. Pointers tell
// an absent field (keep) from a zero one (false, ""), which matters for
// disabled: false re-enables an account.
type updateUserRequest struct {
	Role     *string `json:"role"`
	Disabled *bool   `json:"disabled"`
	Password *string `json:"password"`
}

func (s *Server) updateUser(c *fiber.Ctx) error {
	var req updateUserRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Role == nil && req.Disabled == nil && req.Password == nil {
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: "body", Message: "give at least one of role, disabled and password"}}}
	}
	up := auth.UserUpdate{Disabled: req.Disabled, Password: req.Password}
	if req.Role != nil {
		r := notices.Role(*req.Role)
		up.Role = &r
	}
	// c.Params is only valid during the request; Clone since the name may
	// end up in an error that outlives it.
	p, err := s.cfg.Auth.UpdateUser(c.UserContext(), strings.Clone(c.Params("username")), up)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(userView{Username: p.Username, Role: p.Role, Disabled: &p.Disabled})
}
