#!/usr/bin/env node
// models_server.js - a loopback server that answers like AI providers'
// model-list endpoints, for aiauth's tests.  Node 20, no dependencies.
//
//   node models_server.js --port 0 --port-file FILE [--key KEY]
//        [--mode ok|401|500|html|malformed|empty|huge|hang|slow]
//        [--flavor openai|anthropic|gemini|ollama|together|azure]
//        [--models N] [--delay MS] [--log FILE]
//
// Listens on 127.0.0.1 only; writes the bound port to --port-file (written to
// a temporary name, then renamed, so a reader never sees half a number) once
// listening; exits on SIGTERM or SIGINT.
//
// Routes (the flavour only changes the answer's shape where a route serves
// several providers):
//   GET /v1/models, /models     OpenAI style, "Authorization: Bearer KEY"; a
//                               request carrying x-api-key is checked as
//                               Anthropic (x-api-key + anthropic-version).
//                               --flavor together answers a bare array.
//   GET /v1beta/models          Gemini, x-goog-api-key, {"models":[{"name":"models/.."}]}
//   GET /api/tags               Ollama, no auth, {"models":[{"name":"llama3:8b",..}]}
//   GET /openai/models?api-version=V   Azure, "api-key" header
// With no --key configured nothing is checked (local servers: LM Studio,
// vLLM, llama.cpp answer /v1/models without auth).  A wrong or missing key
// gets 401 with a JSON error shaped like that provider's.
//
// --mode (default ok): 401 always refuse; 500 JSON server error; html a 200
// text/html page; malformed a 200 '{"data":['; empty a 200 with no body;
// huge a 200 of 10 MB; hang accept and never answer; slow answer after
// --delay ms (default 2000).  The key is never logged: --log FILE gets one
// "METHOD PATH" line per request, so tests can count requests.
'use strict';

const http = require('node:http');
const fs = require('node:fs');

function parseArgs(argv) {
	const opts = {
		port: 0, portFile: null, key: null, mode: 'ok', flavor: 'openai',
		models: 3, delay: 2000, log: null,
	};
	const names = {
		'--port': 'port', '--port-file': 'portFile', '--key': 'key', '--mode': 'mode',
		'--flavor': 'flavor', '--models': 'models', '--delay': 'delay', '--log': 'log',
	};
	for (let i = 0; i < argv.length; i++) {
		const name = names[argv[i]];
		if (!name || i + 1 >= argv.length) {
			process.stderr.write(`models_server: bad argument ${argv[i]}\n`);
			process.exit(2);
		}
		opts[name] = argv[++i];
	}
	opts.port = Number(opts.port);
	opts.models = Number(opts.models);
	opts.delay = Number(opts.delay);
	const modes = ['ok', '401', '500', 'html', 'malformed', 'empty', 'huge', 'hang', 'slow'];
	const flavors = ['openai', 'anthropic', 'gemini', 'ollama', 'together', 'azure'];
	if (!modes.includes(opts.mode) || !flavors.includes(opts.flavor)) {
		process.stderr.write(`models_server: unknown mode or flavor\n`);
		process.exit(2);
	}
	return opts;
}

const opts = parseArgs(process.argv.slice(2));
const hung = new Set(); // responses held open in hang mode

function names(prefix) {
	const out = [];
	for (let i = 1; i <= opts.models; i++)
		out.push(`${prefix}-${i}`);
	return out;
}

// The body of a successful answer for a route.
function modelList(route) {
	switch (route) {
	case 'gemini':
		return { models: names('gemini-test').map((n) => ({
			name: `models/${n}`, displayName: n, supportedGenerationMethods: ['generateContent'],
		})) };
	case 'ollama':
		return { models: names('llama-test').map((n) => ({
			name: `${n}:8b`, model: `${n}:8b`, size: 4661224676, digest: 'a'.repeat(64),
		})) };
	case 'azure':
		return { data: names('gpt-azure').map((id) => ({ id, object: 'model', status: 'succeeded' })),
			object: 'list' };
	case 'anthropic':
		return { data: names('claude-test').map((id) => ({
			type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z',
		})), has_more: false, first_id: 'claude-test-1', last_id: `claude-test-${opts.models}` };
	case 'together':
		return names('together-test').map((id) => ({ id, object: 'model', type: 'chat' }));
	default:
		return { object: 'list', data: names('gpt-test').map((id) => ({
			id, object: 'model', created: 1700000000, owned_by: 'test',
		})) };
	}
}

// A refusal shaped like each provider's.
function unauthorized(route) {
	switch (route) {
	case 'anthropic':
		return { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } };
	case 'gemini':
		return { error: { code: 401, message: 'API key not valid. Please pass a valid API key.',
			status: 'UNAUTHENTICATED' } };
	case 'azure':
		return { error: { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint.' } };
	case 'ollama':
		return { error: 'unauthorized' };
	default:
		return { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error',
			param: null, code: 'invalid_api_key' } };
	}
}

function send(res, status, type, body) {
	res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
	res.end(body);
}

function sendJson(res, status, obj) {
	send(res, status, 'application/json', JSON.stringify(obj));
}

// Which provider a request is shaped like, and whether its key is right.
function classify(req, url) {
	const h = req.headers;
	const path = url.pathname;
	if (req.method !== 'GET')
		return null;
	if (path === '/v1beta/models')
		return { route: 'gemini', key: h['x-goog-api-key'] };
	if (path === '/api/tags')
		return { route: 'ollama', key: undefined, keyless: true };
	if (path === '/openai/models') {
		if (!url.searchParams.get('api-version'))
			return { route: 'azure', bad: 'missing api-version query parameter' };
		return { route: 'azure', key: h['api-key'] };
	}
	if (path === '/v1/models' || path === '/models') {
		if (h['x-api-key'] !== undefined) {
			if (!h['anthropic-version'])
				return { route: 'anthropic', bad: 'anthropic-version: header is required' };
			return { route: 'anthropic', key: h['x-api-key'] };
		}
		const m = /^Bearer (.+)$/.exec(h.authorization || '');
		const route = ['together', 'azure'].includes(opts.flavor) ? opts.flavor : 'openai';
		return { route: route === 'azure' ? 'openai' : route, key: m ? m[1] : undefined };
	}
	return null;
}

function answer(req, res) {
	const url = new URL(req.url, 'http://127.0.0.1');
	if (opts.log)
		fs.appendFileSync(opts.log, `${req.method} ${url.pathname}\n`);
	if (opts.mode === 'hang') {
		hung.add(res);
		res.on('close', () => hung.delete(res));
		return;
	}
	const c = classify(req, url);
	if (!c)
		return sendJson(res, 404, { error: { message: `no route for ${req.method} ${url.pathname}` } });
	if (c.bad)
		return sendJson(res, 400, { error: { message: c.bad } });
	if (opts.mode === '401' || (opts.key !== null && !c.keyless && c.key !== opts.key))
		return sendJson(res, 401, unauthorized(c.route));
	switch (opts.mode) {
	case '500':
		return sendJson(res, 500, { error: { message: 'The server had an error while processing your request.',
			type: 'server_error' } });
	case 'html':
		return send(res, 200, 'text/html; charset=utf-8',
			'<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Welcome</h1></body></html>\n');
	case 'malformed':
		return send(res, 200, 'application/json', '{"data":[');
	case 'empty':
		return send(res, 200, 'application/json', '');
	case 'huge': {
		const chunk = Buffer.alloc(1 << 20, 'x');
		res.writeHead(200, { 'Content-Type': 'application/json' }); // no length: streamed
		let left = 10;
		const more = () => {
			while (left > 0) {
				left--;
				if (!res.write(chunk))
					return res.once('drain', more);
			}
			res.end();
		};
		res.on('error', () => {});
		return more();
	}
	case 'slow':
		return setTimeout(() => sendJson(res, 200, modelList(c.route)), opts.delay);
	default:
		return sendJson(res, 200, modelList(c.route));
	}
}

const server = http.createServer(answer);
server.on('clientError', (err, socket) => socket.destroy());
server.listen(opts.port, '127.0.0.1', () => {
	const port = server.address().port;
	if (opts.portFile) {
		const tmp = `${opts.portFile}.${process.pid}.tmp`;
		fs.writeFileSync(tmp, `${port}\n`);
		fs.renameSync(tmp, opts.portFile);
	} else {
		process.stdout.write(`${port}\n`);
	}
});

function stop() {
	for (const res of hung)
		res.destroy();
	server.close(() => process.exit(0));
	server.closeAllConnections();
	setTimeout(() => process.exit(0), 500).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
