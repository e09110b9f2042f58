// Command effects is the guarded work of the mixed-fleet tests: it appends one JSON line to a file
// shared by every participant at once on start and then every --every, until it is killed. Each
// line is a single write to a file opened with O_APPEND, so lines never interleave and their order
// in the file is the order in which they happened; overlap is judged from that order and the
// timestamps, never from what the participants say about themselves.
//
//	effects --file PATH [--who ID] [--every 10ms]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

type effect struct {
	Who    string `json:"who"`
	Pid    int    `json:"pid"`
	Term   *int64 `json:"term"`
	Seq    int    `json:"seq"`
	WallNs int64  `json:"wallNs"`
	MonoNs int64  `json:"monoNs"`
}

func main() {
	file := flag.String("file", "", "the shared effects file (required)")
	who := flag.String("who", firstSet(os.Getenv("LEASEHOLD_IDENTITY"), os.Getenv("ELECTION_IDENTITY")), "who acts (default $LEASEHOLD_IDENTITY, else $ELECTION_IDENTITY)")
	every := flag.Duration("every", 10*time.Millisecond, "time between two effects")
	flag.Parse()
	if *file == "" || *who == "" {
		fmt.Fprintln(os.Stderr, "effects: --file and --who are required")
		os.Exit(2)
	}
	out, err := os.OpenFile(*file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "effects:", err)
		os.Exit(1)
	}
	var term *int64
	if value, err := strconv.ParseInt(os.Getenv("LEASEHOLD_TERM"), 10, 64); err == nil {
		term = &value
	}
	for seq := 0; ; seq++ {
		var ts unix.Timespec
		_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
		line, _ := json.Marshal(effect{Who: *who, Pid: os.Getpid(), Term: term, Seq: seq, WallNs: time.Now().UnixNano(), MonoNs: ts.Nano()})
		if _, err := out.Write(append(line, '\n')); err != nil {
			fmt.Fprintln(os.Stderr, "effects:", err)
			os.Exit(1)
		}
		time.Sleep(*every)
	}
}

func firstSet(values ...string) string {
	for _, value := range values {
		if value != "" {
			return value
		}
	}
	return ""
}
