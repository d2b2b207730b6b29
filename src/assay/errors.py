"""Errors that end a command with a clear line instead of a traceback."""


class InputError(Exception):
    """The user's input cannot be worked on (exit code 2): the message is the whole story."""
