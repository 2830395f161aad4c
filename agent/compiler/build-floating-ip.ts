// The entries of a floating IP whose port is plugged here (Dragonflow's distributed DNAT, BEHAVIOUR.md
// "Floating IPs"): the nat row (external <-> fixed IP behind the router, out of its gateway port) and the ARP/ND
// answer for the floating IP with the floating IP port's MAC. Emitted on the port's chassis only, so one
// chassis at a time answers for the address and the physical switch learns its MAC there.
import type { Entry } from '../../datapath/host/entries.js'
import type { FloatingIp, Network, Port, Router } from '../../model/types.js'
import { formatAddr, ipOf, lowerMac } from './addresses.js'
import type { CompileProblem } from './problems.js'

export interface FloatingIpInput {
  fip: FloatingIp
  router: Router
  /** the floating IP's network (the router's external network) */
  external: Network
  /** the router's gateway port (its router port on the external network) */
  gatewayPort: Port
  /** the port holding the floating IP on the external network: its MAC is the NAT MAC */
  floatingPort: Port
}

export function buildFloatingIp(input: FloatingIpInput, problems: CompileProblem[]): Entry[] {
  const { fip, router, external, gatewayPort, floatingPort } = input
  const ext = ipOf(fip.floating_ip_address)
  const int = ipOf(fip.fixed_ip_address ?? '')
  const mac = lowerMac(floatingPort.mac_address ?? '')
  if (!ext || !int || !mac || ext.family !== int.family) {
    problems.push({
      code: 'bad_object',
      object: `floatingips/${fip.id}`,
      detail: `cannot translate ${fip.floating_ip_address} <-> ${String(fip.fixed_ip_address)} (MAC ${mac || 'none'})`,
    })
    return []
  }
  const external_ip = formatAddr(ext)
  return [
    {
      stage: 'nat',
      router: router.key,
      network: external.key,
      gateway_port: gatewayPort.key,
      mac,
      external_ip,
      internal_ip: formatAddr(int),
    },
    { stage: 'arp_nd', network: external.key, ip: external_ip, mac },
  ]
}
