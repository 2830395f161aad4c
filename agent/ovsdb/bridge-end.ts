// The name of a workload's veth end on the bridge, from its Neutron port id: `dragonflow plug` creates it and
// the benchmarks look it up, so the rule is declared once, below cli/ (a leaf).

/** Interface names are at most 15 bytes (IFNAMSIZ - 1): "df" + the first 11 characters of the port id. */
export const bridgeEnd = (portId: string): string => `df${portId.replace(/[^A-Za-z0-9]/g, '').slice(0, 11)}`
