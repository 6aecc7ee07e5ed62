package cli

import (
	"bufio"
	"fmt"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// watchMemory stops okrmap with exit code 3 when its memory passes limit
// bytes (0: 80% of the machine's memory, or of its cgroup's limit; less
// than 0: no limit), before the kernel or the runtime kills it, which
// would exit with a signal or 2 (the code of input errors). Writes are
// transactions, so stopping changes nothing half. It also asks the garbage
// collector to work harder near the limit. stop ends the watch.
func watchMemory(limit int64, stderr *os.File) (stop func()) {
	if limit == 0 {
		limit = defaultMemoryLimit()
	}
	if limit <= 0 {
		return func() {}
	}
	debug.SetMemoryLimit(limit * 9 / 10)
	// A command's heap is mostly one plan's worth of values that live
	// until it ends. Collecting when the heap has tripled rather than
	// doubled made lint and audit of 100,000 KPIs 5-8% faster, for 3%
	// (lint) to 45% (apply) more peak memory. Past 1 GiB, on the way to a
	// million KPIs, the memory costs more than the time is worth, and the
	// collector goes back to doubling. GOGC, when set, decides instead.
	at200 := os.Getenv("GOGC") == "" // collecting at 200%
	if at200 {
		debug.SetGCPercent(200)
	}
	done := make(chan struct{})
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			metrics.Read(sample)
			used := int64(sample[0].Value.Uint64())
			if at200 && used > 1<<30 {
				debug.SetGCPercent(100)
				at200 = false
			}
			if used > limit {
				fmt.Fprintf(stderr, "okrmap: stopped: it used %d MiB of memory, over its limit of %d MiB (memory_limit); nothing was half written\n",
					used>>20, limit>>20)
				os.Exit(ExitInternal)
			}
		}
	}()
	return func() { close(done) }
}

// defaultMemoryLimit is 80% of the cgroup's memory limit or, without one,
// of the machine's memory; 0 when neither can be read.
func defaultMemoryLimit() int64 {
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 {
			return n / 5 * 4
		}
	}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb << 10 / 5 * 4
			}
		}
	}
	return 0
}
