package testbuckets

import (
	"os/exec"
	"syscall"
)

// setDeathSignal kills the server if the test process dies without its
// cleanup running.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
