#!/usr/bin/env node
// fault_server.js - a loopback server that stands in front of a good server
// and answers badly on demand, for aiauth's fault tests.  Node 20, no
// dependencies.
//
//   node fault_server.js --port 0 --port-file FILE [--upstream URL]
//        [--mode MODE] [--mode-file FILE] [--tls-cert FILE --tls-key FILE]
//        [--log FILE]
//
// Listens on 127.0.0.1 only (https with --tls-cert and --tls-key, e.g. a
// self-signed certificate nobody trusts); writes the bound port to
// --port-file (a temporary name, then renamed) once listening; exits on
// SIGTERM or SIGINT.
//
// Every request is answered according to the mode, whatever its method and
// path.  The mode is read from --mode-file at each request when that file
// exists (a test switches modes by rewriting it: no request to make, no
// race with the next one), else it is --mode (default pass):
//   pass         forwarded as it is to --upstream (the same method, path,
//                headers and body; 502 without an upstream): the healthy
//                server behind a faulty one
//   html         200, a text/html page
//   500          500, a JSON server error
//   malformed    200, application/json, a truncated JSON object
//   empty        200, application/json, no body at all
//   huge         200, 10 MB of JSON-looking text, streamed with no length
//   huge-length  the same with Content-Length announced up front
//   hang         accept the connection, read the request, never answer
// The bodies of html, 500 and malformed quote the request's Authorization
// header and body back (as a careless server might) and contain the word
// FAULT-CANARY, so a test can check that nothing of a body reaches the user.
//
// --log FILE gets one line "MODE METHOD PATH" per request, never a header
// or a body: tests count requests with it.
'use strict';

const http = require('node:http');
const https = require('node:https');
const fs = require('node:fs');

const MODES = ['pass', 'html', '500', 'malformed', 'empty', 'huge', 'huge-length', 'hang'];
const HUGE = 10 * 1024 * 1024;

function die(msg) {
	process.stderr.write(`fault_server: ${msg}\n`);
	process.exit(2);
}

function parseArgs(argv) {
	const opts = { port: 0, portFile: null, upstream: null, mode: 'pass', modeFile: null,
		tlsCert: null, tlsKey: null, log: null };
	const names = { '--port': 'port', '--port-file': 'portFile', '--upstream': 'upstream',
		'--mode': 'mode', '--mode-file': 'modeFile', '--tls-cert': 'tlsCert',
		'--tls-key': 'tlsKey', '--log': 'log' };
	for (let i = 0; i < argv.length; i++) {
		const name = names[argv[i]];
		if (!name || i + 1 >= argv.length)
			die(`bad argument ${argv[i]}`);
		opts[name] = argv[++i];
	}
	opts.port = Number(opts.port);
	if (!MODES.includes(opts.mode))
		die(`--mode must be one of ${MODES.join(' ')}`);
	if (!opts.tlsCert !== !opts.tlsKey)
		die('--tls-cert and --tls-key go together');
	if (opts.upstream)
		opts.upstream = new URL(opts.upstream);
	return opts;
}

const opts = parseArgs(process.argv.slice(2));

function currentMode() {
	if (!opts.modeFile)
		return opts.mode;
	let m;
	try {
		m = fs.readFileSync(opts.modeFile, 'utf8').trim();
	} catch {
		return opts.mode;
	}
	if (!MODES.includes(m)) {
		process.stderr.write(`fault_server: unknown mode "${m}" in ${opts.modeFile}\n`);
		return '500';
	}
	return m;
}
const held = new Set(); // sockets of hung requests, closed on stop

function send(res, status, type, body) {
	res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body),
		'Cache-Control': 'no-store' });
	res.end(body);
}

function sendHuge(res, withLength) {
	const headers = { 'Content-Type': 'application/json' };
	if (withLength)
		headers['Content-Length'] = String(HUGE);
	res.writeHead(200, headers);
	const chunk = Buffer.alloc(1 << 20, 'x');
	chunk.write('{"data":"FAULT-CANARY ');
	let left = HUGE / chunk.length;
	res.on('error', () => {});
	const more = () => {
		while (left > 0) {
			left--;
			if (!res.write(chunk))
				return res.once('drain', more);
		}
		return res.end();
	};
	more();
}

function forward(req, res, body) {
	if (!opts.upstream)
		return send(res, 502, 'text/plain', 'no upstream\n');
	const up = opts.upstream;
	const headers = { ...req.headers, host: up.host };
	const r = http.request({ host: up.hostname, port: up.port, method: req.method,
		path: req.url, headers }, (ur) => {
		res.writeHead(ur.statusCode, ur.headers);
		ur.pipe(res);
	});
	r.on('error', (e) => {
		if (!res.headersSent)
			send(res, 502, 'text/plain', `upstream: ${e.message}\n`);
		else
			res.destroy();
	});
	r.end(body);
}

function answer(req, res, body) {
	const path = new URL(req.url, 'http://127.0.0.1').pathname;
	const mode = currentMode();
	if (opts.log)
		fs.appendFileSync(opts.log, `${mode} ${req.method} ${path}\n`);
	const echo = `${req.headers.authorization || ''} ${body.toString('utf8')}`.replace(/[<>&]/g, '');
	switch (mode) {
	case 'pass':
		return forward(req, res, body);
	case 'html':
		return send(res, 200, 'text/html; charset=utf-8',
			'<!DOCTYPE html><html><head><title>FAULT-CANARY maintenance</title></head>'
			+ `<body><h1>We will be back soon</h1><pre>${echo}</pre></body></html>\n`);
	case '500':
		return send(res, 500, 'application/json',
			JSON.stringify({ error: 'server_error', error_description: 'the service is down',
				detail: `FAULT-CANARY ${echo}` }));
	case 'malformed':
		return send(res, 200, 'application/json', `{"access_token":"FAULT-CANARY ${echo}`);
	case 'empty':
		return send(res, 200, 'application/json', '');
	case 'huge':
	case 'huge-length':
		return sendHuge(res, mode === 'huge-length');
	default: // hang
		held.add(res.socket);
		res.socket.on('close', () => held.delete(res.socket));
		return undefined;
	}
}

function handler(req, res) {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => answer(req, res, Buffer.concat(chunks)));
}

const server = opts.tlsCert
	? https.createServer({ cert: fs.readFileSync(opts.tlsCert), key: fs.readFileSync(opts.tlsKey) },
		handler)
	: http.createServer(handler);
// A hung request must stay hung: no server-side timeout may answer it.
server.requestTimeout = 0;
server.headersTimeout = 0;
server.on('clientError', (err, socket) => socket.destroy());
server.on('tlsClientError', () => {});
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
	for (const s of held)
		s.destroy();
	server.close(() => process.exit(0));
	server.closeAllConnections();
	setTimeout(() => process.exit(0), 500).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
