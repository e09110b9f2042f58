package main

import (
	"encoding/json"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// event is one JSON line on stdout. Wall is the wall clock (RFC 3339, UTC) and WallNs the same in
// Unix nanoseconds; MonoNs is CLOCK_MONOTONIC, the clock Node's process.hrtime reads, so a test can
// order these lines against its own observations and against other processes on the machine.
type event struct {
	Event    string `json:"event"`
	Identity string `json:"identity"`
	Lease    string `json:"lease"`
	Wall     string `json:"wall"`
	WallNs   int64  `json:"wallNs"`
	MonoNs   int64  `json:"monoNs"`
	Round    int    `json:"round,omitempty"`
	Leader   string `json:"leader,omitempty"`
	Pid      int    `json:"pid,omitempty"`
	Status   *int   `json:"status,omitempty"`
	Led      *bool  `json:"led,omitempty"`
	Message  string `json:"message,omitempty"`
}

var stdout = struct {
	sync.Mutex
	encoder *json.Encoder
}{encoder: json.NewEncoder(os.Stdout)}

// monotonicNs reads CLOCK_MONOTONIC (Go's time.Now hides its monotonic reading behind the process).
func monotonicNs() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}

// report stamps an event with both clocks and writes it as one line.
func report(e event) {
	now := time.Now()
	e.Wall = now.UTC().Format(time.RFC3339Nano)
	e.WallNs = now.UnixNano()
	e.MonoNs = monotonicNs()
	stdout.Lock()
	defer stdout.Unlock()
	_ = stdout.encoder.Encode(e)
}
