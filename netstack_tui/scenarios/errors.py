"""What a scenario file's problems look like, and reading its bytes safely: light enough to import
before the first screen (the validating loader, with pydantic, is imported only when a file is new)."""

from __future__ import annotations

from pathlib import Path

from .safe_read import FileTooLarge, NotRegularFile, read_regular

MAX_FILE_BYTES = 1024 * 1024
"""A scenario is text for people; anything larger is a mistake."""


class ScenarioError(ValueError):
    """A scenario file that cannot be used; `str()` is the one-line message
    `FILE:LINE:COLUMN: FIELD: what is wrong` (line, column and field where known)."""

    def __init__(self, path: str, where: int | tuple[int, int | None] | None, field: str | None,
                 message: str) -> None:
        line, column = where if isinstance(where, tuple) else (where, None)
        self.path, self.line, self.column, self.field, self.message = path, line, column, field, message
        place = path if line is None else f"{path}:{line}" + (f":{column}" if column is not None else "")
        super().__init__(one_line(f"{place}: {field}: {message}" if field else f"{place}: {message}"))


_MAX_MESSAGE = 400


def one_line(text: str) -> str:
    """A message fit for one terminal line: controls shown as escapes, the length bounded."""
    if text.isprintable() and len(text) <= _MAX_MESSAGE:
        return text
    shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return shown if len(shown) <= _MAX_MESSAGE else shown[: _MAX_MESSAGE - 1] + "…"


def read_scenario_bytes(path: str | Path) -> bytes:
    """The file's bytes, refused in one line when it is missing, special (a device, a FIFO: never
    opened, they have no end) or over `MAX_FILE_BYTES` (whatever its size claims)."""
    name = str(path)
    try:
        return read_regular(path, MAX_FILE_BYTES)
    except FileNotFoundError:
        raise ScenarioError(name, None, None, "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(name, None, None, "this is a directory, not a scenario file") from None
    except PermissionError:
        raise ScenarioError(name, None, None, "permission denied") from None
    except NotRegularFile as exc:
        raise ScenarioError(name, None, None, f"this is {exc.kind}, not a scenario file") from None
    except FileTooLarge:
        raise ScenarioError(name, None, None, "the file is larger than 1 MiB; a scenario must be smaller") from None
    except OSError as exc:
        raise ScenarioError(name, None, None, f"cannot read it ({exc.strerror or exc})") from None
    except ValueError:  # a NUL in the path
        raise ScenarioError(name, None, None, "the file name holds a NUL character") from None
