"""The audit checklist's alert rules exist and query telemetry names the bot really emits."""

from __future__ import annotations

import re

from tests.support import bicep

APP_PACKAGES = ("adapters", "bots", "core", "dialogs", "recognizers", "services", "storage", "voice", "web")


def _code_strings() -> set[str]:
    """Every quoted string literal in the application code (not the tests)."""
    found: set[str] = set()
    paths = [bicep.ROOT / "app.py"] + [p for pkg in APP_PACKAGES for p in (bicep.ROOT / pkg).rglob("*.py")]
    for path in paths:
        found |= {a or b for a, b in re.findall(r"\"([^\"\n]+)\"|'([^'\n]+)'", path.read_text())}
    return found


def _telemetry_names(query: str) -> set[str]:
    """Names a KQL query filters on: name == "x", customDimensions["k"]) == "v"."""
    names = set(re.findall(r'\bname == "([^"]+)"', query))
    for key, value in re.findall(r'customDimensions\["([^"]+)"\]\) == "([^"]+)"', query):
        names |= {key, value}
    return names


def test_the_checklist_alerts_exist_next_to_the_escalation_rule() -> None:
    monitoring = bicep.text("modules/monitoring.bicep")
    alerts = bicep.text("modules/alerts.bicep")
    assert "resource escalationAlert 'Microsoft.Insights/scheduledQueryRules" in monitoring
    names = set(re.findall(r"^    name: '([a-z0-9-]+)'$", alerts, re.MULTILINE))
    assert names == {
        "llm-calls-per-minute",
        "secret-read-unexpected-address",
        "auth-failure-burst",
        "pin-lockouts",
    }
    assert "module alerts 'modules/alerts.bicep'" in bicep.text()


def test_alert_queries_name_telemetry_the_code_emits() -> None:
    queries = bicep.alert_queries()
    assert len(queries) == 5
    emitted = _code_strings()
    for query in queries:
        names = _telemetry_names(query)
        missing = {n for n in names if n not in emitted}
        assert not missing, f"no code emits {sorted(missing)} (query: {query})"
    queried = set().union(*(_telemetry_names(q) for q in queries))
    assert {"escalation_rate", "llm_call", "PinLockout"} <= queried


def test_secret_reads_are_trusted_only_from_the_bot_subnet() -> None:
    main = bicep.text()
    block = main[main.index("module alerts 'modules/alerts.bicep'") :]
    ranges = block[block.index("trustedSecretReaderRanges: [") : block.index("]")]
    assert ranges.split("[", 1)[1].split() == ["network.outputs.appSubnetPrefix"]
    query = next(q for q in bicep.alert_queries() if "SecretGet" in q)
    assert "not(ipv4_is_in_any_range(CallerIPAddress, dynamic(${trustedRanges})))" in query
