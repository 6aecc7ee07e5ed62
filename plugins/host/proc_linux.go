package host

import (
	"os/exec"
	"syscall"
)

// command runs a plugin binary. On Linux the kernel kills the plugin when
// okrmap dies, even by SIGKILL and even before the plugin calls sdk.Serve
// (whose own watch covers the other systems).
func command(path string) *exec.Cmd {
	cmd := exec.Command(path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}
