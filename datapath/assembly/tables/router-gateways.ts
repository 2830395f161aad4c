// Router gateways (BEHAVIOUR.md "Ways in and out"): per router, its gateway port, whether SNAT is on, and
// whether this chassis is the gateway chassis.
import { ExactTable, clearKey, key } from './exact-table'

/** router u32 -> port u32 @0, snat u8 @4, local u8 @5, redirect IPv4 (network order, 0 = none) @8 */
const gateways = new ExactTable(12, 64)

export const GW_PORT: usize = 0
export const GW_SNAT: usize = 4
export const GW_LOCAL: usize = 5
export const GW_REDIRECT: usize = 8

@inline function routerKey(router: u32): void {
  clearKey()
  store<u32>(key, router)
}

export function addRouterGateway(router: u32, port: u32, snat: bool, local: bool, redirect: u32): void {
  routerKey(router)
  const v = gateways.upsert()
  store<u32>(v + GW_PORT, port)
  store<u8>(v + GW_SNAT, snat ? 1 : 0)
  store<u8>(v + GW_LOCAL, local ? 1 : 0)
  store<u32>(v + GW_REDIRECT, redirect)
}

export function removeRouterGateway(router: u32): bool {
  routerKey(router)
  return gateways.remove()
}

export function clearRouterGateways(): void {
  gateways.clear()
}

/** The gateway record of `router` (GW_* fields), or 0. */
export function routerGateway(router: u32): usize {
  return gateways.findWords(<u64>router)
}
