import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServices } from './services.js';

// Lines as Debian's netbase ships them (/etc/services), comments and UDP-only entries included.
const SERVICES = `# Network services, Internet style
tcpmux		1/tcp				# TCP port service multiplexer
ssh		22/tcp				# SSH Remote Login Protocol
domain		53/tcp				# Domain Name Server
domain		53/udp
http		80/tcp		www		# WorldWideWeb HTTP
https		443/tcp				# http protocol over TLS/SSL
https		443/udp				# HTTP/3
syslog		514/udp
postgresql	5432/tcp	postgres	# PostgreSQL Database
broken		99999/tcp
`;

test('TCP names and aliases to ports; UDP-only and out-of-range entries are not TCP ports', () => {
  const s = parseServices(SERVICES);
  assert.equal(s.get('ssh'), 22);
  assert.equal(s.get('www'), 80);
  assert.equal(s.get('postgres'), 5432);
  assert.equal(s.get('https'), 443);
  assert.equal(s.get('syslog'), undefined);
  assert.equal(s.get('broken'), undefined);
  assert.equal(s.get('#'), undefined);
});
