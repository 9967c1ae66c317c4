// Package pgtest starts a throw-away PostgreSQL cluster for tests: initdb
// in a temporary directory, the server on a free loopback port, as an
// unprivileged user when the tests run as root (PostgreSQL refuses root).
// One cluster serves a whole test binary (start it in TestMain with Main);
// each test gets a fresh database from NewDatabase.
//
// When PostgreSQL is not installed, tests that need it are skipped on a
// developer's machine and FAIL in CI (CI=true): a missing database must
// never turn the suite green by itself.
//
// PGTEST_SETTINGS adds server settings to every cluster started, for
// profiling: PGTEST_SETTINGS=shared_preload_libraries=pg_stat_statements.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options tune a cluster.
type Options struct {
	// Durable keeps fsync on, for measurements; tests default to fsync
	// off, which survives a crash of PostgreSQL (the OS keeps the pages)
	// but not of the machine, and is much faster on a shared disk.
	// synchronous_commit stays on in both cases: an acknowledged commit
	// has reached the kernel, so a killed server loses none.
	Durable bool
}

// Cluster is a running throw-away PostgreSQL server.
type Cluster struct {
	Dir  string // the temporary directory (data, socket, log)
	Port int
	bin  string
	cred *syscall.Credential
	opts Options

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited and been reaped
	dbs    atomic.Int64
}

// BinDir finds the directory of PostgreSQL's server programs: $PG_BIN,
// else the newest /usr/lib/postgresql/*/bin (Debian), else the PATH.
func BinDir() (string, error) {
	if d := os.Getenv("PG_BIN"); d != "" {
		return d, nil
	}
	if ms, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb"); len(ms) > 0 {
		return filepath.Dir(ms[len(ms)-1]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("PostgreSQL server programs (initdb, postgres) not found: apt-get install postgresql-15, or set PG_BIN")
}

// Start creates and starts a cluster. Stop it when done.
func Start(opts Options) (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "multa-pg-*")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, bin: bin, opts: opts}
	if os.Geteuid() == 0 {
		if c.cred, err = unprivileged(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if err := os.Chown(dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", c.dataDir(), "-U", "multa", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Pdeathsig: syscall.SIGKILL}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	// Another process (a parallel test binary) may take the free port
	// before the server binds it: try a few.
	for attempt := 0; ; attempt++ {
		if c.Port, err = freePort(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if err = c.StartServer(); err == nil {
			return c, nil
		}
		if attempt == 2 {
			c.Stop()
			return nil, err
		}
	}
}

// unprivileged returns the credentials to run PostgreSQL with when the
// tests run as root: the user multa-pg when it exists (.ci/run creates
// it), else nobody.
func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"multa-pg", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
	}
	return nil, errors.New("running as root and no unprivileged user (multa-pg or nobody) to run PostgreSQL as")
}

// Pid is the process id of the running server (the postmaster), 0 when
// it is stopped. Its backends and helper processes are its children, so
// a benchmark can count what the whole cluster used.
func (c *Cluster) Pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil || c.cmd.Process == nil {
		return 0
	}
	return c.cmd.Process.Pid
}

func (c *Cluster) dataDir() string { return filepath.Join(c.Dir, "data") }

// freePort asks the kernel for a free loopback port. Another process may
// take it before the server binds; StartServer then fails clearly.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// StartServer starts the server process (again, after StopServer or
// KillServer) and waits until it accepts connections. The server is a
// child of this process that dies with it, so a test killed midway
// leaves no server behind.
func (c *Cluster) StartServer() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd != nil {
		return errors.New("pgtest: server already running")
	}
	fsync := "off"
	if c.opts.Durable {
		fsync = "on"
	}
	logf, err := os.OpenFile(filepath.Join(c.Dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	args := []string{"-D", c.dataDir(),
		"-p", strconv.Itoa(c.Port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + c.Dir,
		"-c", "fsync=" + fsync, "-c", "synchronous_commit=on", "-c", "max_connections=200",
		"-c", "shared_buffers=64MB", "-c", "log_min_messages=warning"}
	// PGTEST_SETTINGS adds settings for profiling (space-separated
	// name=value, e.g. shared_preload_libraries=pg_stat_statements).
	for _, kv := range strings.Fields(os.Getenv("PGTEST_SETTINGS")) {
		args = append(args, "-c", kv)
	}
	cmd := exec.Command(filepath.Join(c.bin, "postgres"), args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start postgres: %w", err)
	}
	logf.Close()
	c.cmd = cmd
	exited := make(chan struct{})
	c.exited = exited
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			c.cmd = nil
			return fmt.Errorf("postgres exited at start: %s", c.logTail())
		default:
		}
		// Through the Unix socket in the cluster's own directory: the TCP
		// port could be answered by another test binary's cluster that
		// took it first, while this server is about to fail on it.
		// PostgreSQL creates that socket only after it has bound its TCP
		// port.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=multa dbname=postgres sslmode=disable", c.Dir, c.Port))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("postgres did not accept connections within 30s: %s", c.logTail())
}

func (c *Cluster) logTail() string {
	b, _ := os.ReadFile(filepath.Join(c.Dir, "server.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// StopServer shuts the server down fast (SIGINT: connections are ended,
// committed work is kept) and waits for it to exit.
func (c *Cluster) StopServer() error { return c.signal(syscall.SIGINT) }

// KillServer kills the server with SIGKILL, as a crash would; the next
// StartServer recovers from the WAL.
func (c *Cluster) KillServer() error { return c.signal(syscall.SIGKILL) }

func (c *Cluster) signal(sig syscall.Signal) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil {
		return nil
	}
	pid := c.cmd.Process.Pid
	if sig == syscall.SIGKILL {
		syscall.Kill(-pid, sig) // the whole group: backends too
	} else {
		c.cmd.Process.Signal(sig)
	}
	select {
	case <-c.exited:
	case <-time.After(60 * time.Second):
		syscall.Kill(-pid, syscall.SIGKILL)
		<-c.exited
	}
	c.cmd = nil
	// Backends orphaned by a SIGKILL of the postmaster exit on their own;
	// the lock file is what a restart checks, and it names a dead pid.
	return nil
}

// Stop stops the server and removes the directory.
func (c *Cluster) Stop() {
	c.StopServer()
	os.RemoveAll(c.Dir)
}

// URL is the connection URL of database db.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://multa@127.0.0.1:%d/%s?sslmode=disable", c.Port, db)
}

// CreateDatabase creates an empty database with a fresh name and
// returns its URL.
func (c *Cluster) CreateDatabase(ctx context.Context) (string, error) {
	name := fmt.Sprintf("t%d_%d", os.Getpid(), c.dbs.Add(1))
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return c.URL(name), nil
}

// shared is the cluster Main started for this test binary, or nil with
// why it could not start.
var (
	shared    *Cluster
	sharedErr error
)

// Main starts the binary's cluster, runs the tests and stops it; call it
// from TestMain as os.Exit(pgtest.Main(m)). In CI (CI=true) a cluster
// that cannot start fails the binary at once.
func Main(m *testing.M) int {
	shared, sharedErr = Start(Options{})
	if sharedErr != nil {
		if InCI() {
			fmt.Fprintln(os.Stderr, "pgtest: PostgreSQL cannot start, and CI=true requires it:", sharedErr)
			return 1
		}
		fmt.Fprintln(os.Stderr, "pgtest: PostgreSQL tests will be skipped:", sharedErr)
	}
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	return code
}

// InCI reports whether the tests run in CI, where skipping is failing.
func InCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1"
}

// Shared returns the binary's cluster, skipping the test (failing in CI)
// when there is none.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	if shared == nil {
		err := sharedErr
		if err == nil {
			err = errors.New("pgtest.Main was not called from TestMain")
		}
		if InCI() {
			t.Fatalf("PostgreSQL is required in CI: %v", err)
		}
		t.Skipf("PostgreSQL not available: %v", err)
	}
	return shared
}

// NewDatabase creates a fresh database on the binary's cluster and
// returns its URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	c := Shared(t)
	url, err := c.CreateDatabase(context.Background())
	if err != nil {
		t.Fatalf("create database: %v", err)
	}
	return url
}
