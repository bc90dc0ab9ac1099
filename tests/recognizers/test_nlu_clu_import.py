"""The CLU project file is importable as documented: JSON Schema from the docs, and the SDK's import call."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from azure.ai.language.conversations.authoring.aio import ConversationAuthoringClient
from azure.core.credentials import AzureKeyCredential
from jsonschema import Draft202012Validator
from nlu_testdata import PROJECT, PROJECT_FILE

from tests.support.fake_azure import FakeAzureTransport

SCHEMA = json.loads((PROJECT / "tests" / "data" / "clu_project_import.schema.json").read_text("utf-8"))
RAW = json.loads(PROJECT_FILE.read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)


def _errors(project: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(project)]


def test_schema_is_itself_a_valid_json_schema():
    Draft202012Validator.check_schema(SCHEMA)


def test_project_file_validates_against_the_documented_import_schema():
    assert _errors(RAW) == []


def _broken(change) -> dict[str, Any]:
    project = copy.deepcopy(RAW)
    change(project)
    return project


@pytest.mark.parametrize(
    ("mistake", "change"),
    [
        ("a Custom NER file version", lambda p: p.__setitem__("projectFileVersion", "2023-04-15")),
        (
            "es-mx is not in CLU's language list",
            lambda p: p["assets"]["utterances"][-1].update(language="es-mx"),
        ),
        (
            "prebuilt names are Quantity.Currency / Datetime / Quantity.Number",
            lambda p: next(e for e in p["assets"]["entities"] if e.get("prebuilts"))["prebuilts"][0].update(
                category="Currency"
            ),
        ),
        ("dataset is Train or Test", lambda p: p["assets"]["utterances"][0].update(dataset="Dev")),
    ],
)
def test_schema_rejects_what_language_studio_would_refuse(mistake, change):
    assert _errors(_broken(change)), mistake


async def test_the_file_imports_through_the_authoring_sdk_as_documented():
    """begin_import_project sends the file unchanged to the documented 2023-04-01 import route."""
    transport = FakeAzureTransport(lambda method, url, body: (202, None))
    client = ConversationAuthoringClient(
        "https://contoso-language.cognitiveservices.azure.com",
        AzureKeyCredential("fake-key-for-tests"),
        transport=transport,
    )
    async with client:
        await client.begin_import_project(RAW["metadata"]["projectName"], RAW, polling=False)
    [sent] = transport.requests
    url = urlparse(sent["url"])
    assert sent["method"] == "POST"
    assert url.path == "/language/authoring/analyze-conversations/projects/contoso-banking/:import"
    assert parse_qs(url.query)["api-version"] == [RAW["projectFileVersion"]] == ["2023-04-01"]
    assert sent["body"] == RAW
