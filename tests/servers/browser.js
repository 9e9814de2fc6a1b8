#!/usr/bin/env node
// browser.js - the person in the browser, for aiauth's sign-in tests: plain
// HTTP with a cookie jar through oidc-provider's development login and
// consent pages (tests/servers/oidc_server.js).  Node 20, no dependencies.
//
//   node browser.js authorize URL [--login NAME] [--deny] [--no-follow] [--page]
//   node browser.js device VERIFICATION_URI [--code USER_CODE] [--login NAME] [--deny]
//
// authorize: GET the authorization URL, sign in as NAME (default "alice",
// any password), then approve the consent page (or with --deny abort it, so
// the client receives error=access_denied), following redirects within the
// issuer.  The redirect to the client's redirect_uri (the one in URL) ends
// the walk: its URL is printed on stdout (it carries code, state and iss, as
// a real address bar does); by default it is then fetched too, so a loopback
// listener receives it (a refused connection exits 3; any HTTP answer is
// fine; a 4xx or 5xx status is noted on stderr); --no-follow only prints it; --page
// fetches it and prints the page's text instead (the /code paste page).
//
// device: open VERIFICATION_URI (verification_uri, with --code, or
// verification_uri_complete), submit the user code, sign in, approve (or with
// --deny abort at consent).  Exit 0 once the page says the sign-in succeeded
// (with --deny: that it was interrupted).  Prints nothing on success.
//
// Every request times out after --timeout SECONDS (default 10).  Anything
// unexpected exits non-zero with one line on stderr: "browser: REASON".
'use strict';

function die(msg, code = 1) {
	process.stderr.write(`browser: ${msg}\n`);
	process.exit(code);
}

function parseArgs(argv) {
	const opts = { cmd: argv[0], target: argv[1], login: 'alice', deny: false, follow: true,
		page: false, code: null, timeout: 10 };
	if (!['authorize', 'device'].includes(opts.cmd) || !opts.target)
		die('usage: browser.js authorize URL [--login NAME] [--deny] [--no-follow] [--page]\n'
			+ '       browser.js device URI [--code USER_CODE] [--login NAME] [--deny]', 2);
	for (let i = 2; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--deny')
			opts.deny = true;
		else if (a === '--no-follow')
			opts.follow = false;
		else if (a === '--page')
			opts.page = true;
		else if (['--login', '--code', '--timeout'].includes(a) && i + 1 < argv.length)
			opts[a.slice(2)] = argv[++i];
		else
			die(`bad argument ${a}`, 2);
	}
	opts.timeout = Number(opts.timeout);
	return opts;
}

// ------------------------------------------------------------ cookie jar
const jar = new Map(); // "name path" -> { name, value, path }

function storeCookies(res, url) {
	for (const sc of res.headers.getSetCookie()) {
		const parts = sc.split(';').map((s) => s.trim());
		const eq = parts[0].indexOf('=');
		if (eq < 1)
			continue;
		const c = { name: parts[0].slice(0, eq), value: parts[0].slice(eq + 1), path: '/' };
		let expired = false;
		for (const attr of parts.slice(1)) {
			const [k, v = ''] = attr.split('=');
			const key = k.toLowerCase();
			if (key === 'path' && v.startsWith('/'))
				c.path = v;
			else if (key === 'max-age' && Number(v) <= 0)
				expired = true;
			else if (key === 'expires' && Date.parse(v) <= Date.now())
				expired = true;
		}
		if (!parts.slice(1).some((a) => a.toLowerCase().startsWith('path='))) {
			const dir = url.pathname.replace(/\/[^/]*$/, '');
			c.path = dir || '/';
		}
		const key = `${c.name} ${c.path}`;
		if (expired)
			jar.delete(key);
		else
			jar.set(key, c);
	}
}

function cookieHeader(url) {
	const p = url.pathname;
	return [...jar.values()]
		.filter((c) => p === c.path || p.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
		.sort((a, b) => b.path.length - a.path.length)
		.map((c) => `${c.name}=${c.value}`).join('; ');
}

// ------------------------------------------------------------- requests
let opts;
let origin; // the issuer's origin: the only place cookies go

async function request(method, href, form) {
	const url = new URL(href);
	const headers = { 'User-Agent': 'aiauth-test-browser/1', Accept: 'text/html,*/*' };
	if (url.origin === origin) {
		const ch = cookieHeader(url);
		if (ch)
			headers.Cookie = ch;
	}
	let body;
	if (form) {
		body = new URLSearchParams(form).toString();
		headers['Content-Type'] = 'application/x-www-form-urlencoded';
	}
	let res;
	try {
		res = await fetch(url, {
			method, headers, body, redirect: 'manual',
			signal: AbortSignal.timeout(opts.timeout * 1000),
		});
	} catch (err) {
		const e = new Error(`${method} ${url.origin}${url.pathname}: ${err.cause?.code || err.name}: ${err.cause?.message || err.message}`);
		e.network = true;
		throw e;
	}
	if (url.origin === origin)
		storeCookies(res, url);
	let text;
	try {
		text = await res.text();
	} catch (err) {
		throw new Error(`${method} ${url.origin}${url.pathname}: reading the answer: ${err.message}`);
	}
	return { status: res.status, location: res.headers.get('location'), type: res.headers.get('content-type') || '', text, url };
}

// ------------------------------------------------------------- HTML bits
function decode(s) {
	return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#x27;/g, "'")
		.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function attrs(tag) {
	const out = {};
	const re = /([a-zA-Z_:.-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;
	let m;
	const inner = tag.replace(/^<\s*\w+/, '').replace(/\/?>$/, '');
	while ((m = re.exec(inner)))
		out[m[1].toLowerCase()] = decode(m[2] ?? m[3] ?? m[4] ?? '');
	return out;
}

// Every form on the page: { id, action, method, fields: {name: value} }.
// Inputs count for the form they sit in or name with form="ID".
function forms(html) {
	const list = [];
	const formRe = /<form\b[^>]*>([\s\S]*?)<\/form>/gi;
	let m;
	while ((m = formRe.exec(html))) {
		const a = attrs(m[0].match(/<form\b[^>]*>/i)[0]);
		const f = { id: a.id || '', action: a.action || '', method: (a.method || 'get').toLowerCase(), fields: {} };
		for (const t of m[1].match(/<input\b[^>]*>/gi) || []) {
			const ia = attrs(t);
			if (ia.name)
				f.fields[ia.name] = ia.value ?? '';
		}
		list.push(f);
	}
	for (const t of html.match(/<(?:input|button)\b[^>]*\bform="[^"]*"[^>]*>/gi) || []) {
		const ia = attrs(t);
		const f = list.find((x) => x.id === ia.form);
		if (f && ia.name && !(ia.name in f.fields) && t.toLowerCase().startsWith('<input'))
			f.fields[ia.name] = ia.value ?? '';
	}
	return list;
}

function pageText(html) {
	return decode(html.replace(/<style[\s\S]*?<\/style>/gi, '').replace(/<script[\s\S]*?<\/script>/gi, '')
		.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();
}

function pageError(page) {
	const m = /<pre id="error">([\s\S]*?)<\/pre>/.exec(page.text);
	if (m)
		return decode(m[1]).replace(/\s*\n\s*/g, '; ');
	return `HTTP ${page.status}: ${pageText(page.text).slice(0, 200)}`;
}

// ------------------------------------------------------------ the walk
// Follow redirects within the issuer; stop at a redirect that isSink()
// accepts (the client's redirect_uri), returning { sink: URL }, or at a page,
// returning it.
async function go(method, href, form, isSink) {
	let page = await request(method, href, form);
	for (let hops = 0; page.status >= 300 && page.status < 400; hops++) {
		if (!page.location)
			throw new Error(`redirect without Location from ${page.url.pathname}`);
		const next = new URL(page.location, page.url);
		if (isSink && isSink(next))
			return { sink: next };
		if (next.origin !== origin)
			throw new Error(`redirected away from the issuer to ${next.origin}${next.pathname}`);
		if (hops > 20)
			throw new Error('too many redirects');
		page = await request('GET', next.href);
	}
	return page;
}

// Resolve a form's action against the page it is on.
function actionOf(page, f) {
	return new URL(f.action || page.url.href, page.url).href;
}

// One step of the interaction pages: sign in or consent.  Returns what the
// submission led to.
async function interact(page, isSink) {
	const fs = forms(page.text);
	const login = fs.find((f) => f.fields.prompt === 'login');
	if (login) {
		return go('POST', actionOf(page, login),
			{ prompt: 'login', login: opts.login, password: 'any-password' }, isSink);
	}
	const consent = fs.find((f) => f.fields.prompt === 'consent');
	if (consent) {
		if (opts.deny) {
			const m = /<a\b[^>]*href="([^"]*\/abort)"/i.exec(page.text);
			if (!m)
				throw new Error('no abort link on the consent page');
			return go('GET', new URL(decode(m[1]), page.url).href, null, isSink);
		}
		return go('POST', actionOf(page, consent), { prompt: 'consent' }, isSink);
	}
	return null;
}

async function authorize() {
	let start;
	try {
		start = new URL(opts.target);
	} catch {
		throw new Error('not a URL');
	}
	origin = start.origin;
	const ru = start.searchParams.get('redirect_uri');
	if (!ru)
		throw new Error('the authorization URL has no redirect_uri');
	const want = new URL(ru);
	const isSink = (u) => u.origin === want.origin && u.pathname === want.pathname;

	let step = await go('GET', start.href, null, isSink);
	for (let i = 0; !step.sink; i++) {
		if (i > 6)
			throw new Error('the interaction never ended');
		const next = await interact(step, isSink);
		if (!next)
			throw new Error(`unexpected page: ${pageError(step)}`);
		step = next;
	}

	const sink = step.sink.href;
	if (!opts.follow) {
		process.stdout.write(`${sink}\n`);
		return 0;
	}
	let res;
	try {
		res = await request('GET', sink);
	} catch (err) {
		if (!opts.page)
			process.stdout.write(`${sink}\n`);
		process.stderr.write(`browser: ${err.message}\n`);
		return 3;
	}
	if (opts.page) {
		process.stdout.write(res.text.endsWith('\n') ? res.text : `${res.text}\n`);
	} else {
		process.stdout.write(`${sink}\n`);
		if (res.status >= 400)
			process.stderr.write(`browser: redirect target answered HTTP ${res.status}\n`);
	}
	return 0;
}

async function device() {
	let start;
	try {
		start = new URL(opts.target);
	} catch {
		throw new Error('not a URL');
	}
	origin = start.origin;

	let page = await go('GET', start.href, null, null);
	// The code entry page, or (verification_uri_complete) an auto-submitting
	// form_post page carrying the code.
	let f = forms(page.text).find((x) => 'user_code' in x.fields && 'xsrf' in x.fields);
	if (!f)
		throw new Error(`no user code form: ${pageError(page)}`);
	const code = opts.code ?? (f.fields.user_code || start.searchParams.get('user_code'));
	if (!code)
		throw new Error('no user code: pass --code or the verification_uri_complete');
	page = await go('POST', actionOf(page, f), { xsrf: f.fields.xsrf, user_code: code }, null);

	// The confirmation page.
	f = forms(page.text).find((x) => x.fields.confirm === 'yes');
	if (!f) {
		const t = pageText(page.text);
		if (/incorrect|not found|expired|already/i.test(t))
			throw new Error(`user code refused: ${t.replace(/^.*?Sign-in /, '').slice(0, 120)}`);
		throw new Error(`no confirmation form: ${pageError(page)}`);
	}
	page = await go('POST', actionOf(page, f), f.fields, null);

	for (let i = 0; ; i++) {
		if (i > 6)
			throw new Error('the interaction never ended');
		const next = await interact(page, null);
		if (!next)
			break;
		page = next;
	}
	const text = pageText(page.text);
	if (opts.deny) {
		if (/interrupted/i.test(text))
			return 0;
		throw new Error(`expected the interrupted page: ${text.slice(0, 200)}`);
	}
	if (/Sign-in Success/i.test(text))
		return 0;
	throw new Error(`sign-in did not succeed: ${pageError(page)}`);
}

opts = parseArgs(process.argv.slice(2));
(opts.cmd === 'authorize' ? authorize() : device())
	.then((rc) => process.exit(rc))
	.catch((err) => die(err.message));
