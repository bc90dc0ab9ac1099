"""Languages are defined once, in locales/languages.py: no other application module spells a locale or
a voice of the table, lists the languages, or tells them apart by their code's first letters."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import PROJECT_ROOT
from locales import languages

APPLICATION = ("app.py", "cli.py", "config.py", "adapters", "bots", "core", "dialogs", "locales")
APPLICATION += ("recognizers", "services", "storage", "voice", "web")
TABLE = PROJECT_ROOT / "locales" / "languages.py"
ALLOWED = {
    ("services/speech/sphinx_engine.py", "spells 'en-us'"): "the folder of pocketsphinx's bundled model",
    ("services/crm/seed.py", "spells 'en-US'"): "a demo customer's preference, as the CRM stores it",
    ("services/crm/seed.py", "spells 'es-MX'"): "a demo customer's preference, as the CRM stores it",
    ("services/speech/vocabulary.py", "lists the languages ['en', 'es']"): "built-in speech phrases, words "
    "like the catalogues' and optional per language (a language without them uses its CLU utterances)",
    ("voice/turn_completion.py", "lists the languages ['en', 'es']"): "words that leave a phrase "
    "unfinished, optional per language (a language without them is never judged incomplete)",
}
"""Findings that are not the bot's languages defined again: an engine's file, data, optional words."""


def modules() -> Iterator[Path]:
    for name in APPLICATION:
        path = PROJECT_ROOT / name
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def spellings() -> set[str]:
    """Every region-qualified spelling in the table (locales, voices, CLU and culture codes)."""
    found = set()
    for language in languages.LANGUAGES:
        for value in (language.locale, language.azure_voice, language.espeak_voice, language.clu_language):
            found.add(value.lower())
        found.add(language.culture.lower())
    return {value for value in found if "-" in value}


def findings(path: Path, root: Path = PROJECT_ROOT) -> list[str]:
    codes, spelled = set(languages.codes()), spellings()
    relative = path.relative_to(root).as_posix()
    problems = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        where = f"{relative}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            value = node.value.lower()
            if value in spelled:
                problems.append(f"{where} spells {node.value!r}")
        elif isinstance(node, ast.Tuple | ast.List | ast.Set | ast.Dict):
            items = node.keys if isinstance(node, ast.Dict) else node.elts
            named = {i.value for i in items if isinstance(i, ast.Constant) and i.value in codes}
            if len(named) >= 2:
                problems.append(f"{where} lists the languages {sorted(named)}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "startswith"
            and any(isinstance(a, ast.Constant) and a.value in codes for a in node.args)
        ):
            problems.append(f"{where} tells a language by startswith()")
    return problems


def _allowed(problem: str) -> bool:
    where, finding = problem.split(" ", 1)
    return (where.split(":")[0], finding) in ALLOWED


def test_no_application_module_but_the_table_spells_or_lists_the_languages():
    problems = [problem for path in modules() if path != TABLE for problem in findings(path)]
    assert [problem for problem in problems if not _allowed(problem)] == []


def test_the_check_sees_a_locale_a_voice_and_a_language_list(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        'VOICE = "es-MX-DaliaNeural"\nLOCALES = {"en": "en-US", "es": "es-MX"}\n'
        'spanish = "es-mx".startswith("es")\n',
        encoding="utf-8",
    )
    assert sorted(findings(module, tmp_path)) == [
        "module.py:1 spells 'es-MX-DaliaNeural'",
        "module.py:2 lists the languages ['en', 'es']",
        "module.py:2 spells 'en-US'",
        "module.py:2 spells 'es-MX'",
        "module.py:3 spells 'es-mx'",
        "module.py:3 tells a language by startswith()",
    ]


@pytest.mark.parametrize("language", languages.LANGUAGES, ids=lambda language: language.code)
def test_each_language_has_its_catalogue(language):
    assert (PROJECT_ROOT / "locales" / f"{language.locale}.json").is_file()
