"""README's "Add a new intent", followed step by step for a toy intent, routes a caller's words to it.

Each step touches only what the README names: utterances in (a copy of) the CLU project file, prompts in
(copies of) the catalogues, a dialog, and one registry line. Nothing else in the bot learns of the intent.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext

from app import build_services
from config import PROJECT_ROOT
from dialogs import registry
from dialogs.base import VoiceDialog
from dialogs.deps import DialogDeps
from locales import catalogue
from recognizers.clu_project import CluProjectError
from tests.support.bot_harness import DialogHarness, make_test_settings
from tests.support.demo_callers import CARLOS, MARIA, joined

TOY = "CheckRewards"
UTTERANCES = {
    "en-us": [
        "how many reward points do I have",
        "what is my rewards balance",
        "check my reward points",
        "tell me my points balance",
        "how many points have I earned",
        "I want to know my rewards points",
        "rewards points please",
        "points on my rewards program",
        "how many loyalty points do I have",
        "can you check my loyalty points",
        "what's my points total",
        "my reward points balance",
        "how many points are in my rewards account",
        "did I earn any reward points",
        "read me my rewards points",
    ],
    "es": [
        "cuántos puntos de recompensa tengo",
        "cuál es mi saldo de puntos",
        "revisa mis puntos de recompensa",
        "dime mis puntos",
        "cuántos puntos he ganado",
        "quiero saber mis puntos de recompensas",
        "mis puntos por favor",
        "puntos de mi programa de recompensas",
        "cuántos puntos de lealtad tengo",
        "puedes revisar mis puntos de lealtad",
        "cuál es el total de mis puntos",
        "el saldo de mis puntos de recompensa",
        "cuántos puntos hay en mi cuenta de recompensas",
        "gané algunos puntos de recompensa",
        "léeme mis puntos de recompensa",
    ],
}
PROMPTS = {
    "en-US.json": {"rewards.points": "You have 1,200 reward points.", f"action.{TOY}": "check your points"},
    "es-MX.json": {"rewards.points": "Tiene 1,200 puntos de recompensa.", f"action.{TOY}": "ver sus puntos"},
}


class CheckRewardsDialog(VoiceDialog):
    """Step 3, the dialog: the smallest kind, one waterfall step that speaks one catalogue prompt."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__(CheckRewardsDialog.__name__, deps)
        self.add_dialog(WaterfallDialog("rewards_steps", [self._read_step]))
        self.initial_dialog_id = "rewards_steps"

    async def _read_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        await self.say(step.context, "rewards.points")
        return await step.end_dialog()


def add_utterances(project_file: Path) -> Path:
    """Step 1: the intent and its utterances in a copy of the CLU project file."""
    raw = json.loads(project_file.read_text(encoding="utf-8"))
    raw["assets"]["intents"].append({"category": TOY})
    raw["assets"]["utterances"] += [
        {"text": text, "intent": TOY, "language": language, "dataset": "Train", "entities": []}
        for language, texts in UTTERANCES.items()
        for text in texts
    ]
    copy = project_file.parent / "toy" / project_file.name
    copy.parent.mkdir()
    copy.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return copy


def add_prompts(folder: Path) -> Path:
    """Step 2: its prompts and its "action.<Intent>" phrase in copies of the catalogues."""
    folder.mkdir()
    for path in catalogue.CATALOGUE_DIR.glob("*.json"):
        prompts = json.loads(path.read_text(encoding="utf-8")) | PROMPTS[path.name]
        (folder / path.name).write_text(json.dumps(prompts, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.fixture
def toy_files(tmp_path: Path, bot_settings) -> dict[str, Path]:
    project = tmp_path / "cognitiveModels" / "banking.clu.json"
    project.parent.mkdir()
    shutil.copy(PROJECT_ROOT / "cognitiveModels" / "banking.clu.json", project)
    cache = tmp_path / "nlu-cache"  # the shared embedding cache, copied: the toy's never lands in it
    shared = bot_settings.nlu_cache_dir / "nlu-embeddings.npz"
    if shared.exists():
        cache.mkdir()
        shutil.copy(shared, cache)
    return {
        "project": add_utterances(project),
        "catalogue": add_prompts(tmp_path / "locales"),
        "cache": cache,
    }


async def toy_bot(toy_files: dict[str, Path], knowledge_index_dir: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(catalogue, "CATALOGUE_DIR", toy_files["catalogue"])
    settings = make_test_settings(
        tmp_path, knowledge_index_dir, clu_project_file=toy_files["project"], nlu_cache_dir=toy_files["cache"]
    )
    return await build_services(settings)  # the recognizer trains on the toy project, as at start-up


async def test_a_registered_toy_intent_is_recognised_and_served_in_both_languages(
    toy_files, knowledge_index_dir, tmp_path, monkeypatch
):
    # Step 4, the route: one more registry entry.
    monkeypatch.setattr(registry, "ROUTES", (*registry.ROUTES, registry.IntentRoute(TOY, CheckRewardsDialog)))
    services = await toy_bot(toy_files, knowledge_index_dir, tmp_path, monkeypatch)
    try:
        carlos = DialogHarness(services, CARLOS, "en-US")
        assert "1,200 reward points" in joined(await carlos.say("how many rewards points have I got"))
        maria = DialogHarness(services, MARIA, "es-MX")
        assert "1,200 puntos de recompensa" in joined(
            await maria.say("cuántos puntos de recompensa me quedan")
        )
    finally:
        await services.close()


async def test_a_toy_intent_left_out_of_the_registry_is_refused_at_start_up(
    toy_files, knowledge_index_dir, tmp_path, monkeypatch
):
    with pytest.raises(CluProjectError, match=f"not registered \\['{TOY}'\\]"):
        await toy_bot(toy_files, knowledge_index_dir, tmp_path, monkeypatch)
