#!/usr/bin/env node
// oidc_server.js - a real OAuth 2.0 / OpenID Connect authorization server
// (oidc-provider 9.x, from tests/node_modules) for aiauth's sign-in tests.
//
//   node oidc_server.js --port 0 --port-file FILE [--access-ttl SECONDS]
//        [--device-ttl SECONDS] [--device-interval SECONDS] [--slow-down N]
//        [--email-in-id-token] [--token-format form|json|both] [--log FILE]
//   node oidc_server.js --check      exit 0 when oidc-provider can be loaded
//
// Listens on 127.0.0.1 only; the issuer is http://127.0.0.1:PORT.  The port
// is written to --port-file (a temporary name, then renamed) once the
// provider is ready to answer.  Exits on SIGTERM or SIGINT.
//
// One client, "aiauth-test": public (no secret), native, grants
// authorization_code, refresh_token and device_code; redirect URIs
// http://127.0.0.1/callback (any loopback port is accepted for a native
// client, the path must match) and http://127.0.0.1:PORT/code (served here:
// it shows CODE#STATE as plain text, like Claude's paste page).  PKCE S256
// is required; a refresh token is always issued and rotated on every use
// (reusing a spent one revokes the grant); clock tolerance 0; the built-in
// development login and consent pages (any login, any password); account
// LOGIN has the claims sub LOGIN, email LOGIN@example.test, email_verified.
// Scopes: openid email profile offline_access.  Email is in the id_token only
// with --email-in-id-token (oidc-provider's default puts scope claims in
// userinfo only when an access token is issued).
//
// Test behaviour wrapped around oidc-provider:
//   --device-interval N  the device authorization response has "interval": N
//                        (oidc-provider leaves it out).
//   --slow-down N        the first N device_code polls of each device code
//                        are answered 400 {"error":"slow_down"} here, without
//                        reaching oidc-provider (the code is not consumed).
//   POST /_test/token-mode with body html|500|malformed|invalid_grant|slow|
//                        normal: while not normal, refresh_token grant
//                        requests get a 200 HTML page, a 500 JSON error, a 200
//                        '{"access_token":' or a 400 invalid_grant; slow
//                        answers refresh_token and authorization_code grants
//                        normally, 1.5 s late.
//   GET /_test/token-mode  the current mode.
//   --token-format F     what bodies the token endpoint accepts: form (the
//                        default, RFC 6749; a JSON body gets 400
//                        invalid_request), json (like Claude's: a form body
//                        gets 400 invalid_request; JSON is handed to
//                        oidc-provider as a form) or both.
//   --log FILE           one line per request of interest, never a secret:
//                        "token GRANT_TYPE" (as sent), "device_authorization",
//                        "authorize", "userinfo", "revocation".
//   --store-size N       entries oidc-provider's memory store keeps before it
//                        forgets the least recently used (its default: 1000).
//                        A sign-in leaves about eight (session, grant, tokens),
//                        so the benchmark's 200 accounts need more: a grant
//                        forgotten answers invalid_grant.
//
// For the secrets audit (tests/lib/audit.sh): with AIAUTH_TEST_ISSUED set
// in the environment, every secret handed out (access, refresh and id
// tokens, device codes in JSON answers; authorization codes in redirects)
// or received (PKCE code verifiers) is appended to that file, one a line.
'use strict';

const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const querystring = require('node:querystring');
const { pathToFileURL } = require('node:url');

function die(msg, code = 2) {
	process.stderr.write(`oidc_server: ${msg}\n`);
	process.exit(code);
}

function parseArgs(argv) {
	const opts = {
		port: 0, portFile: null, accessTtl: 3600, deviceTtl: 600, deviceInterval: null,
		slowDown: 0, log: null, emailInIdToken: false, check: false, tokenFormat: 'form',
		storeSize: 0,
	};
	const names = {
		'--port': 'port', '--port-file': 'portFile', '--access-ttl': 'accessTtl',
		'--device-ttl': 'deviceTtl', '--device-interval': 'deviceInterval',
		'--slow-down': 'slowDown', '--log': 'log', '--token-format': 'tokenFormat',
		'--store-size': 'storeSize',
	};
	const flags = { '--email-in-id-token': 'emailInIdToken', '--check': 'check' };
	for (let i = 0; i < argv.length; i++) {
		if (flags[argv[i]]) {
			opts[flags[argv[i]]] = true;
			continue;
		}
		const name = names[argv[i]];
		if (!name || i + 1 >= argv.length)
			die(`bad argument ${argv[i]}`);
		opts[name] = argv[++i];
	}
	for (const k of ['port', 'accessTtl', 'deviceTtl', 'slowDown', 'storeSize']) {
		opts[k] = Number(opts[k]);
		if (!Number.isInteger(opts[k]) || opts[k] < 0)
			die(`--${k} must be a whole number`);
	}
	if (opts.deviceInterval !== null) {
		opts.deviceInterval = Number(opts.deviceInterval);
		if (!Number.isInteger(opts.deviceInterval) || opts.deviceInterval < 0)
			die('--device-interval must be a whole number');
	}
	if (!['form', 'json', 'both'].includes(opts.tokenFormat))
		die('--token-format must be form, json or both');
	return opts;
}

// oidc-provider lives in tests/node_modules.  A tree unpacked from `make
// dist` (tests/run-suite builds one inside the checkout) has none, so look in
// every ancestor's node_modules and tests/node_modules too.
function findProviderDir() {
	const candidates = [];
	if (process.env.OIDC_PROVIDER_DIR)
		candidates.push(process.env.OIDC_PROVIDER_DIR);
	for (let d = __dirname; ; d = path.dirname(d)) {
		candidates.push(path.join(d, 'node_modules', 'oidc-provider'));
		candidates.push(path.join(d, 'tests', 'node_modules', 'oidc-provider'));
		if (path.dirname(d) === d)
			break;
	}
	return candidates.find((c) => fs.existsSync(path.join(c, 'package.json')));
}

async function loadProvider() {
	const dir = findProviderDir();
	if (!dir)
		die('oidc-provider is not installed (run "npm ci" in tests/)', 3);
	const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
	const mod = await import(pathToFileURL(path.join(dir, pkg.main || 'lib/index.js')).href);
	let adapter;
	if (opts.storeSize) {
		// oidc-provider's own memory adapter over a bigger store of the
		// same kind (both are files of the package, not its API).
		const lib = (f) => import(pathToFileURL(path.join(dir, 'lib', f)).href);
		const { default: MemoryAdapter } = await lib('adapters/memory_adapter.js');
		const { default: LRU } = await lib('helpers/lru.js');
		const store = new LRU({ maxSize: opts.storeSize });
		adapter = class extends MemoryAdapter {
			constructor(model) {
				super(model, store, 0);
			}
		};
	}
	return { Provider: mod.default || mod.Provider, version: pkg.version, adapter };
}

const opts = parseArgs(process.argv.slice(2));

function logLine(line) {
	if (opts.log)
		fs.appendFileSync(opts.log, `${line}\n`);
}

// ------------------------------------------------ the secrets audit's list
const ISSUED = process.env.AIAUTH_TEST_ISSUED || null;
const ISSUED_MEMBERS = ['access_token', 'refresh_token', 'id_token', 'device_code'];

function recordIssued(...values) {
	const lines = values.filter((v) => typeof v === 'string' && v.length > 0);
	if (ISSUED && lines.length)
		fs.appendFileSync(ISSUED, lines.map((v) => `${v}\n`).join(''));
}

// Look at what goes out on `res`: the code in a redirect's Location, the
// tokens in a JSON body.  Installed on every response, ours and
// oidc-provider's alike.
function watchIssued(res) {
	if (!ISSUED)
		return;
	const chunks = [];
	const keep = (chunk) => {
		if (chunk && typeof chunk !== 'function')
			chunks.push(Buffer.from(chunk));
	};
	const { write, end } = res;
	res.write = function (chunk, ...rest) {
		keep(chunk);
		return write.call(this, chunk, ...rest);
	};
	res.end = function (chunk, ...rest) {
		keep(chunk);
		const location = res.getHeader('location');
		if (typeof location === 'string') {
			try {
				recordIssued(new URL(location, 'http://127.0.0.1').searchParams.get('code'));
			} catch {
				// not a URL: nothing issued in it
			}
		}
		let body = null;
		try {
			body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
		} catch {
			// not JSON: no tokens in it
		}
		if (body && typeof body === 'object')
			recordIssued(...ISSUED_MEMBERS.map((k) => body[k]));
		return end.call(this, chunk, ...rest);
	};
}

function send(res, status, type, body, extra = {}) {
	res.writeHead(status, {
		'Content-Type': type, 'Content-Length': Buffer.byteLength(body),
		'Cache-Control': 'no-store', ...extra,
	});
	res.end(body);
}

function sendJson(res, status, obj) {
	send(res, status, 'application/json; charset=utf-8', JSON.stringify(obj));
}

async function readBody(req) {
	const chunks = [];
	let n = 0;
	for await (const c of req) {
		n += c.length;
		if (n > 64 * 1024)
			throw new Error('request body too large');
		chunks.push(c);
	}
	return Buffer.concat(chunks).toString('utf8');
}

function providerConfig(issuer, port, adapter) {
	return {
		...(adapter ? { adapter } : {}),
		clients: [{
			client_id: 'aiauth-test',
			client_name: 'aiauth test client',
			application_type: 'native',
			token_endpoint_auth_method: 'none',
			grant_types: ['authorization_code', 'refresh_token',
				'urn:ietf:params:oauth:grant-type:device_code'],
			response_types: ['code'],
			redirect_uris: ['http://127.0.0.1/callback', `http://127.0.0.1:${port}/code`],
		}],
		async findAccount(ctx, id) {
			return {
				accountId: id,
				async claims() {
					return { sub: id, email: `${id}@example.test`, email_verified: true, name: id };
				},
			};
		},
		claims: {
			openid: ['sub'],
			email: ['email', 'email_verified'],
			profile: ['name'],
		},
		scopes: ['openid', 'email', 'profile', 'offline_access'],
		responseTypes: ['code'],
		pkce: { required: () => true },
		clockTolerance: 0,
		conformIdTokenClaims: !opts.emailInIdToken,
		// Always a refresh token, even when offline_access was dropped (it
		// is unless prompt=consent), and one that outlives the browser's
		// session; a new one on every use.
		issueRefreshToken: async () => true,
		expiresWithSession: async () => false,
		rotateRefreshToken: () => true,
		cookies: { keys: ['aiauth-test-cookie-key-not-secret'] },
		features: {
			devInteractions: { enabled: true },
			deviceFlow: { enabled: true },
			userinfo: { enabled: true },
			revocation: { enabled: true },
		},
		ttl: {
			// A function, so /_test/access-ttl can change it between sign-ins.
			AccessToken: () => opts.accessTtl,
			AuthorizationCode: 120,
			DeviceCode: opts.deviceTtl,
			IdToken: 3600,
			RefreshToken: 14 * 24 * 3600,
			Grant: 14 * 24 * 3600,
			Session: 24 * 3600,
			Interaction: 600,
		},
		// Let oidc-provider's own error pages say what went wrong.
		renderError(ctx, out) {
			ctx.type = 'html';
			ctx.body = `<!DOCTYPE html><html><head><title>oops! something went wrong</title></head>`
				+ `<body><h1>oops! something went wrong</h1><pre id="error">${
					Object.entries(out).map(([k, v]) => `${k}: ${String(v).replace(/[<>&"]/g, '')}`).join('\n')
				}</pre></body></html>`;
		},
	};
}

const TOKEN_MODES = ['normal', 'html', '500', 'malformed', 'invalid_grant', 'slow'];

async function main() {
	const { Provider, version, adapter } = await loadProvider();
	if (opts.check) {
		process.stdout.write(`oidc-provider ${version}\n`);
		process.exit(0);
	}

	let handler = null; // oidc-provider's, once it exists
	let tokenMode = 'normal';
	const slowDowns = new Map(); // device_code -> slow_down answers given

	async function answer(req, res) {
		watchIssued(res);
		const url = new URL(req.url, 'http://127.0.0.1');
		const p = url.pathname;

		if (p === '/_test/access-ttl' && req.method === 'POST') {
			const ttl = Number((await readBody(req)).trim());
			if (!Number.isInteger(ttl) || ttl < 1)
				return send(res, 400, 'text/plain', 'the TTL must be a positive number of seconds\n');
			opts.accessTtl = ttl;
			return send(res, 200, 'text/plain', `${ttl}\n`);
		}

		if (p === '/_test/token-mode') {
			if (req.method === 'GET')
				return send(res, 200, 'text/plain', `${tokenMode}\n`);
			const mode = (await readBody(req)).trim();
			if (req.method !== 'POST' || !TOKEN_MODES.includes(mode))
				return send(res, 400, 'text/plain', `mode must be one of ${TOKEN_MODES.join(' ')}\n`);
			tokenMode = mode;
			return send(res, 200, 'text/plain', `${tokenMode}\n`);
		}

		if (p === '/code' && req.method === 'GET') {
			const q = url.searchParams;
			if (q.get('error'))
				return send(res, 400, 'text/plain; charset=utf-8',
					`error=${q.get('error')}${q.get('error_description') ? ` ${q.get('error_description')}` : ''}\n`);
			if (!q.get('code'))
				return send(res, 400, 'text/plain', 'no code\n');
			return send(res, 200, 'text/plain; charset=utf-8', `${q.get('code')}#${q.get('state') || ''}\n`);
		}

		// /auth only, not the /auth/UID resumes between login and consent:
		// one line per authorization request the client sent.
		if (p === '/auth')
			logLine('authorize');
		else if (p === '/device/auth' && req.method === 'POST')
			logLine('device_authorization');
		else if (p === '/me')
			logLine('userinfo');
		else if (p === '/token/revocation')
			logLine('revocation');

		if (p === '/token' && req.method === 'POST') {
			let raw = await readBody(req);
			const isJson = /^application\/json\b/i.test(req.headers['content-type'] || '');
			let body;
			if (isJson) {
				try {
					body = JSON.parse(raw);
				} catch {
					body = null;
				}
				if (!body || typeof body !== 'object' || Array.isArray(body))
					body = {};
			} else {
				body = querystring.parse(raw);
			}
			const gt = typeof body.grant_type === 'string' ? body.grant_type : '';
			logLine(`token ${gt || '-'}`);
			recordIssued(body.code_verifier);
			if ((isJson && opts.tokenFormat === 'form') || (!isJson && opts.tokenFormat === 'json'))
				return sendJson(res, 400, { error: 'invalid_request',
					error_description: `the token endpoint takes ${opts.tokenFormat === 'json' ? 'a JSON' : 'a form-encoded'} body` });
			if (isJson) {
				const form = {};
				for (const [k, v] of Object.entries(body))
					form[k] = typeof v === 'string' ? v : JSON.stringify(v);
				raw = querystring.stringify(form);
				req.headers['content-type'] = 'application/x-www-form-urlencoded';
				req.headers['content-length'] = String(Buffer.byteLength(raw));
			}
			if (tokenMode === 'slow' && (gt === 'refresh_token' || gt === 'authorization_code'))
				await new Promise((resolve) => setTimeout(resolve, 1500));
			else if (gt === 'refresh_token' && tokenMode !== 'normal') {
				switch (tokenMode) {
				case 'html':
					return send(res, 200, 'text/html; charset=utf-8',
						'<!DOCTYPE html><html><head><title>Maintenance</title></head>'
						+ '<body><h1>We will be back soon</h1></body></html>\n');
				case 'invalid_grant':
					return sendJson(res, 400, { error: 'invalid_grant',
						error_description: 'grant request is invalid' });
				case '500':
					return sendJson(res, 500, { error: 'server_error',
						error_description: 'the token service is having a bad day' });
				default:
					return send(res, 200, 'application/json', '{"access_token":');
				}
			}
			if (gt === 'urn:ietf:params:oauth:grant-type:device_code'
				&& typeof body.device_code === 'string' && opts.slowDown > 0) {
				const n = slowDowns.get(body.device_code) || 0;
				if (n < opts.slowDown) {
					slowDowns.set(body.device_code, n + 1);
					return sendJson(res, 400, { error: 'slow_down',
						error_description: 'polling too fast, add 5 seconds to the interval' });
				}
			}
			// oidc-provider reads an already-consumed body from req.body.
			req.body = raw;
		}
		if (!handler)
			return send(res, 503, "text/plain", "starting\n");
		return handler(req, res);
	}

	const server = http.createServer((req, res) => {
		answer(req, res).catch((err) => {
			if (!res.headersSent)
				sendJson(res, 500, { error: 'server_error', error_description: String(err.message) });
			else
				res.destroy();
		});
	});
	server.on('clientError', (err, socket) => socket.destroy());
	server.listen(opts.port, '127.0.0.1', () => {
		const port = server.address().port;
		const issuer = `http://127.0.0.1:${port}`;
		const provider = new Provider(issuer, providerConfig(issuer, port, adapter));
		if (opts.deviceInterval !== null) {
			provider.on('device_authorization.success', (ctx, body) => {
				body.interval = opts.deviceInterval;
			});
		}
		provider.on('server_error', (ctx, err) => {
			process.stderr.write(`oidc_server: server_error: ${err.stack || err}\n`);
		});
		handler = provider.callback();
		if (opts.portFile) {
			const tmp = `${opts.portFile}.${process.pid}.tmp`;
			fs.writeFileSync(tmp, `${port}\n`);
			fs.renameSync(tmp, opts.portFile);
		} else {
			process.stdout.write(`${port}\n`);
		}
	});

	function stop() {
		server.close(() => process.exit(0));
		server.closeAllConnections();
		setTimeout(() => process.exit(0), 500).unref();
	}
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
}

main().catch((err) => die(err.stack || String(err), 1));
