"""Errors meant for people: what was wrong, where, and what is allowed."""


class NetsimError(Exception):
    """Base of the errors netsim reports without a traceback."""


class ScenarioError(NetsimError):
    """A scenario file is unreadable or breaks the scenario format.

    The message names the file, the key (dotted path) and what is allowed.
    """

    def __init__(self, path, key: str, problem: str):
        self.path, self.key, self.problem = str(path), key, problem
        where = f"{self.path}: " + (f"key '{key}': " if key else "")
        super().__init__(where + problem)
