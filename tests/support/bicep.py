"""Reads the facts the deployment tests check out of the Bicep text: params, app settings, alert queries.

Not a Bicep compiler (none installs from a package registry here, see docs/deployment.md); it reads the
few regular shapes these templates use and fails loudly when a shape it expects is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "deploymentTemplates"
MAIN = TEMPLATES / "main.bicep"

_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")
_SETTING = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*):\s*(.+?)\s*$")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str | None
    allowed: tuple[str, ...]
    secure: bool


def text(relative: str = "main.bicep") -> str:
    return (TEMPLATES / relative).read_text()


def params(source: str) -> dict[str, Param]:
    """Every `param` with its decorators (@allowed list, @secure) and default expression."""
    found: dict[str, Param] = {}
    decorators: list[str] = []
    lines = source.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("@allowed(["):
            block = []
            while not lines[i].strip().startswith("])"):
                i += 1
                block.append(lines[i].strip())
            decorators.append("@allowed:" + "|".join(v.strip("'") for v in block[:-1]))
        elif line.startswith("@"):
            decorators.append(line)
        elif line.startswith("param "):
            match = re.match(r"param (\w+) (\w+)(?: = (.+))?$", line)
            assert match, f"unreadable param line: {line}"
            allowed = next(
                (d.split(":", 1)[1].split("|") for d in decorators if d.startswith("@allowed:")), []
            )
            found[match[1]] = Param(
                match[1], match[2], match[3], tuple(allowed), any(d.startswith("@secure") for d in decorators)
            )
            decorators = []
        elif line and not line.startswith("//"):
            decorators = []
        i += 1
    return found


def _balanced(source: str, start: int) -> str:
    """The text from `start` (an opening parenthesis) to its match, skipping strings and comments."""
    depth, i, quoted = 0, start, False
    while i < len(source):
        ch = source[i]
        if quoted:
            if ch == "\\":
                i += 1
            elif ch == "'":
                quoted = False
        elif ch == "'":
            quoted = True
        elif source.startswith("//", i):  # a comment runs to the end of the line (it may hold quotes)
            i = source.find("\n", i)
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return source[start : i + 1]
        i += 1
    raise AssertionError("unbalanced parentheses in appSettings")


def _strip_comment(value: str) -> str:
    """Drop a trailing `// comment` that is outside quotes."""
    quoted = False
    for i, ch in enumerate(value):
        if ch == "'":
            quoted = not quoted
        elif not quoted and value.startswith("//", i):
            return value[:i].rstrip()
    return value


def app_settings(source: str | None = None) -> dict[str, str]:
    """Name → Bicep expression of every app setting main.bicep writes (all branches of its union())."""
    source = source if source is not None else text()
    anchor = source.index("appSettings: union(")
    block = _balanced(source, anchor + len("appSettings: union"))
    settings: dict[str, str] = {}
    for line in block.splitlines()[1:]:
        match = _SETTING.match(line)
        if match and not line.strip().startswith("//"):
            assert match[1] not in settings, f"app setting {match[1]} written twice"
            settings[match[1]] = _strip_comment(match[2])
    return settings


def literals(expression: str) -> list[str]:
    """The plain (uninterpolated) string literals in an expression: a ternary's possible values."""
    return [m for m in _QUOTED.findall(expression) if "${" not in m]


def is_key_vault_reference(expression: str) -> bool:
    return expression.startswith("'@Microsoft.KeyVault(SecretUri=${") and expression.endswith(")'")


def alert_queries() -> list[str]:
    """The KQL of every scheduled-query alert rule in the templates."""
    queries = []
    for path in sorted(TEMPLATES.rglob("*.bicep")):
        queries += re.findall(r"^\s*query: '((?:[^'\\]|\\.)*)'", path.read_text(), re.MULTILINE)
    return queries


def _split_top_level(source: str) -> list[str]:
    """Split at commas outside braces, parentheses, strings and comments."""
    parts, depth, quoted, start, i = [], 0, False, 0, 0
    while i < len(source):
        ch = source[i]
        if quoted:
            if ch == "\\":
                i += 1
            elif ch == "'":
                quoted = False
        elif ch == "'":
            quoted = True
        elif source.startswith("//", i):
            i = source.find("\n", i)
        elif ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(source[start:i])
            start = i + 1
        i += 1
    parts.append(source[start:])
    return [p.strip() for p in parts if p.strip()]


def _object(source: str) -> dict[str, str]:
    found = {}
    for line in source.splitlines():
        match = _SETTING.match(line)
        if match and not line.strip().startswith("//"):
            found[match[1]] = _strip_comment(match[2])
    return found


def app_settings_for(conditions: dict[str, bool], values: dict[str, str]) -> dict[str, str]:
    """The app settings one deployment writes: union branches and ternaries decided by ``conditions``
    (Bicep condition text → truth), bare parameters replaced by ``values``; other expressions (resource
    outputs, Key Vault references) become a stand-in, or a Key Vault reference for references."""
    block = _balanced(text(), text().index("appSettings: union(") + len("appSettings: union"))
    settings: dict[str, str] = {}
    for part in _split_top_level(block[1:-1]):
        if part.startswith("{"):
            settings |= _object(part)
            continue
        condition, branches = part.split(" ? ", 1)
        chosen = _split_top_level(branches.replace(" : {", ", {", 1))[0 if conditions[condition] else 1]
        settings |= _object(chosen)
    decided: dict[str, str] = {}
    for name, expression in settings.items():
        ternary = re.fullmatch(r"(.+?) \? '([^']*)' : '([^']*)'", expression)
        if ternary:
            decided[name] = ternary[2] if conditions[ternary[1]] else ternary[3]
        elif expression in values:
            decided[name] = values[expression]
        elif is_key_vault_reference(expression):
            decided[name] = "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/s)"
        elif expression.startswith("'") and "${" not in expression:
            decided[name] = expression.strip("'")
        else:
            decided[name] = "https://stand-in.example/" + re.sub(r"\W", "", expression)[:24]
    return decided
