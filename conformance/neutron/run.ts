// `npm run conformance:neutron`: the Neutron project's own API tests (neutron-tempest-plugin, Debian packages
// from scripts/install-deps.sh) against `dragonflow api` with Keystone auth on a fresh embedded store.
// Prints passed / failed / skipped with the failures grouped by cause, writes a JSON summary, and exits 1 when
// a test failed that known-failures.txt does not list with its reason, or a listed one passed (the list only
// shrinks). See conformance/neutron/README.md.
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { judge, readKnownFailures } from './known-failures.js'
import { type NodeUnderTest, startNode } from './node-under-test.js'
import { parseSubunit } from './subunit.js'
import { type RunSummary, baseTestId, extensionsInSkipReasons, summarize } from './summary.js'
import { renderTempestConf } from './tempest-conf.js'

// build/conformance/neutron/run.js -> the repository root
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
// Debian's tooling on /usr/bin/python3: a pyenv python3 earlier on PATH has no tempest
const STESTR = '/usr/bin/stestr'
const TEMPEST_DISCOVER = '/usr/lib/python3/dist-packages/tempest/test_discover'
const PLUGIN_API_DIR = '/usr/lib/python3/dist-packages/neutron_tempest_plugin/api'
const DEFAULT_REGEX = '^neutron_tempest_plugin\\.api'

interface Options {
  out: string
  store: 'embedded' | 'etcd'
  regex: string
  concurrency: number
  keep: boolean
  knownFailures: string
  node: 'serve' | 'api'
}

class UsageError extends Error {}

const USAGE = '--out FILE, --store embedded, --regex RE, --concurrency N, --keep, --known-failures FILE, --node serve|api'

function parseOptions(argv: string[]): Options {
  let values
  try {
    ;({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: 'string' },
        store: { type: 'string' },
        regex: { type: 'string' },
        concurrency: { type: 'string' },
        keep: { type: 'boolean' },
        'known-failures': { type: 'string' },
        node: { type: 'string' },
      },
    }))
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (${USAGE})`)
  }
  const o: Options = {
    out: resolve(values.out ?? join(REPO, 'build/conformance-neutron.json')),
    store: values.store === 'etcd' ? 'etcd' : 'embedded',
    regex: values.regex ?? DEFAULT_REGEX,
    concurrency: Number(values.concurrency ?? 2),
    keep: values.keep ?? false,
    knownFailures: resolve(values['known-failures'] ?? join(REPO, 'conformance/neutron/known-failures.txt')),
    node: values.node === 'api' ? 'api' : 'serve',
  }
  if (values.node !== undefined && values.node !== 'serve' && values.node !== 'api')
    throw new UsageError(`--node must be serve or api, not '${values.node}'`)
  if (o.store === 'etcd' && values.node === 'api')
    throw new UsageError('--store etcd runs an agent and the API on a real etcd: --node does not apply')
  if ((o.store === 'etcd' || o.node === 'serve') && process.getuid?.() !== 0)
    throw new UsageError(
      '--node serve (the default: the API with a real agent, so the agent tests have a chassis) needs root; --node api runs the API alone',
    )
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1) throw new UsageError('--concurrency must be a positive integer')
  if (values.store !== undefined && values.store !== 'embedded' && values.store !== 'etcd')
    throw new UsageError(`--store must be embedded or etcd, not '${values.store}'`)
  return o
}

async function call(
  url: string,
  init: { method?: string; token?: string; body?: unknown },
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
  if (init.token) headers['x-auth-token'] = init.token
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  })
  const text = await res.text()
  const body = text ? (JSON.parse(text) as Record<string, unknown>) : {}
  if (res.status >= 300) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${text}`)
  return { status: res.status, headers: res.headers, body }
}

async function adminToken(api: string, password: string): Promise<string> {
  const res = await call(`${api}/v3/auth/tokens`, {
    method: 'POST',
    body: {
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password } } },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    },
  })
  const token = res.headers.get('x-subject-token')
  if (!token) throw new Error('POST /v3/auth/tokens: no X-Subject-Token')
  return token
}

/** The external network tempest's public_network_id names, with an IPv4 subnet (floating IPs, gateways). */
async function seedPublicNetwork(api: string, token: string): Promise<{ id: string; name: string }> {
  const name = 'public'
  const net = await call(`${api}/v2.0/networks`, {
    method: 'POST',
    token,
    body: { network: { name, 'router:external': true, shared: false } },
  })
  const id = (net.body.network as { id: string }).id
  await call(`${api}/v2.0/subnets`, {
    method: 'POST',
    token,
    body: { subnet: { network_id: id, name: 'public-v4', ip_version: 4, cidr: '172.24.4.0/24', gateway_ip: '172.24.4.1' } },
  })
  return { id, name }
}

/** The extension aliases the plugin's API tests ask for (requires_ext, required_extensions, is_extension_enabled). */
function extensionsTheSuiteKnows(): string[] {
  const aliases = new Set<string>()
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith('.py')) {
        const src = readFileSync(p, 'utf8')
        for (const m of src.matchAll(/requires_ext\(\s*extension=['"]([^'"]+)['"]/g)) aliases.add(m[1] ?? '')
        for (const m of src.matchAll(/is_extension_enabled\(\s*['"]([^'"]+)['"]/g)) aliases.add(m[1] ?? '')
        for (const m of src.matchAll(/required_extensions\s*=\s*(?:\w+\.required_extensions\s*\+\s*)?\[([^\]]*)\]/g)) {
          for (const q of (m[1] ?? '').matchAll(/['"]([^'"]+)['"]/g)) aliases.add(q[1] ?? '')
        }
      }
    }
  }
  walk(PLUGIN_API_DIR)
  aliases.delete('')
  return [...aliases].sort()
}

/** stestr run in the workspace, its live output reduced to a progress line every 25 tests plus each failure. */
function runTempest(ws: string, o: Options, logFile: string): Promise<number> {
  const env = { ...process.env, TEMPEST_CONFIG_DIR: join(ws, 'etc'), TEMPEST_CONFIG: 'tempest.conf', OS_TEST_TIMEOUT: '300' }
  const child = spawn(STESTR, ['run', '--concurrency', String(o.concurrency), o.regex], { cwd: ws, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const log = createWriteStream(logFile)
  let done = 0,
    ok = 0,
    failed = 0,
    skipped = 0,
    partial = ''
  const started = Date.now()
  const onData = (d: Buffer): void => {
    log.write(d)
    partial += d.toString()
    const lines = partial.split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) {
      const m = /^\{\d+\} (.+?)(?: \[[\d.]+s\])? \.\.\. (ok|FAILED|SKIPPED)/.exec(line)
      if (!m) continue
      done++
      if (m[2] === 'ok') ok++
      else if (m[2] === 'SKIPPED') skipped++
      else {
        failed++
        process.stdout.write(`  FAILED ${m[1]}\n`)
      }
      if (done % 25 === 0)
        process.stdout.write(
          `tempest: ${done} done in ${Math.round((Date.now() - started) / 1000)} s (ok ${ok}, failed ${failed}, skipped ${skipped})\n`,
        )
    }
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', (d: Buffer) => log.write(d))
  return new Promise(ok =>
    child.once('exit', code => {
      log.end()
      ok(code ?? 1)
    }),
  )
}

/** The subunit v2 stream of the workspace's last stestr run (its repository stores v1; `last --subunit` converts). */
function lastRunSubunit(ws: string): Buffer {
  const r = spawnSync(STESTR, ['last', '--subunit'], { cwd: ws, maxBuffer: 1 << 30 })
  if (r.error) throw r.error
  if (!r.stdout.length) throw new Error(`stestr last --subunit gave nothing (exit ${r.status}): ${r.stderr.toString()}`)
  return r.stdout
}

function printSummary(s: RunSummary): void {
  process.stdout.write(`\nfailures by cause (${s.failures.length} causes):\n`)
  for (const g of s.failures) {
    const classes = Object.entries(g.classes)
      .sort((a, b) => b[1] - a[1])
      .map(([c, n]) => `${c.replace('neutron_tempest_plugin.api.', '')} x${n}`)
    process.stdout.write(
      `  ${String(g.count).padStart(4)}  ${g.cause}\n        in ${classes.slice(0, 4).join(', ')}${classes.length > 4 ? `, +${classes.length - 4} classes` : ''}\n`,
    )
  }
  process.stdout.write(`\npassed ${s.passed}, failed ${s.failed}, skipped ${s.skipped} (${s.durationSeconds} s)\n`)
}

async function main(argv: string[]): Promise<number> {
  const o = parseOptions(argv)
  const known = readKnownFailures(o.knownFailures)
  for (const f of [STESTR, TEMPEST_DISCOVER, PLUGIN_API_DIR]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run scripts/install-deps.sh (python3-tempest, neutron-tempest-plugin)`)
  }
  const ws = mkdtempSync(join(tmpdir(), 'df-tempest-'))
  mkdirSync(join(ws, 'etc'))
  mkdirSync(join(ws, 'logs'))
  const password = randomBytes(12).toString('hex')
  let api: NodeUnderTest | undefined
  try {
    api = await startNode({ repo: REPO, ws, store: o.store, node: o.node, adminPassword: password })
    process.stdout.write(
      `conformance: ${o.store === 'etcd' ? 'dragonflow agent + api on etcd' : `dragonflow ${o.node}`} at ${api.url}, workspace ${ws}\n`,
    )
    const token = await adminToken(api.url, password)
    const ext = await call(`${api.url}/v2.0/extensions`, { token })
    const advertised = (ext.body.extensions as { alias: string }[]).map(e => e.alias).sort()
    const pub = await seedPublicNetwork(api.url, token)
    writeFileSync(
      join(ws, 'etc/tempest.conf'),
      renderTempestConf({
        apiUrl: api.url,
        adminPassword: password,
        publicNetworkId: pub.id,
        publicNetworkName: pub.name,
        extensions: advertised,
        logDir: join(ws, 'logs'),
      }),
    )
    // stestr runs tempest's discovery, which loads the installed plugins (neutron_tempest_plugin)
    writeFileSync(
      join(ws, '.stestr.conf'),
      `[DEFAULT]\ntest_path=${TEMPEST_DISCOVER}\ntop_dir=/usr/lib/python3/dist-packages\ngroup_regex=([^\\.]*\\.)*\n`,
    )
    const knownUnadvertised = extensionsTheSuiteKnows().filter(a => !advertised.includes(a))
    process.stdout.write(`conformance: ${advertised.length} extensions advertised: ${advertised.join(' ')}\n`)
    process.stdout.write(`conformance: ${STESTR} run --concurrency ${o.concurrency} '${o.regex}'\n`)
    const started = Date.now()
    const rc = await runTempest(ws, o, join(ws, 'logs/stestr-run.log'))
    const durationSeconds = Math.round((Date.now() - started) / 1000)
    const tests = parseSubunit(lastRunSubunit(ws))
    const summary = summarize(tests, durationSeconds)
    if (tests.length === 0) throw new Error(`stestr ran no tests (exit ${rc}); see ${join(ws, 'logs/stestr-run.log')}`)
    // the source scan misses aliases given through neutron_lib constants; the skip reasons name them
    const unadvertised = [...new Set([...knownUnadvertised, ...extensionsInSkipReasons(summary.skipReasons)])]
      .filter(a => !advertised.includes(a))
      .sort()
    printSummary(summary)
    process.stdout.write(`unadvertised extensions the suite knows (their tests skip): ${unadvertised.join(' ')}\n`)
    mkdirSync(dirname(o.out), { recursive: true })
    writeFileSync(
      o.out,
      JSON.stringify(
        {
          command: `${STESTR} run --concurrency ${o.concurrency} '${o.regex}'`,
          store: o.store,
          advertisedExtensions: advertised,
          unadvertisedExtensionsTheSuiteKnows: unadvertised,
          ...summary,
        },
        null,
        2,
      ) + '\n',
    )
    process.stdout.write(`conformance: summary in ${o.out}${o.keep ? `; workspace kept in ${ws}` : ''}\n`)
    const verdict = judge(
      tests.map(x => baseTestId(x.id)),
      summary.failures.flatMap(g => g.tests),
      known,
    )
    for (const id of verdict.unexpected) process.stdout.write(`conformance: FAILED, not a known failure: ${id}\n`)
    for (const id of verdict.stale)
      process.stdout.write(`conformance: PASSED, but listed in ${o.knownFailures} (delete the entry): ${id}\n`)
    // the line .ci/run reads: unexpected failures and stale entries count as failed; known failures apart
    process.stdout.write(
      `conformance: ${summary.passed} passed, ${verdict.unexpected.length + verdict.stale.length} failed, ` +
        `${verdict.known.length} known failures, ${summary.skipped} skipped\n`,
    )
    return verdict.unexpected.length + verdict.stale.length > 0 ? 1 : 0
  } finally {
    await api?.stop()
    if (!o.keep) rmSync(ws, { recursive: true, force: true })
  }
}

main(process.argv.slice(2)).then(
  code => {
    process.exitCode = code
  },
  (err: Error) => {
    process.stderr.write(`conformance:neutron: ${err instanceof UsageError ? '' : 'error: '}${err.message}\n`)
    process.exitCode = 2
  },
)
