// Command okrmap-plugin-saas is the saas rule plugin for okrmap. okrmap
// starts it; run by hand it says so and exits.
package main

import (
	"github.com/okrmap/okrmap/plugins/saas"
	"github.com/okrmap/okrmap/plugins/sdk"
)

func main() { sdk.Serve(&saas.Plugin{}) }
