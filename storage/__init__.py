"""Bot state storage: botbuilder `Storage` backends (SQLite, Redis, Cosmos DB) and the turn serializer."""
