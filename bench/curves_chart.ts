/**
 * Draws `deno task bench:curves` as bench/curves.svg: throughput over
 * message size (msg/s and MB/s, log scales), the same relative to C, the
 * ratio to C as parts per message grow, and a latency table. Called by
 * bench/curves.ts; run alone to redraw from saved results:
 *
 *   deno run --allow-read --allow-write bench/curves_chart.ts [curves.json] [out.svg]
 *
 * @module
 */

/** The receivers measured, in drawing order. */
export const IMPLS = ["c", "zmqloop", "pyzmq", "pyzmqStream"] as const;
/** One receiver implementation. */
export type Impl = typeof IMPLS[number];

/** One throughput point: `rates` in messages (of `parts` × `size` B) per second. */
export interface CurvePoint {
  size: number;
  parts: number;
  counts: Record<Impl, number>;
  rates: Record<Impl, number>;
}

/** What bench/curves.ts records (bench/results/curves.json). */
export interface CurvesResult {
  date: string;
  quick: boolean;
  subtitle: string;
  sizes: CurvePoint[];
  parts: CurvePoint[];
  latency: {
    size: number;
    count: number;
    rtt: Record<"c" | "zmqloop" | "pyzmq", number>;
  }[];
  seconds: number;
}

const STYLE: Record<Impl, { color: string; dash: string; label: string }> = {
  c: { color: "#8a8f98", dash: "", label: "C libzmq" },
  zmqloop: { color: "#2f6fdf", dash: "", label: "zmqloop ZMQStream" },
  pyzmq: { color: "#e8912d", dash: "", label: "pyzmq blocking recv()" },
  pyzmqStream: { color: "#e8912d", dash: "5 3", label: "pyzmq ZMQStream" },
};

const sizeLabel = (b: number) => b >= 1024 ? `${b / 1024}K` : `${b}`;
const num = (v: number) =>
  v >= 1e6
    ? `${+(v / 1e6).toPrecision(3)}M`
    : v >= 1e3
    ? `${+(v / 1e3).toPrecision(3)}k`
    : `${+v.toPrecision(3)}`;

interface Panel {
  x: number;
  y: number;
  title: string;
  xs: number[];
  xLabel: (v: number) => string;
  series: { impl: Impl; values: number[] }[];
  log: boolean;
}

const W = 400, H = 210, PAD_L = 52, PAD_B = 28;

/** One line panel: x on a log2 scale, y on a log10 or linear scale. */
function panel(p: Panel): string {
  const all = p.series.flatMap((s) => s.values).filter((v) => v > 0);
  let lo: number, hi: number;
  const ticks: number[] = [];
  if (p.log) {
    lo = Math.floor(Math.log10(Math.min(...all)));
    hi = Math.ceil(Math.log10(Math.max(...all)));
    if (hi === lo) hi++;
    for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
  } else {
    lo = 0;
    hi = Math.max(1.25, Math.ceil(Math.max(...all) * 4) / 4);
    const step = hi > 2.5 ? 0.5 : 0.25;
    for (let t = 0; t <= hi + 1e-9; t += step) ticks.push(t);
  }
  const x0 = p.x + PAD_L,
    x1 = p.x + W - 10,
    y0 = p.y + H - PAD_B,
    y1 = p.y + 22;
  const lx = (v: number) => Math.log2(v);
  const [xa, xb] = [lx(p.xs[0]!), lx(p.xs.at(-1)!)];
  const sx = (v: number) => x0 + (lx(v) - xa) / (xb - xa || 1) * (x1 - x0);
  const sy = (v: number) =>
    p.log
      ? y0 - (Math.log10(v) - lo) / (hi - lo) * (y0 - y1)
      : y0 - (v - lo) / (hi - lo) * (y0 - y1);
  const out = [
    `<text x="${p.x + PAD_L}" y="${p.y + 14}" class="s">${p.title}</text>`,
    `<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${
      y0 - y1
    }" fill="none" stroke="#ccc"/>`,
  ];
  for (const t of ticks) {
    out.push(
      `<line x1="${x0}" x2="${x1}" y1="${sy(t).toFixed(1)}" y2="${
        sy(t).toFixed(1)
      }" stroke="${!p.log && t === 1 ? "#8a8f98" : "#eee"}"/>`,
      `<text x="${x0 - 4}" y="${
        (sy(t) + 3).toFixed(1)
      }" text-anchor="end" class="u">${p.log ? num(t) : `${t}×`}</text>`,
    );
  }
  for (const v of p.xs) {
    out.push(
      `<text x="${sx(v).toFixed(1)}" y="${
        y0 + 13
      }" text-anchor="middle" class="u">${p.xLabel(v)}</text>`,
    );
  }
  for (const s of p.series) {
    const st = STYLE[s.impl];
    const pts = s.values.map((v, i) =>
      `${sx(p.xs[i]!).toFixed(1)},${sy(v).toFixed(1)}`
    );
    out.push(
      `<polyline points="${
        pts.join(" ")
      }" fill="none" stroke="${st.color}" stroke-width="2" stroke-dasharray="${st.dash}"/>`,
      ...pts.map((xy, i) => {
        const [cx, cy] = xy.split(",");
        return `<circle cx="${cx}" cy="${cy}" r="2.5" fill="${st.color}"><title>${st.label}, ${
          p.xLabel(p.xs[i]!)
        }: ${num(s.values[i]!)}</title></circle>`;
      }),
    );
  }
  return out.join("\n");
}

/** Renders the whole figure as SVG text. */
export function renderCurves(r: CurvesResult): string {
  const sizes = r.sizes.map((p) => p.size);
  const parts = r.parts.map((p) => p.parts);
  const series = (
    points: CurvePoint[],
    value: (p: CurvePoint, impl: Impl) => number,
    impls: readonly Impl[] = IMPLS,
  ) =>
    impls.map((impl) => ({ impl, values: points.map((p) => value(p, impl)) }));
  const vsC = (p: CurvePoint, impl: Impl) => p.rates[impl] / p.rates.c;
  const top = 64, gap = 18, width = 2 * W + 50;
  const sizeX = (v: number) => sizeLabel(v);
  const panels = [
    panel({
      x: 10,
      y: top,
      title: "messages/s by message size (B), log scales",
      xs: sizes,
      xLabel: sizeX,
      series: series(r.sizes, (p, i) => p.rates[i]),
      log: true,
    }),
    panel({
      x: 20 + W,
      y: top,
      title: "MB/s (10⁶ payload bytes/s) by message size (B)",
      xs: sizes,
      xLabel: sizeX,
      series: series(r.sizes, (p, i) => p.rates[i] * p.size / 1e6),
      log: true,
    }),
    panel({
      x: 10,
      y: top + H + gap,
      title: "relative to C by message size (msg/s and MB/s alike)",
      xs: sizes,
      xLabel: sizeX,
      series: series(r.sizes, vsC),
      log: false,
    }),
    panel({
      x: 20 + W,
      y: top + H + gap,
      title: "relative to C by parts per message (16 B parts)",
      xs: parts,
      xLabel: (v) => `${v} part${v > 1 ? "s" : ""}`,
      series: series(r.parts, vsC),
      log: false,
    }),
  ];
  const legend = IMPLS.map((impl, i) => {
    const st = STYLE[impl], x = 10 + PAD_L + i * 190;
    return `<line x1="${x}" x2="${
      x + 22
    }" y1="48" y2="48" stroke="${st.color}" stroke-width="2" stroke-dasharray="${st.dash}"/><text x="${
      x + 27
    }" y="52" class="v">${st.label}</text>`;
  }).join("");
  // Latency table: one way (round trip / 2) with the round trip beside it.
  let y = top + 2 * (H + gap) + 8;
  const cols = [10 + PAD_L, 230, 450, 670];
  const lat = [
    `<text x="${
      cols[0]
    }" y="${y}" class="s">latency, tcp, REQ ↔ REP with both ends the same implementation: one way = round trip / 2 (round trip)</text>`,
  ];
  y += 18;
  ["size", "C libzmq", "zmqloop", "pyzmq blocking"].forEach((h, i) =>
    lat.push(
      `<text x="${cols[i]}" y="${y}" class="v" font-weight="600">${h}</text>`,
    )
  );
  for (const l of r.latency) {
    y += 16;
    const cell = (k: "c" | "zmqloop" | "pyzmq") =>
      `${(l.rtt[k] / 2).toFixed(1)} µs (${l.rtt[k].toFixed(1)})${
        k === "c" ? "" : `, ${(l.rtt[k] / l.rtt.c).toFixed(2)}× C`
      }`;
    lat.push(
      `<text x="${cols[0]}" y="${y}" class="v">${
        l.size >= 1024 ? `${l.size / 1024} KiB` : `${l.size} B`
      }</text>`,
      `<text x="${cols[1]}" y="${y}" class="v">${cell("c")}</text>`,
      `<text x="${cols[2]}" y="${y}" class="v">${cell("zmqloop")}</text>`,
      `<text x="${cols[3]}" y="${y}" class="v">${cell("pyzmq")}</text>`,
    );
  }
  const height = y + 14;
  const escape = (s: string) =>
    s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">
<style>.t{font-size:15px;font-weight:600}.s{font-size:12px}.u{font-size:10px;fill:#666}.v{font-size:11px}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" class="t">Cost curves, tcp loopback: a C PUSH sends to each receiver (libzmq perf/ style)</text>
<text x="10" y="34" class="u">${escape(r.subtitle)}</text>
${legend}
${panels.join("\n")}
${lat.join("\n")}
</svg>
`;
}

if (import.meta.main) {
  const here = new URL(".", import.meta.url).pathname;
  const input = Deno.args[0] ?? `${here}results/curves.json`;
  const output = Deno.args[1] ?? `${here}curves.svg`;
  const saved: CurvesResult = JSON.parse(await Deno.readTextFile(input));
  await Deno.writeTextFile(output, renderCurves(saved));
  console.log(`curves: wrote ${output}`);
}
