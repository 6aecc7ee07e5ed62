// Command okrmap-plugin-retail is the retail rule plugin for okrmap.
package main

import (
	"github.com/okrmap/okrmap/plugins/retail"
	"github.com/okrmap/okrmap/plugins/sdk"
)

func main() { sdk.Serve(&retail.Plugin{}) }
