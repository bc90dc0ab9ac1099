"""Property-based bad input (hypothesis) on every HTTP and WebSocket endpoint: the bot app (/api/messages,
call webhooks, /ws/media, agent console, pages) and the demo CRM server. Each request gets a deliberate
4xx (or the 2xx the protocol prescribes for accept-and-ignore) or a clean WebSocket close: never a 5xx,
never a traceback in a response, never an exception logged on the server; afterwards a known caller is
still greeted by name."""
