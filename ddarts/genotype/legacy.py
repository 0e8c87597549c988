"""Safe reader for the genotype text files of the DARTS and D-DARTS reference code.

Those files are Python expressions (`Genotype(normal=[...], ...)`, `Genotype_nested(genes=[...], ...)`)
that the original code passed to `eval`. We parse them into a syntax tree and accept only a whitelist
of literal forms, so a file can never run code, however it was crafted.
"""

from __future__ import annotations

import ast
from typing import Any

from ddarts.errors import GenotypeError
from ddarts.genotype.core import MAX_FILE_BYTES, DartsGenotype, Genotype

MAX_DEPTH = 8
"""Call > keyword value > cells > cell > edge > literal is 5 levels; anything deeper is not a genotype."""
MAX_RANGE = 64
MAX_INT = 1_000_000
CONSTRUCTORS = {
    "Genotype": ({"normal", "reduce"}, {"normal_concat", "reduce_concat"}),
    "Genotype_nested": ({"genes", "reductions"}, {"concat"}),
}


def _where(node: ast.AST) -> str:
    return f"line {getattr(node, 'lineno', '?')}, col {getattr(node, 'col_offset', -1) + 1}"


def _reject(node: ast.AST, what: str | None = None) -> GenotypeError:
    if what is None:
        if isinstance(node, ast.Name):
            what = f"name {node.id!r}"
        elif isinstance(node, ast.Attribute):
            what = f"attribute access .{node.attr}"
        elif isinstance(node, ast.Call):
            what = f"call to {ast.unparse(node.func)[:40]!r}"
        elif isinstance(node, ast.Constant):
            what = f"{type(node.value).__name__} constant {node.value!r:.40}"
        elif isinstance(node, ast.JoinedStr):
            what = "f-string"
        elif isinstance(node, (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare)):
            what = "operator expression"
        else:
            what = f"{type(node).__name__} expression"
    return GenotypeError(f"unsupported {what} at {_where(node)}; only lists, tuples, strings, integers "
                         "and range(a, b) of integers are allowed")


def _literal(node: ast.AST, depth: int) -> Any:
    """Plain Python value of a whitelisted node: str, int, list (for lists, tuples and ranges)."""
    if depth > MAX_DEPTH:
        raise GenotypeError(f"nesting deeper than {MAX_DEPTH} levels at {_where(node)}")
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) > MAX_INT:
                raise _reject(node, f"integer {value:.3g} (too large)")
            return value
        raise _reject(node)
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(item, depth + 1) for item in node.elts]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        if node.keywords or not 1 <= len(node.args) <= 2:
            raise _reject(node, "range(...) form (expected range(b) or range(a, b))")
        bounds = [_literal(arg, depth + 1) for arg in node.args]
        if not all(isinstance(b, int) for b in bounds):
            raise _reject(node, "range(...) with non-integer bounds")
        values = range(*bounds)
        if len(values) > MAX_RANGE:
            raise _reject(node, f"range of {len(values)} values (limit {MAX_RANGE})")
        return list(values)
    raise _reject(node)


def read_call(text: str) -> tuple[str, dict[str, Any]]:
    """Constructor name and keyword values of a legacy genotype expression."""
    if not isinstance(text, str):
        raise GenotypeError(f"expected text, got {type(text).__name__}")
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise GenotypeError(f"text of {len(text)} characters is too large for a genotype "
                            f"(limit {MAX_FILE_BYTES} bytes)")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise GenotypeError(f"not a genotype expression: {exc.msg} at line {exc.lineno}, col {exc.offset}") from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise GenotypeError(f"not a genotype expression: {type(exc).__name__} while parsing") from None
    call = tree.body
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in CONSTRUCTORS):
        found = ast.unparse(call.func)[:40] if isinstance(call, ast.Call) else type(call).__name__
        raise GenotypeError(f"expected Genotype(...) or Genotype_nested(...) at {_where(call)}, found {found!r}")
    name = call.func.id
    if call.args:
        raise GenotypeError(f"{name}: positional arguments are not supported ({_where(call.args[0])}); "
                            "use keywords")
    required, optional = CONSTRUCTORS[name]
    values: dict[str, Any] = {}
    for keyword in call.keywords:
        if keyword.arg is None:
            raise _reject(keyword.value, "**keyword unpacking")
        if keyword.arg not in required | optional:
            raise GenotypeError(f"{name}: unknown keyword {keyword.arg!r} at {_where(keyword.value)} "
                                f"(known: {', '.join(sorted(required | optional))})")
        if keyword.arg in values:
            raise GenotypeError(f"{name}: keyword {keyword.arg!r} given twice")
        values[keyword.arg] = _literal(keyword.value, 2)
    missing = sorted(required - set(values))
    if missing:
        raise GenotypeError(f"{name}: missing keyword {missing[0]!r}")
    return name, values


def _darts_cell(genes: Any, what: str) -> list[tuple[Any, ...]]:
    """DARTS genes are (op, from_node) pairs, two per intermediate node in node order."""
    if not isinstance(genes, list):
        raise GenotypeError(f"{what}: expected a list of (op, from_node) pairs, got {genes!r:.60}")
    if len(genes) > 8:
        raise GenotypeError(f"{what}: {len(genes)} genes; the DARTS format has two per node, at most 8")
    edges = []
    for k, gene in enumerate(genes):
        if not isinstance(gene, list) or len(gene) != 2:
            raise GenotypeError(f"{what}[{k}]: expected (op, from_node), got {gene!r:.60}")
        edges.append((gene[0], 2 + k // 2, gene[1]))
    return edges


def parse_legacy_text(text: str) -> Genotype | DartsGenotype:
    name, values = read_call(text)
    if name == "Genotype":
        return DartsGenotype(
            normal=_darts_cell(values["normal"], "normal"),
            reduce=_darts_cell(values["reduce"], "reduce"),
            normal_concat=values.get("normal_concat", [2, 3, 4, 5]),
            reduce_concat=values.get("reduce_concat", [2, 3, 4, 5]),
        )
    genes = values["genes"]
    if not isinstance(genes, list):
        raise GenotypeError(f"genes: expected a list of cells, got {genes!r:.60}")
    # The stated reductions are kept as written: the reference files say [2, 6] for 8 cells, and a
    # network rebuilt from such a file must put its reduction cells exactly there.
    return Genotype(cells=genes, reductions=values["reductions"], concat=values.get("concat", [2, 3, 4, 5]))
