// The two-networks topology (test/offload/topologies/two-networks.json) made real on a private OVS bridge: its
// ofports 1, 2, 3 become workloads (ports 1, 2 on net 100; port 4 on net 200), plus a flow-based VXLAN port at
// TUNNEL_OFPORT, and the entries are rewritten to the ofports OVS gave. Shared by the OpenFlow root tests.
import type { Entry } from '../../datapath/host/entries.js'
import type { Ovs, Workload } from '../helpers/ovs.js'

export const TUNNEL_OFPORT = 100

export async function twoNetworksOn(ovs: Ovs, br: string, entries: Entry[]): Promise<{ workloads: Workload[]; entries: Entry[] }> {
  const w: Workload[] = [
    await ovs.addWorkload('a', br, 'port-1', { mac: 'fa:16:3e:00:00:01', ip: '10.0.0.5/24' }),
    await ovs.addWorkload('b', br, 'port-2', { mac: 'fa:16:3e:00:00:02', ip: '10.0.0.6/24' }),
    await ovs.addWorkload('c', br, 'port-4', { mac: 'fa:16:3e:00:00:04', ip: '10.1.0.5/24' }),
  ]
  const tun = ovs.name('vx')
  await ovs.vsctl(
    'add-port',
    br,
    tun,
    '--',
    'set',
    'Interface',
    tun,
    'type=vxlan',
    'options:remote_ip=flow',
    'options:key=flow',
    `ofport_request=${TUNNEL_OFPORT}`,
  )
  const ofport = (n: number): number => (w[n - 1] as Workload).ofport
  return {
    workloads: w,
    entries: entries.map((e): Entry => {
      if (e.stage === 'classify' && 'in_port' in e) return { ...e, in_port: ofport(e.in_port) }
      if (e.stage === 'egress' && e.local !== undefined) return { ...e, local: ofport(e.local) }
      return e
    }),
  }
}
