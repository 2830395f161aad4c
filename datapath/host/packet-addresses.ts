// Typed addresses for the packet builders: a value is parsed once, at the edge, and carries its bytes, so a
// builder can never receive "10.0.0" where an IPv4 address belongs. Parse errors name the text they reject.
import { formatIpv6Groups } from './ipv6-text.js'

/** Thrown for an address or prefix that does not parse; `text` is what was rejected. */
export class AddressError extends Error {
  constructor(readonly kind: string, readonly text: string) {
    super(`'${text}' is not ${kind}`)
    this.name = 'AddressError'
  }
}

/** A 48-bit IEEE 802 MAC address. */
export class MacAddress {
  private constructor(readonly bytes: Uint8Array) {}

  static parse(text: string): MacAddress {
    const parts = text.split(':')
    if (parts.length !== 6 || !parts.every(p => /^[0-9a-fA-F]{1,2}$/.test(p))) {
      throw new AddressError('a MAC address (xx:xx:xx:xx:xx:xx)', text)
    }
    return new MacAddress(Uint8Array.from(parts, p => parseInt(p, 16)))
  }

  static fromBytes(bytes: Uint8Array): MacAddress {
    if (bytes.length !== 6) throw new AddressError('a MAC address (6 bytes)', hexOf(bytes))
    return new MacAddress(Uint8Array.from(bytes))
  }

  /** I/G bit (IEEE 802-2014 8.2): set for group (multicast and broadcast) addresses. */
  get isMulticast(): boolean { return ((this.bytes[0] as number) & 1) === 1 }

  toString(): string {
    return Array.from(this.bytes, b => b.toString(16).padStart(2, '0')).join(':')
  }
}

/** An IPv4 address (RFC 791). */
export class Ipv4Address {
  readonly family = 4 as const
  private constructor(readonly bytes: Uint8Array) {}

  static parse(text: string): Ipv4Address {
    const parts = text.split('.')
    if (parts.length !== 4 || !parts.every(p => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
      throw new AddressError('an IPv4 address (a.b.c.d)', text)
    }
    return new Ipv4Address(Uint8Array.from(parts, Number))
  }

  static fromBytes(bytes: Uint8Array): Ipv4Address {
    if (bytes.length !== 4) throw new AddressError('an IPv4 address (4 bytes)', hexOf(bytes))
    return new Ipv4Address(Uint8Array.from(bytes))
  }

  /** The address as an unsigned 32-bit number, for prefix arithmetic. */
  get value(): number {
    const b = this.bytes
    return (((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number)) >>> 0
  }

  toString(): string { return this.bytes.join('.') }
}

/** An IPv6 address (RFC 4291), printed in the RFC 5952 canonical form. */
export class Ipv6Address {
  readonly family = 6 as const
  private constructor(readonly bytes: Uint8Array) {}

  static parse(text: string): Ipv6Address {
    const fail = (): never => { throw new AddressError('an IPv6 address', text) }
    const halves = text.split('::')
    if (halves.length > 2 || text === '') fail()
    const groups = (s: string | undefined): string[] => (s === undefined || s === '' ? [] : s.split(':'))
    let head = groups(halves[0])
    let tail = groups(halves[1])
    // An embedded IPv4 tail (::ffff:10.0.0.1) counts as two groups.
    const last = (halves.length === 2 ? tail : head).at(-1)
    if (last !== undefined && last.includes('.')) {
      const v4 = Ipv4Address.parse(last).bytes
      const extra = [((v4[0] as number) << 8 | (v4[1] as number)).toString(16), ((v4[2] as number) << 8 | (v4[3] as number)).toString(16)]
      if (halves.length === 2) tail = [...tail.slice(0, -1), ...extra]
      else head = [...head.slice(0, -1), ...extra]
    }
    const missing = 8 - head.length - tail.length
    if (halves.length === 1 ? missing !== 0 : missing < 1) fail()
    const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail]
    const bytes = new Uint8Array(16)
    all.forEach((g, i) => {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) fail()
      const v = parseInt(g, 16)
      bytes[2 * i] = v >> 8
      bytes[2 * i + 1] = v & 0xff
    })
    return new Ipv6Address(bytes)
  }

  static fromBytes(bytes: Uint8Array): Ipv6Address {
    if (bytes.length !== 16) throw new AddressError('an IPv6 address (16 bytes)', hexOf(bytes))
    return new Ipv6Address(Uint8Array.from(bytes))
  }

  /** ff00::/8 (RFC 4291 2.7) */
  get isMulticast(): boolean { return this.bytes[0] === 0xff }

  /** Solicited-node multicast address ff02::1:ffXX:XXXX (RFC 4291 2.7.1). */
  solicitedNode(): Ipv6Address {
    const b = Ipv6Address.parse('ff02::1:ff00:0').bytes
    b.set(this.bytes.subarray(13), 13)
    return new Ipv6Address(b)
  }

  /** The Ethernet multicast MAC for this (multicast) address: 33:33 + low 32 bits (RFC 2464 7). */
  multicastMac(): MacAddress {
    return MacAddress.fromBytes(Uint8Array.of(0x33, 0x33, ...this.bytes.subarray(12)))
  }

  toString(): string {
    const g = Array.from({ length: 8 }, (_, i) => ((this.bytes[2 * i] as number) << 8) | (this.bytes[2 * i + 1] as number))
    return formatIpv6Groups(g)
  }
}

export type IpAddress = Ipv4Address | Ipv6Address

/** A prefix: address + length. The address is kept as given (host bits may be set, as in "10.0.0.1/24"). */
export class Cidr {
  private constructor(readonly address: IpAddress, readonly length: number) {}

  static parse(text: string): Cidr {
    const slash = text.indexOf('/')
    if (slash < 0) throw new AddressError('a prefix (address/length)', text)
    const address = parseIp(text.slice(0, slash))
    const lenText = text.slice(slash + 1)
    const length = Number(lenText)
    const max = address.family === 4 ? 32 : 128
    if (!/^\d{1,3}$/.test(lenText) || length > max) throw new AddressError(`a prefix (length 0..${max})`, text)
    return new Cidr(address, length)
  }

  static of(address: IpAddress, length: number): Cidr {
    return Cidr.parse(`${address.toString()}/${length}`)
  }

  get family(): 4 | 6 { return this.address.family }

  /** The prefix with host bits cleared. */
  network(): IpAddress {
    const b = Uint8Array.from(this.address.bytes)
    for (let bit = this.length; bit < b.length * 8; bit++) b[bit >> 3] = (b[bit >> 3] as number) & ~(0x80 >> (bit & 7))
    return this.family === 4 ? Ipv4Address.fromBytes(b) : Ipv6Address.fromBytes(b)
  }

  contains(ip: IpAddress): boolean {
    if (ip.family !== this.family) return false
    for (let bit = 0; bit < this.length; bit++) {
      const m = 0x80 >> (bit & 7)
      if ((((ip.bytes[bit >> 3] as number) ^ (this.address.bytes[bit >> 3] as number)) & m) !== 0) return false
    }
    return true
  }

  toString(): string { return `${this.address.toString()}/${this.length}` }
}

export function parseIp(text: string): IpAddress {
  return text.includes(':') ? Ipv6Address.parse(text) : Ipv4Address.parse(text)
}

/** Short constructors for tests and generators: `mac('fa:16:3e:00:00:01')`, `ipv4('10.0.0.1')`. */
export const mac = (text: string): MacAddress => MacAddress.parse(text)
export const ipv4 = (text: string): Ipv4Address => Ipv4Address.parse(text)
export const ipv6 = (text: string): Ipv6Address => Ipv6Address.parse(text)
export const cidr = (text: string): Cidr => Cidr.parse(text)

export const BROADCAST_MAC = MacAddress.parse('ff:ff:ff:ff:ff:ff')
export const ZERO_MAC = MacAddress.parse('00:00:00:00:00:00')
export const IPV4_ANY = Ipv4Address.parse('0.0.0.0')
export const IPV4_BROADCAST = Ipv4Address.parse('255.255.255.255')
export const IPV6_ANY = Ipv6Address.parse('::')

/** Lower-case hex of bytes, no separators (the vector format's frame encoding). */
export function hexOf(bytes: Uint8Array): string {
  return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('')
}

/** Bytes of a hex string; whitespace and ':' separators are ignored. Throws on odd length or a non-hex digit. */
export function bytesOfHex(text: string): Uint8Array {
  const clean = text.replace(/[\s:]/g, '')
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new AddressError('hex bytes', text)
  const out = new Uint8Array(clean.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16)
  return out
}
