import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCaptureMeta, readCaptureTime } from './capture-meta.js';
import { fixture } from '../testing/paths.js';

test('the capture time is read back in UTC; anything else is unknown, never "now"', () => {
  assert.equal(parseCaptureMeta('{"format":1,"takenAt":"2026-11-30T10:11:53.000Z"}'), '2026-11-30T10:11:53.000Z');
  assert.equal(parseCaptureMeta('{"format":1,"takenAt":"2026-11-30T11:11:53+01:00"}'), '2026-11-30T10:11:53.000Z');
  for (const bad of ['', '{', 'null', '{"takenAt":12}', '{"takenAt":"yesterday"}', '[]']) assert.equal(parseCaptureMeta(bad), null, bad);
});

test('an older capture without sockdoc-capture.json has no known time', () => {
  assert.equal(readCaptureTime(fixture('hosts', 'seed-close-wait')), null);
  assert.equal(readCaptureTime('/nonexistent/sockdoc-root'), null);
});
