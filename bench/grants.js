#!/usr/bin/env node
// grants.js - many real OAuth grants at once, for the refresh benchmark
// (bench/run).  Node 20, no dependencies beyond tests/servers/browser.js.
//
//   node grants.js ISSUER COUNT PREFIX OUT-DIR [--jobs N]
//
// Signs in COUNT times at ISSUER (tests/servers/oidc_server.js) as the
// people PREFIX0 ... PREFIX<COUNT-1>: the authorization code flow with
// PKCE, walked by browser.js, then the code exchanged at the token endpoint
// - the same requests `aiauth login testidp --browser` makes, so each
// account has a grant and a rotating refresh token of its own (a copy of
// one grant would be revoked by the first refresh of its twin).
//
// Writes, in OUT-DIR (mode 0700):
//   accounts.json  aiauth's account store: one OAuth account "testidp" per
//                  grant, labelled with its email, expires_at as issued;
//   secrets.tsv    ID<TAB>LABEL<TAB>CREDENTIAL-BLOB a line (mode 0600), for
//                  bench/run to put into the keyring with secret-tool.
// Runs N walks at a time (default 4).  Exits non-zero with one line on
// stderr when a sign-in fails.
'use strict';

const { execFile } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const [issuer, countArg, prefix, outDir, ...rest] = process.argv.slice(2);
const count = Number(countArg);
let jobs = 4;
if (rest[0] === '--jobs')
	jobs = Number(rest[1]);
if (!issuer || !Number.isInteger(count) || count < 1 || !prefix || !outDir || !(jobs >= 1)) {
	process.stderr.write('usage: grants.js ISSUER COUNT PREFIX OUT-DIR [--jobs N]\n');
	process.exit(2);
}
const browser = path.join(__dirname, '..', 'tests', 'servers', 'browser.js');
const redirectUri = 'http://127.0.0.1/callback';
const b64url = (buf) => buf.toString('base64url');

function walk(url, login) {
	return new Promise((resolve, reject) => {
		execFile(process.execPath, [browser, 'authorize', url, '--login', login, '--no-follow'],
			{ timeout: 30000 }, (err, stdout, stderr) => {
				if (err)
					reject(new Error(`${login}: ${stderr.trim() || err.message}`));
				else
					resolve(stdout.trim());
			});
	});
}

async function grant(i) {
	const login = `${prefix}${i}`;
	const verifier = b64url(crypto.randomBytes(32));
	const challenge = b64url(crypto.createHash('sha256').update(verifier).digest());
	const state = b64url(crypto.randomBytes(16));
	const auth = new URL('/auth', issuer);
	auth.search = new URLSearchParams({
		client_id: 'aiauth-test', response_type: 'code', redirect_uri: redirectUri,
		scope: 'openid email offline_access', code_challenge: challenge,
		code_challenge_method: 'S256', state, prompt: 'consent',
	}).toString();
	const back = new URL(await walk(auth.href, login));
	if (back.searchParams.get('state') !== state || !back.searchParams.get('code'))
		throw new Error(`${login}: no code came back`);
	const res = await fetch(new URL('/token', issuer), {
		method: 'POST',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			grant_type: 'authorization_code', code: back.searchParams.get('code'),
			redirect_uri: redirectUri, client_id: 'aiauth-test', code_verifier: verifier,
		}),
		signal: AbortSignal.timeout(30000),
	});
	const tok = await res.json();
	if (!res.ok || !tok.access_token || !tok.refresh_token)
		throw new Error(`${login}: the token endpoint answered ${res.status} ${tok.error || ''}`);
	const now = Math.floor(Date.now() / 1000);
	const cred = {
		access_token: tok.access_token, refresh_token: tok.refresh_token,
		expires_at: String(now + Number(tok.expires_in || 0)), token_type: tok.token_type || 'Bearer',
	};
	if (tok.id_token)
		cred.id_token = tok.id_token;
	if (tok.scope)
		cred.scope = tok.scope;
	return {
		account: {
			id: crypto.randomBytes(16).toString('hex'), provider: 'testidp',
			label: `${login}@example.test`, kind: 'oauth', method: 'browser',
			email: `${login}@example.test`, created: now, expires_at: Number(cred.expires_at),
			status: 'ok', has_secret: true,
		},
		blob: JSON.stringify(cred),
	};
}

async function main() {
	const results = new Array(count);
	let next = 0;
	async function worker() {
		while (next < count) {
			const i = next++;
			results[i] = await grant(i);
		}
	}
	await Promise.all(Array.from({ length: Math.min(jobs, count) }, worker));
	fs.mkdirSync(outDir, { recursive: true, mode: 0o700 });
	const store = {
		version: 1, secret_backend: 'keyring',
		providers: { testidp: { active: results[0].account.id } },
		accounts: results.map((r) => r.account),
	};
	fs.writeFileSync(path.join(outDir, 'accounts.json'), JSON.stringify(store), { mode: 0o600 });
	fs.writeFileSync(path.join(outDir, 'secrets.tsv'),
		results.map((r) => `${r.account.id}\t${r.account.label}\t${r.blob}\n`).join(''),
		{ mode: 0o600 });
}

main().catch((err) => {
	process.stderr.write(`grants: ${err.message}\n`);
	process.exit(1);
});
