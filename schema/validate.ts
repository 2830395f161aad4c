// The project's one schema library, wrapped: TypeBox schemas are both the JSON Schema a file is checked against
// and (through Static<>) the TypeScript type of what passes. This file turns TypeBox's raw errors into ones a
// user can act on: a JSON Pointer (RFC 6901) to the bad value, and a message naming the key, what was expected
// and what was found (cut to 60 characters, so a huge value is never echoed back whole).
//
// A leaf: imports only typebox.
import type { Static, TSchema } from 'typebox'
import { Settings } from 'typebox/system'
import { Value } from 'typebox/value'

// TypeBox stops at 8 errors by default; a config or profile file is small, and every mistake at once saves
// the user a round trip per mistake.
Settings.Set({ maxErrors: 1000 })

export interface SchemaError {
  /** JSON Pointer (RFC 6901) of the value that is wrong; '' is the document itself. */
  path: string
  message: string
}

/** Longest excerpt of a value quoted in a message. */
const QUOTE_MAX = 60

/** Every error of `value` against `schema` (empty: valid), in document order, one per mistake. */
export function validate(schema: TSchema, value: unknown): SchemaError[] {
  const raw = Value.Errors(schema, value)
  // a failed anyOf/oneOf also reports why each branch failed: keep only the summary at the union itself
  const unions = raw.filter(e => e.keyword === 'anyOf' || e.keyword === 'oneOf').map(e => e.schemaPath)
  const inBranch = (schemaPath: string): boolean =>
    unions.some(u => schemaPath.startsWith(`${u}/anyOf/`) || schemaPath.startsWith(`${u}/oneOf/`))
  const out: SchemaError[] = []
  for (const e of raw) {
    // "schema is false" repeats, per key, the additionalProperties error handled below
    if (e.keyword === 'boolean' || inBranch(e.schemaPath)) continue
    out.push(...explain(schema, value, e))
  }
  return out
}

/** True when `value` passes `schema`, narrowing it to the schema's static type. */
export function conforms<T extends TSchema>(schema: T, value: unknown): value is Static<T> {
  return Value.Check(schema, value)
}

/** "path: message" lines, for an error printed to a user. */
export function formatErrors(errors: readonly SchemaError[], indent = ''): string {
  return errors.map(e => `${indent}${e.path === '' ? '/' : e.path}: ${e.message}`).join('\n')
}

/** RFC 6901 section 4: "~" is written "~0" and "/" is written "~1" in a reference token. */
export function pointer(base: string, token: string | number): string {
  return `${base}/${String(token).replace(/~/g, '~0').replace(/\//g, '~1')}`
}

/** A value quoted for a message: JSON, cut to QUOTE_MAX characters. */
export function quote(value: unknown): string {
  const text = value === undefined ? 'nothing' : (JSON.stringify(value) ?? typeof value)
  return text.length <= QUOTE_MAX ? text : `${text.slice(0, QUOTE_MAX - 3)}...`
}

interface RawError {
  keyword: string
  schemaPath: string
  instancePath: string
  params: Record<string, unknown>
  message: string
}

function explain(root: TSchema, doc: unknown, e: RawError): SchemaError[] {
  const path = e.instancePath
  const got = at(doc, path)
  const key = lastToken(path)
  const name = key === undefined ? 'the document' : `'${key}'`
  const here = schemaAt(root, e.schemaPath)
  const p = e.params
  switch (e.keyword) {
    case 'additionalProperties': {
      const known = Object.keys(record(here?.['properties']))
      return strings(p['additionalProperties']).map(k => ({
        path: pointer(path, k),
        message: `unknown key '${k}' (known: ${known.join(', ') || 'none'})`,
      }))
    }
    case 'required':
      return strings(p['requiredProperties']).map(k => ({ path: pointer(path, k), message: `required key '${k}' is missing` }))
    case 'type':
      return [{ path, message: `${name} must be ${article(String(p['type']))}, got ${kindOf(got)} ${quote(got)}` }]
    case 'enum':
      return [{ path, message: `${name} must be one of ${listOf(p['allowedValues'])}; got ${quote(got)}` }]
    case 'const':
      return [{ path, message: `${name} must be ${quote(p['allowedValue'])}; got ${quote(got)}` }]
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum': {
      const op = { minimum: '>=', exclusiveMinimum: '>', maximum: '<=', exclusiveMaximum: '<' }[e.keyword]
      return [{ path, message: `${name} must be ${op} ${String(p['limit'])}; got ${quote(got)}` }]
    }
    case 'minLength':
      return [
        {
          path,
          message:
            p['limit'] === 1
              ? `${name} must not be empty`
              : `${name} must have at least ${String(p['limit'])} characters; got ${quote(got)}`,
        },
      ]
    case 'maxLength':
      return [{ path, message: `${name} must have at most ${String(p['limit'])} characters; got ${quote(got)}` }]
    case 'pattern':
      return [
        {
          path,
          message: `${name} must match ${String(p['pattern'])}${typeof here?.['description'] === 'string' ? ` (${here['description']})` : ''}; got ${quote(got)}`,
        },
      ]
    case 'minItems':
      return [{ path, message: `${name} must have at least ${String(p['limit'])} item(s)` }]
    case 'uniqueItems': {
      const dups = Array.isArray(p['duplicateItems']) ? (p['duplicateItems'] as unknown[]) : []
      if (dups.length === 0) return [{ path, message: `${name} must not repeat an item` }]
      return dups.map(i => ({ path: pointer(path, String(i)), message: `duplicate item ${quote(at(got, `/${String(i)}`))}` }))
    }
    case 'oneOf':
    case 'anyOf':
      return [{ path, message: `${name} ${unionText(record(here), e.keyword)}; got ${quote(got)}` }]
    default:
      return [{ path, message: `${name} ${e.message}; got ${quote(got)}` }]
  }
}

/** What a union wants: required-key branches as "exactly one of value, measure", value branches as a list. */
function unionText(schema: Record<string, unknown>, keyword: 'oneOf' | 'anyOf'): string {
  const branches = Array.isArray(schema[keyword]) ? (schema[keyword] as unknown[]) : []
  const requires = branches.map(b => strings(record(b)['required']))
  const onlyRequired = branches.every(b => Object.keys(record(b)).every(k => k === 'required'))
  if (onlyRequired && requires.every(r => r.length === 1)) {
    return `must have exactly one of the keys ${requires.map(r => r[0]).join(', ')}`
  }
  return `must be one of: ${branches.map(b => describe(record(b))).join(' | ')}`
}

/** A short name of what a schema accepts, for union messages. */
function describe(s: Record<string, unknown>): string {
  if ('const' in s) return quote(s['const'])
  if (Array.isArray(s['enum'])) return listOf(s['enum'])
  const props = record(s['properties'])
  const driver = record(props['driver'])
  if ('const' in driver) return `{ driver: ${quote(driver['const'])} ... }`
  if (typeof s['type'] === 'string') return article(s['type'])
  return 'a value of another shape'
}

function listOf(values: unknown): string {
  return Array.isArray(values) ? values.map(v => quote(v)).join(', ') : '?'
}

function article(type: string): string {
  return (
    {
      object: 'an object',
      array: 'an array',
      integer: 'an integer',
      string: 'a string',
      number: 'a number',
      boolean: 'true or false',
      null: 'null',
    }[type] ?? type
  )
}

function kindOf(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number' && Number.isInteger(v)) return 'integer'
  return typeof v
}

/** The value at a JSON Pointer (undefined when absent). */
function at(doc: unknown, path: string): unknown {
  if (path === '') return doc
  let v: unknown = doc
  for (const raw of path.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[token]
  }
  return v
}

/** The sub-schema at a TypeBox schemaPath ("#/properties/a/items"). */
function schemaAt(root: TSchema, schemaPath: string): Record<string, unknown> | undefined {
  const rest = schemaPath.replace(/^#/, '')
  const found = at(root, rest)
  return found !== null && typeof found === 'object' ? (found as Record<string, unknown>) : undefined
}

function lastToken(path: string): string | undefined {
  if (path === '') return undefined
  return (path.split('/').pop() ?? '').replace(/~1/g, '/').replace(/~0/g, '~')
}

function record(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(x => String(x)) : []
}
