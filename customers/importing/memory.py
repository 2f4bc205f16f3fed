"""Return freed heap memory to the operating system between import stages.

glibc keeps freed heap memory for reuse, so a process's resident size stays
at its high point after large temporary data is gone: the reader's sheet
grid (python-calamine), the region list. The import calls
release_free_memory() after such a stage, so the next stage's data does not
stack on top of memory that is no longer used.
"""

import ctypes
import ctypes.util


def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    # Only glibc has it; with another C library this module does nothing.
    return getattr(libc, "malloc_trim", None)


_MALLOC_TRIM = _malloc_trim()


def release_free_memory():
    """Ask glibc to return the free parts of its heap to the operating system."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
