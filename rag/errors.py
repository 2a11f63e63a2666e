"""The error hierarchy. Every message is one line: what went wrong, then what to do."""


class RagError(Exception):
    """Base class: the CLI prints it as one line and exits with ``exit_code``."""

    exit_code = 1


class InputError(RagError):
    """A file or argument the user gave cannot be used (missing, empty, binary, too big...)."""

    exit_code = 2


class ModelError(RagError):
    """A model is missing, corrupt, or cannot be loaded."""

    exit_code = 3


class StoreError(RagError):
    """The vector store cannot be opened or does not match the configured embedder."""

    exit_code = 4


class StoreMismatchError(StoreError):
    """The store was built with another embedder or chunking than the settings ask for."""


class SettingsError(RagError):
    """A settings file or value is invalid."""

    exit_code = 5
