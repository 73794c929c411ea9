"""Bad input, in one place: every error the command line turns into one line and exit status 2."""


class UsageError(Exception):
    """Input that cannot be used (a value, a file, a folder): the message is one line naming what is wrong and
    what is expected. The command line prints it and exits 2; Python callers get it as an exception."""


class SpecError(UsageError, ValueError):
    """A spec field holds a value that is not allowed; the message names the field."""


class BundleError(UsageError, ValueError):
    """A folder that is not a readable run bundle, or one that may not be overwritten."""


class LearnerError(UsageError):
    """A learner's file or function cannot be checked: one line, plus their own traceback when they raised."""

    def __init__(self, message: str, trace: str = ""):
        super().__init__(message)
        self.trace = trace


class Terminated(KeyboardInterrupt):
    """SIGTERM (kill PID, a scheduler's or container's stop), handled as Ctrl-C is: what was being written is removed."""


def interrupted_status(e: KeyboardInterrupt) -> int:
    """The exit status of an interrupted command, as a shell reports a signal: 130 for Ctrl-C, 143 for SIGTERM."""
    return 143 if isinstance(e, Terminated) else 130
