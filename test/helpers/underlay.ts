// An underlay between private Open vSwitch instances (needs root; ENVIRONMENT.md "Several chassis on one machine").
//
//   ovs A netns                                   ovs B netns
//   +------------------------------+              +------------------------------+
//   | br-phy (netdev, NORMAL)      |   veth pair  | br-phy (netdev, NORMAL)      |
//   |   internal port br-phy       |<------------>|   internal port br-phy       |
//   |   = VTEP 172.31.<n>.1/24     |              |   = VTEP 172.31.<n>.2/24     |
//   +------------------------------+              +------------------------------+
//
// The userspace datapath sends encapsulated frames by looking up the outer destination in the routing table of
// vswitchd's namespace (the connected route of br-phy's address) and resolving its MAC by snooping ARP on
// br-phy, so each VTEP address lives on br-phy's internal port, inside vswitchd's own namespace.
//
//   const u = await joinUnderlay([a, b])      u.vtep[0] / u.vtep[1]: the VTEP address of each instance
// Nothing to tear down: the veths and addresses live in the instances' namespaces, which ovs.stop() deletes.
import type { Ovs } from './ovs.js'

export interface Underlay {
  /** VTEP (tunnel endpoint) IPv4 address of each instance, in the order given */
  vtep: string[]
  /** the /24 the VTEPs share */
  prefix: string
}

let subnets = 0

/** A /24 per underlay. The addresses live in the instances' own namespaces, so a clash would be harmless; distinct
 * subnets only make the logs of tests running side by side easier to tell apart. */
function nextSubnet(): number {
  subnets += 1
  return ((process.pid * 7 + subnets) % 200) + 20
}

async function ip(o: Ovs, ...args: string[]): Promise<void> {
  await o.exec('', 'ip', ...args)
}

/** Join two instances with one veth and a br-phy holding the VTEP address in each. */
export async function joinUnderlay(pair: [Ovs, Ovs]): Promise<Underlay> {
  const [a, b] = pair
  const n = nextSubnet()
  const vtep = [`172.31.${n}.1`, `172.31.${n}.2`]
  const ends = [a.name('ul'), b.name('ul')]
  // one veth between the two vswitchd namespaces
  await ip(a, 'link', 'add', ends[0] ?? '', 'netns', a.netns, 'type', 'veth', 'peer', 'name', ends[1] ?? '', 'netns', b.netns)
  for (const [i, o] of pair.entries()) {
    const end = ends[i] ?? ''
    await ip(o, '-n', o.netns, 'link', 'set', end, 'up')
    // an ordinary learning switch: NORMAL (standalone) rather than secure, nobody controls br-phy
    await o.vsctl('--may-exist', 'add-br', 'br-phy', '--', 'set', 'Bridge', 'br-phy', 'datapath_type=netdev', 'fail_mode=standalone')
    await o.vsctl('--may-exist', 'add-port', 'br-phy', end)
    await ip(o, '-n', o.netns, 'link', 'set', 'br-phy', 'up')
    await ip(o, '-n', o.netns, 'addr', 'add', `${vtep[i] ?? ''}/24`, 'dev', 'br-phy')
  }
  return { vtep, prefix: `172.31.${n}.0/24` }
}
