package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// bin is the multa binary built once for the whole package.
var bin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "multa-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "multa")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		return 1
	}

	return m.Run()
}

var inputsOnce sync.Once

// markInputs tells go test's cache what the binary is built from, once per
// run; it must run inside a test (TestMain's opens are not recorded). The
// build happens in a child process the cache cannot see: opening every
// source file ties a cached pass to them, so a changed source reruns.
func markInputs(t *testing.T) {
	inputsOnce.Do(func() {
		if err := touchSources(".."); err != nil {
			t.Fatal(err)
		}
	})
}

// service is a running multa serve process.
type service struct {
	Base  string
	Admin string // the first admin's password, when this start created it
	DB    string
	cmd   *exec.Cmd
	mu    sync.Mutex
	out   bytes.Buffer
	done  chan struct{}
}

// adminPassword matches the line serve prints when it creates the admin.
var adminPassword = regexp.MustCompile(`admin / (\S+)`)

// start runs `multa serve` on a free loopback port with db (a fresh one
// in t.TempDir() when empty) and extra flags, and waits for /healthz.
// The port is free when chosen but another test binary may bind it
// before multa does: a start that fails on that alone is tried again on
// another port.
func start(t *testing.T, db string, args ...string) *service {
	t.Helper()
	markInputs(t)
	if db == "" {
		db = filepath.Join(t.TempDir(), "multa.db")
	}
	admin := "" // a failed attempt may have created the admin already
	for attempt := 1; ; attempt++ {
		s, err := launch(t, db, args)
		if m := adminPassword.FindStringSubmatch(s.output()); m != nil {
			admin = m[1]
		}
		if err == nil {
			s.Admin = admin
			return s
		}
		if attempt < 3 && errors.Is(err, errPortTaken) {
			t.Logf("attempt %d: %v", attempt, err)
			continue
		}
		t.Fatal(err)
	}
}

// errPortTaken is launch's error when multa could not bind its port.
var errPortTaken = errors.New("the port was taken before multa bound it")

// launch is one attempt of start. The service it returns holds the
// process's output even when the attempt failed.
func launch(t *testing.T, db string, args []string) (*service, error) {
	t.Helper()
	s := &service{DB: db, done: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return s, err
	}
	addr := ln.Addr().String()
	ln.Close()
	s.Base = "http://" + addr
	all := append([]string{"serve", "--addr", addr, "--db", db, "--psp-state-file", "memory", "--log-level", "warn", "--metrics-addr", "off"}, args...)
	s.cmd = exec.Command(bin, all...)
	// A test binary killed by its timeout must not leave servers behind.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	s.cmd.Stdout, s.cmd.Stderr = (*lockedWriter)(s), (*lockedWriter)(s)
	if err := s.cmd.Start(); err != nil {
		return s, err
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	hc := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(30 * time.Second); ; {
		select {
		case <-s.done:
			out := s.output()
			if strings.Contains(out, "address already in use") {
				return s, fmt.Errorf("%w (%s):\n%s", errPortTaken, addr, out)
			}
			return s, fmt.Errorf("multa exited during start:\n%s", out)
		default:
		}
		if resp, err := hc.Get(s.Base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return s, fmt.Errorf("multa did not answer within 30 s:\n%s", s.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(s.stop)
	return s, nil
}

type lockedWriter service

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.Write(p)
}

func (s *service) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// stop ends the process with SIGTERM (SIGKILL after 10 s) and waits.
func (s *service) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// freeAddr is a loopback address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// rss is the resident memory of the process in bytes, from /proc.
func (s *service) rss(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc status")
	return 0
}

// answer is an HTTP response read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a map, failing the test if it is not JSON.
func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("answer %d is not a JSON object: %v: %.300s", a.status, err, a.body)
	}
	return m
}

func (a answer) code(t *testing.T) string {
	t.Helper()
	c, _ := a.json(t)["code"].(string)
	return c
}

var client = &http.Client{Timeout: 30 * time.Second}

// call sends a request; body may be nil, a []byte, a string or a value to
// encode as JSON. hdr are header name/value pairs.
func (s *service) call(t *testing.T, method, path string, body any, hdr ...string) answer {
	t.Helper()
	a, err := s.try(method, path, body, hdr...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (s *service) try(method, path string, body any, hdr ...string) (answer, error) {
	var r io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	case string:
		r, ctype = strings.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return answer{}, err
		}
		r, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, s.Base+path, r)
	if err != nil {
		return answer{}, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}, err
}

// login returns an access token for user.
func (s *service) login(t *testing.T, user, password string) string {
	t.Helper()
	a := s.call(t, "POST", "/api/v1/auth/login", map[string]string{"username": user, "password": password})
	if a.status != 200 {
		t.Fatalf("login %s: %d %s", user, a.status, a.body)
	}
	tok, _ := a.json(t)["accessToken"].(string)
	return tok
}

// runCLI runs a multa command and returns its exit code and output.
func runCLI(t *testing.T, stdin string, args ...string) (int, string) {
	t.Helper()
	return runCLIWithin(t, time.Minute, stdin, args...)
}

// runCLIWithin is runCLI with a time limit, after which the command is
// killed (a server that should have refused to start).
func runCLIWithin(t *testing.T, limit time.Duration, stdin string, args ...string) (int, string) {
	t.Helper()
	markInputs(t)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// touchSources opens every source file the binary is built from. go test
// caches a result by the files the test opened, and the build below runs
// in a child process it does not see: without this, a changed server
// would replay a stale pass.
func touchSources(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "docs" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".mod", ".sum", ".js", ".css", ".html", ".json", ".ttf", ".txt", ".webmanifest":
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			f.Close()
		}
		return nil
	})
}
