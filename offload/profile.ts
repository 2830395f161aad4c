// Hardware profiles (hw-profiles/*.json): loading and validation. Their shape is defined once, as a TypeBox
// schema in offload/profile-schema.ts (the types below are derived from it); validateProfile() checks a document
// against it through schema/validate.ts and then checks what a schema cannot say (the id equals the file name,
// the conntrack fields agree with the mode). A profile that fails is refused with every error and its JSON
// Pointer, never half-loaded.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type SchemaError, validate } from '../schema/validate.js'
import { ACTIONS, CT_TO_SOFTWARE, MATCH_FIELDS, type Profile, ProfileSchema, type Quantity, TARGET_KINDS } from './profile-schema.js'

export type { Conntrack, Profile, Quantity, TableClass } from './profile-schema.js'
export type { SchemaError } from '../schema/validate.js'

export type TargetKind = (typeof TARGET_KINDS)[number]
export type TableKind = Profile['tables']['classes'][number]['kinds'][number]
export type TunnelType = Profile['tunnels']['encap'][number]
export type MatchField = (typeof MATCH_FIELDS)[number]
export type ActionName = (typeof ACTIONS)[number]
export type ConntrackMode = Profile['conntrack']['mode']
export type CtProtocol = NonNullable<Profile['conntrack']['protocols']>[number]
/** Packets of stateful ports an established-offload target hands to software (conntrack.toSoftware). */
export type CtToSoftware = (typeof CT_TO_SOFTWARE)[number]

/** A refused profile: every error with its JSON Pointer. */
export class ProfileError extends Error {
  constructor(
    readonly file: string,
    readonly errors: SchemaError[],
  ) {
    super(`${file}: invalid hardware profile:\n` + errors.map(e => `  ${e.path || '/'}: ${e.message}`).join('\n'))
    this.name = 'ProfileError'
  }
}

/** The repository root: the nearest ancestor of this module holding hw-profiles/ (works from source and build/). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(join(dir, 'hw-profiles', 'schema.json'))) return dir
    const up = dirname(dir)
    if (up === dir) throw new Error('hw-profiles/schema.json not found above ' + fileURLToPath(import.meta.url))
    dir = up
  }
}

export const PROFILE_DIR = join(repoRoot(), 'hw-profiles')

/** Checks a parsed profile; `expectedId` (the file name) must equal its id when given. */
export function validateProfile(doc: unknown, expectedId?: string): SchemaError[] {
  const errors = validate(ProfileSchema, doc)
  if (errors.length > 0) return errors
  const p = doc as Profile // shape checked by the schema just above
  if (expectedId !== undefined && p.id !== expectedId) {
    errors.push({ path: '/id', message: `must equal the file name '${expectedId}'; got '${p.id}'` })
  }
  return [...errors, ...conntrackErrors(p), ...aclErrors(p)]
}

/** What the schema cannot say: the conntrack fields must agree with the mode and with match / actions. */
function conntrackErrors(p: Profile): SchemaError[] {
  const ct = p.conntrack
  const out: SchemaError[] = []
  const at = (field: string, message: string): void => {
    out.push({ path: `/conntrack/${field}`, message })
  }
  if (ct.supported !== (ct.mode !== 'none')) at('supported', `must be ${ct.mode !== 'none'} with mode '${ct.mode}'`)
  if (ct.mode === 'none') {
    for (const f of ['protocols', 'statesOffloaded', 'key', 'sets', 'toSoftware', 'tcpWindow', 'maxConnections', 'insertRate'] as const) {
      if (ct[f] !== undefined) at(f, `means nothing with mode 'none' (no connection tracking)`)
    }
    if (ct.nat === true) at('nat', `cannot be true with mode 'none'`)
    return out
  }
  if (!p.actions.supported.includes('ct'))
    out.push({ path: '/actions/supported', message: `must list 'ct' when conntrack mode is '${ct.mode}'` })
  if (!p.match.fields.includes('ct_state'))
    out.push({ path: '/match/fields', message: `must list 'ct_state' when conntrack mode is '${ct.mode}'` })
  if ((ct.protocols ?? []).length === 0) at('protocols', `must name the protocols tracked with mode '${ct.mode}'`)
  if (ct.key !== undefined && !ct.key.includes('zone'))
    at('key', 'must include zone (one zone per network, BEHAVIOUR.md "Security groups")')
  if (ct.mode === 'datapath') {
    if (ct.toSoftware !== undefined) at('toSoftware', `means nothing with mode 'datapath' (the datapath tracks every connection itself)`)
    if (ct.statesOffloaded !== undefined) at('statesOffloaded', `means nothing with mode 'datapath'`)
    return out
  }
  // established-offload: the software commits, so new connections always go to software
  const states = ct.statesOffloaded ?? []
  if (!states.includes('established')) at('statesOffloaded', `must include 'established' with mode 'established-offload'`)
  if (states.includes('new')) at('statesOffloaded', `cannot include 'new' with mode 'established-offload' (the software path commits)`)
  if (!(ct.toSoftware ?? []).includes('new')) at('toSoftware', `must include 'new' with mode 'established-offload'`)
  if (ct.tcpWindow === undefined) at('tcpWindow', `must be given with mode 'established-offload'`)
  if (
    (ct.protocols ?? []).includes('tcp') &&
    !p.match.fields.includes('tcp_flags') &&
    (ct.toSoftware ?? []).some(x => x.startsWith('tcp_'))
  ) {
    out.push({
      path: '/match/fields',
      message: `must list 'tcp_flags' to send TCP state changes (${(ct.toSoftware ?? []).filter(x => x.startsWith('tcp_')).join(', ')}) to software`,
    })
  }
  return out
}

function aclErrors(p: Profile): SchemaError[] {
  const port = p.acl?.maxFlowsPerPort?.value
  const all = p.acl?.maxFlows?.value
  if (port !== undefined && all !== undefined && port > all) {
    return [{ path: '/acl/maxFlowsPerPort', message: `${port} is more than acl.maxFlows (${all})` }]
  }
  return []
}

/** Parses and validates; throws ProfileError with every error. */
export function parseProfile(text: string, file: string, expectedId?: string): Profile {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    throw new ProfileError(file, [{ path: '', message: `not JSON: ${(err as Error).message}` }])
  }
  const errors = validateProfile(doc, expectedId)
  if (errors.length > 0) throw new ProfileError(file, errors)
  return doc as Profile // validated against the schema the type is derived from
}

/** `name` is a shipped profile (hw-profiles/<name>.json) or a path to a JSON file. */
export function loadProfile(name: string): Profile {
  const isPath = name.includes('/') || name.endsWith('.json')
  const file = isPath ? resolve(name) : join(PROFILE_DIR, `${name}.json`)
  if (!existsSync(file)) {
    throw new Error(`no hardware profile '${name}' (shipped: ${shippedProfiles().join(', ')})`)
  }
  return parseProfile(readFileSync(file, 'utf8'), file, basename(file, '.json'))
}

/** Names of the profiles in hw-profiles/. */
export function shippedProfiles(): string[] {
  return readdirNames(PROFILE_DIR).filter(n => n !== 'schema')
}

function readdirNames(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .filter(f => f.endsWith('.json'))
    .map(f => basename(f, '.json'))
}

/** "128 groups (source)" style text for reports. */
export function describeQuantity(q: Quantity): string {
  if (q.value !== undefined) return `${q.value} ${q.unit}`
  if (q.unbounded !== undefined) return `unbounded (${q.unbounded})`
  return `to be measured (${q.measure})`
}
