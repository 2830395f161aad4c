// Address text helpers for the builders, on top of datapath/host/addresses.ts: canonical forms so that the same
// address always gives the same entry (and the same canonical entry key).
import { Cidr, tryParseIp, type IpAddress } from '../../datapath/host/addresses.js'

export function ipOf(text: string): IpAddress | undefined {
  return tryParseIp(text)
}

/** "10.0.0.5" -> "10.0.0.5/32", "2001:db8::5" -> "2001:db8::5/128"; undefined when not an address. */
export function hostPrefix(text: string): string | undefined {
  const a = tryParseIp(text)
  return a ? Cidr.host(a).toString() : undefined
}

/** A CIDR with its host bits cleared, canonical text ("10.0.0.7/24" -> "10.0.0.0/24"); a bare address is a host prefix. */
export function networkPrefix(text: string): string | undefined {
  return cidrOf(text)?.canonical().toString()
}

/** An address or a CIDR (allowed address pairs take both), as a prefix; a bare address is a host prefix. */
export function anyPrefix(text: string): string | undefined {
  return text.includes('/') ? networkPrefix(text) : hostPrefix(text)
}

/** The address when `text` names exactly one (a bare address, or /32 or /128). */
export function exactIp(text: string): IpAddress | undefined {
  const c = cidrOf(text)
  return c && c.length === c.bits ? c.address : undefined
}

/** A prefix, host bits tolerated; a bare address is its host prefix. */
export function cidrOf(text: string): Cidr | undefined {
  return Cidr.tryParse(text, { bareIsHost: true })
}

export function contains(cidr: string, ip: string): boolean {
  const a = tryParseIp(ip)
  return a !== undefined && cidrOf(cidr)?.contains(a) === true
}

export function formatAddr(a: IpAddress): string {
  return a.toString()
}

export function lowerMac(mac: string): string {
  return mac.toLowerCase()
}
