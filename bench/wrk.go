package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The harness's own net/http client costs more CPU per request than the
// server's verify, so on a 2-core machine it, not the server, sets the
// ceiling it measures (issue 16). wrk, an event-loop generator in C, costs
// a few µs per request: measured with it, the ceiling is Fiber's and the
// ratio is the server's. Both modes are kept: the Go client's numbers are
// comparable with older tables, wrk's are the honest ones.

// wrkConnections is the connection count of the wrk measurements: the
// issue's, and enough to keep both servers' event loops busy.
const wrkConnections = 64

// wrkScript picks a random NAV from a file for every request. The same
// script, the same file and the same flags drive our server and the bare
// Fiber ceiling, so both see byte-identical request streams. done prints
// one machine-readable line the harness parses: counts, the run's length
// and latency percentiles 1..100 in µs.
const wrkScript = `local navs = {}
for line in io.lines(%q) do navs[#navs + 1] = line end
math.randomseed(%d)
request = function()
  return wrk.format("GET", "/api/v1/notices/" .. navs[math.random(#navs)])
end
done = function(summary, latency, requests)
  local e = summary.errors
  local out = {"MULTA-WRK", summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status}
  for p = 1, 100 do out[#out + 1] = latency:percentile(p) end
  io.write(table.concat(out, " "), "\n")
end
`

// wrkTool is wrk's path and the script shared by every wrk measurement.
type wrkTool struct {
	bin    string
	script string
}

// findWrk returns wrk, installing the Debian package when it is missing
// and the harness runs as root (as on a fresh CI machine); otherwise it
// says how to install it.
func findWrk(ctx context.Context, logf func(string, ...any)) (string, error) {
	if p, err := exec.LookPath("wrk"); err == nil {
		return p, nil
	}
	if os.Geteuid() != 0 {
		return "", errors.New("wrk is not installed (Debian: apt-get install wrk); the wrk rows are skipped")
	}
	logf("installing wrk (apt-get install wrk)")
	for _, args := range [][]string{{"update", "-qq"}, {"install", "-y", "-qq", "--no-install-recommends", "wrk"}} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("apt-get %s: %v: %s", args[0], err, out)
		}
	}
	return exec.LookPath("wrk")
}

// newWrkTool writes the NAVs and the script into dir.
func newWrkTool(bin, dir string, navs []string) (*wrkTool, error) {
	list := filepath.Join(dir, "navs.txt")
	if err := os.WriteFile(list, []byte(strings.Join(navs, "\n")+"\n"), 0o644); err != nil {
		return nil, err
	}
	script := filepath.Join(dir, "random-nav.lua")
	if err := os.WriteFile(script, fmt.Appendf(nil, wrkScript, list, 2026), 0o644); err != nil {
		return nil, err
	}
	return &wrkTool{bin: bin, script: script}, nil
}

// run drives base with wrk -t1 -c conns for dur (whole seconds, at least
// one: wrk's resolution) and measures the server's CPU over the same
// window. wrk's own CPU is counted as the generator's. Latencies are the
// percentiles wrk reports, 1 to 100, so pooled slices give approximate
// pooled percentiles.
func (w *wrkTool) run(ctx context.Context, base string, conns int, dur time.Duration, meter cpuMeter) result {
	secs := max(1, int(dur.Round(time.Second)/time.Second))
	cmd := exec.CommandContext(ctx, w.bin, "-t1", fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", secs),
		"--timeout", "10s", "-s", w.script, base+"/api/v1/notices/")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	c0 := meter.read()
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	c := usage(c0, meter.read())
	if cmd.ProcessState != nil {
		c.Gen += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return result{Errors: 1, FirstErr: fmt.Errorf("wrk: %v: %s", err, strings.TrimSpace(errOut.String()))}
	}
	r, perr := parseWrk(out.Bytes())
	if perr != nil {
		return result{Errors: 1, FirstErr: perr}
	}
	if r.Elapsed <= 0 {
		r.Elapsed = elapsed
	}
	r.CPU = c
	return r
}

// parseWrk reads the line the script's done function prints.
func parseWrk(out []byte) (result, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 105 || f[0] != "MULTA-WRK" {
			continue
		}
		n := make([]int64, len(f)-1)
		for i, s := range f[1:] {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return result{}, fmt.Errorf("wrk output: %q: %v", s, err)
			}
			n[i] = int64(v)
		}
		reqs, durUS, sockErrs, status := n[0], n[1], n[2], n[3]
		r := result{Ops: reqs - status, Errors: sockErrs + status, Elapsed: time.Duration(durUS) * time.Microsecond}
		for _, us := range n[4:] {
			r.lat = append(r.lat, time.Duration(us)*time.Microsecond)
		}
		sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
		if r.Errors > 0 {
			r.FirstErr = fmt.Errorf("wrk: %d socket errors, %d answers not 2xx/3xx", sockErrs, status)
		}
		return r, nil
	}
	return result{}, fmt.Errorf("wrk printed no MULTA-WRK line: %s", strings.TrimSpace(string(out)))
}
