"""The peak resident memory of the calling Python process, for the bench's memory columns: the whole
process (interpreter, libraries, every thread), as getrusage(2) reports it."""
import resource
import sys


def peak_rss_kb():
    """Peak resident memory in kB (ru_maxrss is in kB on Linux, in bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak
