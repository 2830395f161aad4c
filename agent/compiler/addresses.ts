// Address text helpers for the builders, on top of model/ip.ts: canonical forms so that the same address
// always gives the same entry (and the same canonical entry key).
import { type Cidr, type IpAddr, cidrContains, formatCidr, formatIp, parseCidr, parseIp } from '../../model/ip.js'

export function ipOf(text: string): IpAddr | undefined {
  return parseIp(text)
}

/** "10.0.0.5" -> "10.0.0.5/32", "2001:db8::5" -> "2001:db8::5/128"; undefined when not an address. */
export function hostPrefix(text: string): string | undefined {
  const a = parseIp(text)
  return a ? `${formatIp(a)}/${a.version === 4 ? 32 : 128}` : undefined
}

/** A CIDR with its host bits cleared, canonical text ("10.0.0.7/24" -> "10.0.0.0/24"). */
export function networkPrefix(text: string): string | undefined {
  const c = parseCidr(text)
  return c ? formatCidr(c) : undefined
}

/** An address or a CIDR (allowed address pairs take both), as a prefix; a bare address is a host prefix. */
export function anyPrefix(text: string): string | undefined {
  return text.includes('/') ? networkPrefix(text) : hostPrefix(text)
}

/** The address when `text` names exactly one (a bare address, or /32 or /128). */
export function exactIp(text: string): IpAddr | undefined {
  const c = parseCidr(text)
  if (!c || c.prefix !== (c.version === 4 ? 32 : 128)) return undefined
  return { version: c.version, value: c.network }
}

export function cidrOf(text: string): Cidr | undefined {
  return parseCidr(text)
}

export function contains(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr)
  const a = parseIp(ip)
  return c !== undefined && a !== undefined && cidrContains(c, a)
}

export function formatAddr(a: IpAddr): string {
  return formatIp(a)
}

export function lowerMac(mac: string): string {
  return mac.toLowerCase()
}
