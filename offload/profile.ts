// Hardware profiles (hw-profiles/*.json): their TypeScript shape, loading and validation.
// The JSON schema (hw-profiles/schema.json) is the single definition of what a profile may contain; the
// types below mirror it for the planner, and validateProfile() runs the schema through offload/json-schema.ts
// and then checks what a schema cannot say (the id equals the file name). A profile that fails is refused with
// every error and its JSON Pointer, never half-loaded.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Json, type SchemaError, validateJson } from './json-schema.js'

export type TargetKind = 'software' | 'ovs-openflow' | 'tc-flower' | 'doca-flow' | 'rte-flow' | 'p4'
export type TableKind = 'exact' | 'ternary' | 'lpm'
export type TunnelType = 'vxlan' | 'geneve' | 'gre'
export type MatchField =
  | 'in_port' | 'vlan_vid' | 'tun_id' | 'tun_dst' | 'eth_src' | 'eth_dst' | 'eth_type' | 'ipv4_src' | 'ipv4_dst'
  | 'ipv6_src' | 'ipv6_dst' | 'ip_proto' | 'ip_ttl' | 'l4_src' | 'l4_dst' | 'tcp_flags' | 'icmp_type' | 'arp_op'
  | 'arp_spa' | 'arp_tpa' | 'arp_sha' | 'arp_tha' | 'nd_target' | 'metadata' | 'ct_state'
export type ActionName =
  | 'output' | 'drop' | 'multi_output' | 'mirror' | 'count' | 'meter' | 'push_vlan' | 'pop_vlan' | 'set_eth'
  | 'set_ipv4' | 'set_ipv6' | 'set_l4' | 'set_icmp' | 'set_arp' | 'set_nd' | 'dec_ttl' | 'set_metadata' | 'goto' | 'punt'
  | 'ct' | 'ct_nat'

/** A number with its source: a public figure, a figure our bench has to measure, or no limit at all. */
export interface Quantity {
  value?: number
  measure?: string
  unbounded?: string
  unit: string
  source: string
  conditions?: string
}

export interface TableClass {
  name: string
  kinds: TableKind[]
  count: Quantity
  capacity: Quantity
  shared: boolean
  keyBitsMax?: Quantity
}

export interface Profile {
  id: string
  kind: TargetKind
  summary: string
  datapath: string
  tables: { lookupBudget: Quantity; classes: TableClass[] }
  match: { fields: MatchField[]; source: string }
  actions: { supported: ActionName[]; maxActionsPerEntry: Quantity; maxRewriteFields?: Quantity; source: string }
  conntrack: {
    supported: boolean; protocols?: string[]; statesOffloaded?: string[]; nat?: boolean
    maxConnections?: Quantity; insertRate?: Quantity; source: string
  }
  tunnels: { encap: TunnelType[]; decap: TunnelType[]; source: string }
  punt: { via: 'action' | 'miss' | 'none'; restoresState: string[]; source: string }
  insertRate: Quantity
  forwarding: { mpps64B: Quantity; latencyUs?: Quantity }
  notes?: string[]
}

/** A refused profile: every error with its JSON Pointer. */
export class ProfileError extends Error {
  constructor(readonly file: string, readonly errors: SchemaError[]) {
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

let schemaCache: Json | undefined
function schema(): Json {
  schemaCache ??= JSON.parse(readFileSync(join(PROFILE_DIR, 'schema.json'), 'utf8')) as Json
  return schemaCache
}

/** Checks a parsed profile; `expectedId` (the file name) must equal its id when given. */
export function validateProfile(doc: Json, expectedId?: string): SchemaError[] {
  const errors = validateJson(schema(), doc)
  if (errors.length === 0 && expectedId !== undefined) {
    const id = (doc as { id: string }).id // shape checked by the schema just above
    if (id !== expectedId) errors.push({ path: '/id', message: `must equal the file name '${expectedId}'; got '${id}'` })
  }
  return errors
}

/** Parses and validates; throws ProfileError with every error. */
export function parseProfile(text: string, file: string, expectedId?: string): Profile {
  let doc: Json
  try {
    doc = JSON.parse(text) as Json
  } catch (err) {
    throw new ProfileError(file, [{ path: '', message: `not JSON: ${(err as Error).message}` }])
  }
  const errors = validateProfile(doc, expectedId)
  if (errors.length > 0) throw new ProfileError(file, errors)
  return doc as unknown as Profile // validated against the schema the type mirrors
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
  return readdirSync(dir).sort().filter(f => f.endsWith('.json')).map(f => basename(f, '.json'))
}

/** "128 groups (source)" style text for reports. */
export function describeQuantity(q: Quantity): string {
  if (q.value !== undefined) return `${q.value} ${q.unit}`
  if (q.unbounded !== undefined) return `unbounded (${q.unbounded})`
  return `to be measured (${q.measure})`
}
