"""Errors meant for people: what was wrong, where, and what is allowed."""


class NetsimError(Exception):
    """Base of the errors netsim reports without a traceback."""


class FileFormatError(NetsimError):
    """An input file is unreadable or breaks its format.

    The message names the file, the key (dotted path) and what is allowed.
    """

    def __init__(self, path, key: str, problem: str):
        self.path, self.key, self.problem = str(path), key, problem
        where = f"{self.path}: " + (f"key '{key}': " if key else "")
        super().__init__(where + problem)


def unknown_key(key, allowed) -> str:
    """'unknown key 'duraton_s'; did you mean 'duration_s'? allowed keys: ...' for a key
    that is not one of `allowed` (the suggestion only when one is close enough)."""
    import difflib

    allowed = [str(a) for a in allowed]
    close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.75)
    hint = f" did you mean {close[0]!r}?" if close else ""
    return f"unknown key {str(key)!r};{hint} allowed keys: " + ", ".join(allowed)


class ScenarioError(FileFormatError):
    """A scenario file is unreadable or breaks the scenario format."""


class SweepError(FileFormatError):
    """A sweep file is unreadable or breaks the sweep format; names the file and the key."""


def read_yaml(path, error: type[FileFormatError]):
    """The parsed YAML of a file; unreadable files and YAML syntax errors raise `error`."""
    import yaml

    try:
        return yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise error(path, "", "file not found") from None
    except OSError as err:
        raise error(path, "", f"cannot read: {err.strerror}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise error(path, "", f"not valid YAML{where}: {getattr(err, 'problem', err)}") from None
