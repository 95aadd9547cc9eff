// Command tokenboard runs the tokenboard server and its operator commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	collectGarbageLessOften()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := NewMain(os.Stdin, os.Stdout, os.Stderr)
	if err := m.Run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tokenboard:", err)
		os.Exit(1)
	}
}

// defaultGCPercent is the garbage collector's target when GOGC is not set: the heap may grow to
// five times what is live before a collection, instead of Go's default of twice. The server's
// live heap is a few megabytes, so at the default the collector runs dozens of times a second
// under load, and with many connections open (each one's buffers are live) its share of the
// CPU doubles. At 400 an API request under 64 connections costs about a tenth less CPU for a
// peak heap still in the tens of megabytes (BENCHMARKS.md, "Latest figures").
const defaultGCPercent = 400

// collectGarbageLessOften sets defaultGCPercent unless the operator chose with GOGC.
func collectGarbageLessOften() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
}
