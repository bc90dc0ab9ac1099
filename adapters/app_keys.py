"""Typed keys for what app.py stores on the aiohttp application, shared by every route module."""

from __future__ import annotations

from typing import Any

from aiohttp import web

SERVICES_KEY: web.AppKey[Any] = web.AppKey("services")
"""app.Services: settings, bot, adapter, backends (typed as Any here to avoid importing app.py)."""
ADMISSION_KEY: web.AppKey[Any] = web.AppKey("admission")
"""core.admission.AdmissionControl: new conversations (and new phone calls) shed under overload."""
