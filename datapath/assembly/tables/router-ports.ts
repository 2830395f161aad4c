// Router ports, indexed three ways: by (network, MAC) to see a frame entering a router, by port key for the
// out port of a route, and by (router, address) to see packets addressed to the router itself.
import { ENTRY_PREFIX_BYTES, ROUTER_PORT_MAX_PREFIXES } from '../../spec/entry-kinds'
import { copy16, copyMac } from '../codec/bytes'
import { ExactTable, clearKey, ipWord0, ipWord1, ipWord2, key, macWord0, macWord1 } from './exact-table'

// Record, per port key.
export const RP_ROUTER: usize = 0
export const RP_NETWORK: usize = 4
export const RP_MAC: usize = 8
const RP_COUNT: usize = 14
/** prefixes: family u8, plen u8, addr[16] */
const RP_PREFIXES: usize = 16
const RP_BYTES: i32 = <i32>RP_PREFIXES + ROUTER_PORT_MAX_PREFIXES * ENTRY_PREFIX_BYTES

/** (network u32, mac[6]) -> port u32 @0, router u32 @4 (the router, without a second probe) */
const byMac = new ExactTable(8, 64)
/** port u32 -> record */
const byPort = new ExactTable(RP_BYTES, 64)
let generation: u32 = 1

/** (router u32, family u8, addr[16]) -> port u32 */
const byAddress = new ExactTable(4, 64)

@inline function macKey(network: u32, mac: usize): void {
  clearKey()
  store<u32>(key, network)
  copyMac(key + 4, mac)
}

@inline function portKey(port: u32): void {
  clearKey()
  store<u32>(key, port)
}

function addressKey(router: u32, family: u32, addr: usize): void {
  clearKey()
  store<u32>(key, router)
  store<u8>(key, <u8>family, 4)
  if (family == 4) store<u32>(key + 8, load<u32>(addr))
  else copy16(key + 8, addr)
}

/** Adds or replaces router port `port` (without addresses: add them with addRouterPortAddress). */
export function addRouterPort(port: u32, router: u32, network: u32, mac: usize): void {
  removeRouterPort(port)
  generation++
  macKey(network, mac)
  const m = byMac.upsert()
  store<u32>(m, port)
  store<u32>(m, router, 4)
  portKey(port)
  const rec = byPort.upsert()
  store<u32>(rec + RP_ROUTER, router)
  store<u32>(rec + RP_NETWORK, network)
  copyMac(rec + RP_MAC, mac)
}

/** Adds an address of the port (`addr` network order); false when the port is full or unknown. */
export function addRouterPortAddress(port: u32, family: u32, plen: i32, addr: usize): bool {
  portKey(port)
  const rec = byPort.find()
  if (rec == 0) return false
  const n = <i32>load<u8>(rec + RP_COUNT)
  if (n >= ROUTER_PORT_MAX_PREFIXES) return false
  const p = rec + RP_PREFIXES + <usize>(n * ENTRY_PREFIX_BYTES)
  store<u8>(p, <u8>family)
  store<u8>(p, <u8>plen, 1)
  copy16(p + 2, addr)
  store<u8>(rec + RP_COUNT, <u8>(n + 1))
  addressKey(load<u32>(rec + RP_ROUTER), family, addr)
  store<u32>(byAddress.upsert(), port)
  return true
}

export function removeRouterPort(port: u32): bool {
  portKey(port)
  const rec = byPort.find()
  if (rec == 0) return false
  generation++
  const router = load<u32>(rec + RP_ROUTER)
  const n = <i32>load<u8>(rec + RP_COUNT)
  for (let i = 0; i < n; i++) {
    const p = rec + RP_PREFIXES + <usize>(i * ENTRY_PREFIX_BYTES)
    addressKey(router, <u32>load<u8>(p), p + 2)
    const owner = byAddress.find()
    if (owner != 0 && load<u32>(owner) == port) byAddress.remove()
  }
  macKey(load<u32>(rec + RP_NETWORK), rec + RP_MAC)
  byMac.remove()
  portKey(port)
  byPort.remove()
  return true
}

export function clearRouterPorts(): void {
  generation++
  byMac.clear()
  byPort.clear()
  byAddress.clear()
}

/** The port key of the router port with `mac` on `network`, or 0 when there is none. */
export function routerPortByMac(network: u32, mac: usize): u32 {
  macKey(network, mac)
  const v = byMac.find()
  return v == 0 ? 0 : load<u32>(v)
}

/** Like routerPortByMac, but the (port u32, router u32) pair, or 0. */
export function routerPortEntryByMac(network: u32, mac: usize): usize {
  return byMac.findWords(macWord0(network, mac), macWord1(mac))
}

/** Bumped by every router port change: caches of router port facts (route records) compare against it. */
export function routerPortGeneration(): u32 {
  return generation
}

/** The record of router port `port` (fields RP_*), or 0. */
export function routerPort(port: u32): usize {
  portKey(port)
  return byPort.find()
}

/** The router port owning `addr` on `router`, or 0 when the address is not the router's. */
export function routerAddressPort(router: u32, family: u32, addr: usize): u32 {
  const v = byAddress.findWords(ipWord0(router, family), ipWord1(family, addr), ipWord2(family, addr))
  return v == 0 ? 0 : load<u32>(v)
}

/** The first address of `family` on the port record `rec` (16 bytes, IPv4 in the first 4), or 0. */
export function firstAddress(rec: usize, family: u32): usize {
  const n = <i32>load<u8>(rec + RP_COUNT)
  for (let i = 0; i < n; i++) {
    const p = rec + RP_PREFIXES + <usize>(i * ENTRY_PREFIX_BYTES)
    if (<u32>load<u8>(p) == family) return p + 2
  }
  return 0
}
