"""`python cli.py kb ingest|ask` as a user runs it (subprocess), and the factory's start-up build."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from config import Settings
from services.knowledge.factory import create_knowledge
from tests.services.knowledge.conftest import PROJECT

MINI_KB = {
    "en/parking.md": "# Contoso parking\n\n## Branch parking\nParking at every Contoso branch is free for "
    "customers for two hours.\n",
    "es/estacionamiento.md": "# Estacionamiento Contoso\n\n## Estacionamiento en sucursales\nEl "
    "estacionamiento en las sucursales Contoso es gratuito para clientes durante dos horas.\n",
}


def write_mini_kb(root: Path) -> Path:
    for name, text in MINI_KB.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "cli.py", "kb", *args],
        cwd=PROJECT,
        input=stdin,
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_ingest_then_ask_with_json_output(tmp_path: Path) -> None:
    source = write_mini_kb(tmp_path / "docs")
    index = tmp_path / "index"

    ingested = run_cli("ingest", str(source), "--index", str(index))
    assert ingested.returncode == 0, ingested.stderr
    assert "2 added" in ingested.stdout and "embedding" in ingested.stderr  # the tqdm bar goes to stderr

    asked = run_cli("ask", "Is parking free at the branch?", "--index", str(index), "--lang", "en", "--json")
    assert asked.returncode == 0, asked.stderr
    reply = json.loads(asked.stdout)
    assert reply["grounded"] is True and reply["sources"] == ["parking.md"]
    assert "two hours" in reply["answer"]


def test_ask_reads_json_lines_on_stdin_and_writes_one_line_each(kb_index_dir: Path) -> None:
    lines = [
        {"q": "How much is the overdraft fee?", "lang": "en"},
        {"q": "¿Cuánto cuesta una transferencia internacional?", "lang": "es"},
        {"q": "Who won the 1998 world cup?", "lang": "en"},
    ]
    done = run_cli("ask", "--index", str(kb_index_dir), stdin="".join(json.dumps(x) + "\n" for x in lines))
    assert done.returncode == 0, done.stderr
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(replies) == 3 and all({"answer", "sources", "grounded"} <= set(r) for r in replies)
    assert (
        replies[0]["grounded"]
        and replies[0]["sources"][0] == "account-fees.md"
        and "$30" in replies[0]["answer"]
    )
    assert replies[1]["sources"][0] == "transferencias.md" and "45 dólares" in replies[1]["answer"]
    assert replies[2] == {"answer": replies[2]["answer"], "sources": [], "grounded": False, "blocked": False}


def test_ingest_of_a_missing_folder_fails_cleanly(tmp_path: Path) -> None:
    done = run_cli("ingest", str(tmp_path / "nope"), "--index", str(tmp_path / "i"), "--quiet")
    assert done.returncode == 2 and "not found" in done.stderr


async def test_fresh_clone_builds_the_missing_index_at_start_up(tmp_path: Path) -> None:
    settings = Settings(
        knowledge_index_path=tmp_path / "var" / "index",
        knowledge_source_dir=write_mini_kb(tmp_path / "knowledge"),
    )
    knowledge = create_knowledge(settings)
    await knowledge.warm_up()
    assert (tmp_path / "var" / "index" / "manifest.json").is_file()
    answer = await knowledge.answer("¿El estacionamiento es gratis?", [], "es-MX")
    assert answer.grounded and answer.sources == ["estacionamiento.md"] and "dos horas" in answer.text
