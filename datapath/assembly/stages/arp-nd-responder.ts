// ls_in_arp_nd_rsp: ARP requests (RFC 826) and neighbour solicitations (RFC 4861 7.2.3) for addresses the
// network knows are answered in place, out of the ingress port (BEHAVIOUR.md step 5); router solicitations on a
// network with a router advertisement go to the slow path (router-advert.ts).
import { STAGE_ARP_ND_RSP } from '../../spec/stages'
import { TRACE_DROP, TRACE_KIND_ARP_ND, TRACE_MISS, TRACE_PUNT, TRACE_REPLY, TRACE_SKIP } from '../../spec/trace'
import { REASON_BAD_ICMP, REASON_BAD_L4_CHECKSUM, REASON_PUNT_NEIGHBOUR } from '../../spec/verdicts'
import { ARP_OP, ARP_OP_REPLY, ARP_OP_REQUEST, ARP_SHA, ARP_SPA, ARP_THA, ARP_TPA } from '../codec/arp'
import { copy16, copyMac, ld16, macEquals, st16, st32 } from '../codec/bytes'
import { ETH_DST, ETH_SRC, ETHERTYPE_ARP } from '../codec/ethernet'
import {
  ICMP_CODE, ICMP_CHECKSUM, ICMP_TYPE, ND_FLAGS, ND_FLAG_OVERRIDE, ND_FLAG_ROUTER, ND_FLAG_SOLICITED, ND_HOP_LIMIT,
  ND_MESSAGE_BYTES, ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT, ND_OPT_LLADDR_BYTES, ND_OPT_SOURCE_LLADDR, ND_ROUTER_SOLICIT,
  ND_OPT_TARGET_LLADDR, ND_TARGET,
} from '../codec/icmp'
import { IPPROTO_ICMPV6 } from '../codec/ipv4'
import {
  IPV6_DST, IPV6_HEADER_BYTES, IPV6_HOP_LIMIT, IPV6_NEXT_HEADER, IPV6_PAYLOAD_LEN, IPV6_SRC, IPV6_VER_TC_FLOW,
  isIpv6SolicitedNode, isIpv6Unspecified,
} from '../codec/ipv6'
import { l4ChecksumValid, writeL4Checksum } from '../codec/l4-checksum'
import { pkt } from '../pipeline/packet'
import { step, traceAddr, traceMac } from '../pipeline/trace'
import { drop, punt, toInPort } from '../pipeline/verdict'
import { ExactTable, clearKey, ipWord0, ipWord1, ipWord2, key } from '../tables/exact-table'
import { natMacRouter } from '../tables/nat'
import { routerPortByMac } from '../tables/router-ports'
import { routerSolicitation } from './router-advert'

/** (network u32, family u8, ip[16]) -> mac[6] */
const answers = new ExactTable(8, 256)
const target: usize = memory.data(16)
const asker: usize = memory.data(16)
const answerMac: usize = memory.data(8)

function answerKey(network: u32, family: u32, ip: usize): void {
  clearKey()
  store<u32>(key, network)
  store<u8>(key, <u8>family, 4)
  if (family == 4) store<u32>(key + 8, load<u32>(ip))
  else copy16(key + 8, ip)
}

export function addArpNd(network: u32, family: u32, ip: usize, mac: usize): void {
  answerKey(network, family, ip)
  copyMac(answers.upsert(), mac)
}

export function removeArpNd(network: u32, family: u32, ip: usize): bool {
  answerKey(network, family, ip)
  return answers.remove()
}

export function clearArpNd(): void {
  answers.clear()
}

/** True when the packet got its verdict here (reply or drop). */
export function arpNdResponder(): bool {
  if (pkt.ethType == ETHERTYPE_ARP) {
    const op = ld16(pkt.l3 + ARP_OP)
    if (op == ARP_OP_REQUEST) return answerArp()
    if (op == ARP_OP_REPLY && toRouterMac()) return learn()
  } else if (pkt.family == 6 && pkt.proto == IPPROTO_ICMPV6 && !pkt.laterFragment) {
    const type = <u32>load<u8>(pkt.l4 + ICMP_TYPE)
    if (type == ND_NEIGHBOR_SOLICIT) return answerNs()
    if (type == ND_NEIGHBOR_ADVERT && toRouterMac()) return learn()
    if (type == ND_ROUTER_SOLICIT && routerSolicitation()) return true
  }
  step(STAGE_ARP_ND_RSP, TRACE_SKIP, TRACE_KIND_ARP_ND, 0, pkt.network, 0, 0)
  return false
}

/** Addressed to a router port's MAC or a floating IP's MAC on this network: an answer to the slow path's ARP /
 * NS (BEHAVIOUR.md "Next hops no entry names"). A gratuitous ARP is broadcast, so it is not one. */
@inline function toRouterMac(): bool {
  return routerPortByMac(pkt.network, pkt.base + ETH_DST) != 0 || natMacRouter(pkt.network, pkt.base + ETH_DST) != 0
}

/** The slow path learns the next hop from it. */
function learn(): bool {
  step(STAGE_ARP_ND_RSP, TRACE_PUNT, TRACE_KIND_ARP_ND, REASON_PUNT_NEIGHBOUR, pkt.network, 0, 0)
  return punt(REASON_PUNT_NEIGHBOUR)
}

function answerArp(): bool {
  const arp = pkt.l3
  const mac = answers.findWords(ipWord0(pkt.network, 4), ipWord1(4, arp + ARP_TPA))
  if (mac == 0) {
    traceAddr(step(STAGE_ARP_ND_RSP, TRACE_MISS, TRACE_KIND_ARP_ND, 0, pkt.network, 0, 0), 4, 32, arp + ARP_TPA)
    return false
  }
  // The owner asking for its own address (an ARP probe after DHCP or before a static address, RFC 5227 2.1.1,
  // or its announcement, 2.3) gets no answer: a reply with its own MAC reads as a conflict, and a DHCP client
  // would DECLINE its lease. It floods, as any broadcast (the ND case is in answerNs).
  if (macEquals(pkt.base + ETH_SRC, mac)) {
    traceAddr(step(STAGE_ARP_ND_RSP, TRACE_SKIP, TRACE_KIND_ARP_ND, 0, pkt.network, 0, 0), 4, 32, arp + ARP_TPA)
    return false
  }
  const t = step(STAGE_ARP_ND_RSP, TRACE_REPLY, TRACE_KIND_ARP_ND, 0, pkt.network, 0, 0)
  traceAddr(t, 4, 32, arp + ARP_TPA)
  traceMac(t, mac)
  // RFC 826 "Packet Reception": swap sender and target, fill in the answer, op = reply.
  const tpa = load<u32>(arp + ARP_TPA)
  copyMac(arp + ARP_THA, arp + ARP_SHA)
  store<u32>(arp + ARP_TPA, load<u32>(arp + ARP_SPA))
  copyMac(arp + ARP_SHA, mac)
  store<u32>(arp + ARP_SPA, tpa)
  st16(arp + ARP_OP, ARP_OP_REPLY)
  copyMac(pkt.base + ETH_DST, arp + ARP_THA)
  copyMac(pkt.base + ETH_SRC, mac)
  return toInPort()
}

function answerNs(): bool {
  const ip = pkt.l3
  const icmp = pkt.l4
  const icmpLen = <i32>(pkt.ipEnd - icmp)
  if (icmpLen < ND_MESSAGE_BYTES) return refuse(REASON_BAD_ICMP)
  const wanted = icmp + ND_TARGET
  const mac = answers.findWords(ipWord0(pkt.network, 6), ipWord1(6, wanted), ipWord2(6, wanted))
  if (mac == 0) {
    traceAddr(step(STAGE_ARP_ND_RSP, TRACE_MISS, TRACE_KIND_ARP_ND, 0, pkt.network, 0, 0), 6, 128, icmp + ND_TARGET)
    return false
  }
  // The owner asking for its own address (duplicate address detection of a SLAAC or static address, RFC 4862
  // 5.4) gets no answer: an NA with its own MAC would tell it the address is taken. It floods, as any NS.
  if (macEquals(pkt.base + ETH_SRC, mac)) {
    traceAddr(step(STAGE_ARP_ND_RSP, TRACE_SKIP, TRACE_KIND_ARP_ND, 0, pkt.network, 0, 0), 6, 128, icmp + ND_TARGET)
    return false
  }
  // RFC 4861 7.1.1: hop limit 255 and code 0, else the solicitation is not valid.
  if (<u32>load<u8>(ip + IPV6_HOP_LIMIT) != ND_HOP_LIMIT || load<u8>(icmp + ICMP_CODE) != 0) return refuse(REASON_BAD_ICMP)
  if (!l4ChecksumValid(6, ip, IPPROTO_ICMPV6, icmp, icmpLen)) return refuse(REASON_BAD_L4_CHECKSUM)
  if (!nsOptionsValid(ip, icmp, icmpLen)) return refuse(REASON_BAD_ICMP)
  copyMac(answerMac, mac)
  const router = routerPortByMac(pkt.network, answerMac) != 0
  const t = step(STAGE_ARP_ND_RSP, TRACE_REPLY, TRACE_KIND_ARP_ND, 0, pkt.network, router ? 1 : 0, 0)
  traceAddr(t, 6, 128, icmp + ND_TARGET)
  traceMac(t, answerMac)
  copy16(target, icmp + ND_TARGET)
  copy16(asker, ip + IPV6_SRC)
  const dad = isIpv6Unspecified(asker)
  // Build the advertisement (RFC 4861 4.4) right after a fresh IPv6 header: extension headers are dropped.
  const na = ip + <usize>IPV6_HEADER_BYTES
  const naLen = ND_MESSAGE_BYTES + ND_OPT_LLADDR_BYTES
  st32(ip + IPV6_VER_TC_FLOW, 0x60000000)
  st16(ip + IPV6_PAYLOAD_LEN, <u32>naLen)
  store<u8>(ip + IPV6_NEXT_HEADER, <u8>IPPROTO_ICMPV6)
  store<u8>(ip + IPV6_HOP_LIMIT, <u8>ND_HOP_LIMIT)
  copy16(ip + IPV6_SRC, target)
  if (dad) {
    // RFC 4861 7.2.4: a solicitation from :: is answered to all-nodes, not solicited.
    store<u64>(ip + IPV6_DST, 0x02ff)
    store<u64>(ip + IPV6_DST + 8, <u64>1 << 56)
  } else {
    copy16(ip + IPV6_DST, asker)
  }
  store<u8>(na + ICMP_TYPE, <u8>ND_NEIGHBOR_ADVERT)
  store<u8>(na + ICMP_CODE, 0)
  const flags = (router ? ND_FLAG_ROUTER : 0) | (dad ? 0 : ND_FLAG_SOLICITED) | ND_FLAG_OVERRIDE
  st32(na + ND_FLAGS, flags << 24)
  copy16(na + ND_TARGET, target)
  const opt = na + <usize>ND_MESSAGE_BYTES
  store<u8>(opt, <u8>ND_OPT_TARGET_LLADDR)
  store<u8>(opt, 1, 1) // length in units of 8 octets (RFC 4861 4.6)
  copyMac(opt + 2, answerMac)
  writeL4Checksum(6, ip, IPPROTO_ICMPV6, na, naLen, ICMP_CHECKSUM)
  pkt.len = <i32>(na - pkt.base) + naLen
  pkt.ipEnd = na + <usize>naLen
  pkt.l4 = na
  // Ethernet: to the asker (or the all-nodes group 33:33:00:00:00:01, RFC 2464 7), from the answer.
  if (dad) {
    store<u32>(pkt.base + ETH_DST, 0x00003333)
    store<u16>(pkt.base + ETH_DST + 4, 0x0100)
  } else {
    copyMac(pkt.base + ETH_DST, pkt.base + ETH_SRC)
  }
  copyMac(pkt.base + ETH_SRC, answerMac)
  return toInPort()
}

/**
 * RFC 4861 7.1.1: every option has a length > 0 and fits in the message; a solicitation from :: (DAD) goes to a
 * solicited-node multicast address and carries no source link-layer address option. Otherwise it MUST be
 * silently discarded.
 */
function nsOptionsValid(ip: usize, icmp: usize, icmpLen: i32): bool {
  const dad = isIpv6Unspecified(ip + IPV6_SRC)
  if (dad && !isIpv6SolicitedNode(ip + IPV6_DST)) return false
  let off = ND_MESSAGE_BYTES
  while (off + 2 <= icmpLen) {
    const units = <i32>load<u8>(icmp + <usize>off + 1)
    if (units == 0) return false
    if (dad && <u32>load<u8>(icmp + <usize>off) == ND_OPT_SOURCE_LLADDR) return false
    off += units * 8 // option length is in units of 8 octets (RFC 4861 4.6)
  }
  return off == icmpLen
}

function refuse(reason: i32): bool {
  step(STAGE_ARP_ND_RSP, TRACE_DROP, TRACE_KIND_ARP_ND, reason, pkt.network, 0, 0)
  return drop(reason)
}
