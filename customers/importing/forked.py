"""Run part of an import stage in a forked child process, on the second CPU core.

The child inherits the parent's loaded data copy-on-write, so it needs no
database access: it calls one function, writes the pickled return value to
a pipe and leaves with os._exit(), which skips every finalizer and atexit
handler. It never touches the parent's database connection, open files or
logging handlers. When the child fails in any way, ForkedCall.result()
returns FAILED and the caller does the child's part itself, so the outcome
never depends on whether the child worked. A child that sends nothing for
settings.IMPORT_CHILD_TIMEOUT_SECONDS while the parent waits for it counts
as failed, and is killed.
"""

import gc
import logging
import os
import pickle
import resource
import select
import signal
import time
import traceback

from django.conf import settings

logger = logging.getLogger(__name__)

# Returned by ForkedCall.result() when the child did not deliver a result.
FAILED = object()

# Set in tests only, and read only in the child, to make it fail on purpose.
# With "exit" the child exits with status 3 before it writes anything. With
# "truncate" it writes half of its pickled result and exits with status 0.
# With "hang" it sleeps for TEST_HANG_SECONDS before it writes anything.
# A ForkedWorker's child does so at its second request (see _serve_requests).
FAILURE_VARIABLE = "EBILLING_TEST_FORK_FAILURE"
TEST_FAILURE_EXIT_STATUS = 3
TEST_HANG_SECONDS = 3600


class _ChildTimedOut(Exception):
    """The child sent nothing for the timeout while the parent waited for it."""


def can_fork():
    """Return whether a forked child could run on a second CPU core: the
    platform has os.fork() and this process may use at least two CPUs."""
    if not hasattr(os, "fork"):
        return False
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) >= 2
    return (os.cpu_count() or 1) >= 2


class _ForkedChild:
    """The part that ForkedCall and ForkedWorker share: as a context
    manager, the child is killed and reaped when the parent leaves the
    block before it has reaped the child, such as when it raises."""

    pid = None
    _status = None
    _pipes = ()
    # Seconds the parent waits for the next bytes from the child, read from
    # the settings when the child is forked.
    timeout = None

    def _reap(self):
        if self._status is None:
            # Closing the pipes first makes a child that is still writing
            # get a broken pipe and exit instead of waiting for a reader.
            for pipe in self._pipes:
                try:
                    pipe.close()
                except BrokenPipeError:
                    pass
            _pid, self._status = os.waitpid(self.pid, 0)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self._status is None:
            # The parent raised before it collected the child's work, so
            # that work is no longer needed.
            os.kill(self.pid, signal.SIGKILL)
            self._reap()
        return False


class ForkedCall(_ForkedChild):
    """`function()` called in a forked child, whose return value the parent
    collects with result(). Use it as a context manager, so the child is
    killed and reaped when the parent's own part raises."""

    def __init__(self, function, description):
        self.description = description
        self.timeout = settings.IMPORT_CHILD_TIMEOUT_SECONDS
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
        self._pipes = (self._pipe,)

    def result(self):
        """Wait for the child and return its unpickled return value, or
        FAILED (logged as a warning) when it exited with a non-zero status,
        wrote no complete result or sent nothing for self.timeout seconds,
        and was then killed."""
        try:
            data = _read_to_end(self._pipe.fileno(), self.timeout)
        except _ChildTimedOut:
            os.kill(self.pid, signal.SIGKILL)
            self._reap()
            logger.warning(
                "Child process %s for %s sent nothing for %s s and was killed, so this process does its part instead.",
                self.pid, self.description, self.timeout,
            )
            return FAILED
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


def _run_child(function, write_fd):
    """Call `function`, write its pickled value to `write_fd` and exit.
    Never returns: any exception ends the child with status 1."""
    status = 1
    try:
        failure = os.environ.get(FAILURE_VARIABLE)
        if failure == "exit":
            status = TEST_FAILURE_EXIT_STATUS
            return
        if failure == "hang":
            time.sleep(TEST_HANG_SECONDS)
        data = pickle.dumps(function(), protocol=pickle.HIGHEST_PROTOCOL)
        if failure == "truncate":
            data = data[: len(data) // 2]
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(data)
        status = 0
    except BaseException:
        _write_traceback()
    finally:
        os._exit(status)


def _write_traceback():
    """Write the traceback of the exception being handled to standard
    error. The logging handlers belong to the parent, so the child writes
    to the file descriptor itself."""
    try:
        os.write(2, traceback.format_exc().encode("utf-8", "replace"))
    except OSError:
        pass


class ForkedWorker(_ForkedChild):
    """A forked child that calls `function(request)` for each request the
    parent sends with send(), in order, and returns each result through
    receive(). Use it as a context manager, so the child is killed and
    reaped when the parent raises, and call close() when done.

    Requests and results are pickled frames preceded by their length, so a
    child that dies part-way through a result is noticed. Once the child
    has failed, receive() returns FAILED (logged once as a warning) and
    send() does nothing. The caller then does the child's work itself. A
    child that sends nothing for self.timeout seconds while receive() or
    close() waits for it is killed and has failed too.
    """

    def __init__(self, function, description):
        self.description = description
        self.timeout = settings.IMPORT_CHILD_TIMEOUT_SECONDS
        self.failed = False
        request_read, request_write = os.pipe()
        result_read, result_write = os.pipe()
        gc.freeze()
        try:
            self.pid = os.fork()
        except OSError:
            gc.unfreeze()
            for fd in (request_read, request_write, result_read, result_write):
                os.close(fd)
            raise
        if self.pid == 0:
            os.close(request_write)
            os.close(result_read)
            _serve_requests(function, request_read, result_write)
        gc.unfreeze()
        os.close(request_read)
        os.close(result_write)
        self._requests = os.fdopen(request_write, "wb")
        self._results = os.fdopen(result_read, "rb")
        self._pipes = (self._requests, self._results)

    def send(self, request):
        """Send one request to the child, unless it has failed."""
        if self.failed:
            return
        try:
            _write_frame(self._requests, pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
        except BrokenPipeError:
            self._fail("stopped reading requests")

    def has_result(self):
        """Return whether receive() would return without waiting for the
        child to start its next result: a result has begun to arrive, the
        child has ended, or it has failed."""
        if self.failed:
            return True
        readable, _writable, _errors = select.select([self._results], [], [], 0)
        return bool(readable)

    def receive(self):
        """Return the result of the oldest request not yet received, or
        FAILED when the child failed before it wrote that result whole."""
        if self.failed:
            return FAILED
        try:
            data = _read_frame(self._results.fileno(), self.timeout)
        except _ChildTimedOut:
            self._fail(f"sent nothing for {self.timeout} s and was killed")
            return FAILED
        if data is None:
            self._fail("wrote no complete result")
            return FAILED
        try:
            return pickle.loads(data)
        except (pickle.UnpicklingError, EOFError, ValueError) as error:
            self._fail(f"wrote an invalid result ({len(data)} bytes: {error})")
            return FAILED

    def close(self):
        """Tell the child that no more requests follow and reap it. Returns
        the child's final report: its peak RSS in KiB and its CPU seconds,
        or None when it failed."""
        if self._status is not None:
            return None
        report = None
        try:
            self._requests.close()
        except BrokenPipeError:
            self.failed = True
        if not self.failed:
            try:
                data = _read_frame(self._results.fileno(), self.timeout)
            except _ChildTimedOut:
                self._fail(f"sent nothing for {self.timeout} s and was killed")
                return None
            if data is not None:
                report = pickle.loads(data)
        self._reap()
        exit_code = os.waitstatus_to_exitcode(self._status)
        if exit_code != 0 and not self.failed:
            self._warn(f"failed with exit code {exit_code}")
            return None
        return report

    def _fail(self, reason):
        self.failed = True
        os.kill(self.pid, signal.SIGKILL)
        self._reap()
        exit_code = os.waitstatus_to_exitcode(self._status)
        if exit_code not in (0, -signal.SIGKILL):
            reason = f"failed with exit code {exit_code}"
        self._warn(reason)

    def _warn(self, reason):
        logger.warning(
            "Child process %s for %s %s, so this process does the rest of its work instead.",
            self.pid, self.description, reason,
        )



# Each frame starts with its length in bytes, as 8 bytes, big-endian.
_FRAME_LENGTH_BYTES = 8


# The maximum number of bytes read from a pipe at a time. A Linux pipe
# buffers 64 KiB by default (pipe(7)).
_READ_BYTES = 1 << 20


def _write_frame(pipe, data):
    pipe.write(len(data).to_bytes(_FRAME_LENGTH_BYTES, "big"))
    pipe.write(data)
    pipe.flush()


def _read_frame(fd, timeout=None):
    """Return the next frame's data from the pipe `fd`, or None when the
    pipe ends before the frame does. Raises _ChildTimedOut when nothing
    arrives for `timeout` seconds (None waits for ever)."""
    header = _read_exactly(fd, _FRAME_LENGTH_BYTES, timeout)
    if header is None:
        return None
    return _read_exactly(fd, int.from_bytes(header, "big"), timeout)


def _read_exactly(fd, size, timeout):
    """Return the next `size` bytes from the pipe `fd`, or None when it
    ends before them. It reads no byte past them, so the pipe is never
    read through a buffer that select() cannot see."""
    data = bytearray()
    while len(data) < size:
        _wait_readable(fd, timeout)
        part = os.read(fd, min(size - len(data), _READ_BYTES))
        if not part:
            return None
        data += part
    return bytes(data)


def _read_to_end(fd, timeout):
    """Return everything the pipe `fd` sends until it ends. Raises
    _ChildTimedOut when nothing arrives for `timeout` seconds."""
    data = bytearray()
    while True:
        _wait_readable(fd, timeout)
        part = os.read(fd, _READ_BYTES)
        if not part:
            return bytes(data)
        data += part


def _wait_readable(fd, timeout):
    """Wait until the pipe `fd` has bytes to read or has ended. Raises
    _ChildTimedOut after `timeout` seconds (None waits for ever)."""
    readable, _writable, _errors = select.select([fd], [], [], timeout)
    if not readable:
        raise _ChildTimedOut


def _serve_requests(function, request_fd, result_fd):
    """Read each request frame from `request_fd` and write the pickled value
    of `function(request)` to `result_fd`, until the requests end, then
    write the final report (see ForkedWorker.close) and exit. Never
    returns: any exception ends the child with status 1.

    With the test failure variable set, the child returns the first result
    and fails on the second request. With "exit" it exits with
    TEST_FAILURE_EXIT_STATUS before it writes a result. With "truncate" it
    writes half of the result's frame and exits with status 0. With "hang"
    it sleeps for TEST_HANG_SECONDS before it handles the request.
    """
    status = 1
    try:
        failure = os.environ.get(FAILURE_VARIABLE)
        results = os.fdopen(result_fd, "wb")
        answered = 0
        while True:
            data = _read_frame(request_fd)
            if data is None:
                break
            if failure == "exit" and answered == 1:
                status = TEST_FAILURE_EXIT_STATUS
                return
            if failure == "hang" and answered == 1:
                time.sleep(TEST_HANG_SECONDS)
            result = pickle.dumps(function(pickle.loads(data)), protocol=pickle.HIGHEST_PROTOCOL)
            if failure == "truncate" and answered == 1:
                frame = len(result).to_bytes(_FRAME_LENGTH_BYTES, "big") + result
                results.write(frame[: len(frame) // 2])
                results.flush()
                status = 0
                return
            _write_frame(results, result)
            answered += 1
        usage = resource.getrusage(resource.RUSAGE_SELF)
        report = {"max_rss_kib": usage.ru_maxrss, "cpu_seconds": usage.ru_utime + usage.ru_stime}
        _write_frame(results, pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL))
        status = 0
    except BaseException:
        _write_traceback()
    finally:
        os._exit(status)
