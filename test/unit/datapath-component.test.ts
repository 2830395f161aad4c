// The component (jco-transpiled, datapath/wit/datapath.wit) runs the same code as the core module: the same
// packets give the same verdicts, replies, traces and counters on both backends.
import t from 'tap'
import { createDatapath } from '../../datapath/host/index.js'
import type { Datapath, Entry, PacketInput } from '../../datapath/host/index.js'
import { ipv4, mac } from '../../datapath/host/addresses.js'
import { arp, buildFrame, dhcp, ethernet, ip4, udp } from '../../datapath/host/packet-builder.js'

const entries: Entry[] = [
  { stage: 'classify', in_port: 1, network: 1, port: 1 },
  { stage: 'port_sec', port: 1, mac: 'fa:16:3e:00:00:01', ips: ['10.0.0.5/32'] },
  { stage: 'arp_nd', network: 1, ip: '10.0.0.6', mac: 'fa:16:3e:00:00:02' },
  {
    stage: 'dhcp',
    port: 1,
    mac: 'fa:16:3e:00:00:01',
    ip: '10.0.0.5',
    prefix_len: 24,
    server_ip: '10.0.0.1',
    server_mac: 'fa:16:3e:00:01:01',
    router: '10.0.0.1',
    dns: ['10.0.0.2'],
  },
  { stage: 'l2', network: 1, mac: 'fa:16:3e:00:00:02', port: 2 },
  { stage: 'egress', port: 2, remote: '192.0.2.7' },
]

const vm = mac('fa:16:3e:00:00:01')
const packets: PacketInput[] = [
  {
    in_port: 1,
    data: buildFrame([
      ethernet({ src: vm, dst: mac('fa:16:3e:00:00:02') }),
      ip4({ src: ipv4('10.0.0.5'), dst: ipv4('10.0.0.6') }),
      udp({}),
    ]),
  },
  {
    in_port: 1,
    data: buildFrame([
      ethernet({ src: vm, dst: mac('ff:ff:ff:ff:ff:ff') }),
      arp({ op: 1, sha: vm, spa: ipv4('10.0.0.5'), tpa: ipv4('10.0.0.6') }),
    ]),
  },
  {
    in_port: 1,
    data: buildFrame([
      ethernet({ src: vm, dst: mac('ff:ff:ff:ff:ff:ff') }),
      ip4({ src: ipv4('0.0.0.0'), dst: ipv4('255.255.255.255') }),
      udp({ sport: 68, dport: 67 }),
      dhcp({ xid: 3, chaddr: vm, type: 'discover' }),
    ]),
  },
  {
    in_port: 1,
    data: buildFrame([
      ethernet({ src: vm, dst: mac('fa:16:3e:00:00:02') }),
      ip4({ src: ipv4('10.0.0.9'), dst: ipv4('10.0.0.6') }),
      udp({}),
    ]),
  },
  { in_port: 5, data: new Uint8Array(20) },
]

async function loaded(backend: 'core' | 'component'): Promise<Datapath> {
  const dp = await createDatapath({ backend })
  dp.load({ entries })
  return dp
}

t.test('core and component agree', async t => {
  const core = await loaded('core')
  const component = await loaded('component')
  t.equal(component.backend, 'component')
  t.same(component.process(packets), core.process(packets), 'batch verdicts')
  t.same(component.packetIn(packets[2]!, 50), core.packetIn(packets[2]!, 50), 'a DHCP offer')
  t.same(component.trace(packets[0]!, 50), core.trace(packets[0]!, 50), 'a trace')
  t.same(component.counters(), core.counters(), 'counters')
  t.throws(() => component.add({ stage: 'route', router: 1, prefix: '10.0.0.0/33', port: 1 }), { code: 'bad_prefix_len' })
  const v = component.process(packets)
  t.match(v[0], { action: 'tunnel', remote: '192.0.2.7', network: 1, port: 2 })
  t.match(v[3], { action: 'drop', reason: 'port_sec_ip' })
})
