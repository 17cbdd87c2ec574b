/**
 * A JSON Schema checker for the subset docs/sockdoc-diagnosis.schema.json uses, so the schema is
 * tested without a dependency: type (with "integer" and type lists), const, enum, properties,
 * required, additionalProperties (false or a schema), items, minItems/maxItems, minimum/maximum,
 * and local $ref ("#/$defs/name"). Any other keyword is an error: a schema that says more than this
 * checks would otherwise pass silently.
 */

export type JsonSchema = { [keyword: string]: unknown };

const KNOWN = new Set([
  '$schema', '$id', '$defs', 'title', 'description',
  'type', 'const', 'enum', 'properties', 'required', 'additionalProperties', 'items',
  'minItems', 'maxItems', 'minimum', 'maximum', '$ref',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function hasType(v: unknown, t: string): boolean {
  if (t === 'integer') return typeof v === 'number' && Number.isInteger(v);
  if (t === 'number') return typeof v === 'number' && Number.isFinite(v);
  return typeOf(v) === t;
}

function resolve(root: JsonSchema, ref: string): JsonSchema {
  const m = /^#\/\$defs\/([A-Za-z0-9_-]+)$/.exec(ref);
  const defs = root.$defs as Record<string, JsonSchema> | undefined;
  const target = m ? defs?.[m[1]] : undefined;
  if (!target) throw new Error(`schema: cannot resolve $ref ${ref}`);
  return target;
}

/** Every violation as "path: problem"; [] when `value` conforms. Throws on a keyword it does not know. */
export function checkSchema(value: unknown, schema: JsonSchema, root: JsonSchema = schema, path = '$'): string[] {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`schema: unsupported keyword '${k}' at ${path}`);
  if (typeof schema.$ref === 'string') return checkSchema(value, resolve(root, schema.$ref), root, path);
  const errors: string[] = [];
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => hasType(value, t))) return [`${path}: expected ${types.join(' or ')}, got ${typeOf(value)}`];
  }
  if ('const' in schema && value !== schema.const) errors.push(`${path}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: ${value} < minimum ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${path}: ${value} > maximum ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) errors.push(`${path}: ${value.length} items < minItems ${schema.minItems}`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) errors.push(`${path}: ${value.length} items > maxItems ${schema.maxItems}`);
    if (schema.items) value.forEach((v, i) => errors.push(...checkSchema(v, schema.items as JsonSchema, root, `${path}[${i}]`)));
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in obj)) errors.push(`${path}: missing required key '${r}'`);
    for (const [k, v] of Object.entries(obj)) {
      const p = `${path}.${k}`;
      if (props[k]) errors.push(...checkSchema(v, props[k], root, p));
      else if (schema.additionalProperties === false) errors.push(`${p}: key not in the schema`);
      else if (typeof schema.additionalProperties === 'object') errors.push(...checkSchema(v, schema.additionalProperties as JsonSchema, root, p));
    }
  }
  return errors;
}

/** Every property name the schema declares, for checking that the prose docs mention each one. */
export function schemaPropertyNames(schema: JsonSchema, out = new Set<string>()): Set<string> {
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'properties' && v && typeof v === 'object') for (const name of Object.keys(v)) out.add(name);
    if (v && typeof v === 'object') {
      if (Array.isArray(v)) v.forEach((x) => x && typeof x === 'object' && schemaPropertyNames(x as JsonSchema, out));
      else schemaPropertyNames(v as JsonSchema, out);
    }
  }
  return out;
}
