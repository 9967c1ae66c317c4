package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// moduleRoot finds the directory of Multa's go.mod from the working
// directory upwards: `go run ./bench` starts at the root, `go test` in
// bench/, and both must build the same service binary.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/multa/multa\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the go.mod of github.com/multa/multa above the working directory")
		}
		dir = parent
	}
}

// buildBinary compiles pkg (a path relative to the module root, like "."
// or "./bench/ceiling") into out. Extra flags (e.g. -race) are passed to
// go build before the package.
func buildBinary(ctx context.Context, root, pkg, out string, flags ...string) error {
	args := append([]string{"build", "-o", out}, flags...)
	args = append(args, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, stderr.String())
	}
	return nil
}

// freeAddr returns a loopback address with a port that was free a moment
// ago. The server binds it itself, so there is a small window in which
// another process could take it; startServer reports that clearly.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

// runCommand runs the binary with stdin and returns its combined output;
// used for `multa user add` and `multa ledger verify`.
func runCommand(ctx context.Context, bin, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// addUser creates a user offline, before the server holds the file: the
// service offers no other way to get a known password into a fresh
// database (the first admin's password is random).
func addUser(ctx context.Context, bin, db, name, role, password string) error {
	out, err := runCommand(ctx, bin, password+"\n", "user", "add", "--db", db, "--username", name, "--role", role)
	if err != nil {
		return fmt.Errorf("multa user add %s: %v: %s", name, err, out)
	}
	return nil
}

// proc is a service binary (multa or the ceiling) running as a child
// process on a loopback port.
type proc struct {
	Name string
	Addr string // host:port
	Base string // http://host:port
	cmd  *exec.Cmd
	log  string // path of the captured stdout+stderr
	done chan struct{}
	err  error // Wait's result, valid after done is closed
}

// startProc starts bin with args (the harness appends nothing), waits
// until GET base+health answers 200, and returns the running process. The
// process's output goes to logPath so that a failed start can show why.
func startProc(ctx context.Context, name, bin, addr, health, logPath string, env []string, args ...string) (*proc, error) {
	return startProcWait(ctx, 30*time.Second, name, bin, addr, health, logPath, env, args...)
}

// startProcWait is startProc waiting up to wait for the health check: a
// server opening a database of millions of fines reads the whole file at
// start (its damage check) and needs longer than one on a fresh file.
func startProcWait(ctx context.Context, wait time.Duration, name, bin, addr, health, logPath string, env []string, args ...string) (*proc, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{Name: name, Addr: addr, Base: "http://" + addr, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		lf.Close()
		close(p.done)
	}()
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(wait)
	for {
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s exited during start (%v):\n%s", name, p.err, p.LogTail(20))
		case <-ctx.Done():
			p.Kill()
			return nil, ctx.Err()
		default:
		}
		resp, err := hc.Get(p.Base + health)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.Kill()
			return nil, fmt.Errorf("%s did not answer %s within 30s:\n%s", name, health, p.LogTail(20))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Pid returns the process id, for reading its memory from /proc.
func (p *proc) Pid() int { return p.cmd.Process.Pid }

// Stop asks the process to shut down (SIGTERM, which multa answers by
// draining requests and closing the database) and waits for it; it kills
// the process if it takes longer than timeout.
func (p *proc) Stop(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.exitErr()
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.exitErr()
	case <-time.After(timeout):
		p.Kill()
		return fmt.Errorf("%s did not stop within %v after SIGTERM; killed", p.Name, timeout)
	}
}

// Kill ends the process at once with SIGKILL — no deferred code, no
// graceful close — as a power cut or the OOM killer would, and waits for
// the kernel to reap it so that its file lock is released.
func (p *proc) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *proc) exitErr() error {
	var ee *exec.ExitError
	if errors.As(p.err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled() {
		return nil // terminated by our signal
	}
	return p.err
}

// LogTail returns the last n lines of the process's output.
func (p *proc) LogTail(n int) string {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// RSS returns the process's resident set size in bytes (VmRSS) and its
// anonymous part (RssAnon: heap, stacks; without the mmapped database
// file, whose resident pages grow with use and are not a leak), from
// /proc/<pid>/status (Linux only).
func (p *proc) RSS() (total, anon int64, err error) {
	return rssOf(p.Pid())
}

func rssOf(pid int) (total, anon int64, err error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	found := 0
	for sc.Scan() {
		for _, field := range []struct {
			name string
			dst  *int64
		}{{"VmRSS:", &total}, {"RssAnon:", &anon}} {
			if v, ok := strings.CutPrefix(sc.Text(), field.name); ok {
				fields := strings.Fields(v) // "123456 kB"
				if len(fields) == 2 && fields[1] == "kB" {
					kb, err := strconv.ParseInt(fields[0], 10, 64)
					if err != nil {
						return 0, 0, err
					}
					*field.dst = kb << 10
					found++
				}
			}
		}
	}
	if found < 2 {
		return 0, 0, fmt.Errorf("no VmRSS or RssAnon in /proc/%d/status", pid)
	}
	return total, anon, nil
}

// cpuTime returns the user+system CPU time a process has used so far,
// from /proc/<pid>/stat (fields 14 and 15, in clock ticks).
func cpuTime(pid int) (time.Duration, error) {
	st, err := readStat(pid)
	if err != nil {
		return 0, err
	}
	return st.cpu, nil
}

// procStat is what the benchmarks read of /proc/<pid>/stat.
type procStat struct {
	ppid     int
	cpu      time.Duration // user + system (fields 14 and 15)
	children time.Duration // of the children it has waited for (16 and 17)
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	// The command name (field 2) may hold spaces; fields after it are
	// counted from its closing parenthesis.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	var v [5]int64
	for k, j := range []int{1, 11, 12, 13, 14} {
		if v[k], err = strconv.ParseInt(f[j], 10, 64); err != nil {
			return procStat{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
		}
	}
	const ticksPerSecond = 100 // USER_HZ on every Linux architecture Go supports
	tick := func(t int64) time.Duration { return time.Duration(t) * time.Second / ticksPerSecond }
	return procStat{ppid: int(v[0]), cpu: tick(v[1] + v[2]), children: tick(v[3] + v[4])}, nil
}

// familyCPU returns the CPU time used so far by process pid and its
// children: its own, every live child's, and that of the children it has
// waited for (a PostgreSQL backend is a child of the postmaster, in a
// session of its own, and ends with its connection; the postmaster waits
// for it, and the kernel adds its time to the postmaster's children's).
func familyCPU(pid int) (time.Duration, error) {
	leader, err := readStat(pid)
	if err != nil {
		return 0, err
	}
	total := leader.cpu + leader.children
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range ents {
		child, err := strconv.Atoi(e.Name())
		if err != nil || child == pid {
			continue
		}
		if st, err := readStat(child); err == nil && st.ppid == pid {
			total += st.cpu
		}
	}
	return total, nil
}

// machineBusy returns the CPU time every process on the machine has used
// since boot (all but idle and iowait), from the first line of /proc/stat.
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 8 || f[0] != "cpu" {
		return 0, errors.New("/proc/stat: unexpected format")
	}
	var busy int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 || i >= 8 { // idle, iowait; guest time is already in user
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, err
		}
		busy += n
	}
	const ticksPerSecond = 100
	return time.Duration(busy) * time.Second / ticksPerSecond, nil
}
