// Floating IPs (BEHAVIOUR.md "Ways in and out"), 1:1 and stateless. One record per (router, external_ip),
// copied into a second index by (router, internal_ip) so each direction is one probe; (network, MAC) says which
// router a frame to a floating IP's MAC enters.
import { copy16, copyMac, equals16 } from '../codec/bytes'
import { ExactTable, clearKey, ipWord0, ipWord1, ipWord2, key, macWord0, macWord1 } from './exact-table'

// The record, in both indexes.
export const NAT_ROUTER: usize = 0
export const NAT_NETWORK: usize = 4
export const NAT_GATEWAY_PORT: usize = 8
export const NAT_MAC: usize = 12
export const NAT_FAMILY: usize = 18
export const NAT_EXTERNAL: usize = 20
export const NAT_INTERNAL: usize = 36
const NAT_BYTES: i32 = 52

/** (router u32, family u8, external_ip) -> record */
const byExternal = new ExactTable(NAT_BYTES, 64)
/** (router u32, family u8, internal_ip) -> record */
const byInternal = new ExactTable(NAT_BYTES, 64)
/** (network u32, mac[6]) -> router u32 */
const byMac = new ExactTable(4, 64)

function addressKey(router: u32, family: u32, ip: usize): void {
  clearKey()
  store<u32>(key, router)
  store<u8>(key, <u8>family, 4)
  if (family == 4) store<u32>(key + 8, load<u32>(ip))
  else copy16(key + 8, ip)
}

@inline function macKey(network: u32, mac: usize): void {
  clearKey()
  store<u32>(key, network)
  copyMac(key + 4, mac)
}

/** Adds or replaces the floating IP of the encoded entry body `b` (layout in spec/entry-kinds.ts). */
export function addNat(b: usize): void {
  const router = load<u32>(b)
  const family = <u32>load<u8>(b, 18)
  removeNat(router, family, b + 19)
  addressKey(router, family, b + 19)
  const rec = byExternal.upsert()
  fillRecord(rec, b)
  addressKey(router, family, b + 35)
  fillRecord(byInternal.upsert(), b)
  macKey(load<u32>(b, 4), b + 12)
  store<u32>(byMac.upsert(), router)
}

function fillRecord(rec: usize, b: usize): void {
  store<u32>(rec + NAT_ROUTER, load<u32>(b))
  store<u32>(rec + NAT_NETWORK, load<u32>(b, 4))
  store<u32>(rec + NAT_GATEWAY_PORT, load<u32>(b, 8))
  copyMac(rec + NAT_MAC, b + 12)
  store<u8>(rec + NAT_FAMILY, load<u8>(b, 18))
  copy16(rec + NAT_EXTERNAL, b + 19)
  copy16(rec + NAT_INTERNAL, b + 35)
  if (load<u8>(b, 18) == 4) {
    // only the first 4 bytes are the address: the rest must not differ between equal entries
    memory.fill(rec + NAT_EXTERNAL + 4, 0, 12)
    memory.fill(rec + NAT_INTERNAL + 4, 0, 12)
  }
}

/** Removes the floating IP `external` of `router`; false when there is none. */
export function removeNat(router: u32, family: u32, external: usize): bool {
  addressKey(router, family, external)
  const rec = byExternal.find()
  if (rec == 0) return false
  const network = load<u32>(rec + NAT_NETWORK)
  // the other indexes' keys overwrite `key` and removal moves records: copy what they need first
  copyMac(macScratch, rec + NAT_MAC)
  copy16(internalScratch, rec + NAT_INTERNAL)
  byExternal.remove()
  addressKey(router, family, internalScratch)
  const twin = byInternal.find()
  if (twin != 0 && equals16(twin + NAT_EXTERNAL, externalOf(family, external))) byInternal.remove()
  macKey(network, macScratch)
  const owner = byMac.find()
  if (owner != 0 && load<u32>(owner) == router) byMac.remove()
  return true
}

const macScratch: usize = memory.data(8)
const internalScratch: usize = memory.data(16)
const externalScratch: usize = memory.data(16)

/** `external` as the record stores it (an IPv4 address zero-padded to 16 bytes). */
function externalOf(family: u32, external: usize): usize {
  if (family == 4) {
    memory.fill(externalScratch, 0, 16)
    store<u32>(externalScratch, load<u32>(external))
  } else copy16(externalScratch, external)
  return externalScratch
}

export function clearNat(): void {
  byExternal.clear()
  byInternal.clear()
  byMac.clear()
}

/** The floating IP record of `router` whose external_ip is `ip`, or 0. */
export function natByExternal(router: u32, family: u32, ip: usize): usize {
  return byExternal.findWords(ipWord0(router, family), ipWord1(family, ip), ipWord2(family, ip))
}

/** The floating IP record of `router` whose internal_ip is `ip`, or 0. */
export function natByInternal(router: u32, family: u32, ip: usize): usize {
  return byInternal.findWords(ipWord0(router, family), ipWord1(family, ip), ipWord2(family, ip))
}

/** Where the router that a frame to `mac` (a floating IP's MAC) on `network` enters is (a u32), or 0. */
export function natMacRouter(network: u32, mac: usize): usize {
  return byMac.findWords(macWord0(network, mac), macWord1(mac))
}
