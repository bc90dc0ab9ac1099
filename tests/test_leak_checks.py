"""The leak checks used by the privacy tests: blind to digests, ids and clocks, not to leaked values."""

import logging

from tests.support.leaks import logged_fields, reveals


def test_a_pin_inside_an_audit_digest_or_a_call_id_is_not_a_leak():
    record = '{"conversation_id": "call-3d78f412345f", "entry_hash": "a03e6903131234680ee470f3"}'
    assert not reveals(record, "1234")


def test_a_pin_inside_a_timestamps_microseconds_is_not_a_leak():
    assert not reveals('{"at": "2026-12-01T20:39:06.374321Z", "text": "[PIN]"}', "4321")
    assert not reveals('{"ts": "2026-12-01 20:39:06.374321+00:00"}', "4321")


def test_a_value_in_words_or_inside_a_card_number_is_a_leak():
    assert reveals('{"detail": "verify pin 1234"}', "1234")
    assert reveals("card 4111111111111234 charged", "1234")
    assert reveals("caller +14255550100", "+14255550100")
    assert reveals('{"at": "2026-12-01T20:39:06Z", "text": "4321"}', "4321")


def test_a_log_record_is_read_as_its_line_carries_it():
    record = logging.makeLogRecord({"msg": "blocked %s", "args": ("override",), "card": "4111 1111"})
    record.thread, record.created = 1404111, 1764621234.4111  # the logging module's own numbers
    fields = logged_fields(record)
    assert "blocked override" in fields and "4111 1111" in fields
    assert "1404111" not in fields and "1764621234" not in fields
