// Typed values for flow builders: a flow never takes an address as a string (CONVENTIONS.md 2). Text from
// entries and topologies is parsed once here; a bad address is refused with what was wrong.
import { formatIpv6Groups } from '../../datapath/host/ipv6-text.js'

/** A 48-bit Ethernet address (IEEE 802). */
export class MacAddress {
  private constructor(readonly value: bigint) {}
  static parse(text: string): MacAddress {
    if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(text)) throw new Error(`not a MAC address: '${text}'`)
    return new MacAddress(BigInt('0x' + text.replace(/:/g, '')))
  }
  static of(value: bigint): MacAddress {
    if (value < 0n || value >= 1n << 48n) throw new Error(`MAC out of range: ${value}`)
    return new MacAddress(value)
  }
  toString(): string {
    return this.value.toString(16).padStart(12, '0').replace(/(..)(?!$)/g, '$1:')
  }
}

/** An IPv4 address (RFC 791). */
export class Ipv4Address {
  private constructor(readonly value: bigint) {}
  static parse(text: string): Ipv4Address {
    const parts = text.split('.')
    if (parts.length !== 4 || parts.some(p => !/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255)) {
      throw new Error(`not an IPv4 address: '${text}'`)
    }
    return new Ipv4Address(parts.reduce((v, p) => (v << 8n) | BigInt(p), 0n))
  }
  toString(): string {
    return [24n, 16n, 8n, 0n].map(s => String((this.value >> s) & 0xffn)).join('.')
  }
}

/** An IPv4 prefix (RFC 4632): address bits beyond the length must be zero. */
export class Ipv4Prefix {
  private constructor(readonly address: Ipv4Address, readonly length: number) {}
  static parse(text: string): Ipv4Prefix {
    const [addr, len, extra] = text.split('/')
    const length = len === undefined ? 32 : Number(len)
    if (extra !== undefined || addr === undefined || !Number.isInteger(length) || length < 0 || length > 32 || (len !== undefined && !/^[0-9]+$/.test(len))) {
      throw new Error(`not an IPv4 prefix: '${text}'`)
    }
    const a = Ipv4Address.parse(addr)
    const p = new Ipv4Prefix(a, length)
    if ((a.value & ~p.mask & 0xffffffffn) !== 0n) throw new Error(`host bits set in prefix '${text}'`)
    return p
  }
  static host(a: Ipv4Address): Ipv4Prefix { return new Ipv4Prefix(a, 32) }
  get mask(): bigint { return this.length === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - this.length)) - 1n) }
  toString(): string { return `${this.address.toString()}/${this.length}` }
}

/** An OpenFlow port number (OpenFlow 1.3.5 §7.2.1: 1..0xffffff00 are physical/logical ports). */
export class OfPort {
  private constructor(readonly value: number) {}
  static of(n: number): OfPort {
    if (!Number.isInteger(n) || n < 1 || n > 0xffffff00) throw new Error(`not an OpenFlow port number: ${n}`)
    return new OfPort(n)
  }
  toString(): string { return String(this.value) }
}

/** A pipeline key (network, port, router key) allocated by the store: a small non-negative integer. */
export class Key {
  private constructor(readonly value: number) {}
  static of(n: number, bits = 32): Key {
    if (!Number.isInteger(n) || n < 0 || n >= 2 ** bits) throw new Error(`key out of range (${bits} bits): ${n}`)
    return new Key(n)
  }
  toString(): string { return String(this.value) }
}

/** Bits of a flag register with the mask of the bits that matter. */
export class Bits {
  constructor(readonly value: number, readonly mask: number) {
    if ((value & ~mask) !== 0) throw new Error(`bits 0x${value.toString(16)} outside mask 0x${mask.toString(16)}`)
  }
}

/** An IPv6 address (RFC 4291 2.2 text forms, without embedded IPv4); printed per RFC 5952. */
export class Ipv6Address {
  private constructor(readonly value: bigint) {}
  static parse(text: string): Ipv6Address {
    const bad = (): Error => new Error(`not an IPv6 address: '${text}'`)
    const halves = text.split('::')
    if (halves.length > 2) throw bad()
    const groups = (s: string): string[] => s === '' ? [] : s.split(':')
    const head = groups(halves[0] as string)
    const tail = halves.length === 2 ? groups(halves[1] as string) : []
    const missing = 8 - head.length - tail.length
    if (halves.length === 2 ? missing < 1 : missing !== 0) throw bad()
    const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail]
    if (all.some(g => !/^[0-9a-fA-F]{1,4}$/.test(g))) throw bad()
    return new Ipv6Address(all.reduce((v, g) => (v << 16n) | BigInt('0x' + g), 0n))
  }
  static of(value: bigint): Ipv6Address {
    if (value < 0n || value >= 1n << 128n) throw new Error(`IPv6 address out of range: ${value}`)
    return new Ipv6Address(value)
  }
  toString(): string {
    const g = Array.from({ length: 8 }, (_, i) => Number((this.value >> BigInt(112 - 16 * i)) & 0xffffn))
    return formatIpv6Groups(g)
  }
}

/** An IPv6 prefix: address bits beyond the length must be zero. */
export class Ipv6Prefix {
  private constructor(readonly address: Ipv6Address, readonly length: number) {}
  static parse(text: string): Ipv6Prefix {
    const [addr, len, extra] = text.split('/')
    if (extra !== undefined || addr === undefined || (len !== undefined && !/^[0-9]{1,3}$/.test(len))) {
      throw new Error(`not an IPv6 prefix: '${text}'`)
    }
    const length = len === undefined ? 128 : Number(len)
    if (length > 128) throw new Error(`not an IPv6 prefix: '${text}'`)
    const a = Ipv6Address.parse(addr)
    const p = new Ipv6Prefix(a, length)
    if ((a.value & ~p.mask & ((1n << 128n) - 1n)) !== 0n) throw new Error(`host bits set in prefix '${text}'`)
    return p
  }
  get mask(): bigint { return this.length === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - this.length)) - 1n) }
  toString(): string { return `${this.address.toString()}/${this.length}` }
}

/** A MAC address under a mask (e.g. the I/G bit alone: any group address). */
export class MaskedMac {
  constructor(readonly address: MacAddress, readonly mask: MacAddress) {
    if ((address.value & ~mask.value) !== 0n) throw new Error(`MAC ${address.toString()} has bits outside mask ${mask.toString()}`)
  }
}

/**
 * Connection-tracking state flags to match (ovs-fields(7) ct_state): each named flag is required set (true)
 * or clear (false); unnamed flags are wildcarded. Bit values are OVS's (lib/packets.h CS_*), which
 * NXM_NX_CT_STATE carries on the wire.
 */
export const CT_STATE_BITS = { new: 0x01, est: 0x02, rel: 0x04, rpl: 0x08, inv: 0x10, trk: 0x20, snat: 0x40, dnat: 0x80 } as const
export type CtFlag = keyof typeof CT_STATE_BITS

export class CtState {
  private constructor(readonly value: number, readonly mask: number) {}
  static of(flags: Partial<Record<CtFlag, boolean>>): CtState {
    let value = 0
    let mask = 0
    for (const [name, on] of Object.entries(flags) as [CtFlag, boolean | undefined][]) {
      if (on === undefined) continue
      const bit = CT_STATE_BITS[name]
      mask |= bit
      if (on) value |= bit
    }
    if (mask === 0) throw new Error('ct_state: name at least one flag')
    return new CtState(value, mask)
  }
}
