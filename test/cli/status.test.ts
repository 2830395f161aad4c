// `dragonflow status`: the text form of a node's status (formatStatus), and the command's own edges without a
// node: --help exits 0, an empty data directory and a serve.json left by a process that exited both say "no node
// is running here" (exit 1, no stack trace), bad flags are usage errors (exit 2).
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { REPO } from '../northbound/helpers/api-process.js'
import { formatStatus } from '../../cli/commands/status.js'
import type { NodeStatus } from '../../agent/controller/local-controller.js'

const reactive = {
  enabled: false,
  idleTimeout: 30,
  cap: 0,
  misses: 0,
  installs: 0,
  reinstalls: 0,
  refusedFull: 0,
  refusedRate: 0,
  notRouted: 0,
  flushes: 0,
  expired: 0,
  live: 0,
}

function sample(): NodeStatus {
  return {
    chassis: {
      id: 'edge-1',
      tunnelIp: '192.0.2.10',
      tunnelType: 'geneve',
      tunnelOfport: 1,
      profile: 'ovs-userspace',
      bridge: 'br-int',
      bridgeMappings: { extnet: 'br-ex', dead: 'br-gone' },
      uplinks: { extnet: 2 },
    },
    store: { driver: 'embedded', watch: true, changes: 12, lastChangeMsAgo: 2500 },
    ovsdb: { connected: true },
    switch: {
      connected: true,
      datapathId: '00000a0b0c0d0e0f',
      inSync: true,
      installs: 4,
      lastInstall: { added: 9, deleted: 1, unchanged: 30, ms: 3.2 },
      unsolicitedErrors: 0,
    },
    generation: 7,
    l3: 'proactive',
    ports: [
      { ifaceId: 'p-active', name: 'tap1', ofport: 3, active: true },
      { ifaceId: 'p-down', name: 'tap22', ofport: 4, active: false, why: 'the port is admin_state_up false' },
    ],
    flows: { installed: 40, desired: 40, perStage: { ls_in_l2_lkup: 6, ls_in_classify: 3 }, reactive },
    problems: {
      total: 7,
      byCode: { parked: 5, no_uplink: 2 },
      first: [{ code: 'no_uplink', object: 'networks/n1', detail: 'physical network p has no uplink' }],
    },
    neighbours: {
      requests: 2,
      rateLimited: 0,
      repliesLearned: 1,
      unsolicited: 0,
      compiledWins: 0,
      superseded: 0,
    } as NodeStatus['neighbours'],
    packetIns: { received: 5, answered: 4, bad: {}, verdicts: { 'punt/punt_dhcp': 3, 'drop/port_sec_mac': 1 } },
    datapath: { packets: 5, reasons: { punt_dhcp: 3, port_sec_mac: 1, none: 0 }, conntrack: { connections: 0, limit: 262144 } },
    plan: {
      profile: 'ovs-userspace',
      summary: 'OVS',
      rulesOnTarget: 40,
      everyPacketSlowPathShare: 0.25,
      stages: [
        { stage: 'ls_in_classify', placement: 'target', entries: 2, rulesOnTarget: 3 },
        { stage: 'ls_in_dhcp', placement: 'target', entries: 0, rulesOnTarget: 0 },
      ],
    },
    errors: [{ at: '2026-12-07T10:00:00.000Z', line: 'agent: switch disconnected (eof)' }],
  }
}

t.test('the text form names each part and lists ports, stages, problems, counters and errors', async t => {
  const text = formatStatus(sample())
  const lines = text.split('\n')
  t.match(text, /^chassis {4}edge-1, profile ovs-userspace, bridge br-int, tunnel geneve from 192\.0\.2\.10 \(ofport 1\)$/m, 'chassis line')
  t.match(
    text,
    /bridge mappings: extnet:br-ex \(patch ofport 2\), dead:br-gone \(not working: see errors\)/,
    'a mapping without an uplink is called out',
  )
  t.match(text, /^store {6}embedded, watch subscribed, pub\/sub none; 12 changes, last 2\.5 s ago$/m, 'store line')
  t.match(
    text,
    /^switch {5}connected \(datapath 00000a0b0c0d0e0f\), in sync; run generation 7; 4 installs, last 9 added, 1 deleted, 30 kept \(3 ms\)$/m,
    'switch line with the generation',
  )
  t.match(text, /^ports {6}2 plugged, 1 ACTIVE$/m, 'port summary')
  t.match(text, /^ {2}ofport 3 {4}tap1 {3}p-active {2}ACTIVE$/m, 'an ACTIVE port')
  t.match(text, /^ {2}ofport 4 {4}tap22 {2}p-down {2}DOWN \(the port is admin_state_up false\)$/m, 'a port that is not ACTIVE says why')
  const classify = lines.indexOf('  ls_in_classify  3')
  const l2 = lines.indexOf('  ls_in_l2_lkup   6')
  t.ok(classify > 0 && l2 > classify, `flows per stage, one line each, sorted by name:\n${text}`)
  t.match(text, /^problems {3}7: parked 5, no_uplink 2$/m, 'problems counted per code, the biggest first')
  t.match(text, /^ {2}no_uplink networks\/n1: physical network p has no uplink$/m, 'the first problems listed')
  t.match(text, /^ {2}\(and 6 more, counted above\)$/m, 'the rest only counted')
  t.match(text, /drops and punts: punt_dhcp 3, port_sec_mac 1; connections 0 of 262144/, 'datapath reasons without the zero ones')
  t.match(text, /^plan {7}ovs-userspace: 40 rules on the target, 25\.0% of packets to the slow path$/m, 'plan line')
  t.notMatch(text, /ls_in_dhcp/, 'a plan stage with no entries is left out')
  t.match(
    text,
    /^errors {5}the last 1\n {2}2026-12-07T10:00:00\.000Z agent: switch disconnected \(eof\)$/m,
    'the last errors with their time',
  )
})

t.test('what is down reads as such', async t => {
  const s = sample()
  s.switch = { connected: false, inSync: false, installs: 0, unsolicitedErrors: 2 }
  s.ovsdb = { connected: false }
  s.store = { driver: 'etcd', watch: false, pubsub: 'mqtt', changes: 0 }
  s.errors = []
  s.problems = { total: 0, byCode: {}, first: [] }
  const { tunnelIp: _ip, tunnelOfport: _port, ...chassis } = s.chassis
  s.chassis = chassis
  const text = formatStatus(s)
  t.match(text, /^switch {5}NOT connected; run generation 7; 0 installs; 2 errors reported by the switch$/m)
  t.match(text, /^ovsdb {6}NOT connected$/m)
  t.match(text, /^store {6}etcd, watch NOT subscribed, pub\/sub mqtt; 0 changes$/m)
  t.match(text, /no tunnel$/m)
  t.match(text, /^problems {3}none$/m)
  t.match(text, /^errors {5}none$/m)
})

const dragonflow = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/dragonflow.js'), ...args], { encoding: 'utf8', timeout: 30_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

t.test('the command without a node', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'dfe-status-'))
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  const help = dragonflow('status', '--help')
  t.equal(help.status, 0, '--help exits 0')
  t.match(help.stdout, /usage: dragonflow status/, 'and prints the usage')
  t.match(help.stdout, /--json/, 'with every flag')

  const empty = dragonflow('status', '--data-dir', dir)
  t.equal(empty.status, 1, 'an empty data directory: exit 1')
  t.match(empty.stderr, /^dragonflow status: no node is running here: .* has no serve\.json/, `said in words: ${empty.stderr.trim()}`)
  t.notMatch(empty.stderr, /\n\s+at /, 'no stack trace')

  // a serve.json left by a process that has exited (a child that ran and is gone: its pid is free)
  const gone = spawn(process.execPath, ['-e', '0'])
  const pid = gone.pid as number
  await new Promise(resolve => gone.once('exit', resolve))
  writeFileSync(join(dir, 'serve.json'), JSON.stringify({ pid, api: 'http://127.0.0.1:1', control: join(dir, 'agent.ctl') }))
  const stale = dragonflow('status', '--data-dir', dir, '--json')
  t.equal(stale.status, 1, 'a stale serve.json: exit 1')
  t.match(
    stale.stderr,
    new RegExp(`no node is running here: .*serve\\.json is left from process ${pid}, which has exited`),
    stale.stderr.trim(),
  )
  t.equal(stale.stdout, '', 'and nothing on stdout')

  // a live pid (this test) but no socket at the path serve.json names
  writeFileSync(join(dir, 'serve.json'), JSON.stringify({ pid: process.pid, api: 'http://127.0.0.1:1', control: join(dir, 'agent.ctl') }))
  const noSocket = dragonflow('status', '--data-dir', dir)
  t.equal(noSocket.status, 1)
  t.match(noSocket.stderr, /no node is running here: no control socket at .*agent\.ctl/, noSocket.stderr.trim())

  for (const [args, message] of [
    [['--jsno'], /unknown flag --jsno/],
    [['--errors', '99'], /--errors must be a whole number in 0\.\.32, not '99'/],
    [['--control', join(dir, 'x'), '--data-dir', dir], /--control and --data-dir name the node twice/],
    [['extra'], /unexpected argument 'extra'/],
  ] as const) {
    const r = dragonflow('status', ...args)
    t.equal(r.status, 2, `${args.join(' ')}: a usage error`)
    t.match(r.stderr, message, r.stderr.split('\n')[0] ?? '')
  }
})
