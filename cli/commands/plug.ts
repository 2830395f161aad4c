// `dragonflow plug`: plug a workload into a node started by `dragonflow serve`, as a hypervisor would plug a
// VM: a network namespace (created when missing) with a veth whose other end is added to br-int with
// external_ids:iface-id=<port id>. The workload side gets the port's MAC (from --mac, else from the API) and
// TX checksum offload off (the userspace datapath does not fill offloaded checksums, ENVIRONMENT.md).
// `dragonflow plug --unplug` removes the bridge port (the namespace stays). `dragonflow plug --bridge br-ex
// --netns NS` plugs a host that is no Neutron port (an "outside" host) into the operator's bridge of a
// --bridge-mappings physical network instead: no iface-id, the kernel's MAC.
import { execFile } from 'node:child_process'
import { type Command, type Flag, UsageError, parseFlags } from '../command.js'
import { CREDENTIAL_FLAGS, type Credentials, apiGet, credentialsFrom } from '../credentials.js'
import { readServeState } from './serve-state.js'
import { bridgeEnd } from '../../agent/ovsdb/bridge-end.js'

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((res, rej) => {
    execFile(cmd, args, { env }, (err, stdout, stderr) => {
      if (err !== null) rej(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`))
      else res(stdout)
    })
  })
}

async function portMac(api: string, portId: string, credentials: Credentials): Promise<string> {
  const body = (await apiGet(api, `/v2.0/ports/${encodeURIComponent(portId)}`, credentials).catch((err: Error) => {
    throw new Error(`${err.message} (or pass --mac to plug without the API)`)
  })) as { port?: { mac_address?: string } }
  const mac = body.port?.mac_address
  if (mac === undefined) throw new Error(`port ${portId} has no mac_address`)
  return mac
}

const FLAGS: readonly Flag[] = [
  { name: 'port', type: 'string', value: 'PORT_ID', description: 'the Neutron port to bind (required unless --bridge)' },
  {
    name: 'bridge',
    type: 'string',
    value: 'BRIDGE',
    description: "plug a host that is no Neutron port into this bridge (the operator's bridge of a --bridge-mappings entry)",
  },
  { name: 'netns', type: 'string', value: 'NS', description: "the workload's namespace, created when missing (required unless --unplug)" },
  {
    name: 'data-dir',
    type: 'string',
    value: 'DIR',
    description: 'data directory of the `dragonflow serve` node (default /var/lib/dragonflow)',
  },
  { name: 'ifname', type: 'string', value: 'NAME', description: 'interface name in the namespace (default eth0)' },
  { name: 'mac', type: 'string', value: 'MAC', description: "the workload's MAC (default the port's, from the API)" },
  { name: 'unplug', type: 'boolean', description: 'remove the bridge port instead (the namespace stays)' },
  ...CREDENTIAL_FLAGS,
]

const command: Command = {
  name: 'plug',
  summary: 'plug a workload (netns + veth) into the br-int of a `dragonflow serve` node, bound to a Neutron port',
  usage:
    'dragonflow plug --port PORT_ID --netns NS [--data-dir DIR] [--ifname eth0] [--mac MAC] [--unplug]\n' +
    '       dragonflow plug --bridge BRIDGE --netns NS [--data-dir DIR] [--ifname eth0] [--mac MAC] [--unplug]\n' +
    '  with --auth keystone on the node: [--os-token TOKEN | --os-username NAME --os-password PW [--os-project-name P]]\n' +
    '  (or the OS_* variables of the openstack CLI)',
  flags: FLAGS,
  async run(args) {
    const { flags, rest } = parseFlags(args, FLAGS)
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0] ?? ''}'`)
    const portId = flags.get('port')
    const hostBridge = flags.get('bridge')
    if ((portId === undefined) === (hostBridge === undefined)) throw new UsageError('give one of --port and --bridge')
    const ns = flags.get('netns')
    if (hostBridge !== undefined && ns === undefined) throw new UsageError('--bridge needs --netns (the host to plug)')
    const { state, env } = readServeState(flags.get('data-dir'))
    const vsctl = (...a: string[]): Promise<string> => run('ovs-vsctl', [`--db=${state.ovsdb}`, '--timeout=20', ...a], env)
    const bridge = hostBridge ?? state.bridge
    const what = portId ?? `host ${ns ?? ''}`
    const dev = bridgeEnd(portId ?? `x${ns ?? ''}`)
    if (flags.has('unplug')) {
      await vsctl('--if-exists', 'del-port', bridge, dev)
      await run('ip', [...(state.netns !== null ? ['-n', state.netns] : []), 'link', 'del', dev]).catch(() => undefined)
      process.stdout.write(`unplugged ${what} (${dev})\n`)
      return 0
    }
    if (ns === undefined) throw new UsageError('--netns is required')
    if (hostBridge !== undefined) {
      const bridges = (await vsctl('list-br')).split('\n')
      if (!bridges.includes(hostBridge))
        throw new UsageError(`--bridge ${hostBridge}: no such bridge on the node's switch (bridges: ${bridges.filter(Boolean).join(', ')})`)
    }
    const ifname = flags.get('ifname') ?? 'eth0'
    const mac = flags.get('mac') ?? (portId !== undefined ? await portMac(state.api, portId, credentialsFrom(flags, state.api)) : undefined)
    const nsList = await run('ip', ['netns', 'list'])
    if (!nsList.split('\n').some(l => l.split(' ')[0] === ns)) await run('ip', ['netns', 'add', ns])
    const tmp = `dt${dev.slice(2)}`
    // create the pair where vswitchd lives (the netdev datapath opens ports by name in its own namespace)
    const where = state.netns !== null ? ['-n', state.netns] : []
    await run('ip', [...where, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', tmp, 'netns', ns])
    await run('ip', ['-n', ns, 'link', 'set', tmp, 'name', ifname, ...(mac !== undefined ? ['address', mac] : [])])
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    await run('ip', ['-n', ns, 'link', 'set', ifname, 'up'])
    await run('ip', [...where, 'link', 'set', dev, 'up'])
    await run('ip', ['netns', 'exec', ns, 'ethtool', '-K', ifname, 'tx', 'off'])
    if (portId !== undefined)
      await vsctl('--may-exist', 'add-port', bridge, dev, '--', 'set', 'Interface', dev, `external_ids:iface-id=${portId}`)
    else await vsctl('--may-exist', 'add-port', bridge, dev)
    process.stdout.write(`plugged ${what}: ${ns}/${ifname}${mac !== undefined ? ` (${mac})` : ''} <-> ${bridge}/${dev}\n`)
    return 0
  },
}

export default command
