"""The errors bert_tf raises for bad input, under one base class.

`cli.run` prints a `BertTfError` (and absl's flag errors) as one line naming the
flag, file or setting and what was expected, with exit status 2. Anything else is a
bug: it keeps its traceback and exits 1. Each class also derives from the builtin
error it refines (ValueError, FileNotFoundError, ...), so callers that catch those
keep working.
"""

from __future__ import annotations


class BertTfError(Exception):
    """Bad input from the user: a flag, file, setting or data the run cannot use."""


class UsageError(BertTfError, ValueError):
    """Flags or run-directory settings that cannot be used together, or a bad value."""


class DataError(BertTfError, ValueError):
    """An input data file that is malformed, empty or does not fit the task."""


class MissingFileError(BertTfError, FileNotFoundError):
    """A file or directory the run needs does not exist."""
