#!/usr/bin/env node
// delay_proxy.js - a network round trip in front of a local server, for the
// refresh benchmark (bench/run).  Node 20, no dependencies.
//
//   node delay_proxy.js --target http://127.0.0.1:PORT --delay MS --port-file FILE
//
// Listens on 127.0.0.1 (an ephemeral port, written to --port-file once
// listening) and forwards every request to --target, answering MS
// milliseconds after the target did: what a provider a continent away adds
// to each token request, which the loopback server does not have.  Exits
// on SIGTERM or SIGINT.
'use strict';

const http = require('node:http');
const fs = require('node:fs');

const opts = { target: null, delay: 0, portFile: null };
for (let i = 2; i + 1 < process.argv.length; i += 2) {
	const [k, v] = [process.argv[i], process.argv[i + 1]];
	if (k === '--target') opts.target = new URL(v);
	else if (k === '--delay') opts.delay = Number(v);
	else if (k === '--port-file') opts.portFile = v;
	else {
		process.stderr.write(`delay_proxy: bad argument ${k}\n`);
		process.exit(2);
	}
}
if (!opts.target || !(opts.delay >= 0) || !opts.portFile) {
	process.stderr.write('usage: delay_proxy.js --target URL --delay MS --port-file FILE\n');
	process.exit(2);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const headers = { ...req.headers, host: opts.target.host };
		const up = http.request({
			host: opts.target.hostname, port: opts.target.port, path: req.url, method: req.method,
			headers, agent,
		}, (ures) => {
			const body = [];
			ures.on('data', (c) => body.push(c));
			ures.on('end', () => setTimeout(() => {
				res.writeHead(ures.statusCode, ures.headers);
				res.end(Buffer.concat(body));
			}, opts.delay));
		});
		up.on('error', (err) => {
			res.writeHead(502, { 'Content-Type': 'text/plain' });
			res.end(`delay_proxy: ${err.message}\n`);
		});
		up.end(Buffer.concat(chunks));
	});
});
server.listen(0, '127.0.0.1', () => {
	const tmp = `${opts.portFile}.${process.pid}.tmp`;
	fs.writeFileSync(tmp, `${server.address().port}\n`);
	fs.renameSync(tmp, opts.portFile);
});
const stop = () => {
	server.close(() => process.exit(0));
	server.closeAllConnections();
	setTimeout(() => process.exit(0), 500).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
