"""Ports: one interface per outside service, each with its Azure and its embedded implementation and a
factory that picks one from settings (audit, CRM, handoff, knowledge, recording, speech, summary, ACS
call automation). Cross-cutting code lives in core/, the real-time voice pipeline in voice/."""
