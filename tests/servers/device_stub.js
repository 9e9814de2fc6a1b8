#!/usr/bin/env node
// device_stub.js - a scripted RFC 8628 authorization server for aiauth's
// device-flow unit tests.  Node 20, no dependencies.
//
//   node device_stub.js --port 0 --port-file FILE --log FILE
//        [--script pending,pending,ok] [--interval N] [--expires-in N]
//        [--device-mode ok|error|500] [--client-id ID]
//
// Listens on 127.0.0.1 only; writes the bound port to --port-file (through
// a temporary name and a rename) once listening; exits on SIGTERM/SIGINT.
//
// POST /device  checks client_id (and that a scope was sent) and answers the
//               codes; "interval" is left out unless --interval is given,
//               expires_in is --expires-in (default 600).  --device-mode
//               error answers 400 invalid_client, 500 a server error.
// POST /token   checks grant_type, client_id and the device_code, then answers
//               the next entry of --script (the last one repeats):
//                 pending    400 authorization_pending
//                 slow_down  400 slow_down
//                 ok         200 with an access token
//                 denied     400 access_denied
//                 expired    400 expired_token
//                 error      400 unauthorized_client with a description
//                 500        500 with an HTML body
//                 hang       never answers
//
// --log gets one line per request, with the time in ms (Date.now()):
//   "device T", "poll T ENTRY", "after_ok T" for a poll that follows a
//   success, "bad T REASON" for a malformed request.  Secrets are not logged;
//   with AIAUTH_TEST_ISSUED set, the device code and the tokens it hands out
//   are appended to that file, one a line, for the secrets audit
//   (tests/lib/audit.sh).
'use strict';

const http = require('node:http');
const fs = require('node:fs');

const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const DEVICE_CODE = 'dc-secret-0123456789';

function parseArgs(argv) {
	const opts = {
		port: 0, portFile: null, log: null, script: 'ok', interval: null,
		expiresIn: 600, deviceMode: 'ok', clientId: 'stub-client',
	};
	const names = {
		'--port': 'port', '--port-file': 'portFile', '--log': 'log', '--script': 'script',
		'--interval': 'interval', '--expires-in': 'expiresIn', '--device-mode': 'deviceMode',
		'--client-id': 'clientId',
	};
	for (let i = 0; i < argv.length; i++) {
		const name = names[argv[i]];
		if (!name || i + 1 >= argv.length) {
			process.stderr.write(`device_stub: bad argument ${argv[i]}\n`);
			process.exit(2);
		}
		opts[name] = argv[++i];
	}
	opts.port = Number(opts.port);
	opts.expiresIn = Number(opts.expiresIn);
	opts.script = opts.script.split(',');
	const entries = ['pending', 'slow_down', 'ok', 'denied', 'expired', 'error', '500', 'hang'];
	for (const e of opts.script) {
		if (!entries.includes(e)) {
			process.stderr.write(`device_stub: unknown script entry ${e}\n`);
			process.exit(2);
		}
	}
	return opts;
}

const opts = parseArgs(process.argv.slice(2));
let step = 0;
let approved = false;

function log(line) {
	if (opts.log)
		fs.appendFileSync(opts.log, `${line}\n`);
}

function issued(...values) {
	if (process.env.AIAUTH_TEST_ISSUED)
		fs.appendFileSync(process.env.AIAUTH_TEST_ISSUED, values.map((v) => `${v}\n`).join(''));
}

function parseBody(req, text) {
	const type = (req.headers['content-type'] || '').split(';')[0].trim();
	if (type === 'application/json') {
		try {
			return JSON.parse(text);
		} catch {
			return {};
		}
	}
	return Object.fromEntries(new URLSearchParams(text));
}

function json(res, status, obj) {
	res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
	res.end(JSON.stringify(obj));
}

function oauthError(res, code, description) {
	const obj = { error: code };
	if (description)
		obj.error_description = description;
	json(res, 400, obj);
}

function device(req, res, params) {
	const now = Date.now();
	if (params.client_id !== opts.clientId || !params.scope) {
		log(`bad ${now} device request without client_id or scope`);
		return oauthError(res, 'invalid_request', 'client_id and scope are required');
	}
	if (!/application\/json/.test(req.headers.accept || ''))
		log(`bad ${now} device request without Accept: application/json`);
	log(`device ${now}`);
	if (opts.deviceMode === 'error')
		return oauthError(res, 'invalid_client', 'Unknown client (stub)');
	if (opts.deviceMode === '500') {
		res.writeHead(500, { 'Content-Type': 'text/html' });
		return res.end('<html>oops</html>');
	}
	const port = server.address().port;
	const answer = {
		device_code: DEVICE_CODE,
		user_code: 'WDJB-MJHT',
		verification_uri: `http://127.0.0.1:${port}/activate`,
		verification_uri_complete: `http://127.0.0.1:${port}/activate?user_code=WDJB-MJHT`,
		expires_in: opts.expiresIn,
	};
	if (opts.interval !== null)
		answer.interval = Number(opts.interval);
	issued(DEVICE_CODE);
	json(res, 200, answer);
}

function token(req, res, params) {
	const now = Date.now();
	if (params.grant_type !== GRANT || params.device_code !== DEVICE_CODE ||
	    params.client_id !== opts.clientId) {
		log(`bad ${now} token request with a wrong grant_type, device_code or client_id`);
		return oauthError(res, 'invalid_grant', 'bad token request');
	}
	const entry = opts.script[Math.min(step, opts.script.length - 1)];
	step++;
	log(`${approved ? 'after_ok' : 'poll'} ${now} ${entry}`);
	switch (entry) {
	case 'pending': return oauthError(res, 'authorization_pending');
	case 'slow_down': return oauthError(res, 'slow_down');
	case 'denied': return oauthError(res, 'access_denied', 'The user said no (stub)');
	case 'expired': return oauthError(res, 'expired_token', 'The code expired (stub)');
	case 'error': return oauthError(res, 'unauthorized_client', 'Device flow disabled for this client (stub)');
	case '500':
		res.writeHead(500, { 'Content-Type': 'text/html' });
		return res.end('<html>Internal Server Error</html>');
	case 'hang': return undefined;
	default:
		approved = true;
		issued('at-secret-abcdef', 'rt-secret-123456');
		return json(res, 200, {
			access_token: 'at-secret-abcdef', refresh_token: 'rt-secret-123456',
			token_type: 'Bearer', expires_in: 3600, scope: 'openid email',
		});
	}
}

const server = http.createServer((req, res) => {
	let text = '';
	req.setEncoding('utf8');
	req.on('data', (chunk) => { text += chunk; });
	req.on('end', () => {
		const path = new URL(req.url, 'http://127.0.0.1').pathname;
		if (req.method !== 'POST') {
			res.writeHead(405);
			return res.end();
		}
		const params = parseBody(req, text);
		if (path === '/device')
			return device(req, res, params);
		if (path === '/token')
			return token(req, res, params);
		res.writeHead(404);
		return res.end();
	});
});

server.listen(opts.port, '127.0.0.1', () => {
	if (opts.portFile) {
		const tmp = `${opts.portFile}.tmp`;
		fs.writeFileSync(tmp, `${server.address().port}\n`);
		fs.renameSync(tmp, opts.portFile);
	}
});

for (const sig of ['SIGTERM', 'SIGINT'])
	process.on(sig, () => process.exit(0));
