"""Run part of an import stage in a forked child process, on the second CPU core.

The child inherits the parent's loaded data copy-on-write, so it needs no
database access: it calls one function, writes the pickled return value to
a pipe and leaves with os._exit(), which skips every finalizer and atexit
handler. It never touches the parent's database connection, open files or
logging handlers. When the child fails in any way, ForkedCall.result()
returns FAILED and the caller does the child's part itself, so the outcome
never depends on whether the child worked.
"""

import gc
import logging
import os
import pickle
import signal
import traceback

logger = logging.getLogger(__name__)

# Returned by ForkedCall.result() when the child did not deliver a result.
FAILED = object()

# Set in tests only, and read only in the child, to make it fail on purpose.
# With "exit" the child exits with status 3 before it writes anything. With
# "truncate" it writes half of its pickled result and exits with status 0.
FAILURE_VARIABLE = "EBILLING_TEST_FORK_FAILURE"
TEST_FAILURE_EXIT_STATUS = 3


def can_fork():
    """Return whether a forked child could run on a second CPU core: the
    platform has os.fork() and this process may use at least two CPUs."""
    if not hasattr(os, "fork"):
        return False
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) >= 2
    return (os.cpu_count() or 1) >= 2


class ForkedCall:
    """`function()` called in a forked child, whose return value the parent
    collects with result(). Use it as a context manager, so the child is
    killed and reaped when the parent's own part raises."""

    def __init__(self, function, description):
        self.description = description
        read_fd, write_fd = os.pipe()
        # The garbage collector never scans frozen objects. So a collection
        # writes to fewer of the shared pages, which the kernel would then
        # copy, and the child never finalizes parent objects that were
        # already garbage when it was forked.
        gc.freeze()
        try:
            self.pid = os.fork()
        except OSError:
            gc.unfreeze()
            os.close(read_fd)
            os.close(write_fd)
            raise
        if self.pid == 0:
            os.close(read_fd)
            _run_child(function, write_fd)
        gc.unfreeze()
        os.close(write_fd)
        self._pipe = os.fdopen(read_fd, "rb")
        self._status = None

    def result(self):
        """Wait for the child and return its unpickled return value, or
        FAILED (logged as a warning) when it exited with a non-zero status
        or wrote no complete result."""
        try:
            data = self._pipe.read()
        finally:
            self._reap()
        exit_code = os.waitstatus_to_exitcode(self._status)
        if exit_code != 0:
            logger.warning(
                "Child process %s for %s failed with exit code %s, so this process does its part instead.",
                self.pid, self.description, exit_code,
            )
            return FAILED
        try:
            return pickle.loads(data)
        except (pickle.UnpicklingError, EOFError, ValueError) as error:
            logger.warning(
                "Child process %s for %s wrote an invalid result (%s bytes: %s), so this process does its part instead.",
                self.pid, self.description, len(data), error,
            )
            return FAILED

    def _reap(self):
        if self._status is None:
            # Closing the pipe first makes a child that is still writing get
            # a broken pipe and exit instead of waiting for a reader.
            self._pipe.close()
            _pid, self._status = os.waitpid(self.pid, 0)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self._status is None:
            # The parent's own part raised before it called result(), so
            # the child's work is no longer needed.
            os.kill(self.pid, signal.SIGKILL)
            self._reap()
        return False


def _run_child(function, write_fd):
    """Call `function`, write its pickled value to `write_fd` and exit.
    Never returns: any exception ends the child with status 1."""
    status = 1
    try:
        failure = os.environ.get(FAILURE_VARIABLE)
        if failure == "exit":
            status = TEST_FAILURE_EXIT_STATUS
            return
        data = pickle.dumps(function(), protocol=pickle.HIGHEST_PROTOCOL)
        if failure == "truncate":
            data = data[: len(data) // 2]
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(data)
        status = 0
    except BaseException:
        # The logging handlers belong to the parent, so the traceback goes
        # straight to standard error.
        try:
            os.write(2, traceback.format_exc().encode("utf-8", "replace"))
        except OSError:
            pass
    finally:
        os._exit(status)
