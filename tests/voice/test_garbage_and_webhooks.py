"""Garbage on the media socket, and the Event Grid / Call Automation webhooks against a fake ACS transport."""

from __future__ import annotations

import asyncio

import aiohttp

from adapters.acs.media_messages import audio_data_in, audio_metadata_in
from adapters.acs.media_ws import REGISTRY_KEY
from adapters.acs.simulator import open_call
from tests.support.fake_acs import FakeCallAutomationService
from tests.support.speech_fixtures import make_speech_pcm
from tests.support.voice_relay import RelaySpeechToText, RelayTextToSpeech
from tests.voice.conftest import SECRET
from tests.voice.harness import RecordingBot
from tests.voice.test_call_flow import CALLER, wait_for, ws_url

GARBAGE = [
    '{"kind": "AudioData", "audioData": {"data": "!!!not base64!!!"}}',
    "this is not json",
    '{"kind": "Banana", "banana": {}}',
    '{"kind": "AudioData"}',
    '{"kind": "AudioData", "audioData": {"data": "' + "A" * 100_000 + '"}}',
    '{"kind": "DtmfData", "dtmfData": {"data": "not-a-key"}}',
]


async def test_garbage_messages_are_skipped_and_the_call_goes_on(start_server, caplog) -> None:
    bot = RecordingBot(greeting="Hi.")
    server = await start_server(bot, RelaySpeechToText("I lost my credit card"), RelayTextToSpeech())
    async with aiohttp.ClientSession() as http:
        call = await open_call(http, ws_url(server), CALLER)
        for raw in GARBAGE:
            await call.ws.send_str(raw)
        await call.ws.send_bytes(b"\x00\x01binary")
        await call.listen_until_quiet(quiet_s=0.3)
        await call.say(make_speech_pcm("I lost my credit card", "en-US"))
        await call.listen_until_quiet(quiet_s=0.3)
        await call.hang_up()
    assert bot.texts() == ["I lost my credit card"]
    assert "not valid base64" in caplog.text and "unknown kind 'Banana'" in caplog.text
    assert "exceeds" in caplog.text and "bad DTMF" in caplog.text


async def test_oversized_frame_closes_only_that_call(start_server) -> None:
    bot = RecordingBot(greeting="Hi.")
    server = await start_server(bot, RelaySpeechToText(), RelayTextToSpeech())
    async with aiohttp.ClientSession() as http:
        call = await open_call(http, ws_url(server), CALLER)
        await call.ws.send_str(audio_data_in(b"\x00" * 1_000_000))  # 1.3 MB: beyond the socket limit
        assert await wait_for(lambda: call.closed)
        assert call.result.close_code == 1009
        assert await wait_for(lambda: bot.received[-1].type == "endOfConversation")
        assert await wait_for(lambda: len(server.app[REGISTRY_KEY]) == 0)
        second = await open_call(http, ws_url(server), CALLER)  # the server keeps serving
        assert await second.listen_until_quiet(quiet_s=0.3)
        await second.hang_up()


async def test_wrong_sample_rate_closes_the_call_cleanly(start_server, caplog) -> None:
    bot = RecordingBot(greeting="Hi.")
    server = await start_server(bot, RelaySpeechToText(), RelayTextToSpeech())
    async with aiohttp.ClientSession() as http:
        call = await open_call(http, ws_url(server), CALLER)
        await call.ws.send_str(audio_metadata_in(sample_rate=24000))
        assert await wait_for(lambda: call.closed)
    assert call.result.close_code == 1003
    assert "expected PCM/16000 Hz" in caplog.text
    assert await wait_for(
        lambda: server.app[REGISTRY_KEY].bridges() == [] and len(server.app[REGISTRY_KEY]) == 0
    )


INCOMING = {
    "id": "evt-1",
    "eventType": "Microsoft.Communication.IncomingCall",
    "data": {
        "to": {"kind": "phoneNumber", "rawId": "4:+18005550100", "phoneNumber": {"value": "+18005550100"}},
        "from": {"kind": "phoneNumber", "rawId": "4:+14255550123", "phoneNumber": {"value": "+14255550123"}},
        "serverCallId": "server-1",
        "callerDisplayName": "",
        "incomingCallContext": "eyJhbGciOi.fake-context",
        "correlationId": "corr-1",
    },
}


async def test_webhook_refuses_requests_without_the_shared_secret(start_server) -> None:
    server = await start_server(RecordingBot(), None, None)
    async with aiohttp.ClientSession() as http:
        for url in ("/api/calls/incoming", "/api/calls/incoming?secret=wrong", "/api/calls/events"):
            async with http.post(server.make_url(url), json=[INCOMING]) as resp:
                assert resp.status == 401


async def test_event_grid_validation_handshake(start_server) -> None:
    server = await start_server(RecordingBot(), None, None)
    event = {
        "id": "v1",
        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
        "data": {"validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"},
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(server.make_url(f"/api/calls/incoming?secret={SECRET}"), json=[event]) as resp:
            assert resp.status == 200
            assert await resp.json() == {"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}


async def test_incoming_call_is_answered_with_bidirectional_media_streaming(start_server) -> None:
    acs = FakeCallAutomationService()
    server = await start_server(RecordingBot(), None, None, acs_client=acs.client())
    async with aiohttp.ClientSession() as http:
        for _ in range(2):  # the second delivery of the same event id is a replay
            url = server.make_url("/api/calls/incoming")
            async with http.post(url, json=[INCOMING], headers={"X-Contoso-Event-Secret": SECRET}) as resp:
                assert resp.status == 200
    answers = [r for r in acs.requests if ":answer" in r["url"]]
    assert len(answers) == 1
    method, url, body = answers[0]["method"], answers[0]["url"], answers[0]["body"]
    assert method == "POST" and url.startswith(
        "https://contoso.communication.azure.com/calling/callConnections:answer"
    )
    assert body["incomingCallContext"] == "eyJhbGciOi.fake-context"
    record = server.app[REGISTRY_KEY].by_connection("conn-1")
    assert body["callbackUri"] == f"https://bot.example.com/api/calls/events?call={record.callback_token}"
    assert SECRET not in body["callbackUri"]
    media = body["mediaStreamingOptions"]
    assert media["transportUrl"].startswith("wss://bot.example.com/ws/media?call=")
    assert {k: media[k] for k in media if k != "transportUrl"} == {
        "transportType": "websocket",
        "contentType": "audio",
        "audioChannelType": "mixed",
        "startMediaStreaming": True,
        "enableBidirectional": True,
        "audioFormat": "pcm16KMono",
        "enableDtmfTones": True,
    }
    record = server.app[REGISTRY_KEY].by_connection("conn-1")
    assert record is not None and record.caller == "+14255550123"


async def test_phone_call_transfer_and_hang_up_go_through_call_automation(start_server, acs_openid) -> None:
    acs = FakeCallAutomationService()
    bot = RecordingBot(greeting="Hi.")
    server = await start_server(bot, RelaySpeechToText("agent"), RelayTextToSpeech(), acs_client=acs.client())
    headers = {"X-Contoso-Event-Secret": SECRET}
    async with aiohttp.ClientSession() as http:
        async with http.post(server.make_url("/api/calls/incoming"), json=[INCOMING], headers=headers):
            pass
        record = server.app[REGISTRY_KEY].by_connection("conn-1")
        url = str(server.make_url(f"/ws/media?call={record.media_token}")).replace("http://", "ws://")
        events_url = server.make_url("/api/calls/events").with_query(call=record.callback_token)
        ws = await http.ws_connect(url)
        await ws.send_str(audio_metadata_in())
        pcm = make_speech_pcm("I want an agent", "en-US")
        for i in range(0, len(pcm), 640):
            await ws.send_str(audio_data_in(pcm[i : i + 640].ljust(640, b"\0")))
        for _ in range(150):  # 3 s of line silence at real time
            await ws.send_str(audio_data_in(b"\0" * 640))
            await asyncio.sleep(0.02)
        transfers = [r for r in acs.requests if ":transferToParticipant" in r["url"]]
        assert transfers, "transfer_call_to_participant was called"
        body = transfers[0]["body"]
        assert body["targetParticipant"]["phoneNumber"]["value"] == "+14255550199"
        assert body["customCallingContext"]["sipHeaders"] == {
            "X-MS-Custom-HandoffId": "H-1",
            "X-MS-Custom-Reason": "caller_request",
        }
        event = {
            "id": "e-2",
            "type": "Microsoft.Communication.CallTransferAccepted",
            "data": {"callConnectionId": "conn-1", "operationContext": "handoff:H-1"},
        }
        async with http.post(events_url, json=[event], headers=acs_openid.headers()) as resp:
            assert resp.status == 200
        assert await wait_for(lambda: bot.named("handoff.status"))
        assert bot.named("handoff.status")[0].value["state"] == "completed"
        gone = {
            "id": "e-3",
            "type": "Microsoft.Communication.CallDisconnected",
            "data": {"callConnectionId": "conn-1"},
        }
        async with http.post(events_url, json=[gone], headers=acs_openid.headers()):
            pass
        assert await wait_for(lambda: bot.received[-1].type == "endOfConversation")
        await ws.close()


async def test_calls_beyond_the_instance_limit_and_disabled_softphone_are_refused(start_server) -> None:
    from voice.settings import VoiceSettings

    server = await start_server(
        RecordingBot(greeting="Hi."),
        None,
        None,
        voice=VoiceSettings(max_softphone_calls=1, softphone_enabled=True),
    )
    async with aiohttp.ClientSession() as http:
        first = await open_call(http, ws_url(server), CALLER)
        try:
            await open_call(http, ws_url(server), CALLER)
        except aiohttp.WSServerHandshakeError as exc:
            assert exc.status == 503
        else:
            raise AssertionError("second call accepted")
        await first.hang_up()
    server2 = await start_server(RecordingBot(), None, None, voice=VoiceSettings(softphone_enabled=False))
    async with aiohttp.ClientSession() as http:
        async with http.get(server2.make_url("/softphone")) as resp:
            assert resp.status == 404
        try:
            await open_call(http, ws_url(server2), CALLER)
        except aiohttp.WSServerHandshakeError as exc:
            assert exc.status == 403
        else:
            raise AssertionError("softphone call accepted")


async def test_answered_call_whose_media_never_connects_is_hung_up_and_frees_its_slot(start_server) -> None:
    from voice.settings import VoiceSettings

    acs = FakeCallAutomationService()
    server = await start_server(
        RecordingBot(),
        None,
        None,
        voice=VoiceSettings(max_calls=1, media_connect_timeout_seconds=0.3),
        acs_client=acs.client(),
    )
    headers = {"X-Contoso-Event-Secret": SECRET}
    incoming = server.make_url("/api/calls/incoming")
    async with aiohttp.ClientSession() as http:
        async with http.post(incoming, json=[INCOMING], headers=headers) as resp:
            assert resp.status == 200
        assert server.app[REGISTRY_KEY].by_connection("conn-1") is not None
        # No media socket ever arrives: the call is hung up for everyone and forgotten.
        assert await wait_for(lambda: len(server.app[REGISTRY_KEY]) == 0)
        calls = [(r["method"], r["url"].split("?")[0].rsplit("/calling/", 1)[1]) for r in acs.requests]
        assert calls == [("POST", "callConnections:answer"), ("POST", "callConnections/conn-1:terminate")]
        # ...so the instance's only slot takes the next call instead of answering busy.
        second = {**INCOMING, "id": "evt-2", "data": {**INCOMING["data"], "incomingCallContext": "ctx-2"}}
        async with http.post(incoming, json=[second], headers=headers) as resp:
            assert resp.status == 200
        assert acs.answered == ["eyJhbGciOi.fake-context", "ctx-2"]


async def test_incoming_call_at_capacity_is_rejected_as_busy(start_server) -> None:
    from voice.settings import VoiceSettings

    acs = FakeCallAutomationService()
    server = await start_server(
        RecordingBot(greeting="Hi."),
        None,
        None,
        voice=VoiceSettings(max_calls=1, softphone_enabled=True),
        acs_client=acs.client(),
    )
    second = {**INCOMING, "id": "evt-2", "data": {**INCOMING["data"], "incomingCallContext": "ctx-2"}}
    async with aiohttp.ClientSession() as http:
        url = server.make_url("/api/calls/incoming")
        for event in (INCOMING, second):  # the first phone call takes the one slot
            async with http.post(url, json=[event], headers={"X-Contoso-Event-Secret": SECRET}) as resp:
                assert resp.status == 200
    assert acs.answered == ["eyJhbGciOi.fake-context"]
    rejects = [r for r in acs.requests if ":reject" in r["url"]]
    assert len(rejects) == 1
    assert rejects[0]["body"] == {"incomingCallContext": "ctx-2", "callRejectReason": "busy"}


async def test_events_of_the_wrong_shape_are_400_not_500(start_server, acs_openid) -> None:
    server = await start_server(RecordingBot(), None, None)
    data_not_an_object = [
        [{"id": "x1", "type": "Microsoft.Communication.CallConnected", "data": ["conn-1"]}],
        {"id": "x2", "eventType": "Microsoft.Communication.IncomingCall", "data": "ctx"},
    ]
    validation_without_code = [
        {"id": "x3", "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent", "data": {}}
    ]
    paths = ("/api/calls/incoming", "/api/calls/events")
    cases = [(path, body) for path in paths for body in data_not_an_object]
    cases.append(("/api/calls/incoming", validation_without_code))
    async with aiohttp.ClientSession() as http:
        for path, body in cases:
            headers = {"X-Contoso-Event-Secret": SECRET, **acs_openid.headers()}
            async with http.post(server.make_url(path), json=body, headers=headers) as resp:
                assert resp.status == 400, (path, body, await resp.text())
