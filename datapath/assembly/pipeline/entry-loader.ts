// Entries arrive binary-encoded by the host (layouts in datapath/spec/entry-kinds.ts). Each one is checked
// completely before any table changes, so a refused entry leaves the pipeline as it was.
import {
  ACL_DIR_EGRESS, ACL_DIR_INGRESS, ACL_PORT_MAX_GROUPS, ACL_PROTO_ANY, ACL_REMOTE_ANY, ACL_REMOTE_GROUP,
  ACL_REMOTE_PREFIX, ENTRY_ACL_MEMBER, ENTRY_ACL_PORT, ENTRY_ACL_RULE, DHCP_MAX_OPTION_BYTES, ENTRY_ARP_ND, ENTRY_CLASSIFY_PORT, ENTRY_CLASSIFY_TUNNEL, ENTRY_DHCP, ENTRY_EGRESS,
  ENTRY_ERR_BAD_VALUE, ENTRY_ERR_FAMILY, ENTRY_ERR_KIND, ENTRY_ERR_NOT_FOUND, ENTRY_ERR_PREFIX_LEN, ENTRY_ERR_TOO_MANY,
  ENTRY_ERR_TRUNCATED, ENTRY_HEADER_BYTES, ENTRY_L2, ENTRY_NEXTHOP, ENTRY_OK, ENTRY_PORT_SEC, ENTRY_PREFIX_BYTES,
  ENTRY_NAT, ENTRY_ROUTE, ENTRY_ROUTER_GATEWAY, ENTRY_ROUTER_PORT, ENTRY_UPLINK, EGRESS_LOCAL, EGRESS_REMOTE,
  EGRESS_UPLINK, ENTRY_DHCPV6, ENTRY_ROUTER_ADVERT, PORT_SEC_MAX_PREFIXES, ROUTER_PORT_MAX_PREFIXES,
} from '../../spec/entry-kinds'
import { addAclPort, clearAclPorts, removeAclPort } from '../stages/acl-ports'
import { addArpNd, clearArpNd, removeArpNd } from '../stages/arp-nd-responder'
import {
  addClassifyPort, addClassifyTunnel, clearClassify, removeClassifyPort, removeClassifyTunnel,
} from '../stages/classify'
import { DHCP_CONFIG_BYTES, addDhcp, clearDhcp, removeDhcp } from '../stages/dhcp-server'
import { DHCP6_CFG_OPTIONS_LEN, DHCP6_CONFIG_BYTES, addDhcp6, clearDhcp6, removeDhcp6 } from '../stages/dhcp6-server'
import {
  RA_CONFIG_MIN_BYTES, addRouterAdvert, clearRouterAdverts, removeRouterAdvert, routerAdvertValid,
} from '../stages/router-advert'
import { addEgress, clearEgress, removeEgress } from '../stages/egress'
import { clearIcmpErrorLimits } from '../stages/icmp-error'
import { addL2, clearL2, removeL2 } from '../stages/l2-lookup'
import { addNexthop, clearNexthops, removeNexthop } from '../stages/nexthop'
import {
  addPortSecPrefix, beginPortSecRow, clearPortSec, removePortSecDisabled, removePortSecRow, setPortSecDisabled,
} from '../stages/port-sec'
import { copy16 } from '../codec/bytes'
import {
  IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE,
} from '../codec/ipv4'
import {
  RULE_BYTES, RULE_DIRECTION, RULE_FAMILY, RULE_HI, RULE_LO, RULE_PLEN, RULE_PREFIX, RULE_PROTO, RULE_REMOTE_GROUP,
  RULE_REMOTE_KIND, addRule, clearRules, removeRule,
} from '../tables/acl-index'
import { addMember, clearMembers, removeMember } from '../tables/acl-members'
import { ctReset } from '../tables/conntrack'
import { snatReset } from '../tables/snat-connections'
import { lpmClear, lpmInsert, lpmRemove } from '../tables/lpm'
import { addNat, clearNat, removeNat } from '../tables/nat'
import { addRouterGateway, clearRouterGateways, removeRouterGateway } from '../tables/router-gateways'
import { addRouterPort, addRouterPortAddress, clearRouterPorts, removeRouterPort } from '../tables/router-ports'
import { addUplink, clearUplinks, removeUplink } from '../tables/uplinks'

/** Adds (`add`) or removes the entry of `len` bytes at `p`; returns an ENTRY_* result code. */
export function applyEntry(p: usize, len: i32, add: bool): i32 {
  if (len < ENTRY_HEADER_BYTES) return ENTRY_ERR_TRUNCATED
  const kind = <i32>load<u8>(p)
  const bodyLen = <i32>load<u16>(p, 2)
  if (ENTRY_HEADER_BYTES + bodyLen > len) return ENTRY_ERR_TRUNCATED
  const b = p + <usize>ENTRY_HEADER_BYTES
  switch (kind) {
    case ENTRY_CLASSIFY_PORT: return classifyPort(b, bodyLen, add)
    case ENTRY_CLASSIFY_TUNNEL: return classifyTunnel(b, bodyLen, add)
    case ENTRY_PORT_SEC: return portSec(b, bodyLen, add)
    case ENTRY_ARP_ND: return addressToMac(b, bodyLen, add, true)
    case ENTRY_DHCP: return dhcp(b, bodyLen, add)
    case ENTRY_L2: return l2(b, bodyLen, add)
    case ENTRY_ROUTER_PORT: return routerPortEntry(b, bodyLen, add)
    case ENTRY_ROUTE: return route(b, bodyLen, add)
    case ENTRY_NEXTHOP: return addressToMac(b, bodyLen, add, false)
    case ENTRY_EGRESS: return egressEntry(b, bodyLen, add)
    case ENTRY_ACL_PORT: return aclPort(b, bodyLen, add)
    case ENTRY_ACL_RULE: return aclRule(b, bodyLen, add)
    case ENTRY_ACL_MEMBER: return aclMember(b, bodyLen, add)
    case ENTRY_UPLINK: return uplink(b, bodyLen, add)
    case ENTRY_NAT: return nat(b, bodyLen, add)
    case ENTRY_ROUTER_GATEWAY: return routerGateway(b, bodyLen, add)
    case ENTRY_ROUTER_ADVERT: return routerAdvert(b, bodyLen, add)
    case ENTRY_DHCPV6: return dhcp6(b, bodyLen, add)
    default: return ENTRY_ERR_KIND
  }
}

export function clearEntries(): void {
  clearClassify()
  clearPortSec()
  clearArpNd()
  clearDhcp()
  clearDhcp6()
  clearRouterAdverts()
  clearL2()
  clearRouterPorts()
  lpmClear()
  clearNexthops()
  clearEgress()
  clearIcmpErrorLimits()
  clearAclPorts()
  clearRules()
  clearMembers()
  clearUplinks()
  clearNat()
  clearRouterGateways()
  ctReset()
  snatReset()
}

@inline function found(done: bool): i32 {
  return done ? ENTRY_OK : ENTRY_ERR_NOT_FOUND
}

/** A family byte followed later by a prefix length: both must make sense together. */
function checkPrefix(family: u32, plen: i32): i32 {
  if (family != 4 && family != 6) return ENTRY_ERR_FAMILY
  if (plen < 0 || plen > (family == 4 ? 32 : 128)) return ENTRY_ERR_PREFIX_LEN
  return ENTRY_OK
}

function classifyPort(b: usize, len: i32, add: bool): i32 {
  if (len < 16) return ENTRY_ERR_TRUNCATED
  if (!add) return found(removeClassifyPort(load<u32>(b), load<u32>(b, 4)))
  addClassifyPort(load<u32>(b), load<u32>(b, 4), load<u32>(b, 8), load<u32>(b, 12))
  return ENTRY_OK
}

function classifyTunnel(b: usize, len: i32, add: bool): i32 {
  if (len < 8) return ENTRY_ERR_TRUNCATED
  if (!add) return found(removeClassifyTunnel(load<u32>(b)))
  addClassifyTunnel(load<u32>(b), load<u32>(b, 4))
  return ENTRY_OK
}

/** Checks `n` encoded prefixes at `p` (inside the body end `end`); counts per family must fit `max`. */
function checkPrefixes(p: usize, n: i32, end: usize, max: i32, perFamily: bool): i32 {
  if (p + <usize>(n * ENTRY_PREFIX_BYTES) > end) return ENTRY_ERR_TRUNCATED
  let n4 = 0
  let n6 = 0
  for (let i = 0; i < n; i++) {
    const q = p + <usize>(i * ENTRY_PREFIX_BYTES)
    const family = <u32>load<u8>(q)
    const err = checkPrefix(family, <i32>load<u8>(q, 1))
    if (err != ENTRY_OK) return err
    if (family == 4) n4++
    else n6++
  }
  if (perFamily ? n4 > max || n6 > max : n4 + n6 > max) return ENTRY_ERR_TOO_MANY
  return ENTRY_OK
}

function portSec(b: usize, len: i32, add: bool): i32 {
  if (len < 13) return ENTRY_ERR_TRUNCATED
  const port = load<u32>(b)
  const disabled = load<u8>(b, 4) != 0
  if (!add) return found(disabled ? removePortSecDisabled(port) : removePortSecRow(port, b + 5))
  if (disabled) {
    setPortSecDisabled(port)
    return ENTRY_OK
  }
  const n = <i32>load<u8>(b, 11) + <i32>load<u8>(b, 12)
  const prefixes = b + 13
  const err = checkPrefixes(prefixes, n, b + <usize>len, PORT_SEC_MAX_PREFIXES, true)
  if (err != ENTRY_OK) return err
  const row = beginPortSecRow(port, b + 5)
  for (let i = 0; i < n; i++) {
    const q = prefixes + <usize>(i * ENTRY_PREFIX_BYTES)
    addPortSecPrefix(row, <u32>load<u8>(q), q + 2, <i32>load<u8>(q, 1))
  }
  return ENTRY_OK
}

/** ARP_ND and NEXTHOP share a layout: network, family, ip, mac. */
function addressToMac(b: usize, len: i32, add: bool, responder: bool): i32 {
  if (len < 27) return ENTRY_ERR_TRUNCATED
  const network = load<u32>(b)
  const family = <u32>load<u8>(b, 4)
  if (family != 4 && family != 6) return ENTRY_ERR_FAMILY
  if (responder) {
    if (!add) return found(removeArpNd(network, family, b + 5))
    addArpNd(network, family, b + 5, b + 21)
  } else {
    if (!add) return found(removeNexthop(network, family, b + 5))
    addNexthop(network, family, b + 5, b + 21)
  }
  return ENTRY_OK
}

function dhcp(b: usize, len: i32, add: bool): i32 {
  if (len < 4) return ENTRY_ERR_TRUNCATED
  if (!add) return found(removeDhcp(load<u32>(b)))
  if (len < DHCP_CONFIG_BYTES) return ENTRY_ERR_TRUNCATED
  const options = <i32>load<u16>(b, 41)
  if (options > DHCP_MAX_OPTION_BYTES) return ENTRY_ERR_TOO_MANY
  if (DHCP_CONFIG_BYTES + options > len) return ENTRY_ERR_TRUNCATED
  if (<i32>load<u8>(b, 14) > 32) return ENTRY_ERR_PREFIX_LEN
  addDhcp(b, DHCP_CONFIG_BYTES + options)
  return ENTRY_OK
}

function dhcp6(b: usize, len: i32, add: bool): i32 {
  if (len < 4) return ENTRY_ERR_TRUNCATED
  if (!add) return found(removeDhcp6(load<u32>(b)))
  if (len < DHCP6_CONFIG_BYTES) return ENTRY_ERR_TRUNCATED
  const options = <i32>load<u16>(b + DHCP6_CFG_OPTIONS_LEN)
  if (options > DHCP_MAX_OPTION_BYTES) return ENTRY_ERR_TOO_MANY
  if (DHCP6_CONFIG_BYTES + options > len) return ENTRY_ERR_TRUNCATED
  if (<i32>load<u8>(b, 11) > 128) return ENTRY_ERR_PREFIX_LEN
  addDhcp6(b, DHCP6_CONFIG_BYTES + options)
  return ENTRY_OK
}

function routerAdvert(b: usize, len: i32, add: bool): i32 {
  if (len < 4) return ENTRY_ERR_TRUNCATED
  if (!add) return found(removeRouterAdvert(load<u32>(b)))
  if (len < RA_CONFIG_MIN_BYTES) return ENTRY_ERR_TRUNCATED
  if (!routerAdvertValid(b, len)) return ENTRY_ERR_BAD_VALUE
  addRouterAdvert(b, len)
  return ENTRY_OK
}

function l2(b: usize, len: i32, add: bool): i32 {
  if (len < 14) return ENTRY_ERR_TRUNCATED
  if (!add) return found(removeL2(load<u32>(b), b + 4))
  addL2(load<u32>(b), b + 4, load<u32>(b, 10))
  return ENTRY_OK
}

function routerPortEntry(b: usize, len: i32, add: bool): i32 {
  if (len < 4) return ENTRY_ERR_TRUNCATED
  const port = load<u32>(b)
  if (!add) return found(removeRouterPort(port))
  if (len < 19) return ENTRY_ERR_TRUNCATED
  const n = <i32>load<u8>(b, 18)
  const prefixes = b + 19
  const err = checkPrefixes(prefixes, n, b + <usize>len, ROUTER_PORT_MAX_PREFIXES, false)
  if (err != ENTRY_OK) return err
  addRouterPort(port, load<u32>(b, 4), load<u32>(b, 8), b + 12)
  for (let i = 0; i < n; i++) {
    const q = prefixes + <usize>(i * ENTRY_PREFIX_BYTES)
    addRouterPortAddress(port, <u32>load<u8>(q), <i32>load<u8>(q, 1), q + 2)
  }
  return ENTRY_OK
}

function route(b: usize, len: i32, add: bool): i32 {
  if (len < 43) return ENTRY_ERR_TRUNCATED
  const family = <u32>load<u8>(b, 8)
  const plen = <i32>load<u8>(b, 9)
  const err = checkPrefix(family, plen)
  if (err != ENTRY_OK) return err
  const router = load<u32>(b)
  if (!add) return found(lpmRemove(router, family, b + 11, plen))
  lpmInsert(router, family, b + 11, plen, load<u32>(b, 4), load<u8>(b, 10) != 0 ? b + 27 : 0)
  return ENTRY_OK
}

function egressEntry(b: usize, len: i32, add: bool): i32 {
  if (len < 13) return ENTRY_ERR_TRUNCATED
  if (!add) return found(removeEgress(load<u32>(b)))
  const where = <i32>load<u8>(b, 4)
  if (where != EGRESS_REMOTE && where != EGRESS_LOCAL && where != EGRESS_UPLINK) return ENTRY_ERR_BAD_VALUE
  addEgress(load<u32>(b), <u32>where, load<u32>(b, 5), load<u32>(b, 9))
  return ENTRY_OK
}

/** 802.1Q VIDs 1..4094 (0 = untagged); 4095 is reserved. */
const MAX_VID: u32 = 4094

function uplink(b: usize, len: i32, add: bool): i32 {
  if (len < 4) return ENTRY_ERR_TRUNCATED
  if (!add) return found(removeUplink(load<u32>(b)))
  if (len < 12) return ENTRY_ERR_TRUNCATED
  if (load<u32>(b, 8) > MAX_VID) return ENTRY_ERR_BAD_VALUE
  addUplink(load<u32>(b), load<u32>(b, 4), load<u32>(b, 8))
  return ENTRY_OK
}

function nat(b: usize, len: i32, add: bool): i32 {
  if (len < 51) return ENTRY_ERR_TRUNCATED
  const family = <u32>load<u8>(b, 18)
  if (family != 4 && family != 6) return ENTRY_ERR_FAMILY
  if (!add) return found(removeNat(load<u32>(b), family, b + 19))
  addNat(b)
  return ENTRY_OK
}

function routerGateway(b: usize, len: i32, add: bool): i32 {
  if (len < 4) return ENTRY_ERR_TRUNCATED
  if (!add) return found(removeRouterGateway(load<u32>(b)))
  if (len < 14) return ENTRY_ERR_TRUNCATED
  addRouterGateway(load<u32>(b), load<u32>(b, 4), load<u8>(b, 8) != 0, load<u8>(b, 9) != 0, load<u32>(b, 10))
  return ENTRY_OK
}

function aclPort(b: usize, len: i32, add: bool): i32 {
  if (len < 4) return ENTRY_ERR_TRUNCATED
  if (!add) return found(removeAclPort(load<u32>(b)))
  if (len < 6) return ENTRY_ERR_TRUNCATED
  const n = <i32>load<u8>(b, 5)
  if (n > ACL_PORT_MAX_GROUPS) return ENTRY_ERR_TOO_MANY
  if (6 + n * 4 > len) return ENTRY_ERR_TRUNCATED
  addAclPort(load<u32>(b), load<u8>(b, 4) != 0, n, b + 6)
  return ENTRY_OK
}

/** IP protocols whose rules may name ports (the destination port) or an ICMP type and code. */
@inline function hasL4Range(proto: u32): bool {
  return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP || proto == IPPROTO_UDPLITE ||
    proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6
}

/** The normalized rule being added (acl-index.ts RULE_* layout). */
const ruleRecord: usize = memory.data(RULE_BYTES, 8)
const ACL_RULE_BYTES: i32 = 38

// Values outside their enumeration (direction, remote kind, protocol above 255) and contradictory ranges are
// refused with ENTRY_ERR_BAD_VALUE (the host refuses them first, with the field named).
function aclRule(b: usize, len: i32, add: bool): i32 {
  if (len < 8) return ENTRY_ERR_TRUNCATED
  const group = load<u32>(b)
  const rule = load<u32>(b, 4)
  if (!add) return found(removeRule(group, rule))
  if (len < ACL_RULE_BYTES) return ENTRY_ERR_TRUNCATED
  const direction = <i32>load<u8>(b, 8)
  const family = <u32>load<u8>(b, 9)
  const proto = <u32>load<u16>(b, 10)
  const lo = <u32>load<u16>(b, 12)
  const hi = <u32>load<u16>(b, 14)
  const remote = <i32>load<u8>(b, 16)
  const plen = <i32>load<u8>(b, 17)
  if (direction != ACL_DIR_INGRESS && direction != ACL_DIR_EGRESS) return ENTRY_ERR_BAD_VALUE
  if (family != 4 && family != 6) return ENTRY_ERR_FAMILY
  if (proto > 255 && proto != <u32>ACL_PROTO_ANY) return ENTRY_ERR_BAD_VALUE
  if (lo > hi || ((lo != 0 || hi != 0xffff) && !hasL4Range(proto))) return ENTRY_ERR_BAD_VALUE
  if (remote != ACL_REMOTE_ANY && remote != ACL_REMOTE_PREFIX && remote != ACL_REMOTE_GROUP) return ENTRY_ERR_BAD_VALUE
  if (remote == ACL_REMOTE_PREFIX) {
    const err = checkPrefix(family, plen)
    if (err != ENTRY_OK) return err
  }
  const r = ruleRecord
  memory.fill(r, 0, <usize>RULE_BYTES)
  store<u8>(r + RULE_DIRECTION, <u8>direction)
  store<u8>(r + RULE_FAMILY, <u8>family)
  store<u16>(r + RULE_PROTO, <u16>proto)
  store<u16>(r + RULE_LO, <u16>lo)
  store<u16>(r + RULE_HI, <u16>hi)
  store<u8>(r + RULE_REMOTE_KIND, <u8>remote)
  if (remote == ACL_REMOTE_PREFIX) {
    store<u8>(r + RULE_PLEN, <u8>plen)
    copy16(r + RULE_PREFIX, b + 22)
    if (family == 4) memory.fill(r + RULE_PREFIX + 4, 0, 12)
  } else if (remote == ACL_REMOTE_GROUP) {
    store<u32>(r + RULE_REMOTE_GROUP, load<u32>(b, 18))
  }
  addRule(group, rule, r)
  return ENTRY_OK
}

function aclMember(b: usize, len: i32, add: bool): i32 {
  if (len < 22) return ENTRY_ERR_TRUNCATED
  const group = load<u32>(b)
  const family = <u32>load<u8>(b, 4)
  const plen = <i32>load<u8>(b, 5)
  const err = checkPrefix(family, plen)
  if (err != ENTRY_OK) return err
  if (!add) return found(removeMember(group, family, b + 6, plen))
  addMember(group, family, b + 6, plen)
  return ENTRY_OK
}
