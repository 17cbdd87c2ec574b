import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settingText, setterText } from './source-text.js';
import type { LimitOrigin } from './types.js';

test('a setting that already holds its value is not glued to it again', () => {
  assert.equal(settingText({ layer: 'supervisord', pid: 1, setting: 'minfds=512', value: '512', reason: '' }), 'minfds=512');
  assert.equal(settingText({ layer: 'systemd', pid: 1, setting: 'LimitNOFILE=65536', value: '65536', reason: '' }), 'LimitNOFILE=65536');
  assert.equal(settingText({ layer: 'systemd', pid: 1, setting: 'built-in default', value: '1024:524288', reason: '' }), 'built-in default (1024:524288)');
  assert.equal(settingText({ layer: 'systemd', pid: 1, setting: 'LimitNOFILE', value: '1024:4096', reason: '' }), 'LimitNOFILE=1024:4096');
  assert.equal(settingText({ layer: 'self', pid: 1, setting: 'worker_rlimit_nofile 1000000', value: '1000000', reason: '' }), 'worker_rlimit_nofile 1000000');
});

test('the setter is named as itself: a service is "systemd, unit X", never systemd with the service\'s pid', () => {
  const o = (layer: LimitOrigin['source']['layer'], pid: number, extra = {}): LimitOrigin => ({ pid: 812, name: 'api', soft: 1, hard: 1, chain: [{ pid: 812, name: 'api', soft: 1, hard: 1 }, { pid: 640, name: 'supervisord', soft: 1, hard: 1 }], source: { layer, pid, reason: '', ...extra }, contradictions: [], fix: [] });
  assert.equal(setterText(o('systemd', 812, { unit: 'api.service' })), 'systemd, unit api.service');
  assert.equal(setterText(o('supervisord', 640)), 'supervisord (pid 640)');
});
