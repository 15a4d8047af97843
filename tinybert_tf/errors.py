"""The errors a user acts on. Each names the problem and the fix; the CLI prints them as one
line (`TinyBertError` is the one base it catches). Each module re-exports its own."""


class TinyBertError(Exception):
    """Base of every error whose message tells the user what to change."""


class CheckpointError(TinyBertError, ValueError):
    """A checkpoint that cannot be loaded as asked; the message names the problem and the fix."""


class TokenizerError(TinyBertError, ValueError):
    """Bad tokenizer input or files; the message names the problem and the fix."""


class DataError(TinyBertError, ValueError):
    """Bad data files or arguments; the message names the problem and the fix."""


class TrainingError(TinyBertError, RuntimeError):
    """Training went wrong in a way the user must act on (e.g. NaN loss)."""


class ExportError(TinyBertError, RuntimeError):
    """A model that cannot be exported as asked (Flex ops, unknown variant, failed validation)."""


class DeviceError(TinyBertError, RuntimeError):
    """No adb, no device, or the app did not produce results."""
