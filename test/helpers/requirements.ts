// The one place a test asks for what it needs from the machine: root, or a program on PATH.
// Outside CI a missing requirement skips, with the reason. In CI (DRAGONFLOW_CI=1, exported by .ci/run) it
// FAILS, naming the fix: a CI machine that lacks a tool must not turn the tests that need it into silent skips.
//
//   const skip = needRoot('private OVS in a network namespace')
//   t.test('...', { skip }, async t => { ... })
//
//   if (needRoot('private OVS in a network namespace', { wholeFile: true }) === false) { t.test(...) }
import t from 'tap'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/** The programs the tests run (scripts/install-deps.sh installs each). */
export type Tool =
  | 'ovs-ofctl'
  | 'ovs-vsctl'
  | 'ovs-appctl'
  | 'ovsdb-tool'
  | 'tcpdump'
  | 'tshark'
  | 'busybox'
  | 'dhclient'
  | 'etcd'
  | 'mosquitto'
  | 'redis-server'
  | 'ovn-northd'
  | 'ovn-controller'
  | 'ip'
  | 'ethtool'
  | 'openstack'

export interface NeedOptions {
  /** The requirement gates a whole file with no `{ skip }` test of its own: skip the file with `t.plan(0, reason)`. */
  wholeFile?: boolean
}

export const inCi = (): boolean => process.env['DRAGONFLOW_CI'] === '1'

/** false when the tests may run as root; else the reason (a tap `skip` value). */
export function needRoot(why: string, opts: NeedOptions = {}): string | false {
  if (process.getuid?.() === 0) return false
  return missing(`needs root (${why})`, 'run as root', opts)
}

/** false when `tool` is on PATH; else the reason (a tap `skip` value). */
export function needTool(tool: Tool, opts: NeedOptions = {}): string | false {
  if (onPath(tool)) return false
  return missing(`${tool} is not installed`, 'run scripts/install-deps.sh', opts)
}

/** Is an executable named `name` on PATH (the sbin directories too: OVS and iproute2 live there)? */
export function onPath(name: string): boolean {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin']
  return dirs.some(d => {
    if (d === '') return false
    try {
      accessSync(join(d, name), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

// Fail each missing requirement once per file, however many tests ask for it.
const failed = new Set<string>()

function missing(reason: string, fix: string, opts: NeedOptions): string {
  if (inCi()) {
    if (!failed.has(reason)) {
      failed.add(reason)
      t.fail(`${reason}: ${fix} (DRAGONFLOW_CI=1: a missing requirement fails instead of skipping)`)
    }
  } else if (opts.wholeFile === true) {
    t.plan(0, reason)
  }
  return reason
}
