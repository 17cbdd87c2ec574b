import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSchema, schemaPropertyNames, type JsonSchema } from './schema-check.js';

const schema: JsonSchema = {
  type: 'object',
  required: ['n', 'list'],
  additionalProperties: false,
  properties: {
    n: { type: 'integer', minimum: 0 },
    s: { type: ['string', 'null'] },
    e: { enum: ['a', 'b'] },
    c: { const: 1 },
    list: { type: 'array', items: { $ref: '#/$defs/item' }, maxItems: 2 },
    map: { type: 'object', additionalProperties: { type: 'number' } },
  },
  $defs: { item: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } },
};

test('a conforming value has no errors', () => {
  assert.deepEqual(checkSchema({ n: 1, s: null, e: 'a', c: 1, list: [{ id: 'x' }], map: { k: 1.5 } }, schema), []);
});

test('each violation is reported with its path', () => {
  assert.deepEqual(checkSchema({ list: [] }, schema), ["$: missing required key 'n'"]);
  assert.deepEqual(checkSchema({ n: 1.5, list: [] }, schema), ['$.n: expected integer, got number']);
  assert.deepEqual(checkSchema({ n: -1, list: [] }, schema), ['$.n: -1 < minimum 0']);
  assert.deepEqual(checkSchema({ n: 1, list: [], s: 3 }, schema), ['$.s: expected string or null, got number']);
  assert.deepEqual(checkSchema({ n: 1, list: [], e: 'z' }, schema), ['$.e: "z" not in ["a","b"]']);
  assert.deepEqual(checkSchema({ n: 1, list: [], c: 2 }, schema), ['$.c: expected 1, got 2']);
  assert.deepEqual(checkSchema({ n: 1, list: [{}] }, schema), ["$.list[0]: missing required key 'id'"]);
  assert.deepEqual(checkSchema({ n: 1, list: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] }, schema), ['$.list: 3 items > maxItems 2']);
  assert.deepEqual(checkSchema({ n: 1, list: [], extra: true }, schema), ['$.extra: key not in the schema']);
  assert.deepEqual(checkSchema({ n: 1, list: [], map: { k: 'x' } }, schema), ['$.map.k: expected number, got string']);
});

test('an unsupported keyword or a dangling $ref is an error, not a silent pass', () => {
  assert.throws(() => checkSchema('x', { pattern: '^a' }), /unsupported keyword 'pattern'/);
  assert.throws(() => checkSchema('x', { $ref: '#/$defs/nope' }), /cannot resolve \$ref/);
});

test('schemaPropertyNames lists every declared property, nested and in $defs', () => {
  assert.deepEqual([...schemaPropertyNames(schema)].sort(), ['c', 'e', 'id', 'list', 'map', 'n', 's']);
});
