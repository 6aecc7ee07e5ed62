// Command okrmap maps KPIs to the objectives they should move and audits the
// mapping. See 'okrmap --help'.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/okrmap/okrmap/cmd/okrmap/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
