// The entries a datapath holds after load + add + remove (api.ts: `add` of an existing key replaces it), so
// that an emitter sees the same table contents as the WASM pipeline a vector set up.
import type { Entry } from '../../datapath/host/entries.js'
import { parseIp } from '../../datapath/host/addresses.js'

const ip = (text: string): string => parseIp(text).toString()
const mac = (text: string): string => text.toLowerCase()

/** The key of an entry in its table (entries.ts: what makes two entries "the same"). */
export function entryKey(e: Entry): string {
  switch (e.stage) {
    case 'classify':
      return 'tunnel_key' in e ? `classify/t${e.tunnel_key}` : `classify/${e.in_port}/${e.vlan ?? 0}`
    case 'port_sec':
      return `port_sec/${e.port}/${e.mac !== undefined ? mac(e.mac) : ''}`
    case 'arp_nd':
      return `arp_nd/${e.network}/${ip(e.ip)}`
    case 'dhcp':
      return `dhcp/${e.port}`
    case 'dhcp6':
      return `dhcp6/${e.port}`
    case 'l2':
      return `l2/${e.network}/${mac(e.mac)}`
    case 'router_port':
      return `router_port/${e.port}`
    case 'route': {
      const [addr, len] = e.prefix.split('/')
      return `route/${e.router}/${ip(addr ?? '')}/${len ?? ''}`
    }
    case 'nexthop':
      return `nexthop/${e.network}/${ip(e.ip)}`
    case 'egress':
      return `egress/${e.port}`
    case 'acl_port':
      return `acl_port/${e.port}`
    case 'acl_rule':
      return `acl_rule/${e.group}/${e.rule}`
    case 'acl_member': {
      const [addr, len] = e.prefix.split('/')
      return `acl_member/${e.group}/${ip(addr ?? '')}/${len ?? ''}`
    }
    case 'uplink':
      return `uplink/${e.network}`
    case 'nat':
      return `nat/${e.router}/${ip(e.external_ip)}`
    case 'router_gateway':
      return `router_gateway/${e.router}`
    case 'router_advert':
      return `router_advert/${e.network}`
  }
}

export function applyEntries(base: Entry[], add: Entry[] = [], remove: Entry[] = []): Entry[] {
  const table = new Map<string, Entry>()
  for (const e of [...base, ...add]) table.set(entryKey(e), e)
  for (const e of remove) table.delete(entryKey(e))
  return [...table.values()]
}
