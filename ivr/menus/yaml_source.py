"""Loading a menu's YAML text safely, with the problems PyYAML would hide or raise.

PyYAML keeps the last value of a key repeated in one mapping, without a word: a menu
author who pastes a second ``main:`` node silently loses the first. :func:`load_yaml`
reports every repeated key with its line instead, and turns everything PyYAML (or a
constructor inside it) can raise into a :class:`YamlInvalid` with a line and column.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ivr.menus.wording import N_, Text

MERGE_TAG = "tag:yaml.org,2002:merge"
SHOWN_KEY_CHARS = 40
# A menu of 500 nodes is a few thousand values; aliases may not make one much larger.
MAX_EXPANDED_VALUES = 100_000


@dataclass(frozen=True)
class SourceProblem:
    """A problem in the text itself. ``path`` is the dotted path of the mapping concerned."""

    path: str
    message: Text


class YamlInvalid(Exception):
    """The text is not one well-formed YAML document."""

    def __init__(self, problem: SourceProblem) -> None:
        super().__init__(problem)
        self.problem = problem

    def __str__(self) -> str:
        return f"{self.problem.path}: {self.problem.message}"


class MenuLoader(yaml.SafeLoader):
    """The safe loader: plain data only (no Python objects), from one document."""


class MenuDumper(yaml.SafeDumper):
    """Writes menus as :class:`MenuLoader` reads them: a value used twice is written twice."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def dump_yaml(document: object) -> str:
    """A menu mapping as readable YAML: document order, Chinese as it is, no aliases."""
    return yaml.dump(document, Dumper=MenuDumper, allow_unicode=True, sort_keys=False, width=100)


@dataclass(frozen=True)
class Loaded:
    data: object
    duplicates: list[SourceProblem]  # repeated keys; ``data`` holds the last value of each


def load_yaml(text: str) -> Loaded:
    """Parse ``text``; raise :class:`YamlInvalid` for anything that is not one YAML document."""
    loader = None
    try:
        loader = MenuLoader(text)  # its reader already rejects characters YAML disallows
        root = loader.get_single_node()
        if root is None:
            return Loaded(None, [])
        if _expanded_size(root, {}, set()) > MAX_EXPANDED_VALUES:
            # Aliases of aliases ("billion laughs"): small text, endless data to walk.
            message = N_("YAML 无效：别名展开后超过 %(n)d 个值", n=MAX_EXPANDED_VALUES)
            raise YamlInvalid(SourceProblem("(document)", message))
        duplicates = _duplicates(loader, root)
        return Loaded(loader.construct_document(root), duplicates)
    except yaml.MarkedYAMLError as error:
        raise YamlInvalid(SourceProblem("(document)", _marked_message(error))) from None
    except yaml.YAMLError as error:  # e.g. a reader error: a character YAML does not allow
        message = N_("YAML 无效：%(error)s", error=str(error))
        raise YamlInvalid(SourceProblem("(document)", message)) from None
    except RecursionError:
        message = N_("YAML 无效：列表或映射嵌套太深")
        raise YamlInvalid(SourceProblem("(document)", message)) from None
    except (ValueError, TypeError, OverflowError) as error:
        # Constructors raise these for values YAML's patterns accept but Python does not,
        # e.g. the date 2022-13-45 or an integer too long to convert.
        message = N_("YAML 里的值无效：%(error)s", error=str(error))
        raise YamlInvalid(SourceProblem("(document)", message)) from None
    finally:
        if loader is not None:
            loader.dispose()


def _expanded_size(node: Node, sizes: dict[int, int], path: set[int]) -> int:
    """How many values ``node`` stands for once every alias is written out in full.

    Each node is sized once (aliases share nodes); a node inside itself counts once.
    """
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in path:
        return 1
    path.add(key)
    size = 1
    if isinstance(node, MappingNode):
        for item_key, item_value in node.value:
            size += _expanded_size(item_key, sizes, path) + _expanded_size(item_value, sizes, path)
            if size > MAX_EXPANDED_VALUES:
                break
    elif isinstance(node, SequenceNode):
        for item in node.value:
            size += _expanded_size(item, sizes, path)
            if size > MAX_EXPANDED_VALUES:
                break
    path.discard(key)
    sizes[key] = size
    return size


# PyYAML's most common complaints, in the catalogue; any other is shown as PyYAML words it.
PYYAML_PROBLEMS = {
    "could not find expected ':'": N_("找不到应有的 ':'"),
    "mapping values are not allowed here": N_("这里不能有映射的值（多了一个 ':'？）"),
    "found character '\\t' that cannot start any token": N_("有制表符（Tab）：请用空格缩进"),
    "expected <block end>, but found '<block mapping start>'": N_("缩进不一致"),
    "found unexpected end of stream": N_("文本意外结束（引号没有配对？）"),
    "while scanning for the next token": N_("读取下一个记号时"),
    "while parsing a flow sequence": N_("读取 [...] 列表时"),
    "while parsing a flow mapping": N_("读取 {...} 映射时"),
    "while parsing a block mapping": N_("读取映射时"),
    "while scanning a simple key": N_("读取一个键时"),
    "while scanning a quoted scalar": N_("读取引号里的文字时"),
}


def _marked_message(error: yaml.MarkedYAMLError) -> Text:
    problem = _pyyaml_words(error.problem) if error.problem else N_("YAML 无效")
    mark = error.problem_mark
    if mark is None:
        message = N_("YAML 语法错误：%(problem)s", problem=problem)
    else:
        message = N_(
            "YAML 语法错误（第%(line)d行，第%(column)d列）：%(problem)s",
            line=mark.line + 1,
            column=mark.column + 1,
            problem=problem,
        )
    if not error.context:
        return message
    context, mark = _pyyaml_words(error.context), error.context_mark
    if mark is None:
        return N_("%(message)s（%(context)s）", message=message, context=context)
    return N_(
        "%(message)s（%(context)s，第%(context_line)d行，第%(context_column)d列）",
        message=message,
        context=context,
        context_line=mark.line + 1,
        context_column=mark.column + 1,
    )


def _pyyaml_words(text: str) -> Text | str:
    return PYYAML_PROBLEMS.get(text, text)


def _duplicates(loader: MenuLoader, root: Node) -> list[SourceProblem]:
    """Every key repeated within one mapping, in document order.

    Walks the composed node tree (rather than the constructed data) because only the tree
    still has both keys and their lines. Nodes shared through aliases are walked once.
    """
    problems: list[SourceProblem] = []
    stack: list[tuple[Node, str]] = [(root, "")]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        children: list[tuple[Node, str]] = []
        if isinstance(node, MappingNode):
            problems.extend(_repeated_keys(loader, node, path or "(document)"))
            children = [(value, _join(path, _key_text(key))) for key, value in node.value]
        elif isinstance(node, SequenceNode):
            children = [(item, _join(path, str(i))) for i, item in enumerate(node.value)]
        stack.extend(reversed(children))
    return problems


def _repeated_keys(loader: MenuLoader, node: MappingNode, path: str) -> list[SourceProblem]:
    problems = []
    first_line: dict[object, int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, ScalarNode) or key_node.tag == MERGE_TAG:
            continue  # merged keys may be overridden; complex keys fail construction later
        key = _key_identity(loader, key_node)
        line = key_node.start_mark.line + 1
        if key in first_line:
            message = N_(
                "键 '%(key)s' 重复了：第%(line)d行（第一次在第%(first)d行）",
                key=_key_text(key_node),
                line=line,
                first=first_line[key],
            )
            problems.append(SourceProblem(path, message))
        else:
            first_line[key] = line
    return problems


def _key_identity(loader: MenuLoader, key_node: ScalarNode) -> object:
    """The key as the constructed mapping will see it: ``1`` and ``0x1`` are one key."""
    try:
        key = loader.construct_object(key_node)
        hash(key)
        return key
    except Exception:  # construction reports it properly later
        loader.recursive_objects.pop(key_node, None)
        return (key_node.tag, key_node.value)


def _key_text(key_node: Node) -> str:
    if not isinstance(key_node, ScalarNode):
        return "?"
    text = str(key_node.value)
    return text if len(text) <= SHOWN_KEY_CHARS else text[: SHOWN_KEY_CHARS - 1] + "…"


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part
