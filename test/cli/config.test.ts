// The config file of serve, agent and api (cli/config.ts): a good file loads, every mistake exits 2 naming its
// key path, flags override the file, a secret comes from the environment, and the real binary refuses a bad
// file before it starts anything.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { UsageError } from '../../cli/command.js'
import { type ConfigFile, applyConfig, configFileErrors, loadConfigFile, resolveSettings } from '../../cli/config.js'
import apiCommand from '../../cli/commands/api.js'
import serveCommand from '../../cli/commands/serve.js'
import agentCommand from '../../cli/commands/agent.js'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'df-config-'))
t.teardown(() => {
  rmSync(dir, { recursive: true, force: true })
})

function file(name: string, doc: unknown): string {
  const path = join(dir, name)
  writeFileSync(path, typeof doc === 'string' ? doc : JSON.stringify(doc))
  return path
}

function usageError(fn: () => unknown): UsageError {
  try {
    fn()
  } catch (err) {
    if (err instanceof UsageError) return err
    throw err
  }
  throw new Error('expected a UsageError, nothing was thrown')
}

t.test('the example file of the README loads and fills the flags of each command', async t => {
  const example = join(REPO, 'examples', 'dragonflow.json')
  const cfg = loadConfigFile(example)
  t.equal(cfg.agent?.chassisId, 'edge-1')
  const agent = applyConfig(new Map([['config', example]]), { command: 'agent', declared: agentCommand.flags })
  t.equal(agent.flags.get('chassis-id'), 'edge-1')
  t.equal(agent.flags.get('bridge-mappings'), 'physnet1:br-phys', 'an object becomes the flag syntax')
  t.equal(agent.flags.get('l3-idle-timeout'), '30')
  t.equal(agent.flags.get('report-interval'), '10', 'a number becomes the flag text')
  t.same(agent.store, { driver: 'etcd', endpoints: ['http://127.0.0.1:2379'] })
  t.equal(agent.flags.get('listen'), undefined, 'agent has no --listen: the api section is not its business')
  const api = applyConfig(new Map([['config', example]]), { command: 'api', declared: apiCommand.flags })
  t.equal(api.flags.get('listen'), '127.0.0.1:9696')
  t.equal(api.flags.get('auth'), 'keystone')
  t.equal(api.flags.get('agent-down-time'), '30')
  t.equal(api.flags.get('data-dir'), undefined, "serve's data directory is not api's store")
  const serve = applyConfig(new Map([['config', example]]), { command: 'serve', declared: serveCommand.flags })
  t.equal(serve.flags.get('data-dir'), '/var/lib/dragonflow')
  t.equal(serve.fromFile.get('data-dir'), '/serve/dataDir')
})

t.test('every mistake is a UsageError naming its key path', async t => {
  const cases: [what: string, doc: unknown, message: RegExp][] = [
    ['unknown top-level key', { apii: {} }, /\/apii: unknown key 'apii' \(known: .*api/],
    ['unknown nested key', { api: { lisen: '1.2.3.4:5' } }, /\/api\/lisen: unknown key 'lisen'/],
    ['wrong type', { api: { listen: 9696 } }, /\/api\/listen: 'listen' must be a string, got integer 9696/],
    ['bad enum', { log: { level: 'loud' } }, /\/log\/level: 'level' must be one of "debug", "info", "warn", "error"; got "loud"/],
    [
      'bad enum of a nested section',
      { agent: { l3: { mode: 'lazy' } } },
      /\/agent\/l3\/mode: 'mode' must be one of "proactive", "reactive"/,
    ],
    ['out of range', { agent: { l3: { idleTimeout: 0 } } }, /\/agent\/l3\/idleTimeout: 'idleTimeout' must be >= 1; got 0/],
    ['not HOST:PORT', { agent: { metricsListen: 'everywhere' } }, /\/agent\/metricsListen: 'metricsListen' must match .*HOST:PORT/],
    [
      'a store key its driver does not know',
      { store: { driver: 'etcd', endpoints: ['http://x:2379'], prefx: 'a/' } },
      /\/store\/prefx: unknown key 'prefx' \(known: endpoints, prefix, dialTimeoutMs\)/,
    ],
    ['an unknown store driver', { store: { driver: 'redis' } }, /\/store\/driver: unknown store driver "redis"/],
    ['a missing store key', { store: { driver: 'embedded' } }, /\/store\/dir: required key 'dir' is missing/],
    ['not an object', [1, 2], /\/: the document must be an object, got array/],
  ]
  for (const [what, doc, message] of cases) {
    const err = usageError(() => loadConfigFile(file('bad.json', doc)))
    t.match(err.message, message, what)
  }
  t.match(usageError(() => loadConfigFile(file('syntax.json', '{ "api": '))).message, /--config .*syntax\.json: .*JSON/, 'not JSON')
  t.match(usageError(() => loadConfigFile(join(dir, 'missing.json'))).message, /ENOENT/, 'no such file')
  // all mistakes at once, not one per run
  t.equal(configFileErrors({ api: { listen: 1, auth: 'x' }, log: { format: 'xml' } }).length, 3, 'every error is listed')
  t.same(configFileErrors(loadConfigFile(join(REPO, 'examples', 'dragonflow.json'))), [])
})

t.test('a flag overrides the file; the file fills what no flag gives', async t => {
  const cfg: ConfigFile = { api: { listen: '127.0.0.1:1000', auth: 'keystone' } }
  const s = resolveSettings(new Map([['listen', '127.0.0.1:2000']]), cfg, { command: 'api', declared: apiCommand.flags, env: {} })
  t.equal(s.flags.get('listen'), '127.0.0.1:2000', 'the flag wins')
  t.equal(s.flags.get('auth'), 'keystone', 'the file fills the rest')
  t.equal(s.fromFile.get('auth'), '/api/auth')
  t.notOk(s.fromFile.has('listen'))
})

t.test('the admin password: flag, then $DRAGONFLOW_ADMIN_PASSWORD, then the file', async t => {
  const cfg: ConfigFile = { api: { adminPassword: 'from-file' } }
  const opts = { command: 'api' as const, declared: apiCommand.flags }
  t.equal(
    resolveSettings(new Map(), cfg, { ...opts, env: { DRAGONFLOW_ADMIN_PASSWORD: 'from-env' } }).flags.get('admin-password'),
    'from-env',
  )
  t.equal(
    resolveSettings(new Map(), {}, { ...opts, env: { DRAGONFLOW_ADMIN_PASSWORD: 'from-env' } }).flags.get('admin-password'),
    'from-env',
  )
  t.equal(resolveSettings(new Map(), cfg, { ...opts, env: {} }).flags.get('admin-password'), 'from-file')
  t.equal(
    resolveSettings(new Map([['admin-password', 'from-flag']]), cfg, { ...opts, env: { DRAGONFLOW_ADMIN_PASSWORD: 'from-env' } }).flags.get(
      'admin-password',
    ),
    'from-flag',
  )
  t.equal(
    resolveSettings(new Map(), {}, { ...opts, env: { DRAGONFLOW_ADMIN_PASSWORD: '' } }).flags.get('admin-password'),
    undefined,
    'an empty variable is no password',
  )
})

t.test('a value from the file goes through the same checks as the flag', async t => {
  const bad = file('bridges.json', { agent: { bridgeMappings: { physnet1: 'br-int' } } })
  const err = await agentCommand.run(['--config', bad, '--ovsdb', 'unix:/nonexistent', '--of-socket', '/nonexistent']).then(
    () => undefined,
    (e: unknown) => e,
  )
  t.ok(err instanceof UsageError, 'a UsageError')
  t.match(String((err as Error).message), /--bridge-mappings: 'br-int' is the integration bridge/)
})

t.test('the binary: serve --config bad.json prints the error and exits 2 before starting anything', async t => {
  const bin = join(REPO, 'bin', 'dragonflow.js')
  const dataDir = join(dir, 'serve-data')
  const bad = file('serve-bad.json', { serve: { dataDir, keepOvs: 'yes' }, log: { level: 'loud' } })
  const r = spawnSync(process.execPath, [bin, 'serve', '--config', bad], { encoding: 'utf8', timeout: 60_000 })
  t.equal(r.status, 2, `exit 2 (stderr: ${r.stderr})`)
  t.match(r.stderr, /\/serve\/keepOvs: 'keepOvs' must be true or false, got string "yes"/)
  t.match(r.stderr, /\/log\/level: 'level' must be one of/)
  t.equal(r.stdout, '', 'nothing started, nothing printed')
  t.notOk(existsSync(dataDir), 'the data directory was not created')
  const api = spawnSync(process.execPath, [bin, 'api', '--config', file('api-bad.json', { listen: '127.0.0.1:0' })], {
    encoding: 'utf8',
    timeout: 60_000,
  })
  t.equal(api.status, 2, 'the old flat api file is refused by name')
  t.match(api.stderr, /\/listen: unknown key 'listen'/)
})
