// A small JSON Schema validator, enough for hw-profiles/schema.json (no schema library is installed, and a
// profile is refused on load, so the errors must name the offending place).
//
// Supported keywords (JSON Schema 2020-12 meaning): type, enum, const, properties, required,
// additionalProperties (false or a schema), items, minItems, uniqueItems, minimum, minLength, pattern,
// $ref (local "#/$defs/name" only), oneOf. Annotations ($schema, $id, title, description) are ignored.
// Any other keyword is an error in the schema itself, so the schema cannot silently ask for more than we check.
// Errors carry a JSON Pointer (RFC 6901) to the offending value, e.g. "/tables/classes/0/capacity/value".

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

export interface SchemaError {
  /** JSON Pointer (RFC 6901) of the value that is wrong; '' is the document itself. */
  path: string
  message: string
}

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description'])
const KEYWORDS = new Set(['type', 'enum', 'const', 'properties', 'required', 'additionalProperties', 'items',
  'minItems', 'uniqueItems', 'minimum', 'minLength', 'pattern', '$ref', 'oneOf', '$defs'])

type Schema = { [key: string]: Json }

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function typeOf(v: Json): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v
}

function typeMatches(v: Json, t: string): boolean {
  const actual = typeOf(v)
  return actual === t || (t === 'number' && actual === 'integer')
}

/** RFC 6901 4: "~" is written "~0" and "/" is written "~1" in a reference token. */
function pointer(base: string, token: string | number): string {
  return `${base}/${String(token).replace(/~/g, '~0').replace(/\//g, '~1')}`
}

/** Validates `value` against `schema`; returns every error found (empty = valid). */
export function validateJson(schema: Json, value: Json): SchemaError[] {
  if (!isObject(schema)) throw new Error('schema must be an object')
  const errors: SchemaError[] = []
  check(schema, schema, value, '', errors)
  return errors
}

function resolve(root: Schema, ref: string): Schema {
  const m = /^#\/\$defs\/([A-Za-z0-9_-]+)$/.exec(ref)
  const defs = root['$defs']
  const target = m && isObject(defs) ? defs[m[1] as string] : undefined
  if (!isObject(target)) throw new Error(`schema: unsupported or unknown $ref '${ref}'`)
  return target
}

function check(root: Schema, schema: Schema, v: Json, path: string, out: SchemaError[]): void {
  for (const k of Object.keys(schema)) {
    if (!KEYWORDS.has(k) && !ANNOTATIONS.has(k)) throw new Error(`schema: unsupported keyword '${k}'`)
  }
  const ref = schema['$ref']
  if (typeof ref === 'string') check(root, resolve(root, ref), v, path, out)

  const type = schema['type']
  if (typeof type === 'string' && !typeMatches(v, type)) {
    out.push({ path, message: `must be ${type}, not ${typeOf(v)}` })
    return // the other keywords would only repeat the same mistake
  }
  const en = schema['enum']
  if (Array.isArray(en) && !en.some(e => e === v)) {
    out.push({ path, message: `must be one of ${en.map(e => JSON.stringify(e)).join(', ')}; got ${JSON.stringify(v)}` })
  }
  if ('const' in schema && schema['const'] !== v) {
    out.push({ path, message: `must be ${JSON.stringify(schema['const'])}` })
  }
  if (typeof v === 'number' && typeof schema['minimum'] === 'number' && v < schema['minimum']) {
    out.push({ path, message: `must be >= ${schema['minimum']}; got ${v}` })
  }
  if (typeof v === 'string') {
    if (typeof schema['minLength'] === 'number' && v.length < schema['minLength']) {
      out.push({ path, message: v.length === 0 ? 'must not be empty' : `must have at least ${schema['minLength']} characters` })
    }
    if (typeof schema['pattern'] === 'string' && !new RegExp(schema['pattern'], 'u').test(v)) {
      out.push({ path, message: `must match ${schema['pattern']}` })
    }
  }
  if (Array.isArray(v)) checkArray(root, schema, v, path, out)
  if (isObject(v)) checkObject(root, schema, v, path, out)

  const oneOf = schema['oneOf']
  if (Array.isArray(oneOf)) {
    const passing = oneOf.filter(branch => {
      if (!isObject(branch)) throw new Error('schema: oneOf branches must be schemas')
      const sub: SchemaError[] = []
      check(root, branch, v, path, sub)
      return sub.length === 0
    })
    if (passing.length !== 1) {
      const alternatives = oneOf.map(b => isObject(b) && Array.isArray(b['required']) ? b['required'].join('+') : '?')
      out.push({ path, message: `must match exactly one of [${alternatives.join(' | ')}]; matched ${passing.length}` })
    }
  }
}

function checkArray(root: Schema, schema: Schema, v: Json[], path: string, out: SchemaError[]): void {
  if (typeof schema['minItems'] === 'number' && v.length < schema['minItems']) {
    out.push({ path, message: `must have at least ${schema['minItems']} item(s)` })
  }
  if (schema['uniqueItems'] === true) {
    const seen = new Set<string>()
    v.forEach((item, i) => {
      const key = JSON.stringify(item)
      if (seen.has(key)) out.push({ path: pointer(path, i), message: `duplicate item ${key}` })
      seen.add(key)
    })
  }
  const items = schema['items']
  if (isObject(items)) v.forEach((item, i) => check(root, items, item, pointer(path, i), out))
}

function checkObject(root: Schema, schema: Schema, v: { [key: string]: Json }, path: string, out: SchemaError[]): void {
  const props = isObject(schema['properties']) ? schema['properties'] : {}
  const required = schema['required']
  if (Array.isArray(required)) {
    for (const name of required) {
      if (typeof name === 'string' && !(name in v)) out.push({ path: pointer(path, name), message: 'is required' })
    }
  }
  const extra = schema['additionalProperties']
  for (const [name, item] of Object.entries(v)) {
    const sub = props[name]
    if (isObject(sub)) check(root, sub, item, pointer(path, name), out)
    else if (extra === false) out.push({ path: pointer(path, name), message: 'is not a known field' })
    else if (isObject(extra)) check(root, extra, item, pointer(path, name), out)
  }
}
