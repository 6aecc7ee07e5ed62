//go:build !linux

package host

import (
	"os"
	"os/exec"
)

// command runs a plugin binary.
func command(path string) *exec.Cmd { return exec.Command(path) }

// killGroup does nothing where process groups are not used; go-plugin
// kills the plugin itself.
func killGroup(*exec.Cmd) {}

// owner is not checked on these systems.
func owner(os.FileInfo) (int, bool) { return 0, false }
