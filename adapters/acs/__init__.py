"""Azure Communication Services call path: Event Grid webhook, call events, media WebSocket, call adapter."""
