// Drives the bot's /api/messages WebSocket with Microsoft's own Bot Framework streaming client
// (npm botframework-streaming, WebSocketClient), as the Azure Bot Service telephony channel does.
//
//   node driver.js ws://127.0.0.1:PORT/api/messages '{"authorization": "Bearer ...", "channelid": "telephony"}'
//
// Reads JSON lines on stdin:  {"id": "1", "send": {activity}}  or  {"close": true}
// Writes JSON lines on stdout:
//   {"event": "connected"}                                       the upgrade succeeded
//   {"event": "rejected", "status": 401}                         the upgrade was refused
//   {"event": "request", "verb": "POST", "path": "/v3/...", "body": {activity}}   the bot sent something
//   {"event": "response", "id": "1", "status": 200, "body": ...} the bot answered activity "1"
//   {"event": "disconnected"}
'use strict';

const readline = require('readline');
const WebSocket = require('ws');
const {
    WebSocketClient,
    NodeWebSocket,
    RequestHandler,
    StreamingRequest,
    StreamingResponse,
} = require('botframework-streaming');
const { WebSocketTransport } = require('botframework-streaming/lib/webSocket/webSocketTransport');

const [url, headersJson] = process.argv.slice(2);
const headers = headersJson ? JSON.parse(headersJson) : {};

function emit(message) {
    process.stdout.write(JSON.stringify(message) + '\n');
}

async function readBody(streams) {
    if (!streams || streams.length === 0) return null;
    const text = await streams[0].readAsString();
    try {
        return JSON.parse(text);
    } catch (_error) {
        return text;
    }
}

// What the channel does with the bot's replies: accept each one and give it an id.
class ChannelSide extends RequestHandler {
    constructor() {
        super();
        this.count = 0;
    }

    async processRequest(request) {
        const body = await readBody(request.streams);
        emit({ event: 'request', verb: request.verb, path: request.path, body });
        this.count += 1;
        const response = StreamingResponse.create(200);
        response.setBody(JSON.stringify({ id: `reply-${this.count}` }));
        return response;
    }
}

// WebSocketClient.connect() opens the socket without headers; the channel sends its token (and
// channel id) on the upgrade, so this subclass opens the same `ws` socket with them and then wires
// it exactly as WebSocketClient.connect() does. Everything above the socket is Microsoft's code.
class HeaderWebSocketClient extends WebSocketClient {
    async connect() {
        const socket = new WebSocket(url, { headers });
        await new Promise((resolve, reject) => {
            socket.once('open', resolve);
            socket.once('unexpected-response', (_request, response) => {
                reject(Object.assign(new Error('upgrade refused'), { status: response.statusCode }));
            });
            socket.once('error', reject);
        });
        const transport = new WebSocketTransport(new NodeWebSocket(socket));
        this._sender.connect(transport);
        this._receiver.connect(transport);
    }
}

async function main() {
    const client = new HeaderWebSocketClient({
        url,
        requestHandler: new ChannelSide(),
        disconnectionHandler: () => emit({ event: 'disconnected' }),
    });
    try {
        await client.connect();
    } catch (error) {
        emit({ event: 'rejected', status: error.status || 0, message: error.message });
        process.exit(0);
    }
    emit({ event: 'connected' });

    const lines = readline.createInterface({ input: process.stdin });
    for await (const line of lines) {
        if (!line.trim()) continue;
        const command = JSON.parse(line);
        if (command.close) break;
        const request = StreamingRequest.create('POST', '/api/messages');
        request.setBody(JSON.stringify(command.send)); // a string body is sent as application/json
        client
            .send(request)
            .then(async (response) => {
                emit({ event: 'response', id: command.id, status: response.statusCode, body: await readBody(response.streams) });
            })
            .catch((error) => emit({ event: 'response', id: command.id, status: 0, error: error.message }));
    }
    client.disconnect();
    process.exit(0);
}

main();
