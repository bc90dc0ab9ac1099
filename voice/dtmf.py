"""DTMF aggregation: key presses become one sequence on the terminator, at max length, or after a pause."""

from __future__ import annotations

VALID_DIGITS = frozenset("0123456789*#ABCD")


class DtmfCollector:
    def __init__(self, terminator: str = "#", max_digits: int = 12) -> None:
        self.terminator = terminator
        self.max_digits = max_digits
        self._digits: list[str] = []

    @property
    def pending(self) -> bool:
        return bool(self._digits)

    def add(self, digit: str) -> str | None:
        """Add one key; return the completed sequence (without the terminator) or None."""
        if digit == self.terminator:
            return self.flush() or None
        self._digits.append(digit)
        if len(self._digits) >= self.max_digits:
            return self.flush()
        return None

    def flush(self) -> str:
        """The keys so far (after an inter-digit pause); empties the buffer."""
        seq, self._digits = "".join(self._digits), []
        return seq


def normalise_digit(raw: str) -> str | None:
    """ACS sends ``"3"``; some clients send names (``"pound"``, ``"asterisk"``). None when not a key."""
    names = {"pound": "#", "hash": "#", "asterisk": "*", "star": "*"}
    for i in range(10):
        names[["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"][i]] = str(i)
    value = raw.strip()
    value = names.get(value.lower(), value)
    return value if len(value) == 1 and value in VALID_DIGITS else None
