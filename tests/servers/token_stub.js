#!/usr/bin/env node
// token_stub.js - an OAuth token endpoint that rotates refresh tokens the
// way strict providers do, for the lifecycle unit tests.  Node 20, no
// dependencies.
//
//   node token_stub.js --port 0 --port-file FILE
//
// Listens on 127.0.0.1 only; writes the bound port to --port-file (a
// temporary name renamed into place) once listening; exits on SIGTERM/SIGINT.
//
// POST /token (form-encoded, client_id must be "c"):
//   grant_type=refresh_token&refresh_token=rt-<grant>-<generation>
// A grant is created at generation 0 the first time it is seen.  Spending
// the grant's current token answers access_token "at-<grant>-<g+1>",
// refresh_token "rt-<grant>-<g+1>" (unless rotation is off: then no
// refresh_token and the generation stays), expires_in.  Spending an older
// (spent) token, or any token of a revoked grant, answers invalid_grant and
// revokes the grant, newest token included - as rotating providers do.  A
// token of another shape is invalid_grant too.
//
// POST /control with a JSON object sets the behaviour and zeroes the
// counters: {"fail": N, "fail_mode": "500"|"html"|"malformed"} answers the
// next N token requests badly; {"delay": MS} delays every token answer;
// {"rotate": false}; {"expires_in": S}.  Unset keys take their defaults
// (fail 0, delay 0, rotate true, expires_in 3600); grants are kept.
// GET /stats: {"requests", "max_concurrent", "invalid_grants",
// "refreshes": {grant: n}}.  Tokens are never logged; with
// AIAUTH_TEST_ISSUED set, those it hands out are appended to that file, one
// a line, for the secrets audit (tests/lib/audit.sh).
'use strict';

const http = require('node:http');
const fs = require('node:fs');

const args = {port: 0, portFile: null};
for (let i = 2; i < process.argv.length; i += 2) {
	if (process.argv[i] === '--port') args.port = Number(process.argv[i + 1]);
	else if (process.argv[i] === '--port-file') args.portFile = process.argv[i + 1];
	else {
		process.stderr.write(`token_stub: bad argument ${process.argv[i]}\n`);
		process.exit(2);
	}
}

const grants = new Map(); // name -> {gen, revoked}
let cfg, stats;
function reset(c) {
	cfg = {fail: 0, fail_mode: '500', delay: 0, rotate: true, expires_in: 3600, ...c};
	stats = {requests: 0, max_concurrent: 0, invalid_grants: 0, refreshes: {}};
}
reset({});
let inFlight = 0;

function send(res, status, type, body) {
	res.writeHead(status, {'Content-Type': type, 'Cache-Control': 'no-store'});
	res.end(body);
}
function json(res, status, obj) {
	send(res, status, 'application/json', JSON.stringify(obj));
}

function answerToken(params) {
	// -> [status, contentType, body]
	if (cfg.fail > 0) {
		cfg.fail--;
		if (cfg.fail_mode === 'html')
			return [200, 'text/html', '<html><body>Service unavailable</body></html>'];
		if (cfg.fail_mode === 'malformed')
			return [200, 'application/json', '{"access_token": "at-'];
		return [500, 'application/json', '{"error":"server_error"}'];
	}
	const j = (s, o) => [s, 'application/json', JSON.stringify(o)];
	if (params.get('client_id') !== 'c')
		return j(401, {error: 'invalid_client'});
	if (params.get('grant_type') !== 'refresh_token')
		return j(400, {error: 'unsupported_grant_type'});
	const m = /^rt-([A-Za-z0-9_]+)-([0-9]+)$/.exec(params.get('refresh_token') || '');
	const bad = (why) => {
		stats.invalid_grants++;
		return j(400, {error: 'invalid_grant', error_description: why});
	};
	if (!m) return bad('unknown refresh token');
	const name = m[1], gen = Number(m[2]);
	if (!grants.has(name)) grants.set(name, {gen: 0, revoked: false});
	const g = grants.get(name);
	if (g.revoked) return bad('grant revoked');
	if (gen !== g.gen) {
		g.revoked = true; // reuse of a spent token: revoke the whole grant
		return bad('refresh token reused');
	}
	stats.refreshes[name] = (stats.refreshes[name] || 0) + 1;
	const next = gen + 1;
	const body = {
		access_token: `at-${name}-${next}`,
		token_type: 'Bearer',
		expires_in: cfg.expires_in,
		scope: 'openid offline_access',
	};
	if (cfg.rotate) {
		body.refresh_token = `rt-${name}-${next}`;
		g.gen = next;
	}
	if (process.env.AIAUTH_TEST_ISSUED)
		fs.appendFileSync(process.env.AIAUTH_TEST_ISSUED,
			[body.access_token, body.refresh_token].filter(Boolean).map((t) => `${t}\n`).join(''));
	return j(200, body);
}

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const body = Buffer.concat(chunks).toString('utf8');
		if (req.method === 'GET' && req.url === '/stats') return json(res, 200, stats);
		if (req.method === 'POST' && req.url === '/control') {
			let c;
			try {
				c = JSON.parse(body || '{}');
			} catch (e) {
				return json(res, 400, {error: 'bad json'});
			}
			reset(c);
			return json(res, 200, {ok: true});
		}
		if (req.method === 'POST' && req.url === '/token') {
			stats.requests++;
			inFlight++;
			stats.max_concurrent = Math.max(stats.max_concurrent, inFlight);
			const [status, type, out] = answerToken(new URLSearchParams(body));
			setTimeout(() => {
				inFlight--;
				send(res, status, type, out);
			}, cfg.delay);
			return;
		}
		json(res, 404, {error: 'not_found'});
	});
});

server.listen(args.port, '127.0.0.1', () => {
	if (args.portFile) {
		fs.writeFileSync(args.portFile + '.tmp', String(server.address().port));
		fs.renameSync(args.portFile + '.tmp', args.portFile);
	}
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
