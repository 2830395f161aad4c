// The README's sample topology as model objects: two networks joined by router r1, 'web' (ofport 1) and 'app'
// (ofport 3) plugged here, 'db' on chassis ch2, a DHCP port on network 1. Shared by the compiler tests.
import { TABLES } from '../../model/tables.js'
import type { Change } from '../../store/types.js'
import type { ModelSnapshot } from '../../agent/compiler/index.js'
import { chassis, network, port, put, router, subnet } from './fixtures.js'

export const SELF = { chassisId: 'ch1', chassisTunnelIp: '192.168.100.1' }

export function sampleSnapshot(): Required<Omit<ModelSnapshot, 'bindings'>> & { bindings: Map<string, number> } {
  const networks = [network('n1', 1), network('n2', 2)]
  const subnets = [
    subnet('s1', 'n1', '10.0.0.0/24', { dns_nameservers: ['10.0.0.2'], host_routes: [{ destination: '169.254.169.254/32', nexthop: '10.0.0.2' }] }),
    subnet('s2', 'n2', '10.0.1.0/24'),
  ]
  const ports = [
    port('web', 1, { network_id: 'n1', mac_address: 'fa:16:3e:00:00:01', fixed_ips: [{ subnet_id: 's1', ip_address: '10.0.0.5' }], 'binding:host_id': 'ch1' }),
    port('db', 2, { network_id: 'n1', mac_address: 'fa:16:3e:00:00:02', fixed_ips: [{ subnet_id: 's1', ip_address: '10.0.0.6' }], 'binding:host_id': 'ch2' }),
    port('app', 3, { network_id: 'n2', mac_address: 'fa:16:3e:00:01:03', fixed_ips: [{ subnet_id: 's2', ip_address: '10.0.1.5' }], 'binding:host_id': 'ch1' }),
    port('rp1', 10, { network_id: 'n1', mac_address: 'fa:16:3e:00:00:10', fixed_ips: [{ subnet_id: 's1', ip_address: '10.0.0.1' }], device_owner: 'network:router_interface', device_id: 'r1', port_security_enabled: false }),
    port('rp2', 20, { network_id: 'n2', mac_address: 'fa:16:3e:00:00:20', fixed_ips: [{ subnet_id: 's2', ip_address: '10.0.1.1' }], device_owner: 'network:router_interface', device_id: 'r1', port_security_enabled: false }),
    port('dhcp1', 30, { network_id: 'n1', mac_address: 'fa:16:3e:00:00:fe', fixed_ips: [{ subnet_id: 's1', ip_address: '10.0.0.2' }], device_owner: 'network:dhcp', device_id: 'dhcp-n1', port_security_enabled: false }),
  ]
  const routers = [router('r1', 1, {
    interfaces: [{ port_id: 'rp1', subnet_id: 's1', network_id: 'n1' }, { port_id: 'rp2', subnet_id: 's2', network_id: 'n2' }],
  })]
  const chassisList = [chassis('ch1', '192.168.100.1'), chassis('ch2', '192.168.100.2')]
  return { networks, subnets, ports, routers, chassis: chassisList, bindings: new Map([['web', 1], ['app', 3]]) }
}

/** The snapshot as store changes (creates), in a sensible order. */
export function sampleChanges(): Change[] {
  const s = sampleSnapshot()
  return [
    ...s.chassis.map(c => put(TABLES.chassis, c)),
    ...s.networks.map(n => put(TABLES.networks, n)),
    ...s.subnets.map(x => put(TABLES.subnets, x)),
    ...s.ports.map(p => put(TABLES.ports, p)),
    ...s.routers.map(r => put(TABLES.routers, r)),
  ]
}
