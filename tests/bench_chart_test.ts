import assert from "node:assert/strict";
import { type BenchRow, groups, renderChart } from "../bench/chart.ts";

const rows: BenchRow[] = [
  {
    scenario: "RTT",
    value: 50,
    unit: "µs",
    baseline: 100,
    baselineName: "C blocking REP",
    ratio: 0.5,
  },
  {
    scenario: "RTT",
    value: 50,
    unit: "µs",
    baseline: 200,
    baselineName: "pyzmq ZMQStream",
    ratio: 0.25,
  },
  {
    scenario: "recv <16 B>",
    value: 4,
    unit: "msg/s",
    baseline: 10,
    baselineName: "C PULL",
    ratio: 0.4,
  },
  {
    scenario: "idle",
    value: 0,
    unit: "%",
    baseline: 1,
    baselineName: "limit",
    ratio: 0,
  },
];

Deno.test("bench chart: groups by scenario, drops limit rows", () => {
  assert.deepEqual(groups(rows).map((g) => [g.scenario, g.c, g.pyzmq]), [
    ["RTT", 100, 200],
    ["recv <16 B>", 10, undefined],
  ]);
});

Deno.test("bench chart: faster is longer, round trips inverted, text escaped", () => {
  const svg = renderChart(rows, "test machine");
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  // RTT 50 µs vs C 100 µs is 2× C; PyZMQ at 200 µs is 0.5× C
  assert.match(svg, />2\.00× C</);
  assert.match(svg, />0\.50× C</);
  assert.match(svg, />0\.40× C</);
  assert.match(svg, /recv &lt;16 B&gt;/);
  assert.doesNotMatch(svg, /idle/);
  assert.match(svg, /test machine/);
});
