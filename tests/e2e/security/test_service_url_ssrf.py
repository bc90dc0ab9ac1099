"""Server-side request forgery through ``serviceUrl`` (issue 11, item 2): the bot replies only to Bot
Framework channel hosts; any other address gets a 4xx and receives nothing, in both modes."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
from aiohttp import web
from botframework.connector.auth import ChannelValidation

from config import Settings
from core.security.service_urls import ServiceUrlPolicy
from tests.e2e.bad_input.support import Server, fuzz_settings, serve_bot
from tests.support.channel_keys import ChannelKeys, serve_channel_keys
from tests.support.servers import serve_on_loopback

APP_ID = "00000000-0000-0000-0000-0000000000aa"
FORGED_TARGETS = [
    "http://169.254.169.254/metadata/instance",  # the cloud's instance metadata service
    "http://10.0.0.5:8080/",
    "https://evil.example/v3/",
    "https://evil.trafficmanager.net/",  # any Azure customer can register a trafficmanager.net name
    "https://smba.trafficmanager.net.evil.example/amer/",
    "http://smba.trafficmanager.net/amer/",  # a channel host, but not over https
    "https://user@smba.trafficmanager.net/amer/",
    "ftp://webchat.botframework.com/",
]


@dataclass
class Canary:
    """A connector endpoint that records every reply the bot sends it."""

    url: str
    hits: list[str] = field(default_factory=list)


def _canary(server: Server, host: str = "127.0.0.1") -> Canary:
    canary = Canary("")

    async def record(request: web.Request) -> web.Response:
        canary.hits.append(request.path)
        return web.json_response({"id": "r"})

    app = web.Application()
    app.router.add_post("/{tail:.*}", record)

    async def start() -> str:
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, host, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://{host}:{port}"

    canary.url = server.call(start()) if host != "127.0.0.1" else server.call(serve_on_loopback(app))[1]
    return canary


def _this_hosts_network_address() -> str | None:
    """An address of this machine that is not loopback (where one exists), for a non-loopback canary."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent; the kernel only picks a source address
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def _activity(service_url: str, text: str = "what is my balance") -> dict[str, object]:
    return {
        "type": "message",
        "text": text,
        "channelId": "msteams",
        "serviceUrl": service_url,
        "conversation": {"id": "ssrf"},
        "from": {"id": "+14255550100"},
        "recipient": {"id": APP_ID},
    }


@pytest.fixture(scope="module")
def development_server(tmp_path_factory, knowledge_index_dir, trained_recognizer) -> Iterator[Server]:
    yield from serve_bot(fuzz_settings(tmp_path_factory, knowledge_index_dir), trained_recognizer)


@pytest.fixture(scope="module")
def channel_keys() -> Iterator[ChannelKeys]:
    with serve_channel_keys() as keys:
        saved = ChannelValidation.open_id_metadata_endpoint
        ChannelValidation.open_id_metadata_endpoint = keys.metadata_url
        try:
            yield keys
        finally:
            ChannelValidation.open_id_metadata_endpoint = saved


@pytest.fixture(scope="module")
def production_server(
    tmp_path_factory, knowledge_index_dir, trained_recognizer, channel_keys
) -> Iterator[Server]:
    settings = fuzz_settings(
        tmp_path_factory,
        knowledge_index_dir,
        app_env="production",
        app_id=APP_ID,
        app_password="test-app-password",
        pin_lockout={"subject_key": "test-subject-key"},
        embedded_crm={"pin_pepper": "test-pin-pepper-from-the-vault"},
    )
    yield from serve_bot(settings, trained_recognizer)


@pytest.mark.parametrize("target", FORGED_TARGETS)
def test_development_refuses_a_service_url_off_the_channel_hosts(development_server, target):
    response = requests.post(development_server.url("/api/messages"), json=_activity(target), timeout=30)
    assert response.status_code == 403, response.text


def test_development_sends_nothing_to_a_network_address(development_server):
    address = _this_hosts_network_address()
    if address is None:
        pytest.skip("this machine has no network address besides loopback")
    canary = _canary(development_server, "0.0.0.0")
    target = canary.url.replace("0.0.0.0", address)
    response = requests.post(development_server.url("/api/messages"), json=_activity(target), timeout=30)
    assert response.status_code == 403, response.text
    assert canary.hits == []


def test_development_still_replies_on_loopback(development_server):
    canary = _canary(development_server)
    response = requests.post(
        development_server.url("/api/messages"), json=_activity(canary.url, "hello"), timeout=30
    )
    assert response.status_code in (200, 201), response.text
    assert canary.hits, "the Emulator on loopback got no reply"


def test_production_refuses_loopback_even_with_a_valid_channel_token(production_server, channel_keys):
    canary = _canary(production_server)
    token = channel_keys.token(APP_ID, service_url=canary.url)
    response = requests.post(
        production_server.url("/api/messages"),
        json=_activity(canary.url),
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 403, response.text
    assert canary.hits == []


@pytest.mark.parametrize("target", FORGED_TARGETS[:3])
def test_production_refuses_internal_addresses_with_a_valid_channel_token(
    production_server, channel_keys, target
):
    token = channel_keys.token(APP_ID, service_url=target)
    response = requests.post(
        production_server.url("/api/messages"),
        json=_activity(target),
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 403, response.text


@pytest.mark.parametrize(
    "url",
    [
        "https://smba.trafficmanager.net/amer/",
        "https://smba.trafficmanager.net/emea/",
        "https://webchat.botframework.com/",
        "https://directline.botframework.com/",
        "https://europe.directline.botframework.com/",
        "https://smba.infra.gcc.teams.microsoft.com/gcc/",
    ],
)
def test_real_channel_service_urls_are_allowed_in_production(url):
    policy = ServiceUrlPolicy.from_settings(Settings(_env_file=None, app_env="production"))
    assert policy.allows(url)
    assert not policy.allows("http://127.0.0.1:3978/")
