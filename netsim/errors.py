"""Errors meant for people: what was wrong, where, and what is allowed."""


class NetsimError(Exception):
    """Base of the errors netsim reports without a traceback: one line, at most
    MAX_MESSAGE characters however long the input it quotes."""

    def __str__(self) -> str:
        return _clip(" ".join(super().__str__().split("\n")), MAX_MESSAGE)


MAX_MESSAGE = 800


class FileFormatError(NetsimError):
    """An input file is unreadable or breaks its format.

    The message names the file, the key (dotted path) and what is allowed.
    """

    def __init__(self, path, key: str, problem: str):
        # one readable line, whatever the input: long keys and values are cut
        self.path, self.key, self.problem = str(path), _clip(key, 120), _clip(problem, 400).replace("\n", " ")
        where = f"{self.path}: " + (f"key '{self.key}': " if key else "")
        super().__init__(where + self.problem)


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


# Limits of an input YAML file: its size, the nodes it expands to (aliases counted at
# every place they are used, so an "alias bomb" is refused before it is built) and how
# deep its lists and mappings nest.
MAX_YAML_BYTES = 64 * 1024 * 1024
MAX_YAML_NODES = 1_000_000
MAX_YAML_DEPTH = 64


def _loader_class():
    import yaml

    class StrictLoader(yaml.SafeLoader):
        """yaml.SafeLoader that refuses a key given twice in one mapping."""

        def construct_mapping(self, node, deep=False):
            seen = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    continue  # the base class reports unhashable keys
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {_short(key)} is given twice (first at line {seen[key] + 1}); "
                        "give each key once", key_node.start_mark)
                seen[key] = key_node.start_mark.line
            return super().construct_mapping(node, deep=deep)

    return StrictLoader


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _expanded_size(root) -> tuple[int, int]:
    """(nodes, depth) of a composed YAML graph with every alias expanded, computed without
    expanding it (each node's size is computed once)."""
    import yaml

    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in size and not done:
            continue
        children = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if not done:
            size[key] = -1  # in progress (a recursive alias refers back to it)
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in size)
            continue
        total, deepest = 1, 0
        for child in children:
            total += max(size.get(id(child), 1), 1)
            deepest = max(deepest, depth.get(id(child), 0))
            if total > MAX_YAML_NODES:
                break
        size[key], depth[key] = min(total, MAX_YAML_NODES + 1), deepest + 1
    return size[id(root)], depth[id(root)]


def read_yaml(path, error: type[FileFormatError]):
    """The parsed YAML of a file; unreadable files, text that is not UTF-8, YAML syntax
    errors, keys given twice and documents too large or too deep raise `error`."""
    import yaml

    try:
        with open(path, "rb") as f:
            data = f.read(MAX_YAML_BYTES + 1)
    except FileNotFoundError:
        raise error(path, "", "file not found") from None
    except IsADirectoryError:
        raise error(path, "", "is a folder; give a YAML file") from None
    except OSError as err:
        raise error(path, "", f"cannot read: {err.strerror or err}") from None
    if len(data) > MAX_YAML_BYTES:
        raise error(path, "", f"larger than {MAX_YAML_BYTES // 2**20} MiB; not a scenario or sweep file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise error(path, "", f"not UTF-8 text (byte {err.start} on line {line}); save the file as UTF-8") from None
    if "\x00" in text:
        raise error(path, "", "contains a NUL byte; not a YAML text file")
    loader = _loader_class()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        nodes, depth = _expanded_size(node)
        if nodes > MAX_YAML_NODES:
            raise error(path, "", f"expands to more than {MAX_YAML_NODES:,} YAML nodes (aliases counted where "
                                  "they are used); write the values out or use a smaller file")
        if depth > MAX_YAML_DEPTH:
            raise error(path, "", f"nests lists and mappings {depth} deep; at most {MAX_YAML_DEPTH} are allowed")
        return loader.construct_document(node)
    except RecursionError:
        raise error(path, "", f"nests lists and mappings too deeply; at most {MAX_YAML_DEPTH} levels are allowed") \
            from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise error(path, "", f"not valid YAML{where}: {_clip(str(getattr(err, 'problem', None) or err))}") \
            from None
    finally:
        loader.dispose()
