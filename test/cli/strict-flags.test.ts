// Every command parses its flags strictly (cli/command.ts on util.parseArgs): `--help`/`-h` prints a usage that
// names each flag the command accepts and exits 0; an unknown flag, a missing value, a value given to a boolean
// and a repeated flag exit 2 naming the flag, before the command does anything. The flag lists below are
// written out here (from what each command read before the strict parser), so a flag dropped from a
// declaration fails this test rather than silently disappearing.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { REPO } from '../northbound/helpers/api-process.js'

const dir = mkdtempSync(join(tmpdir(), 'dfe-strict-flags-'))
t.teardown(() => {
  rmSync(dir, { recursive: true, force: true })
})

const dragonflow = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/dragonflow.js'), ...args], { encoding: 'utf8', timeout: 30_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** command -> every flag it accepts, and one of its string flags (for the missing-value case) */
const COMMANDS: Record<string, { flags: string[]; stringFlag: string }> = {
  api: {
    flags: [
      'listen',
      'store',
      'data-dir',
      'etcd-endpoints',
      'config',
      'auth',
      'admin-token',
      'admin-password',
      'pubsub',
      'mqtt-url',
      'quiet',
      'log-format',
      'log-level',
      'policy-file',
      'agent-down-time',
    ],
    stringFlag: 'listen',
  },
  trace: { flags: ['topology', 'mode', 'now-ms', 'backend', 'fields', 'hex', 'in-port', 'tunnel-key'], stringFlag: 'topology' },
  'offload plan': { flags: ['profile', 'topology', 'json', 'tunnel', 'zipf'], stringFlag: 'profile' },
  db: { flags: ['store', 'dir', 'data-dir', 'endpoints', 'etcd-endpoints', 'prefix', 'topic', 'json'], stringFlag: 'dir' },
  serve: {
    flags: [
      'data-dir',
      'listen',
      'netns',
      'ovsdb',
      'of-socket',
      'chassis-id',
      'auth',
      'admin-password',
      'admin-token',
      'config',
      'profile',
      'keep-ovs',
      'quiet',
      'log-format',
      'log-level',
      'metrics-listen',
      'l3',
      'l3-idle-timeout',
      'policy-file',
      'bridge-mappings',
      'report-interval',
      'agent-down-time',
    ],
    stringFlag: 'data-dir',
  },
  agent: {
    flags: [
      'store',
      'etcd-endpoints',
      'data-dir',
      'pubsub',
      'mqtt-url',
      'ovsdb',
      'of-socket',
      'chassis-id',
      'tunnel-ip',
      'tunnel',
      'profile',
      'control',
      'config',
      'quiet',
      'log-format',
      'log-level',
      'metrics-listen',
      'l3',
      'l3-idle-timeout',
      'bridge-mappings',
      'report-interval',
    ],
    stringFlag: 'ovsdb',
  },
  plug: {
    flags: [
      'port',
      'bridge',
      'netns',
      'data-dir',
      'ifname',
      'mac',
      'unplug',
      'os-token',
      'os-username',
      'os-password',
      'os-project-name',
      'os-auth-url',
    ],
    stringFlag: 'port',
  },
  flows: { flags: ['data-dir', 'bridge', 'check', 'control'], stringFlag: 'data-dir' },
  status: { flags: ['data-dir', 'control', 'json', 'errors'], stringFlag: 'data-dir' },
  policy: { flags: ['policy-file', 'json'], stringFlag: 'policy-file' },
}

for (const [name, { flags, stringFlag }] of Object.entries(COMMANDS)) {
  const words = name.split(' ')
  t.test(`dragonflow ${name}`, async t => {
    for (const help of ['--help', '-h']) {
      const r = dragonflow(...words, help)
      t.equal(r.status, 0, `${help} exits 0`)
      t.match(r.stdout, `usage: dragonflow ${name}`, `${help} prints the usage`)
      // a flag is listed when its own help line starts with it
      const listed = new Set([...r.stdout.matchAll(/^ {2}--([a-z0-9-]+)/gm)].map(m => m[1] ?? ''))
      for (const f of flags) t.ok(listed.has(f), `${help} lists --${f}`)
      t.same(
        [...listed].filter(f => f !== 'help' && !flags.includes(f)),
        [],
        `${help} lists no flag the command does not take`,
      )
    }
    const viaHelp = dragonflow('help', ...words)
    t.equal(viaHelp.status, 0, '`dragonflow help <cmd>` exits 0')
    t.match(viaHelp.stdout, `--${stringFlag}`, '`dragonflow help <cmd>` lists the flags too')

    const unknown = dragonflow(...words, '--no-such-flag', 'x')
    t.equal(unknown.status, 2, 'an unknown flag exits 2')
    t.match(unknown.stderr, `dragonflow ${name}: unknown flag --no-such-flag`)
    t.match(unknown.stderr, `usage: dragonflow ${name}`, 'with the usage line')

    const missing = dragonflow(...words, `--${stringFlag}`)
    t.equal(missing.status, 2, 'a missing value exits 2')
    t.match(missing.stderr, `dragonflow ${name}: --${stringFlag} needs a value`)

    const ambiguous = dragonflow(...words, `--${stringFlag}`, '--help')
    t.equal(ambiguous.status, 2, 'a flag taken as a value exits 2')
    t.match(ambiguous.stderr, `--${stringFlag} needs a value`)

    const twice = dragonflow(...words, `--${stringFlag}`, 'a', `--${stringFlag}`, 'b')
    t.equal(twice.status, 2, 'a repeated flag exits 2')
    t.match(twice.stderr, `--${stringFlag} given 2 times`)

    const valued = dragonflow(...words, '--help=1')
    t.equal(valued.status, 2, '--help=1 exits 2')
    t.match(valued.stderr, `dragonflow ${name}: --help takes no value`)
  })
}

t.test('serve --help=1 and a typo start nothing', async t => {
  for (const bad of [['--help=1'], ['--data_dir', join(dir, 'typo')], ['--quiet=yes'], ['--listen']]) {
    const data = join(dir, `serve-${bad[0]?.replace(/\W/g, '') ?? ''}`)
    const r = dragonflow('serve', '--data-dir', data, '--listen', '127.0.0.1:0', '--netns', 'none', ...bad)
    t.equal(r.status, 2, `serve ${bad.join(' ')} exits 2`)
    t.notMatch(r.stdout, /listening/, 'no API was started')
    t.notOk(existsSync(data), 'the data directory was not created')
  }
})

t.test('offload plan --jsno is refused instead of printing text', async t => {
  const topo = join(REPO, 'test/offload/topologies/two-networks.json')
  const r = dragonflow('offload', 'plan', '--profile', 'ovs-kernel', '--topology', topo, '--jsno')
  t.equal(r.status, 2)
  t.match(r.stderr, 'unknown flag --jsno')
  t.equal(r.stdout, '', 'no plan was printed')
  // the same command with the right flag, in the --name=value spelling, still runs
  const ok = dragonflow('offload', 'plan', '--profile=ovs-kernel', `--topology=${topo}`, '--json')
  t.equal(ok.status, 0, ok.stderr)
  t.ok((JSON.parse(ok.stdout) as { stages?: unknown[] }).stages?.length, 'a JSON plan')
})

t.test('dragonflow help and multi-word command prefixes', async t => {
  const r = dragonflow('help')
  t.equal(r.status, 0)
  for (const name of Object.keys(COMMANDS)) t.match(r.stdout, new RegExp(`^ {2}${name} `, 'm'), `lists ${name}`)
  for (const h of ['--help', '-h']) {
    const o = dragonflow('offload', h)
    t.equal(o.status, 0, `offload ${h} exits 0`)
    t.match(o.stdout, 'dragonflow offload plan')
  }
  t.equal(dragonflow('offload').status, 2, 'offload alone is a usage error')
})

t.test('positional subcommands still parse with flags around them', async t => {
  const r = dragonflow('policy', '--json', 'list')
  t.equal(r.status, 0, r.stderr)
  t.ok(Array.isArray(JSON.parse(r.stdout)), 'policy list --json prints the rules as JSON')
  const sub = dragonflow('policy', 'list', '-h')
  t.equal(sub.status, 0, 'a subcommand with -h prints the help')
  t.match(sub.stdout, '--policy-file')
})
