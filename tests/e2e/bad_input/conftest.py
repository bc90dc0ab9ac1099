"""Servers for the bad-input suite, shared by its modules, and the check that nothing raised on them."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import requests

from tests.e2e.bad_input.support import APP_ID, ExceptionLog, Server, fuzz_settings, serve_bot
from tests.support.acs_callbacks import AcsOpenIdServer, serve_acs_openid


@pytest.fixture(scope="package", autouse=True)
def exceptions() -> Iterator[ExceptionLog]:
    """Installed before the servers start: every record with a traceback logged anywhere in the process."""
    handler = ExceptionLog()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@pytest.fixture(autouse=True)
def nothing_raised_on_the_server(exceptions: ExceptionLog) -> Iterator[None]:
    """Each test fails if anything it sent made a server log an exception it did not handle."""
    before = len(exceptions.records)
    yield
    assert exceptions.summary()[before:] == []


@pytest.fixture(scope="package")
def acs_openid() -> Iterator[AcsOpenIdServer]:
    """ACS's OpenID metadata and signing keys, on loopback."""
    yield from serve_acs_openid()


@pytest.fixture(scope="package")
def server(tmp_path_factory, knowledge_index_dir, trained_recognizer, acs_openid) -> Iterator[Server]:
    yield from serve_bot(fuzz_settings(tmp_path_factory, knowledge_index_dir, acs_openid), trained_recognizer)


@pytest.fixture(scope="package")
def authed_server(tmp_path_factory, knowledge_index_dir, trained_recognizer, acs_openid) -> Iterator[Server]:
    yield from serve_bot(
        fuzz_settings(tmp_path_factory, knowledge_index_dir, acs_openid, app_id=APP_ID), trained_recognizer
    )


@pytest.fixture(scope="package")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session
