"""User-facing error types: the CLI prints their message (no traceback) and exits with status 2."""


class DdartsError(Exception):
    """Base of errors caused by input (files, folders, options), not by a bug."""


class DataError(DdartsError):
    """A dataset is missing, unreadable or cannot be downloaded."""


class GenotypeError(DdartsError, ValueError):
    """A genotype file or object is malformed, unsafe or not buildable."""


class RunFolderError(DdartsError):
    """A run folder is missing, incomplete, of an unknown format version, or would be overwritten."""


class OutputError(DdartsError):
    """An output path is empty, or names something that must not be replaced (a device, a FIFO, a folder)."""


class LockedError(DdartsError):
    """Another live process is writing the same run folder."""


class DivergedError(DdartsError):
    """A loss became NaN or infinite: the run cannot continue with its configuration."""
