// SPDX-License-Identifier: Apache-2.0
// wildcard-bind.js - node's own connects that bind first: dgram.connect()
// (libuv binds the socket to the wildcard with port 0 before connect())
// and net.connect() with a localAddress of the wildcard.
// Usage: node wildcard-bind.js HOST PORT...: one echo each over UDP and
// TCP to every HOST (an echo-server.py); prints "OK node N" or "FAIL ...".
'use strict';
const dgram = require('dgram');
const net = require('net');

const args = process.argv.slice(2);
const port = Number(args.pop());
let left = 0;
const timer = setTimeout(() => fail('timed out'), 10000);

function fail(msg) {
	console.log('FAIL ' + msg);
	process.exit(1);
}

function done(what) {
	console.log(what + ': echoed');
	if (--left === 0) {
		clearTimeout(timer);
		console.log('OK node ' + args.length * 2);
	}
}

for (const host of args) {
	const v6 = host.includes(':');
	left += 2;
	const u = dgram.createSocket(v6 ? 'udp6' : 'udp4');
	u.on('error', (e) => fail('udp ' + host + ': ' + e.code));
	u.on('message', () => { u.close(); done('dgram.connect ' + host); });
	u.connect(port, host, () => u.send('ping'));
	const t = net.connect({ host, port, localAddress: v6 ? '::' : '0.0.0.0' });
	t.on('error', (e) => fail('tcp ' + host + ': ' + e.code));
	t.on('connect', () => t.write('ping\n'));
	t.on('data', () => { t.end(); done('net.connect localAddress ' + host); });
}
