"""Conversation state whose save flattens the state once, not twice."""

from __future__ import annotations

from botbuilder.core import ConversationState, TurnContext
from jsonpickle import Pickler


class ConversationStateFlattenedOnce(ConversationState):
    """botbuilder's ``save_changes`` flattens the whole state (jsonpickle, the cost of its hash) to see
    whether it changed, writes it, then flattens it again to remember what was saved. The write changes
    nothing but the e_tag the store stamps on the state (storage/items.py), so the remembered hash is
    the first flattening with that e_tag: one flattening fewer per turn (the dialog stack, the call
    session and its journal), same hash, same writes."""

    async def save_changes(self, turn_context: TurnContext, force: bool = False) -> None:
        cached = self.get_cached_state(turn_context)
        if cached is None or not isinstance(cached.state, dict):
            await super().save_changes(turn_context, force)
            return
        flat = Pickler().flatten(cached.state)  # what CachedBotState.compute_hash turns into its hash
        if not force and str(flat) == cached.hash:
            return
        await self._storage.write({self.get_storage_key(turn_context): cached.state})
        if "e_tag" in cached.state:
            etag = cached.state["e_tag"]  # a string, which jsonpickle leaves as it is
            flat["e_tag"] = etag if isinstance(etag, str) else Pickler().flatten(etag)
        cached.hash = str(flat)
