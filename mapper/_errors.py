"""Exception and warning hierarchy of the mapper.

Whole-input problems raise one of these; row-level problems are data (a status column).
"""

from __future__ import annotations


class MapperError(Exception):
    """Root of every error the mapper raises on purpose."""


class SchemaError(MapperError, ValueError):
    """A frame does not have the columns, index or types a stage expects."""


class ConfigurationError(MapperError, ValueError):
    """A setting or option has a value the mapper cannot work with."""


class InputError(MapperError, ValueError):
    """An input file or table cannot be read as articles."""


class RefreshLocked(MapperError):
    """Another refresh of the same store holds its lock (``mapper refresh`` exits with 4)."""


class GazetteerUnavailable(MapperError, OSError):
    """A gazetteer backend could not be reached or answered with an error."""


class GazetteerRateLimited(GazetteerUnavailable):
    """A gazetteer backend refused the request for now.

    Parameters
    ----------
    message
        What happened.
    retry_after
        Seconds the service asked us to wait, when it said.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TimeZoneWarning(UserWarning):
    """A naive timestamp was read and taken as UTC."""
