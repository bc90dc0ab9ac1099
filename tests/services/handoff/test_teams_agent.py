"""A Teams (or ACS) agent: reached through ACS Call Automation with the right identifier; refused at
start-up when only the telephony channel (phone numbers only) could carry the transfer."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from adapters.acs.call_control import AcsCallControl
from adapters.telephony import handoff_event
from config import AcsSettings, HandoffSettings, Settings
from services.handoff.factory import TeamsAgentNeedsAcs, transfer_target
from services.handoff.targets import InvalidTransferTarget
from tests.support.fake_acs import CONNECTION_STRING, FakeCallAutomationService

AGENT_OBJECT_ID = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
ACS_AGENT = "8:acs:11111111-2222-3333-4444-555555555555_00000024-aaaa-bbbb-cccc-0123456789ab"
WITH_ACS = AcsSettings(endpoint="https://contoso.communication.azure.com")


def settings(teams_id: str, acs: AcsSettings = WITH_ACS) -> Settings:
    return Settings(_env_file=None, handoff=HandoffSettings(agent_teams_id=teams_id), acs=acs)


async def transferred_to(target: str) -> dict:
    acs = FakeCallAutomationService()
    control = AcsCallControl(acs.client(), "conn-1")
    assert await control.transfer(target, "H-1", "caller_request") is None  # the outcome comes as an event
    [request] = [r for r in acs.requests if ":transferToParticipant" in r["url"]]
    assert "/calling/callConnections/conn-1:transferToParticipant" in request["url"]
    return request["body"]


async def test_a_teams_agent_is_transferred_to_as_a_microsoft_teams_user() -> None:
    target = transfer_target(settings(AGENT_OBJECT_ID))
    assert target == f"8:orgid:{AGENT_OBJECT_ID}"
    body = await transferred_to(target)
    assert body["targetParticipant"] == {  # as SDK 1.6's serialize_identifier writes it
        "rawId": f"8:orgid:{AGENT_OBJECT_ID}",
        "microsoftTeamsUser": {"userId": AGENT_OBJECT_ID, "isAnonymous": False, "cloud": "PUBLIC"},
    }
    assert body["operationContext"] == "handoff:H-1"


async def test_an_acs_agent_is_transferred_to_as_a_communication_user() -> None:
    body = await transferred_to(transfer_target(settings(ACS_AGENT)))
    assert body["targetParticipant"] == {"rawId": ACS_AGENT, "communicationUser": {"id": ACS_AGENT}}


async def test_a_phone_agent_is_still_a_phone_number() -> None:
    body = await transferred_to(transfer_target(Settings(_env_file=None, acs=WITH_ACS)))
    assert body["targetParticipant"]["phoneNumber"] == {"value": "+14255550199"}


def test_the_handoff_event_names_a_teams_agent_as_a_participant_not_a_phone_number() -> None:
    event = handoff_event(f"8:orgid:{AGENT_OBJECT_ID}", "H-1", "caller_request", {})
    assert event.value["TargetParticipant"] == f"8:orgid:{AGENT_OBJECT_ID}"
    assert "TargetPhoneNumber" not in event.value
    assert handoff_event("+14255550199", "H-1", "x", {}).value["TargetPhoneNumber"] == "+14255550199"


def test_a_teams_agent_without_acs_is_refused_at_start_up_saying_why() -> None:
    with pytest.raises(TeamsAgentNeedsAcs, match="telephony channel transfers only to phone numbers"):
        transfer_target(settings(AGENT_OBJECT_ID, AcsSettings()))
    with_key = AcsSettings(connection_string=SecretStr(CONNECTION_STRING))
    assert transfer_target(settings(AGENT_OBJECT_ID, with_key)).startswith("8:orgid:")


@pytest.mark.parametrize("bad", ["+14255550199", "agent@contoso.com", "8:orgid:not-a-guid"])
def test_a_teams_id_that_is_not_one_is_refused(bad: str) -> None:
    with pytest.raises(InvalidTransferTarget, match="HANDOFF__AGENT_TEAMS_ID"):
        transfer_target(settings(bad))
