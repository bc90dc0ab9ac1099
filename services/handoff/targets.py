"""Who a transfer goes to: an E.164 phone number, or a Teams or ACS user by its ACS raw id."""

from __future__ import annotations

import re

E164 = re.compile(r"\+[1-9]\d{6,14}")
TEAMS_USER_PREFIX = "8:orgid:"
"""Raw id of a Teams user in the public cloud: ``8:orgid:<Entra object id>``."""
ACS_USER_PREFIX = "8:acs:"
"""Raw id of an ACS identity: ``8:acs:<resource id>_<user id>``."""
_GUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_ACS_USER = re.compile(r"8:acs:[0-9a-fA-F-]{36}_[0-9A-Za-z_-]+")


class InvalidTransferTarget(ValueError):
    """A transfer target that is neither an E.164 number nor a Teams or ACS user."""


def is_phone_number(target: str) -> bool:
    return bool(E164.fullmatch(target))


def agent_raw_id(value: str) -> str:
    """``HANDOFF__AGENT_TEAMS_ID`` as a raw id: a Teams user's Entra object id (a GUID) or
    ``8:orgid:<guid>``, or an ACS user ``8:acs:<resource>_<user>`` (an agent desk built on ACS)."""
    value = value.strip()
    if _GUID.fullmatch(value):
        return TEAMS_USER_PREFIX + value.lower()
    if value.startswith(TEAMS_USER_PREFIX) and _GUID.fullmatch(value.removeprefix(TEAMS_USER_PREFIX)):
        return value
    if _ACS_USER.fullmatch(value):
        return value
    raise InvalidTransferTarget(
        "HANDOFF__AGENT_TEAMS_ID must be a Teams user's Entra object id (a GUID, or 8:orgid:<guid>) "
        "or an ACS user id (8:acs:...)"
    )


def is_transfer_target(target: str) -> bool:
    """A phone number, or a Teams or ACS user raw id."""
    if is_phone_number(target):
        return True
    try:
        return agent_raw_id(target) == target
    except InvalidTransferTarget:
        return False
