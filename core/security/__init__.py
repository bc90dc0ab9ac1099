"""Security policies shared by the routes: production-mode checks, reply hosts, client addresses."""
