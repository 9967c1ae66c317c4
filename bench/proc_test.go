package main

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestFamilyCPU runs a process that only forks and sleeps while a child
// burns CPU, the child exiting (the parent waits for it, as the
// postmaster does for a backend whose connection closed) or staying,
// in a session of its own as a backend is: familyCPU must count the burn
// either way.
func TestFamilyCPU(t *testing.T) {
	const burn = `i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done`
	for name, script := range map[string]string{
		"exited child": "setsid sh -c '" + burn + "'; sleep 60",
		"live child":   "setsid sh -c '" + burn + "; sleep 60' & sleep 60",
	} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command("sh", "-c", script)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pid := cmd.Process.Pid
			defer func() {
				// The child has a session of its own: the group's kill
				// does not reach it.
				ents, _ := os.ReadDir("/proc")
				for _, e := range ents {
					if c, err := strconv.Atoi(e.Name()); err == nil {
						if st, err := readStat(c); err == nil && st.ppid == pid {
							_ = syscall.Kill(c, syscall.SIGKILL)
						}
					}
				}
				_ = syscall.Kill(-pid, syscall.SIGKILL)
				_ = cmd.Wait()
			}()
			deadline := time.Now().Add(30 * time.Second)
			for {
				got, err := familyCPU(pid)
				if err != nil {
					t.Fatal(err)
				}
				own, err := cpuTime(pid)
				if err != nil {
					t.Fatal(err)
				}
				// The burn takes a few hundred ms of CPU; the parent's
				// own fork and sleep a few ms.
				if got-own >= 100*time.Millisecond {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("group CPU %v, the parent's own %v: the child's burn is missing", got, own)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
