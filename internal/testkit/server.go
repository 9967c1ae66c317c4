package testkit

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/psp"
	"github.com/multa/multa/server"
)

// User is an account a test server starts with; its password is Password.
type User struct {
	Name string
	Role notices.Role
}

// Users are the accounts NewServer creates, one per role.
var Users = []User{{"officer", notices.RoleOfficer}, {"super", notices.RoleSupervisor}, {"money", notices.RoleFinance}, {"root", notices.RoleAdmin}}

// Server is one real server on 127.0.0.1 over a Store, with the sandbox
// provider mounted and the Users created.
type Server struct {
	URL      string
	Clock    *Clock
	Store    *Store
	Auth     *auth.Service
	Sandbox  *psp.Sandbox
	Settings notices.Settings
	// Key signs access tokens; tests forge tokens with it.
	Key    []byte
	Server *server.Server
}

// NewSandbox is the sandbox provider on clock's time.
func NewSandbox(t testing.TB, clock *Clock) *psp.Sandbox {
	t.Helper()
	sb, err := psp.NewSandbox(psp.SandboxOptions{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return sb
}

// MetricsToken is the scrape token of test servers: without one the API's
// listener does not serve /metrics.
const MetricsToken = "test-metrics-token"

// NewServer starts a server whose clock is stopped at now, with Users.
// configure, when not nil, changes the configuration before the server is
// built.
func NewServer(t testing.TB, now time.Time, configure func(*server.Config)) *Server {
	t.Helper()
	return StartServer(t, ServerOptions{Clock: NewClock(now), Configure: configure})
}

// ServerOptions are StartServer's choices; the zero value is a stopped
// clock at the real time of the call and the accounts of Users.
type ServerOptions struct {
	Clock     *Clock
	Users     []User
	Configure func(*server.Config)
}

// StartServer starts a server on 127.0.0.1 over a NewStore with the
// sandbox provider mounted and the accounts created. It shuts down at
// cleanup, before the store is checked and closed.
func StartServer(t testing.TB, o ServerOptions) *Server {
	t.Helper()
	clk := o.Clock
	if clk == nil {
		clk = NewClock(time.Now())
	}
	users := o.Users
	if users == nil {
		users = Users
	}
	st := NewStore(t, clk)
	sb := NewSandbox(t, clk)
	key := bytes.Repeat([]byte{7}, 32)
	acc, err := auth.NewService(st, key, auth.Options{Now: clk.Now, Params: CheapArgon})
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{
		Store: st, Settings: Milan, Auth: acc, Provider: sb, Sandbox: sb,
		PublicURL: "https://multe.example.it", Now: clk.Now, SecureCookies: true, MetricsToken: MetricsToken,
	}
	if o.Configure != nil {
		o.Configure(&cfg)
	}
	srv := server.New(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		// Browsers keep connections open: give them time to go.
		ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	for _, u := range users {
		if _, err := acc.CreateUser(context.Background(), u.Name, Password, u.Role); err != nil {
			t.Fatal(err)
		}
	}
	return &Server{URL: "http://" + ln.Addr().String(), Clock: clk, Store: st, Auth: acc, Sandbox: sb,
		Settings: cfg.Settings, Key: key, Server: srv}
}
