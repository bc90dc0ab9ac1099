"""README's "Add a language", followed for a toy French: the table entry, a catalogue and utterances are
all it takes for the bot to answer a French caller in French, with the French voices and culture."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from app import build_services
from config import PROJECT_ROOT
from locales import catalogue, languages
from locales.formatting import say_amount
from locales.languages import Language, SpokenCulture
from recognizers.clu_project import CluProjectError, load_project
from services.speech.embedded_tts import EspeakTextToSpeech
from tests.support.bot_harness import DialogHarness, make_test_settings

FRENCH = Language(
    code="fr",
    locale="fr-FR",
    name="French",
    azure_voice="fr-FR-DeniseNeural",
    espeak_voice="fr",
    stt_engine="whisper",
    clu_language="fr",
    culture="fr-fr",
    spoken=SpokenCulture(
        months=tuple(
            "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()
        ),
        weekdays=("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
        currency_words={"USD": ("dollar", "dollars", "centime", "centimes")},
        cents_joiner="et",
        date="{day} {month}",
        past_date="le {date}",
    ),
    called=frozenset({"french", "frances", "francais"}),
    cue_words=frozenset("oui merci bonjour quoi combien carte compte solde aide".split()),
)
UNKNOWN_FRENCH_CALLER = "+33155550123"


@pytest.fixture
def french(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Steps 1 and 2: the table entry and the catalogue (every English prompt, marked as French)."""
    monkeypatch.setattr(languages, "LANGUAGES", (*languages.LANGUAGES, FRENCH))
    folder = tmp_path / "locales"
    folder.mkdir()
    for path in catalogue.CATALOGUE_DIR.glob("*.json"):
        (folder / path.name).write_bytes(path.read_bytes())
    english = json.loads((catalogue.CATALOGUE_DIR / "en-US.json").read_text(encoding="utf-8"))
    french = {key: f"[fr] {text}" for key, text in english.items()}
    (folder / "fr-FR.json").write_text(json.dumps(french, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(catalogue, "CATALOGUE_DIR", folder)
    return tmp_path


def with_french_utterances(folder: Path) -> Path:
    """Step 3: utterances tagged with the table's CLU language in (a copy of) the project file."""
    raw = json.loads((PROJECT_ROOT / "cognitiveModels" / "banking.clu.json").read_text(encoding="utf-8"))
    raw["assets"]["utterances"] += [
        {"text": "quel est le solde de mon compte", "intent": "CheckBalance", "language": "fr"},
        {"text": "je veux parler à un agent", "intent": "TalkToAgent", "language": "fr"},
    ]
    path = folder / "banking.clu.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return path


async def test_a_french_caller_is_answered_from_the_french_catalogue_in_a_french_voice(
    french, knowledge_index_dir, trained_recognizer
):
    services = await build_services(make_test_settings(french, knowledge_index_dir), trained_recognizer)
    try:
        caller = DialogHarness(services, UNKNOWN_FRENCH_CALLER, "fr-FR")
        replies = await caller.say("bonjour, j'ai besoin d'aide avec ma carte de crédit s'il vous plaît")
        assert replies and all(text.startswith("[fr] ") for text in replies), replies
        speech = [activity.speak or "" for activity in caller.last if activity.type == "message"]
        assert all("xml:lang='fr-FR'" in ssml and "fr-FR-DeniseNeural" in ssml for ssml in speech), speech
    finally:
        await services.close()


def test_the_french_entry_reaches_speech_culture_and_the_project_file(french):
    assert EspeakTextToSpeech().voice_for("fr-FR") == "fr"
    assert say_amount(Decimal("1250.40"), "USD", "fr-FR") == "1,250 dollars et 40 centimes"
    project = load_project(with_french_utterances(french))
    assert {u.language for u in project.utterances} == {"en", "es", "fr"}


def test_without_the_table_entry_french_utterances_are_refused(tmp_path):
    with pytest.raises(CluProjectError, match="unsupported language 'fr'"):
        load_project(with_french_utterances(tmp_path))
