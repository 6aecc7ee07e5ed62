package host

import (
	"os"
	"os/exec"
	"syscall"
)

// command runs a plugin binary in its own process group, so the plugin and
// anything it started are killed together (killGroup). The kernel also
// kills the plugin when okrmap dies, even by SIGKILL and even before the
// plugin calls sdk.Serve (whose own watch covers the other systems).
func command(path string) *exec.Cmd {
	cmd := exec.Command(path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	return cmd
}

// killGroup kills what is left of the plugin's process group.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// owner is a file's owner's user id.
func owner(info os.FileInfo) (int, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
