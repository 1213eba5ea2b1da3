"""Property: every graph document, however broken or hostile, yields a valid Plan or GraphInvalid.

Each strategy family below builds document *text* (YAML or JSON, as a user's file would hold it)
or mutates the real examples; `plan_outcome` parses and plans it and accepts exactly two endings:
a Plan whose nodes are keyed and ordered, or GraphInvalid whose issues are ValidationIssues with
text code and message, printable as JSON. Anything else (a TypeError, a RecursionError, a hang) is
a bug. REELGRAPH_FUZZ_EXAMPLES sets the examples per family (default 300); `python -m bench.fuzz`
runs all families for at least 10,000 cases.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reelgraph.graph import GraphInvalid, Plan, ValidationIssue, parse_text, plan_document
from reelgraph.nodes import default_registry
from tests.conftest import REPO, reelgraph_cli

FUZZ_EXAMPLES = int(os.environ.get("REELGRAPH_FUZZ_EXAMPLES", "300"))
EXAMPLES_DIR = REPO / "examples"
# Graph documents only: a storyboard (`storyboard: 1`) compiles into one (`reelgraph storyboard`).
EXAMPLE_TEXTS = {path.name: path.read_text() for path in sorted(EXAMPLES_DIR.glob("*.yaml"))
                 if not re.search(r"^storyboard:", path.read_text(), re.MULTILINE)}


@dataclass(frozen=True)
class Case:
    """One fuzzed document: its text, the file name it would have, and which workspace it reads."""

    text: str
    filename: str = "graph.yaml"
    in_examples: bool = False  # plan against examples/ (its assets, models and catalogs)


@pytest.fixture(scope="module", autouse=True)
def signing_key(tmp_path_factory):
    """The examples sign their videos: validation needs a key, as `reelgraph keys init` makes."""
    from reelgraph.nodes.provenance.credentials import create_local_ca

    paths = create_local_ca(tmp_path_factory.mktemp("keys"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REELGRAPH_C2PA_KEY", str(paths["key"]))
        patch.setenv("REELGRAPH_C2PA_CERT", str(paths["chain"]))
        yield


def make_workspace() -> Path:
    """A workspace holding real files and traps: a folder, a FIFO (hashing it would block
    forever), a symlink leaving the workspace, a catalog that is really an image."""
    root = Path(tempfile.mkdtemp(prefix="reelgraph-fuzz-"))
    shutil.copytree(EXAMPLES_DIR / "assets", root / "assets")
    shutil.copytree(EXAMPLES_DIR / "campaign", root / "campaign")
    (root / "folder").mkdir()
    (root / "notes.txt").write_text("plain text, not an image\n")
    os.mkfifo(root / "pipe")
    (root / "escape").symlink_to("/etc")
    return root


def plan_outcome(case: Case, workspace: Path) -> Plan | GraphInvalid:
    """Parse and plan; return the Plan or the GraphInvalid. Any other exception propagates."""
    try:
        raw = parse_text(case.text, filename=case.filename)
        plan = plan_document(raw, workspace_root=EXAMPLES_DIR if case.in_examples else workspace)
    except GraphInvalid as error:
        assert error.issues, "GraphInvalid without issues"
        for issue in error.issues:
            assert isinstance(issue, ValidationIssue)
            assert isinstance(issue.code, str) and re.fullmatch(r"[a-z_]+", issue.code), issue
            assert isinstance(issue.message, str) and issue.message, issue
            json.dumps(issue.to_json(), ensure_ascii=False).encode("utf-8")  # the CLI prints it
        return error
    assert isinstance(plan, Plan) and plan.nodes
    seen: set[str] = set()
    for node in plan.nodes.values():
        assert re.fullmatch(r"[0-9a-f]{64}", node.cache_key)
        assert node.upstream_ids <= seen, f"{node.id} is planned before its upstream nodes"
        seen.add(node.id)
    return plan


# --- building blocks ---------------------------------------------------------------------------

NODE_TYPES = default_registry().names()
ODD_TEXT = [
    "", " ", "\u200f", "\u202e\u0644\u0627", "\x00", "\ud800", "\udfff", "\U0001f3ac\U0001f1ea\U0001f1f8",
    "e\u0301\u0301\u0301", "\ufeff", "\u200b", "\n\r\t", "${locale}", "$${locale}", "${", "${}", "${no such}",
    "{text.__class__}", "{__import__('os')}", "../../etc/passwd", "/etc/passwd", "~", "null", "yes", "no",
    "1e309", "a" * 300, "\\", "'\"", "%s%n", "<script>", "\U000e0041", "\x1b[31m",
]
PATHS = ["assets/coffee.png", "assets/rocket.png", "folder", "pipe", "escape/passwd", "notes.txt", "../x.png",
         "/etc/passwd", "", ".", "a" * 5000, "a/" * 3000, "campaign/ar.po", "campaign/es.xlf",
         "campaign/script.yaml", "missing.png", "assets/../assets/chelsea.png"]
HUGE_NUMBERS = [1e308, -1e308, 2**200, -(2**200), 2**63, 2**64 + 1, float("inf"), float("-inf"), float("nan"),
                5e-324, -0.0, 10**3000, 0, -1, 1.5]

odd_text = st.sampled_from(ODD_TEXT) | st.text(st.characters(categories=["Cs", "Cc", "Cf", "Mn", "So", "Lo"]),
                                              max_size=12)
plain_text = st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=8)
any_text = st.one_of(plain_text, odd_text, st.sampled_from(NODE_TYPES), st.sampled_from(PATHS), st.text(max_size=20))
numbers = st.sampled_from(HUGE_NUMBERS) | st.integers() | st.floats()
scalars = st.one_of(st.none(), st.booleans(), numbers, any_text)
json_values = st.recursive(
    scalars, lambda children: st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4),
    max_leaves=16)


def to_text(value, as_json: bool) -> Case:
    """Serialize the way a user's file would be written; NaN, infinities and surrogates included."""
    if as_json:
        return Case(json.dumps(value, allow_nan=True, default=str), "graph.json")
    try:
        return Case(yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=10**6), "graph.yaml")
    except (yaml.YAMLError, UnicodeError, ValueError):  # YAML cannot write some strings: JSON is YAML
        return Case(json.dumps(value, allow_nan=True, default=str), "graph.yaml")


def valid_documents() -> list[dict]:
    """Small valid documents over the fuzz workspace's files: the bases that mutations break."""
    return [
        {"reelgraph": 1, "name": "values", "nodes": {
            "a": {"type": "util.value", "params": {"value": 3}},
            "b": {"type": "util.noop", "inputs": {"value": "a.value"}, "params": {"label": "x"}}}},
        {"reelgraph": 1, "name": "hello", "matrix": {"locale": ["en", "es"]}, "nodes": {
            "photos": {"type": "image.load", "params": {"paths": ["assets/coffee.png"]}},
            "thumb": {"type": "image.resize", "inputs": {"image": "photos.image"},
                      "params": {"width": 64, "height": 48, "fit": "cover"}},
            "caption": {"type": "text.template",
                        "params": {"template": "{greeting} in {locale}",
                                   "values": {"greeting": "Hi", "locale": "${locale}"}}}}},
        {"reelgraph": 1, "name": "film", "nodes": {
            "photos": {"type": "image.load", "params": {"paths": ["assets/coffee.png", "assets/rocket.png"]}},
            "camera": {"type": "camera.move", "inputs": {"images": "photos.images"},
                       "params": {"path": [{"zoom": 1.0}, {"zoom": 1.2, "pan": [0.1, 0]}], "seconds": 2,
                                  "fps": 12, "width": 64, "height": 64}},
            "smooth": {"type": "frames.interpolate", "inputs": {"frames": "camera.frames"},
                       "params": {"target_fps": 24}},
            "big": {"type": "frames.upscale", "inputs": {"frames": "smooth.frames"},
                    "params": {"method": "lanczos", "width": 128, "height": 128}},
            "video": {"type": "video.encode", "inputs": {"frames": "big.frames"}}}},
    ]


def paths_in(value, prefix: tuple = ()) -> list[tuple]:
    """Every key path in a document (the root excluded)."""
    found = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in items:
        found.append(prefix + (key,))
        found.extend(paths_in(child, prefix + (key,)))
    return found


def replaced(document, path: tuple, new_value):
    document = json.loads(json.dumps(document))  # a deep copy of a JSON tree
    target = document
    for key in path[:-1]:
        target = target[key]
    if new_value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = new_value
    return document


_DELETE = object()


@st.composite
def broken_at_some_path(draw, values: st.SearchStrategy, bases: Callable[[], list[dict]] = valid_documents):
    """A valid document with the value at one random path replaced (or deleted)."""
    base = draw(st.sampled_from(bases()))
    path = draw(st.sampled_from(paths_in(base)))
    new_value = draw(values | st.just(_DELETE))
    return to_text(replaced(base, path, new_value), draw(st.booleans()))


# --- the strategy families ---------------------------------------------------------------------

@st.composite
def random_structures(draw):
    """Random values for every top-level field, random node specs, or no mapping at all."""
    node_spec = st.fixed_dictionaries(
        {}, optional={"type": st.sampled_from(NODE_TYPES) | any_text, "params": json_values,
                      "inputs": st.dictionaries(any_text, any_text | json_values, max_size=3),
                      "extra": json_values})
    document = draw(st.fixed_dictionaries({}, optional={
        "reelgraph": st.just(1) | scalars, "name": any_text | json_values, "description": json_values,
        "matrix": json_values, "nodes": st.dictionaries(any_text, node_spec | json_values, max_size=5),
        "other": json_values}) | json_values)
    return to_text(document, draw(st.booleans()))


def wrong_types():
    return broken_at_some_path(json_values)


@st.composite
def huge_numbers(draw):
    """Huge, tiny, infinite and NaN numbers anywhere, also as YAML and JSON tokens (.inf, NaN, 1e999)."""
    if draw(st.booleans()):
        return draw(broken_at_some_path(st.sampled_from(HUGE_NUMBERS) | numbers))
    token = draw(st.sampled_from([".inf", "-.inf", ".nan", ".NaN", "1e999", "-1e999", str(2**200), "0x" + "f" * 60,
                                  "1" * 5000, "NaN", "Infinity", "-Infinity", "1e-400"]))
    field = draw(st.sampled_from(["value", "seconds", "width", "fps", "seed"]))
    kind = draw(st.sampled_from(["util.value", "util.sleep", "image.resize", "camera.move"]))
    if draw(st.booleans()):
        return Case(f'{{"reelgraph": 1, "name": "n", "nodes": {{"a": {{"type": "{kind}", '
                    f'"params": {{"{field}": {token}}}}}}}}}', "graph.json")
    return Case(f"reelgraph: 1\nname: n\nnodes:\n  a: {{type: {kind}, params: {{{field}: {token}}}}}\n")


NESTED_IN_JSON = {  # where a nested value goes, in JSON text (%s is the value)
    "params": '{"reelgraph": 1, "name": "n", "nodes": {"a": {"type": "util.value", "params": {"value": %s}}}}',
    "matrix": '{"reelgraph": 1, "name": "n", "matrix": {"v": %s}, "nodes": {"a": {"type": "util.noop"}}}',
    "nodes": '{"reelgraph": 1, "name": "n", "nodes": {"a": %s}}',
    "top": '{"reelgraph": 1, "name": "n", "nodes": {"a": {"type": "util.noop"}}, "x": %s}',
}
NESTED_IN_YAML_BLOCKS = {  # the same places in block-style YAML (%s starts a new line)
    "params": "reelgraph: 1\nname: n\nnodes:\n  a:\n    type: util.value\n    params:\n      value:%s\n",
    "matrix": "reelgraph: 1\nname: n\nmatrix:\n  v:%s\nnodes: {a: {type: util.noop}}\n",
    "nodes": "reelgraph: 1\nname: n\nnodes:\n  a:%s\n",
    "top": "reelgraph: 1\nname: n\nnodes: {a: {type: util.noop}}\nx:%s\n",
}


@st.composite
def deep_nesting(draw):
    """Lists and mappings 10 to 5,000 deep, in params, matrix, nodes or at the top, as text."""
    depth = draw(st.sampled_from([10, 63, 64, 65, 99, 100, 101, 200, 1000, 5000]))
    where = draw(st.sampled_from(sorted(NESTED_IN_JSON)))
    style = draw(st.sampled_from(["list", "yaml_flow_map", "json_map", "yaml_blocks"]))
    if style == "yaml_blocks":  # "- - - 1" is a list nested once per dash
        return Case(NESTED_IN_YAML_BLOCKS[where] % ("\n    " + "- " * depth + "1"))
    if style == "list":  # the same text is JSON and YAML
        nested = "[" * depth + "1" + "]" * depth
        return Case(NESTED_IN_JSON[where] % nested, draw(st.sampled_from(["graph.json", "graph.yaml"])))
    opening = "{a: " if style == "yaml_flow_map" else '{"a": '
    filename = "graph.yaml" if style == "yaml_flow_map" else "graph.json"
    return Case(NESTED_IN_JSON[where] % (opening * depth + "1" + "}" * depth), filename)


def odd_unicode():
    """Odd text (RTL marks, NUL, lone surrogates written as JSON escapes, emoji, combining marks)
    in ids, names, types, params, paths, matrix values and references."""
    return broken_at_some_path(odd_text) | _odd_ids()


@st.composite
def _odd_ids(draw):
    node_id = draw(odd_text | plain_text)
    document = {"reelgraph": 1, "name": draw(odd_text), "matrix": {"v": [draw(odd_text)]},
                "nodes": {node_id: {"type": "util.noop", "params": {"label": "${v}"}},
                          "b": {"type": "util.noop", "inputs": {"value": f"{node_id}.value"}}}}
    return to_text(document, draw(st.booleans()))


@st.composite
def cycles(draw):
    """Random wiring between nodes with one or two inputs each: self loops, long and short cycles."""
    count = draw(st.integers(1, 8))
    ids = [f"n{i}" for i in range(count)]
    nodes = {}
    for node_id in ids:
        node_type = draw(st.sampled_from(["util.noop", "util.sleep", "text.template"]))
        ports = {"util.noop": ["value"], "util.sleep": ["value", "after"], "text.template": ["text"]}[node_type]
        inputs = {port: f"{draw(st.sampled_from(ids))}.{'text' if node_type == 'text.template' else 'value'}"
                  for port in ports if draw(st.booleans())}
        params = {"template": "{text}"} if node_type == "text.template" else {}
        nodes[node_id] = {"type": node_type, "inputs": inputs, "params": params}
    return to_text({"reelgraph": 1, "name": "wired", "nodes": nodes}, draw(st.booleans()))


@st.composite
def references(draw):
    """Inputs that dangle, name missing ports, are malformed or are not strings at all."""
    reference = draw(st.sampled_from(["a.value", "ghost.value", "a.nope", "a", "a.b.c", ".value", "a.", "b.value",
                                      "${v}.value", "a.value ", "A.value", "a.images", "photos.image"])
                     | any_text | json_values)
    port = draw(st.sampled_from(["value", "after", "nope", "", "images"]) | any_text)
    document = {"reelgraph": 1, "name": "refs", "matrix": {"v": ["a"]}, "nodes": {
        "a": {"type": "util.value", "params": {"value": 1}},
        "b": {"type": draw(st.sampled_from(["util.sleep", "image.resize", "video.encode"])),
              "inputs": {port: reference}}}}
    return to_text(document, draw(st.booleans()))


@st.composite
def file_paths(draw):
    """File params naming folders, FIFOs, symlinks out, absolute paths, `..`, names too long for
    the filesystem, images given as catalogs, and real files."""
    path = st.sampled_from(PATHS) | any_text
    node = draw(st.sampled_from([
        {"type": "image.load", "params": {"paths": draw(st.lists(path, min_size=1, max_size=3))}},
        {"type": "l10n.translate", "params": {"script": draw(path), "target": draw(st.sampled_from(["es", "ar", "ca"])),
                                              "catalogs": draw(st.lists(path, max_size=3))}},
        {"type": "frames.upscale", "params": {"method": "model", "weights": draw(path)}},
        {"type": "l10n.captions", "params": {"font": draw(path)}},
        {"type": "provenance.sign", "params": {"key": draw(path), "certificate": draw(path)}},
    ]))
    return to_text({"reelgraph": 1, "name": "files", "nodes": {"n": node}}, draw(st.booleans()))


@st.composite
def duplicate_keys(draw):
    """The same key twice in one mapping, at the top, among nodes, in params, in YAML or JSON text."""
    key = draw(st.sampled_from(["a", "name", "nodes", "value", "type", "1", "\u00e9", "e\u0301"]) | plain_text)
    where = draw(st.sampled_from(["top", "nodes", "params", "matrix"]))
    head = '"reelgraph": 1, "name": "n"'
    if draw(st.booleans()):
        body = {"top": f'"{key}": 1, "{key}": 2, {head}, "nodes": {{"a": {{"type": "util.noop"}}}}',
                "nodes": f'{head}, "nodes": {{"{key}": {{"type": "util.noop"}}, "{key}": {{}}}}',
                "params": f'{head}, "nodes": {{"a": {{"type": "util.value", "params": {{"{key}": 1, "{key}": 2}}}}}}',
                "matrix": f'{head}, "matrix": {{"{key}": [1], "{key}": [2]}}, '
                          '"nodes": {"a": {"type": "util.noop"}}'}
        return Case("{" + body[where] + "}", "graph.json")
    head = "reelgraph: 1\nname: n\n"
    body = {"top": f"{key}: 1\n{key}: 2\n{head}nodes: {{a: {{type: util.noop}}}}\n",
            "nodes": f"{head}nodes:\n  {key}: {{type: util.noop}}\n  {key}: {{type: util.value}}\n",
            "params": f"{head}nodes:\n  a:\n    type: util.value\n    params: {{{key}: 1, {key}: 2}}\n",
            "matrix": f"{head}matrix:\n  {key}: [1]\n  {key}: [2]\nnodes: {{a: {{type: util.noop}}}}\n"}
    return Case(body[where])


@st.composite
def matrices(draw):
    """Random matrix variables (valid names or not, values of any type, duplicates, huge products)
    and ${} references to them, to missing ones and broken ones."""
    names = draw(st.lists(st.sampled_from(["locale", "seed", "scene", "v", "1x", "a b", "_", "x" * 200]) | any_text,
                          max_size=8, unique=True))
    matrix = {name: draw(st.lists(plain_text, min_size=1, max_size=4, unique=True)
                         | st.lists(st.integers(0, 99), min_size=1, max_size=4, unique=True)
                         | st.lists(scalars, max_size=12)
                         | st.lists(st.integers(), min_size=10, max_size=12, unique=True) | json_values)
              for name in names}
    reference = st.sampled_from([f"${{{name}}}" for name in names] + ["${nope}", "$${locale}", "${", "${locale",
                                                                      "x ${locale} ${seed}", "${ locale }"])
    nodes = {f"n{i}": {"type": draw(st.sampled_from(["util.noop", "util.value", "image.resize", "util.sleep"])),
                       "params": {draw(st.sampled_from(["label", "value", "width", "seconds"])): draw(reference)}}
             for i in range(draw(st.integers(1, 4)))}
    if draw(st.booleans()) and len(nodes) > 1:
        nodes["n1"]["inputs"] = {"value": "n0.value"}
    return to_text({"reelgraph": 1, "name": "m", "matrix": matrix, "nodes": nodes}, draw(st.booleans()))


@st.composite
def example_mutations(draw):
    """The real examples/*.yaml, mutated as text (lines dropped, doubled, swapped, bytes inserted,
    truncated) or as structure (one value replaced or deleted), planned against examples/."""
    name = draw(st.sampled_from(sorted(EXAMPLE_TEXTS)))
    text = EXAMPLE_TEXTS[name]
    mutation = draw(st.sampled_from(["drop_line", "double_line", "swap_lines", "insert", "truncate", "structure"]))
    lines = text.splitlines(keepends=True)
    if mutation == "structure":
        document = yaml.safe_load(text)
        path = draw(st.sampled_from(paths_in(document)))
        mutated = replaced(document, path, draw(json_values | st.sampled_from(PATHS) | st.just(_DELETE)))
        return Case(to_text(mutated, as_json=False).text, name, in_examples=True)
    index = draw(st.integers(0, len(lines) - 1))
    other = draw(st.integers(0, len(lines) - 1))
    if mutation == "drop_line":
        del lines[index]
    elif mutation == "double_line":
        lines.insert(index, lines[index])
    elif mutation == "swap_lines":
        lines[index], lines[other] = lines[other], lines[index]
    mutated = "".join(lines)
    if mutation == "insert":
        position = draw(st.integers(0, len(text)))
        mutated = text[:position] + draw(any_text | st.sampled_from(["\n", ":", "- ", "{", "[", "&a", "*a", "!!",
                                                                     "  ", "\t", "#", "'", '"'])) + text[position:]
    elif mutation == "truncate":
        mutated = text[:draw(st.integers(0, len(text)))]
    return Case(mutated, name, in_examples=True)


@st.composite
def yaml_features(draw):
    """YAML's own powers: tags that build objects, alias bombs, self-referencing aliases, merge
    keys, several documents in one stream, keys that are not text."""
    feature = draw(st.sampled_from([
        "!!python/object/apply:os.system ['touch /tmp/reelgraph-pwned']", "!!python/name:os.system",
        "!!python/object:collections.OrderedDict {}", "!!binary aGVsbG8=", "!!set {a, b}", "!!timestamp 2024-01-01",
        "2024-01-01", "!!omap [{a: 1}]", "!!pairs [[a, 1]]", "!foo bar", "!!str 1", "!!int '7'", "!!float 1e400",
        "&x [*x]", "&x {a: *x}", "{<<: {a: 1}}", "*undefined", "[&y 1, *y, *y]", "{1: a}", "{true: a}", "{null: a}",
        "{? [1, 2] : a}", "{? {a: 1} : b}", "{.inf: 1}", "~", "''"]))
    where = draw(st.sampled_from(["value", "name", "node", "matrix"]))
    if draw(st.booleans()):
        levels = draw(st.integers(2, 9))
        width = draw(st.integers(2, 9))
        bomb = "".join(f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]\n" for i in range(1, levels))
        return Case(f"reelgraph: 1\nname: bomb\nx:\n  l0: &l0 [lol]\n{bomb}nodes:\n"
                    f"  a: {{type: util.value, params: {{value: *l{levels - 1}}}}}\n")
    text = {"value": f"reelgraph: 1\nname: n\nnodes:\n  a:\n    type: util.value\n    params:\n"
                     f"      value: {feature}\n",
            "name": f"reelgraph: 1\nname: {feature}\nnodes: {{a: {{type: util.noop}}}}\n",
            "node": f"reelgraph: 1\nname: n\nnodes:\n  a: {feature}\n",
            "matrix": f"reelgraph: 1\nname: n\nmatrix:\n  v: {feature}\nnodes: {{a: {{type: util.noop, params: "
                      "{label: '${v}'}}}\n"}[where]
    if draw(st.booleans()):
        text += draw(st.sampled_from(["---\nreelgraph: 1\n", "...\n", "--- !!python/object:os.system {}\n"]))
    return Case(text)


FAMILIES: dict[str, Callable[[], st.SearchStrategy[Case]]] = {
    "random_structures": random_structures, "wrong_types": wrong_types, "huge_numbers": huge_numbers,
    "deep_nesting": deep_nesting, "odd_unicode": odd_unicode, "cycles": cycles, "references": references,
    "file_paths": file_paths, "duplicate_keys": duplicate_keys, "matrices": matrices,
    "example_mutations": example_mutations, "yaml_features": yaml_features,
}


def fuzz_settings(max_examples: int) -> settings:
    return settings(max_examples=max_examples, deadline=None, database=None, derandomize=False,
                    suppress_health_check=list(HealthCheck))


# --- the properties ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fuzz_workspace():
    root = make_workspace()
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_document_plans_or_gives_structured_errors(family, fuzz_workspace):
    @fuzz_settings(FUZZ_EXAMPLES)
    @given(FAMILIES[family]())
    def check(case: Case) -> None:
        plan_outcome(case, fuzz_workspace)

    check()
    assert not Path("/tmp/reelgraph-pwned").exists(), "a YAML tag executed code"


def test_the_documents_the_fuzzer_breaks_are_valid_to_begin_with(fuzz_workspace):
    cases = [to_text(document, as_json=False) for document in valid_documents()]
    cases += [Case(text, name, in_examples=True) for name, text in EXAMPLE_TEXTS.items()]
    assert all(isinstance(plan_outcome(case, fuzz_workspace), Plan) for case in cases)


def test_a_yaml_date_stays_text(fuzz_workspace):
    case = Case("reelgraph: 1\nname: n\nnodes:\n  a: {type: util.value, params: {value: 2024-01-31}}\n")
    assert plan_outcome(case, fuzz_workspace).nodes["a"].params["value"] == "2024-01-31"


def test_a_huge_but_finite_integer_is_a_valid_value(fuzz_workspace):
    case = to_text({"reelgraph": 1, "name": "n", "nodes": {"a": {"type": "util.value", "params": {"value": 2**200}}}},
                   as_json=True)
    assert plan_outcome(case, fuzz_workspace).nodes["a"].params["value"] == 2**200


@pytest.mark.parametrize(("case", "code"), [
    (Case('{"reelgraph": 1, "name": "n", "nodes": {"a": {"type": "util.value", "params": {"value": NaN}}}}',
          "g.json"), "invalid_value"),
    (Case('{"reelgraph": 1, "name": "\\ud800", "nodes": {"a": {"type": "util.noop"}}}', "g.json"), "invalid_value"),
    (Case("reelgraph: 1\nname: n\nnodes:\n  a: {type: util.value, params: {value: .inf}}\n"), "invalid_value"),
    (Case("reelgraph: 1\nname: n\nnodes:\n  a: {type: util.value, params: {value: &x [*x]}}\n"),
     "document_too_large"),
    (Case("reelgraph: 1\nname: n\nnodes:\n  a: {type: util.value, params: {value: 2024-01-01}}\n"), None),
    (Case("reelgraph: 1\nname: n\nnodes:\n  a: {type: util.value, params: {value: !!binary aGVsbG8=}}\n"),
     "parse_error"),
    (Case("reelgraph: 1\nname: n\nnodes:\n  ? [a]\n  : {type: util.noop}\n"), "parse_error"),
    (Case("reelgraph: 1\nname: n\nnodes:\n  a: {type: image.load, params: {paths: [pipe]}}\n"), "not_a_file"),
    (Case("reelgraph: 1\nname: n\nnodes:\n  a: {type: image.load, params: {paths: [" + "a" * 5000 + "]}}\n"),
     "invalid_path"),
    (Case("reelgraph: 1\nname: n\nnodes:\n  t: {type: l10n.translate, params: {target: es, catalogs: "
          "[assets/coffee.png]}}\n"), "invalid_file"),
    (Case("reelgraph: 1\nname: n\nnodes:\n  t: {type: l10n.translate, params: {script: campaign/script.yaml, "
          "target: es, catalogs: ['']}}\n"), "invalid_param"),
    (Case("reelgraph: 1\nname: n\nmatrix: {a: [1,2,3,4,5,6,7,8,9,10], b: [1,2,3,4,5,6,7,8,9,10], "
          "c: [1,2,3,4,5,6,7,8,9,10], d: [1,2,3,4,5,6,7,8,9,10], e: [1,2,3,4,5,6,7,8,9,10], "
          "f: [1,2,3,4,5,6,7,8,9,10]}\nnodes:\n  n: {type: util.noop, params: {label: '${a}${b}${c}${d}${e}${f}'}}\n"),
     "matrix_too_large"),
], ids=["json-nan", "json-surrogate", "yaml-inf", "self-alias", "date-stays-text", "binary-tag", "list-key",
        "fifo-path", "long-path", "image-as-catalog", "empty-catalog-path", "huge-matrix"])
def test_cases_the_fuzzer_found(case, code, fuzz_workspace):
    """Each of these raised a bare exception (or hung) before it was fixed."""
    outcome = plan_outcome(case, fuzz_workspace)
    if code is None:
        return  # either ending is right; that it ended cleanly is the point
    assert isinstance(outcome, GraphInvalid) and code in {issue.code for issue in outcome.issues}


NASTY_FILES = {
    "alias-bomb.yaml": "reelgraph: 1\nname: bomb\nx:\n  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 9))
    + "nodes:\n  a: {type: util.value, params: {value: *l8}}\n",
    "deep.json": '{"reelgraph": 1, "name": "n", "nodes": {"a": {"type": "util.value", "params": {"value": '
                 + "[" * 5000 + "]" * 5000 + "}}}}",
    "python-tag.yaml": "reelgraph: 1\nname: n\nnodes:\n  a:\n    type: util.value\n    params:\n      value: "
                       "!!python/object/apply:os.system ['touch /tmp/reelgraph-pwned']\n",
    "nan-and-surrogate.json": '{"reelgraph": 1, "name": "\\ud83c", "nodes": {"a": {"type": "util.value", '
                              '"params": {"value": [NaN, Infinity, 1e999]}}}}',
    "cycle-rtl.yaml": "reelgraph: 1\nname: \u202e\u0644\u0627\nnodes:\n"
                      "  a: {type: util.noop, inputs: {value: b.value}}\n"
                      "  b: {type: util.noop, inputs: {value: a.value}}\n",
    "fifo-path.yaml": "reelgraph: 1\nname: n\nnodes:\n  a: {type: image.load, params: {paths: [pipe, folder, "
                      "escape/passwd]}}\n",
}


@pytest.mark.parametrize("name", sorted(NASTY_FILES))
def test_cli_validate_answers_nasty_files_with_json(name, tmp_path):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "folder").mkdir()
    (tmp_path / "escape").symlink_to("/etc")
    (tmp_path / name).write_text(NASTY_FILES[name], encoding="utf-8")
    result = reelgraph_cli("validate", name, "--json", cwd=tmp_path, timeout=60)
    assert result.returncode in (0, 2), result.stderr
    assert "Traceback" not in result.stderr
    issues = json.loads(result.stdout)
    assert result.returncode == 2 and issues and all({"code", "message"} <= set(issue) for issue in issues)
    assert not Path("/tmp/reelgraph-pwned").exists()
