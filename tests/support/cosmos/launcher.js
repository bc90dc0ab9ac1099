#!/usr/bin/env node
// Starts the @vercel/cosmosdb-server Cosmos DB SQL-API emulation on a loopback port for the tests.
// Patch: reading a missing document from a partitioned container throws inside the package (HTTP 500)
// instead of answering 404, which breaks botbuilder's CosmosDbPartitionedStorage on a new
// conversation's first read. The read-document handler is wrapped before the routes table loads.
// Usage: node launcher.js --port P [--host 127.0.0.1] [--ssl]
"use strict";
const path = require("path");

const pkgLib = path.join(__dirname, "node_modules", "@vercel", "cosmosdb-server", "lib");
const readDocument = require(path.join(pkgLib, "handler", "read-document"));
const partitionHeader = require(path.join(pkgLib, "utils", "get-partition-from-header"));

const original = readDocument.default;
const NOT_FOUND = { code: "NotFound", message: "Entity with the specified id does not exist in the system.," };

readDocument.default = (account, req, res, params) => {
  const collection = account.database(params.dbId).collection(params.collId);
  if (collection.read()) {
    const partitionKey = partitionHeader.default(req);
    const parsed = partitionHeader.parsePartitionKey(partitionKey, params.docId);
    const data = collection.document(params.docId, parsed).read();
    if (!data) {
      res.statusCode = 404;
      return NOT_FOUND;
    }
  }
  return original(account, req, res, params);
};

const { createHttpServer, createHttpsServer } = require(pkgLib);

const argv = process.argv.slice(2);
let port = 0;
let host = "127.0.0.1";
let ssl = false;
while (argv.length) {
  const arg = argv.shift();
  if (arg === "--port" || arg === "-p") port = parseInt(argv.shift(), 10);
  else if (arg === "--host") host = argv.shift();
  else if (arg === "--ssl") ssl = true;
}

const server = (ssl ? createHttpsServer : createHttpServer)({ keepAlive: true });
server.listen(port, host, () => {
  const addr = server.address();
  console.log(`cosmosdb-server ready ${ssl ? "https" : "http"}://${addr.address}:${addr.port}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
  process.on(signal, () => setTimeout(() => process.exit(0), 500).unref());
}
