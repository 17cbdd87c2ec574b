import test from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { acceptsGzip, deflateTail, gzipBody } from './gzip-body.js';

test('one cached tail ends many bodies, each a single valid gzip member of head + tail', () => {
  const tail = deflateTail('\nsockdoc_listener_accept_queue{port="80"} 3\n'.repeat(2000) + 'caf\u00e9\n');
  for (const head of ['sockdoc_scrape_duration_seconds 0.1\n', 'sockdoc_scrape_duration_seconds 0.25\n', '']) {
    const body = gzipBody(head, tail);
    assert.equal(gunzipSync(body).toString('utf8'), head + tail.bytes.toString('utf8'));
    // One member: the trailer is the body's last 8 bytes; nothing follows it.
    assert.equal(body.readUInt32LE(body.length - 4), Buffer.byteLength(head) + tail.bytes.length);
  }
  assert.ok(gzipBody('x', tail).length < tail.bytes.length / 10, 'it compresses');
  assert.equal(gunzipSync(gzipBody('only\n', deflateTail(''))).toString(), 'only\n');
});

test('Accept-Encoding: gzip, x-gzip or * unless q=0', () => {
  assert.equal(acceptsGzip('gzip'), true);
  assert.equal(acceptsGzip('deflate, gzip;q=0.5'), true);
  assert.equal(acceptsGzip('identity, *'), true);
  assert.equal(acceptsGzip('gzip;q=0, *'), false);
  assert.equal(acceptsGzip('GZIP ; q=1.0'), true);
  assert.equal(acceptsGzip(undefined), false);
  assert.equal(acceptsGzip(''), false);
  assert.equal(acceptsGzip('br, deflate'), false);
  assert.equal(acceptsGzip(['br', 'gzip']), true);
});
