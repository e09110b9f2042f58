package main

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// guardedCommand is the work done only while leading: a process in a group of its own, so one
// signal reaches everything it started, with SIGKILL as its parent-death signal.
type guardedCommand struct {
	cmd    *exec.Cmd
	exited chan struct{}
	status int
}

// startCommand starts argv in a new process group. Linux sends the parent-death signal when the
// thread that forked the child dies, not the process: the goroutine that forks keeps its thread
// locked until the child has been reaped, so the Go runtime cannot retire that thread earlier.
// Pdeathsig reaches the child alone, never its descendants; stop() kills the whole group.
func startCommand(argv []string, env []string) (*guardedCommand, error) {
	g := &guardedCommand{exited: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		g.cmd = exec.Command(argv[0], argv[1:]...)
		g.cmd.Env = env
		g.cmd.Stdout = os.Stderr // stdout carries the JSON lines
		g.cmd.Stderr = os.Stderr
		g.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := g.cmd.Start(); err != nil {
			started <- err
			close(g.exited)
			return
		}
		started <- nil
		err := g.cmd.Wait()
		g.status = exitStatus(g.cmd.ProcessState, err)
		close(g.exited)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return g, nil
}

func (g *guardedCommand) pid() int { return g.cmd.Process.Pid }

// stop SIGKILLs the command's group and returns once no process of the group is left (the child
// reaped, and every descendant that stayed in the group gone).
func (g *guardedCommand) stop() {
	pgid := g.pid()
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-g.exited
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		// Descendants are reparented to init, which reaps them; until then the group still exists.
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
	report(event{Event: "error", Message: "the command's process group outlived SIGKILL for 10s"})
}

// exitStatus is the shell's convention: the exit code, or 128+N after signal N.
func exitStatus(state *os.ProcessState, err error) int {
	if state == nil {
		return 127
	}
	if status, ok := state.Sys().(syscall.WaitStatus); ok && status.Signaled() {
		return 128 + int(status.Signal())
	}
	if err != nil && state.ExitCode() < 0 {
		return 1
	}
	return state.ExitCode()
}
