package pve

import (
	"fmt"
	"strings"
	"time"
)

// The errors WaitTask returns once it holds a UPID. A UPID means Proxmox
// forked the worker, so each of them says what is known about the work:
// failed (TaskFailedError), still running (TaskTimeoutError,
// TaskWaitStoppedError), or unknown (TaskUnknownError). All but a plain
// failure answer IsUnknownOutcome: the work may have been done.

// TaskFailedError is a task that stopped with an error exit status.
type TaskFailedError struct {
	UPID, ExitStatus string
	LogTail          []string // last lines of the task log (up to TailLines, each clipped)
	LogLines         int      // lines in the whole log; 0 when it could not be read
}

// Killed reports a worker that ended without writing its result (SIGKILL,
// a node restart): its work may be done in full, in part or not at all.
func (e *TaskFailedError) Killed() bool { return e.ExitStatus == "unexpected status" }

// OutcomeUnknown joins IsUnknownOutcome for a killed worker.
func (e *TaskFailedError) OutcomeUnknown() bool { return e.Killed() }

func (e *TaskFailedError) Error() string {
	msg := fmt.Sprintf("task %s failed: %s", e.UPID, e.ExitStatus)
	if e.Killed() {
		msg += " (its worker ended without reporting a result: killed, or the node restarted)"
	}
	if len(e.LogTail) > 0 {
		if e.LogLines > len(e.LogTail) {
			msg += fmt.Sprintf("\nlast %d of %d log lines:", len(e.LogTail), e.LogLines)
		}
		msg += "\n" + strings.Join(e.LogTail, "\n")
	}
	return msg
}

// TaskTimeoutError means WaitTask stopped waiting after WaitOptions.Timeout
// while the task was running; the task itself goes on.
type TaskTimeoutError struct {
	UPID   string
	Waited time.Duration
}

// OutcomeUnknown joins IsUnknownOutcome: the task may still do its work.
func (e *TaskTimeoutError) OutcomeUnknown() bool { return true }

func (e *TaskTimeoutError) Error() string {
	return fmt.Sprintf("task %s did not finish within %v; it is still running in Proxmox",
		e.UPID, e.Waited.Round(time.Millisecond))
}

// TaskWaitStoppedError means the caller's context ended the wait (a
// cancelled call, a shutdown). The task goes on in Proxmox.
type TaskWaitStoppedError struct {
	UPID string
	// Running: the last status read showed the task running. False when no
	// read had succeeded yet, or the last one failed.
	Running bool
	Err     error // the context's error
}

func (e *TaskWaitStoppedError) Error() string {
	if e.Running {
		return fmt.Sprintf("stopped waiting for task %s (%v); it was still running at the last check and goes on in Proxmox", e.UPID, e.Err)
	}
	return fmt.Sprintf("stopped waiting for task %s (%v) before its state could be read; Proxmox started it, so it may be running or done", e.UPID, e.Err)
}

func (e *TaskWaitStoppedError) Unwrap() error { return e.Err }

// OutcomeUnknown joins IsUnknownOutcome: the task may still do its work.
func (e *TaskWaitStoppedError) OutcomeUnknown() bool { return true }

// TaskUnknownError means the task was started but how it ended could not be
// learnt: its status reads failed for good, or the node forgot the task.
type TaskUnknownError struct {
	UPID string
	// Gone: the node answers "no such task" (its log was removed, or the
	// UPID's node is not the one that ran it); the task status cannot tell
	// any more, only the state of what the task worked on.
	Gone bool
	Err  error
}

func (e *TaskUnknownError) Error() string {
	if e.Gone {
		return fmt.Sprintf("how task %s ended is unknown: the node no longer knows this task (removed, or the node restarted): %v", e.UPID, e.Err)
	}
	return fmt.Sprintf("how task %s ended is unknown: its status could not be read: %v", e.UPID, e.Err)
}

func (e *TaskUnknownError) Unwrap() error { return e.Err }

// OutcomeUnknown joins IsUnknownOutcome.
func (e *TaskUnknownError) OutcomeUnknown() bool { return true }
