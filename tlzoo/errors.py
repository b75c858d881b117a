"""User-facing errors: the CLI prints their message and exits non-zero, with no traceback."""


class TLZooError(Exception):
    """An error caused by the user's input or environment, with an actionable message."""


class DataNotFoundError(TLZooError):
    """The dataset files are not where the DataModule expects them."""
