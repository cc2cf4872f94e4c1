"""Errors the suite raises for bad input, each saying what was wrong and what is accepted."""


class DeepClaimsError(Exception):
    """Base class: a problem the user can fix (bad option, bad data file, bad config)."""


class ConfigError(DeepClaimsError, ValueError):
    """A configuration value is out of range or unknown."""


class DataFileError(DeepClaimsError):
    """A data file is missing, truncated, corrupt or inconsistent; the message names the file."""
