// The SVG of bench:peer: port-up latency per port index for both systems (log scale), and bar charts of
// control-plane CPU and RSS drawn by offload-svg.ts's barChartSvg (nested, not duplicated).
import { barChartSvg, type BarGroup } from './offload-svg.js'

export interface LatencySeries {
  label: string
  colour: string
  hollow?: boolean
  points: { x: number; y: number }[]
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** A scatter plot, y on a log10 axis (latencies span ms to s). */
export function latencySvg(o: {
  title: string
  subtitle: string
  xLabel: string
  yLabel: string
  series: LatencySeries[]
  marks: { x: number; label: string }[]
  width: number
}): { svg: string; height: number } {
  const left = 70
  const right = 20
  const top = 60
  const bottom = 70
  const plotW = o.width - left - right
  const plotH = 360
  const height = top + plotH + bottom
  const all = o.series.flatMap(s => s.points)
  const ys = all.map(p => p.y).filter(y => y > 0)
  const lo = Math.floor(Math.log10(Math.max(0.1, Math.min(1, ...ys))))
  const hi = Math.ceil(Math.log10(Math.max(10, ...ys)))
  const xMax = Math.max(1, ...all.map(p => p.x))
  const x = (v: number): number => left + (v / xMax) * plotW
  const y = (v: number): number => top + plotH - ((Math.log10(Math.max(10 ** lo, v)) - lo) / (hi - lo)) * plotH
  const out: string[] = []
  out.push(`<text x="${o.width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(o.title)}</text>`)
  o.subtitle.split('\n').forEach((line, i) => {
    out.push(`<text x="${o.width / 2}" y="${34 + i * 13}" text-anchor="middle">${esc(line)}</text>`)
  })
  for (let e = lo; e <= hi; e++) {
    const v = 10 ** e
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`)
    out.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v >= 1000 ? `${v / 1000} s` : `${v} ms`}</text>`)
  }
  const xStep = 10 ** Math.floor(Math.log10(xMax)) / (xMax / 10 ** Math.floor(Math.log10(xMax)) < 3 ? 5 : 1)
  for (let v = 0; v <= xMax; v += xStep) {
    out.push(`<text x="${x(v).toFixed(1)}" y="${top + plotH + 16}" text-anchor="middle">${Number(v.toPrecision(3))}</text>`)
  }
  for (const m of o.marks) {
    out.push(
      `<line x1="${x(m.x).toFixed(1)}" x2="${x(m.x).toFixed(1)}" y1="${top}" y2="${top + plotH}" stroke="#999" stroke-dasharray="4 3"/>`,
    )
    out.push(`<text x="${(x(m.x) + 4).toFixed(1)}" y="${top + 12}" fill="#555">${esc(m.label)}</text>`)
  }
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="black"/>`)
  out.push(`<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="black"/>`)
  out.push(`<text transform="translate(18 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`)
  out.push(`<text x="${left + plotW / 2}" y="${top + plotH + 36}" text-anchor="middle">${esc(o.xLabel)}</text>`)
  for (const s of o.series) {
    for (const p of s.points) {
      const fill = s.hollow === true ? 'none' : s.colour
      out.push(
        `<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="1.8" fill="${fill}" stroke="${s.colour}" stroke-width="0.8"/>`,
      )
    }
  }
  o.series.forEach((s, i) => {
    const lx = left + i * (plotW / Math.max(1, o.series.length))
    out.push(`<circle cx="${lx + 5}" cy="${height - 14}" r="4" fill="${s.hollow === true ? 'none' : s.colour}" stroke="${s.colour}"/>`)
    out.push(`<text x="${lx + 14}" y="${height - 10}">${esc(s.label)}</text>`)
  })
  return { svg: out.join('\n'), height }
}

interface Bars {
  title: string
  subtitle: string
  yLabel: string
  xLabel: string
  unit: string
  series: string[]
  groups: BarGroup[]
}

/** barChartSvg's output placed at (x, y); its tooltips name the unit of this chart (they say Mpps (MODELLED)). */
function nested(b: Bars, x: number, y: number): { svg: string; width: number; height: number } {
  const svg = barChartSvg(b).replace(/ Mpps \(MODELLED\)<\/title>/g, ` ${esc(b.unit)}</title>`)
  const width = Number(/width="(\d+(?:\.\d+)?)"/.exec(svg)?.[1] ?? 400)
  const height = Number(/height="(\d+(?:\.\d+)?)"/.exec(svg)?.[1] ?? 400)
  // the rotated group labels reach past the chart's own box: let them show
  return { svg: svg.replace('<svg ', `<svg x="${x}" y="${y}" overflow="visible" `), width: width + 40, height }
}

/** The scatter on top, the bar charts below it, two to a row. */
export function peerSvg(o: { latency: Parameters<typeof latencySvg>[0]; bars: Bars[] }): string {
  const lat = latencySvg(o.latency)
  let bx = 0
  let by = lat.height + 10
  let rowH = 0
  let maxX = 0
  const parts: string[] = []
  for (const b of o.bars) {
    const probe = nested(b, 0, 0)
    if (bx > 0 && bx + probe.width > o.latency.width) {
      bx = 0
      by += rowH + 10
      rowH = 0
    }
    const n = nested(b, bx, by)
    parts.push(n.svg)
    bx += n.width + 10
    maxX = Math.max(maxX, bx)
    rowH = Math.max(rowH, n.height)
  }
  const width = Math.max(o.latency.width, maxX)
  const height = by + rowH
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">\n` +
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>\n${lat.svg}\n${parts.join('\n')}</svg>\n`
  )
}

/** Bar charts alone, two to a row under a title (the security-group part of bench:peer). */
export function barsSvg(o: { title: string; subtitle: string; width: number; bars: Bars[] }): string {
  let bx = 0
  let by = 50
  let rowH = 0
  let maxX = 0
  const parts: string[] = []
  for (const b of o.bars) {
    const probe = nested(b, 0, 0)
    if (bx > 0 && bx + probe.width > o.width) {
      bx = 0
      by += rowH + 10
      rowH = 0
    }
    const n = nested(b, bx, by)
    parts.push(n.svg)
    bx += n.width + 10
    maxX = Math.max(maxX, bx)
    rowH = Math.max(rowH, n.height)
  }
  const width = Math.max(o.width, maxX)
  const height = by + rowH
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">\n` +
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>\n` +
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(o.title)}</text>\n` +
    `<text x="${width / 2}" y="36" text-anchor="middle">${esc(o.subtitle)}</text>\n${parts.join('\n')}</svg>\n`
  )
}
