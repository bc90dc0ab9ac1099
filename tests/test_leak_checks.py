"""The leak check used by the privacy tests: blind to digests and ids, not to leaked values."""

from tests.support.leaks import reveals


def test_a_pin_inside_an_audit_digest_or_a_call_id_is_not_a_leak():
    record = '{"conversation_id": "call-3d78f412345f", "entry_hash": "a03e6903131234680ee470f3"}'
    assert not reveals(record, "1234")


def test_a_value_in_words_or_inside_a_card_number_is_a_leak():
    assert reveals('{"detail": "verify pin 1234"}', "1234")
    assert reveals("card 4111111111111234 charged", "1234")
    assert reveals("caller +14255550100", "+14255550100")
