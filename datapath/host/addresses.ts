// The one address family of the project: MAC, IPv4, IPv6 and prefixes, used by the packet builders, the entry
// codecs, the OpenFlow builders, IPAM and the Neutron validators alike, so that every layer accepts and prints the
// same text for one address. It imports nothing from Node or outside datapath/host (the bottom layer).
//
// Accepted text, one syntax per kind (anything else is an AddressError naming the input):
// - MAC: six groups of exactly two hex digits, any case, all separated by ':' or all by '-'
//   ("fa:16:3e:00:00:01", "FA-16-3E-00-00-01"); printed lower case with ':'.
// - IPv4: dotted quad, four decimal parts 0..255 without leading zeros ("10.0.0.1"; "010.0.0.1" is refused,
//   since some parsers read it as octal); printed the same way.
// - IPv6: RFC 4291 2.2 text: eight groups of 1..4 hex digits, one '::' at most, the last 32 bits optionally as
//   an embedded dotted IPv4 ("::ffff:10.0.0.1"); printed in RFC 5952 4 form (lower case, no leading zeros, the
//   longest run of two or more zero groups as '::', the first on a tie). The mixed dotted notation of RFC 5952 5
//   is not printed: every layer has always printed plain hex, and golden flows depend on it.
// - Prefix: `address/length` with length a decimal 0..32 (IPv4) or 0..128 (IPv6) without leading zeros.
//   By default the address is kept as given (an interface address such as "10.0.0.1/24"); `strict` refuses host
//   bits (Neutron refuses "10.0.0.1/24" as a subnet, OpenFlow masks need a clean prefix); `bareIsHost` reads a
//   bare address as a host prefix (/32, /128).
import { formatIpv6Groups } from './ipv6-text.js'

/** Inputs longer than this are cut in messages: an API error must not echo a megabyte back. */
const MAX_SHOWN = 60

/** Thrown for an address or prefix that does not parse; `text` is the rejected input (cut), `kind` what was wanted. */
export class AddressError extends Error {
  readonly text: string
  constructor(
    readonly kind: string,
    input: unknown,
  ) {
    const text = shown(input)
    super(`'${text}' is not ${kind}`)
    this.name = 'AddressError'
    this.text = text
  }
}

function shown(input: unknown): string {
  const s = typeof input === 'string' ? input : String(input)
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}...` : s
}

function bigintOf(bytes: Uint8Array): bigint {
  let v = 0n
  for (const b of bytes) v = (v << 8n) | BigInt(b)
  return v
}

function bytesOf(value: bigint, length: number, kind: string): Uint8Array {
  if (value < 0n || value >= 1n << BigInt(length * 8)) throw new AddressError(kind, `0x${value.toString(16)}`)
  const out = new Uint8Array(length)
  for (let i = length - 1, v = value; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn)
  return out
}

const MAC_TEXT = /^[0-9a-fA-F]{2}(?:([:-])[0-9a-fA-F]{2})(?:\1[0-9a-fA-F]{2}){4}$/
const MAC_KIND = 'a MAC address (xx:xx:xx:xx:xx:xx)'

/** A 48-bit IEEE 802 MAC address. */
export class MacAddress {
  private constructor(readonly bytes: Uint8Array) {}

  static parse(text: string): MacAddress {
    if (typeof text !== 'string' || !MAC_TEXT.test(text)) throw new AddressError(MAC_KIND, text)
    return new MacAddress(Uint8Array.from(text.split(/[:-]/), p => parseInt(p, 16)))
  }

  static tryParse(text: unknown): MacAddress | undefined {
    return typeof text === 'string' && MAC_TEXT.test(text) ? MacAddress.parse(text) : undefined
  }

  static fromBytes(bytes: Uint8Array): MacAddress {
    if (bytes.length !== 6) throw new AddressError('a MAC address (6 bytes)', hexOf(bytes))
    return new MacAddress(Uint8Array.from(bytes))
  }

  /** From the 48-bit number (OpenFlow field values). */
  static of(value: bigint): MacAddress {
    return new MacAddress(bytesOf(value, 6, 'a MAC address (48 bits)'))
  }

  get value(): bigint {
    return bigintOf(this.bytes)
  }

  /** I/G bit (IEEE 802-2014 8.2): set for group (multicast and broadcast) addresses. */
  get isMulticast(): boolean {
    return ((this.bytes[0] as number) & 1) === 1
  }

  get isZero(): boolean {
    return this.bytes.every(b => b === 0)
  }

  equals(other: MacAddress): boolean {
    return this.toString() === other.toString()
  }

  toString(): string {
    return Array.from(this.bytes, b => b.toString(16).padStart(2, '0')).join(':')
  }
}

const V4_PART = /^(?:0|[1-9][0-9]{0,2})$/
const V4_KIND = 'an IPv4 address (a.b.c.d)'

function v4Bytes(text: string): Uint8Array | undefined {
  const parts = text.split('.')
  if (parts.length !== 4 || !parts.every(p => V4_PART.test(p) && Number(p) <= 255)) return undefined
  return Uint8Array.from(parts, Number)
}

/** An IPv4 address (RFC 791). */
export class Ipv4Address {
  readonly family = 4 as const
  /** Address width in bits. */
  readonly bits = 32 as const
  private constructor(readonly bytes: Uint8Array) {}

  static parse(text: string): Ipv4Address {
    const bytes = typeof text === 'string' ? v4Bytes(text) : undefined
    if (bytes === undefined) throw new AddressError(V4_KIND, text)
    return new Ipv4Address(bytes)
  }

  static tryParse(text: unknown): Ipv4Address | undefined {
    const bytes = typeof text === 'string' ? v4Bytes(text) : undefined
    return bytes === undefined ? undefined : new Ipv4Address(bytes)
  }

  static fromBytes(bytes: Uint8Array): Ipv4Address {
    if (bytes.length !== 4) throw new AddressError('an IPv4 address (4 bytes)', hexOf(bytes))
    return new Ipv4Address(Uint8Array.from(bytes))
  }

  static of(value: bigint): Ipv4Address {
    return new Ipv4Address(bytesOf(value, 4, 'an IPv4 address (32 bits)'))
  }

  /** The address as an unsigned number, for prefix arithmetic. */
  get value(): bigint {
    return bigintOf(this.bytes)
  }

  /** The same as an unsigned 32-bit JavaScript number (the WASM side's u32). */
  get u32(): number {
    const b = this.bytes
    return (((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number)) >>> 0
  }

  equals(other: IpAddress): boolean {
    return other.family === 4 && other.value === this.value
  }

  toString(): string {
    return this.bytes.join('.')
  }
}

const V6_KIND = 'an IPv6 address'

function v6Bytes(text: string): Uint8Array | undefined {
  if (text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  // 16-bit words of one side of '::'; the embedded IPv4 (RFC 4291 2.2 form 3) may only end the address.
  const words = (side: string, mayEndInIpv4: boolean): number[] | undefined => {
    if (side === '') return []
    const out: number[] = []
    const groups = side.split(':')
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i] as string
      if (mayEndInIpv4 && i === groups.length - 1 && g.includes('.')) {
        const v4 = v4Bytes(g)
        if (v4 === undefined) return undefined
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number))
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) out.push(parseInt(g, 16))
      else return undefined
    }
    return out
  }
  const compressed = halves.length === 2
  const head = words(halves[0] as string, !compressed)
  const tail = compressed ? words(halves[1] as string, true) : []
  if (head === undefined || tail === undefined) return undefined
  const missing = 8 - head.length - tail.length
  // '::' stands for one or more zero groups (RFC 4291 2.2 form 2)
  if (compressed ? missing < 1 : missing !== 0) return undefined
  const all = [...head, ...Array<number>(compressed ? missing : 0).fill(0), ...tail]
  const out = new Uint8Array(16)
  all.forEach((w, i) => {
    out[2 * i] = w >> 8
    out[2 * i + 1] = w & 0xff
  })
  return out
}

/** An IPv6 address (RFC 4291), printed in the RFC 5952 canonical form. */
export class Ipv6Address {
  readonly family = 6 as const
  readonly bits = 128 as const
  private constructor(readonly bytes: Uint8Array) {}

  static parse(text: string): Ipv6Address {
    const bytes = typeof text === 'string' ? v6Bytes(text) : undefined
    if (bytes === undefined) throw new AddressError(V6_KIND, text)
    return new Ipv6Address(bytes)
  }

  static tryParse(text: unknown): Ipv6Address | undefined {
    const bytes = typeof text === 'string' ? v6Bytes(text) : undefined
    return bytes === undefined ? undefined : new Ipv6Address(bytes)
  }

  static fromBytes(bytes: Uint8Array): Ipv6Address {
    if (bytes.length !== 16) throw new AddressError('an IPv6 address (16 bytes)', hexOf(bytes))
    return new Ipv6Address(Uint8Array.from(bytes))
  }

  static of(value: bigint): Ipv6Address {
    return new Ipv6Address(bytesOf(value, 16, 'an IPv6 address (128 bits)'))
  }

  get value(): bigint {
    return bigintOf(this.bytes)
  }

  /** ff00::/8 (RFC 4291 2.7) */
  get isMulticast(): boolean {
    return this.bytes[0] === 0xff
  }

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

  equals(other: IpAddress): boolean {
    return other.family === 6 && other.value === this.value
  }

  toString(): string {
    const g = Array.from({ length: 8 }, (_, i) => ((this.bytes[2 * i] as number) << 8) | (this.bytes[2 * i + 1] as number))
    return formatIpv6Groups(g)
  }
}

export type IpAddress = Ipv4Address | Ipv6Address
export type IpFamily = 4 | 6

/** Either family, chosen by the text (a ':' means IPv6). */
export function parseIp(text: string): IpAddress {
  if (typeof text === 'string' && text.includes(':')) return Ipv6Address.parse(text)
  const v4 = Ipv4Address.tryParse(text)
  if (v4 === undefined) throw new AddressError('an IPv4 or IPv6 address', text)
  return v4
}

export function tryParseIp(text: unknown): IpAddress | undefined {
  if (typeof text !== 'string') return undefined
  return text.includes(':') ? Ipv6Address.tryParse(text) : Ipv4Address.tryParse(text)
}

/** Canonical text of an address, or undefined when it is not one. */
export function normalizeIp(text: unknown): string | undefined {
  return tryParseIp(text)?.toString()
}

/** The address of `family` with numeric `value`. */
export function ipOf(family: IpFamily, value: bigint): IpAddress {
  return family === 4 ? Ipv4Address.of(value) : Ipv6Address.of(value)
}

export function bitsOf(family: IpFamily): 32 | 128 {
  return family === 4 ? 32 : 128
}

export interface CidrOptions {
  /** refuse host bits past the length ("10.0.0.1/24") */
  strict?: boolean
  /** read a bare address as its host prefix (/32 or /128) */
  bareIsHost?: boolean
}

const LENGTH_TEXT = /^(?:0|[1-9][0-9]{0,2})$/

/**
 * A prefix of either family: an address and a length. The address is kept as given (host bits may be set unless
 * parsed `strict`); `network` is the address with them cleared. `A` narrows the family for typed builders.
 */
export class Cidr<A extends IpAddress = IpAddress> {
  private constructor(
    readonly address: A,
    readonly length: number,
  ) {}

  static parse(text: string, opts: CidrOptions = {}): Cidr {
    const c = Cidr.tryParse(text, opts)
    if (c !== undefined) return c
    // Parse again the part that failed, to say what was wrong.
    const slash = typeof text === 'string' ? text.indexOf('/') : -1
    if (typeof text === 'string' && (slash >= 0 || opts.bareIsHost)) {
      const address = tryParseIp(slash < 0 ? text : text.slice(0, slash))
      if (address !== undefined) {
        const lenText = slash < 0 ? '' : text.slice(slash + 1)
        if (slash >= 0 && !(LENGTH_TEXT.test(lenText) && Number(lenText) <= address.bits)) {
          throw new AddressError(`a prefix (length 0..${address.bits})`, text)
        }
        throw new AddressError('a prefix without host bits set', text)
      }
    }
    throw new AddressError('a prefix (address/length)', text)
  }

  static tryParse(text: unknown, opts: CidrOptions = {}): Cidr | undefined {
    if (typeof text !== 'string') return undefined
    const slash = text.indexOf('/')
    if (slash < 0 && !opts.bareIsHost) return undefined
    const address = tryParseIp(slash < 0 ? text : text.slice(0, slash))
    if (address === undefined) return undefined
    const lenText = slash < 0 ? String(address.bits) : text.slice(slash + 1)
    if (!LENGTH_TEXT.test(lenText) || Number(lenText) > address.bits) return undefined
    const c = new Cidr<IpAddress>(address, Number(lenText))
    return opts.strict && c.hasHostBits ? undefined : c
  }

  /** An IPv4 prefix only (typed for IPv4 match fields). */
  static parseIpv4(text: string, opts: CidrOptions = {}): Cidr<Ipv4Address> {
    const c = Cidr.parse(text, opts)
    if (!c.isIpv4()) throw new AddressError('an IPv4 prefix', text)
    return c
  }

  static parseIpv6(text: string, opts: CidrOptions = {}): Cidr<Ipv6Address> {
    const c = Cidr.parse(text, opts)
    if (!c.isIpv6()) throw new AddressError('an IPv6 prefix', text)
    return c
  }

  static of<B extends IpAddress>(address: B, length: number): Cidr<B> {
    if (!Number.isInteger(length) || length < 0 || length > address.bits) {
      throw new AddressError(`a prefix (length 0..${address.bits})`, `${address.toString()}/${length}`)
    }
    return new Cidr(address, length)
  }

  /** The /32 or /128 of one address. */
  static host<B extends IpAddress>(address: B): Cidr<B> {
    return new Cidr(address, address.bits)
  }

  get family(): IpFamily {
    return this.address.family
  }
  get bits(): 32 | 128 {
    return this.address.bits
  }

  isIpv4(): this is Cidr<Ipv4Address> {
    return this.address.family === 4
  }
  isIpv6(): this is Cidr<Ipv6Address> {
    return this.address.family === 6
  }

  /** The bits past the length, as a number: 0.0.0.255 for a /24. */
  get hostMask(): bigint {
    return (1n << BigInt(this.bits - this.length)) - 1n
  }
  /** The bits of the length: 255.255.255.0 for a /24. */
  get mask(): bigint {
    return ((1n << BigInt(this.bits)) - 1n) ^ this.hostMask
  }

  get hasHostBits(): boolean {
    return (this.address.value & this.hostMask) !== 0n
  }

  /** Number of the first (network) address. */
  get first(): bigint {
    return this.address.value & this.mask
  }
  /** Number of the last address (IPv4 broadcast). */
  get last(): bigint {
    return this.first | this.hostMask
  }
  /** How many addresses the prefix holds. */
  get size(): bigint {
    return this.hostMask + 1n
  }

  /** The prefix's network address (host bits cleared). */
  network(): A {
    return ipOf(this.family, this.first) as A
  }

  /** The same prefix with host bits cleared. */
  canonical(): Cidr<A> {
    return new Cidr(this.network(), this.length)
  }

  /** The n-th address of the prefix counted from the network address (0 is the network address). */
  nth(n: bigint): A {
    if (n < 0n || n > this.hostMask) throw new AddressError(`an address index inside ${this.toString()}`, String(n))
    return ipOf(this.family, this.first + n) as A
  }

  contains(ip: IpAddress): boolean {
    return ip.family === this.family && ip.value >= this.first && ip.value <= this.last
  }

  /** True when `other` lies wholly inside this prefix. */
  covers(other: Cidr): boolean {
    return other.family === this.family && other.length >= this.length && this.contains(other.network())
  }

  overlaps(other: Cidr): boolean {
    return other.family === this.family && this.first <= other.last && other.first <= this.last
  }

  /** The address as given, then the length: "10.0.0.1/24" stays so; use canonical() for the network form. */
  toString(): string {
    return `${this.address.toString()}/${this.length}`
  }
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
