// Turns a kept tempest workspace (`run.js --keep`) into the seeds of the API fuzz test
// (test/northbound/robustness.test.ts): every request a test method sent that got a 4xx, with the status it got,
// ids of objects tempest created replaced by placeholders (`{network}`, `{port}`...) that the fuzz test fills
// with ids of its own objects. Ids never seen in a 2xx answer stay as they are: tempest made them up to be absent.
//
//   node build/conformance/neutron/extract-seeds.js WORKSPACE [OUT]
//
// It reads WORKSPACE/logs/tempest.log, which has each request's and answer's body because tempest-conf.ts sets
// `debug = True`.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

export interface Seed {
  /** the tempest test (Class:method) that sent it */
  test: string
  method: string
  /** with {placeholders} for ids of objects the fuzz test creates */
  path: string
  body?: unknown
  /** the 4xx the test expected (it passed with it) */
  status: number
  /** `member`: the test's name says it acts as a non-admin project; `either`: the log does not say who sent it
   * (tempest omits tokens), so the fuzz test tries admin, then a member of another project */
  as: 'member' | 'either'
  /** the state-changing requests (2xx POST/PUT/DELETE) the same test method sent before it: its refusal may
   * depend on them (a duplicate, a quota, an object in use), so the fuzz test sends them first */
  steps?: { method: string; path: string; body?: unknown }[]
}

export interface SeedFile {
  header: string
  generated: string
  /** collection (a path's last word) -> the placeholder of its objects, for whoever replays steps */
  placeholders: Record<string, string>
  seeds: Seed[]
}

/** Collection (last path word) to the placeholder name of its objects. */
const PLACEHOLDERS: Record<string, string> = {
  networks: 'network',
  subnets: 'subnet',
  ports: 'port',
  routers: 'router',
  'security-groups': 'security_group',
  'security-group-rules': 'security_group_rule',
  floatingips: 'floatingip',
  subnetpools: 'subnetpool',
  projects: 'project',
  users: 'user',
  domains: 'domain',
  roles: 'role',
}

const INFO_LINE = /INFO tempest\.lib\.common\.rest_client \[(req-[0-9a-f-]+)[^\]]*\] Request \(([^)]*)\): (\d{3}) (\w+) (\S+)/
const ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$/

interface Logged {
  test: string
  status: number
  method: string
  url: URL
  requestBody: string
  responseBody: string
}

/** tempest prints the answer as a Python bytes literal (b'...'): enough of its escapes to get the JSON back. */
function pythonBytes(text: string): string {
  const m = /^b(['"])([\s\S]*)\1$/.exec(text.trim())
  if (!m?.[2]) return text
  return m[2].replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, e: string) =>
    e.length === 3 ? String.fromCharCode(parseInt(e.slice(1), 16)) : e === 'n' ? '\n' : e === 't' ? '\t' : e,
  )
}

/** The requests in the log, each with the bodies of its DEBUG line (the lines up to the next log record). */
export function parseLog(text: string): Logged[] {
  const lines = text.split('\n')
  const out: Logged[] = []
  for (let i = 0; i < lines.length; i++) {
    const m = INFO_LINE.exec(lines[i] ?? '')
    if (!m) continue
    const [, reqId, test, status, method, url] = m as unknown as [string, string, string, string, string, string]
    let block = ''
    for (let j = i + 1; j < lines.length && j < i + 8; j++) {
      const l = lines[j] ?? ''
      if (/^\d{4}-\d\d-\d\d /.test(l) && !(l.includes(' DEBUG ') && l.includes(reqId))) {
        if (block) break
        else continue
      }
      block += `${l}\n`
    }
    const req = /\n\s+Body: (.*)\n\s+Response - Headers/.exec(block)
    const res = /Response - Headers:[^\n]*\n\s+Body: (.*?)(?: _log_request_full \S+)?\n/.exec(block)
    out.push({
      test,
      status: Number(status),
      method,
      url: new URL(url),
      requestBody: req?.[1] ?? 'None',
      responseBody: pythonBytes(res?.[1] ?? ''),
    })
  }
  return out
}

/** Ids of objects created (a 2xx POST answer's object id) mapped to their placeholder. */
function createdIds(logged: Logged[], publicNetwork: string | undefined): Map<string, string> {
  const ids = new Map<string, string>()
  if (publicNetwork) ids.set(publicNetwork, 'external_network')
  for (const r of logged) {
    if (r.method !== 'POST' || r.status >= 300) continue
    const kind = PLACEHOLDERS[r.url.pathname.split('/').filter(Boolean).at(-1) ?? '']
    if (!kind) continue
    let body: unknown
    try {
      body = JSON.parse(r.responseBody)
    } catch {
      continue
    }
    for (const member of Object.values(body as Record<string, unknown>)) {
      const id = (member as { id?: unknown } | null)?.id
      if (typeof id === 'string' && !ids.has(id) && ID.test(id)) ids.set(id, kind)
    }
  }
  return ids
}

function replaceIds(value: unknown, ids: Map<string, string>): unknown {
  if (typeof value === 'string') return ids.has(value) ? `{${ids.get(value)}}` : value
  if (Array.isArray(value)) return value.map(v => replaceIds(v, ids))
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceIds(v, ids)]))
  return value
}

/** Tests of another project's objects, or of what a non-admin may not do: their refusal depends on who asks. */
const MEMBER_TEST =
  /other_(tenant|project)|not_admin|non_admin|nonadmin|unauthorized|Policy|by_regular_user|as_member|forbidden|test_tenant_|on_shared_network/i

export function extractSeeds(workspace: string): Seed[] {
  const conf = readFileSync(join(workspace, 'etc/tempest.conf'), 'utf8')
  const publicNetwork = /^public_network_id\s*=\s*(\S+)/m.exec(conf)?.[1]
  const logged = parseLog(readFileSync(join(workspace, 'logs/tempest.log'), 'utf8'))
  const ids = createdIds(logged, publicNetwork)
  // a failed test's 4xx is not the one it expected: only passed tests give seeds
  const failed = new Set(
    [
      ...readFileSync(join(workspace, 'logs/stestr-run.log'), 'utf8').matchAll(
        /\.(\w+)\.(test_\w+)(?:\[[^\]]*\])? \[[^\]]*\] \.\.\. FAILED/g,
      ),
    ].map(m => `${m[1]}:${m[2]}`),
  )
  const seen = new Set<string>()
  const seeds: Seed[] = []
  const placeholders = (r: Logged): { method: string; path: string; body?: unknown } => {
    const path =
      r.url.pathname
        .split('/')
        .map(s => (ids.has(s) ? `{${ids.get(s)}}` : s))
        .join('/') + r.url.search
    let body: unknown
    if (r.requestBody !== 'None') {
      try {
        body = replaceIds(JSON.parse(r.requestBody), ids)
      } catch {
        body = r.requestBody
      }
    }
    return body === undefined
      ? { method: r.method, path: replaceIds(path, ids) as string }
      : { method: r.method, path: replaceIds(path, ids) as string, body }
  }
  const stepsOf = new Map<string, { method: string; path: string; body?: unknown }[]>()
  for (const r of logged) {
    const method = r.test.split(':')[1] ?? ''
    if (
      r.status < 300 &&
      method.startsWith('test_') &&
      ['POST', 'PUT', 'DELETE', 'PATCH'].includes(r.method) &&
      !r.url.pathname.endsWith('/auth/tokens')
    ) {
      stepsOf.set(r.test, [...(stepsOf.get(r.test) ?? []), placeholders(r)])
    }
    // only what a test method itself sent: a cleanup's 404 for an object the test already deleted is no case
    if (r.status < 400 || r.status >= 500 || !method.startsWith('test_') || failed.has(r.test)) continue
    const seed: Seed = { test: r.test, ...placeholders(r), status: r.status, as: MEMBER_TEST.test(r.test) ? 'member' : 'either' }
    // tempest hides secrets (a password body): such a request cannot be sent again
    if (JSON.stringify(seed.body ?? '').includes('<omitted>')) continue
    const steps = stepsOf.get(r.test)
    if (steps) seed.steps = [...steps]
    const key = JSON.stringify([seed.method, seed.path, seed.body, seed.status])
    if (seen.has(key)) continue
    seen.add(key)
    seeds.push(seed)
  }
  return seeds
}

function main(argv: string[]): void {
  const [workspace, out = 'test/northbound/fixtures/neutron-negative-seeds.json'] = argv
  if (!workspace) {
    process.stderr.write('usage: node build/conformance/neutron/extract-seeds.js WORKSPACE [OUT]\n')
    process.exit(2)
  }
  const seeds = extractSeeds(workspace)
  const file: SeedFile = {
    header:
      'Requests the Neutron and Keystone negative tests of tempest 33.0.0 / neutron-tempest-plugin 2.0.0 sent ' +
      'to dragonflow api that got a 4xx, with that status; ids of objects tempest created are {placeholders}. ' +
      'Generated, do not edit: npm run build:ts && node build/conformance/neutron/run.js --node api --regex ' +
      "'negative|Negative' --keep --known-failures /dev/null; then node build/conformance/neutron/extract-seeds.js " +
      'WORKSPACE (the workspace the run printed). Read by test/northbound/robustness.test.ts.',
    generated: new Date().toISOString().slice(0, 10),
    placeholders: PLACEHOLDERS,
    seeds,
  }
  writeFileSync(out, `${JSON.stringify(file, null, 1)}\n`)
  process.stdout.write(`${seeds.length} seeds written to ${out}\n`)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2))
