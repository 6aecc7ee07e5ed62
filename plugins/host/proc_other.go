//go:build !linux

package host

import "os/exec"

// command runs a plugin binary.
func command(path string) *exec.Cmd { return exec.Command(path) }
