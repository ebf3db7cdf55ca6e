// Eddy ops console: polls /api/state and renders it. Charts are uPlot (vendored); every
// value from the server goes into the page as text, never as HTML.
"use strict";
const $ = (id) => document.getElementById(id);
const charts = {};
const COLORS = ["#1565c0", "#2e7d32", "#c62828", "#6a1b9a", "#ef6c00", "#00838f", "#4e342e"];
const num = (x, d = 3) => (x === null || x === undefined ? "-" : Number(x).toFixed(d));
const pct = (x) => (x === null || x === undefined ? "-" : (100 * x).toFixed(1) + "%");
const epoch = (iso) => (iso ? Date.parse(iso) / 1000 : null);
const ago = (s) => (s === null || s === undefined ? "-" : s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`);
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "-");

function rows(tableId, data, cells, rowClass) {
  const body = $(tableId).querySelector("tbody");
  body.replaceChildren();
  for (const item of data) {
    const tr = document.createElement("tr");
    if (rowClass) tr.className = rowClass(item) || "";
    for (const c of cells(item)) {
      const td = document.createElement("td");
      if (Array.isArray(c)) { td.textContent = c[0]; td.className = c[1]; } else td.textContent = c;
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

function plot(id, title, names, data, extra = {}) {
  const el = $(id);
  const key = names.join("|");
  const width = Math.max(300, el.clientWidth || 520);
  if (!charts[id] || charts[id].key !== key) {
    if (charts[id]) charts[id].chart.destroy();
    const series = [{}].concat(names.map((n, i) => Object.assign(
      { label: n, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true },
      (extra.series || {})[n] || {})));
    const opts = Object.assign({ title, width, height: 200, series, scales: { x: { time: true } } },
      extra.opts || {});
    charts[id] = { key, chart: new uPlot(opts, data, el) };
  } else {
    charts[id].chart.setData(data);
  }
  // A canvas says nothing to a screen reader: the title and each series' latest value.
  el.setAttribute("role", "img");
  el.setAttribute("aria-label", `${title}. Latest: ${names.map((n, i) => `${n} ${last(data[i + 1])}`).join(", ")}.`);
  // A single point (one version) would get a range of years: pin the x axis when asked.
  if (extra.xrange) charts[id].chart.setScale("x", { min: extra.xrange[0], max: extra.xrange[1] });
}

function last(values) {
  const v = (values || []).filter((x) => x !== null && x !== undefined).pop();
  return v === undefined ? "none" : Number.isInteger(v) ? String(v) : Number(v).toFixed(3);
}

// Charts are drawn at their card's width: follow it when the window is resized or a phone
// turned, rather than leave them cut off or narrow.
let resizing = null;
window.addEventListener("resize", () => {
  clearTimeout(resizing);
  resizing = setTimeout(() => {
    for (const [id, c] of Object.entries(charts)) c.chart.setSize({ width: Math.max(300, $(id).clientWidth || 520), height: 200 });
  }, 200);
});

// A margin of 5% (at least a minute) each side: ten fixed minutes ran far into the future.
function padded(lo, hi) {
  const pad = Math.max(60, (hi - lo) * 0.05);
  return [lo - pad, hi + pad];
}

let bannerSaid = "";

function renderBanner(items) {
  const b = $("banner");
  // Rewritten only when it changes: it is an alert region, and a screen reader would
  // otherwise read it out again at every refresh.
  const said = JSON.stringify(items || []);
  if (said === bannerSaid) return;
  bannerSaid = said;
  b.replaceChildren();
  for (const it of items || []) {
    const d = document.createElement("div");
    d.textContent = it.message;
    d.dataset.key = it.key;
    b.appendChild(d);
  }
  b.hidden = !(items && items.length);
}

// The status cell: what the gate decided, and which version serves now. A version the gate
// rejected can still be champion, promoted by hand: say both, as `eddy versions` does.
function statusCell(v, champ) {
  const gate = v.status || v.kind || "-";
  if (v.version !== champ) {
    const gone = v.pruned_at ? ", pruned" : "";  // weights removed (EDDY_REGISTRY_KEEP)
    return v.rolled_back ? [`rolled back (gate: ${gate})${gone}`, "rolled_back"] : [gate + gone, v.status || ""];
  }
  const text = gate === "rejected" ? "champion (gate rejected; promoted by hand)"
    : gate === "-" ? "champion" : `champion (${gate})`;
  return [text, `${v.status || v.kind || ""} champion`];
}

function renderModels(s) {
  const m = s.models || {};
  const champ = s.champion;
  $("champion").textContent = champ ? `v${champ}`
    : (s.errors || {}).models ? "unknown (the registry could not be read)" : "none";
  const last = (m.accuracy || []).filter((p) => p.version === champ).pop();
  const versions = m.versions || [];
  const card = versions.find((v) => v.version === champ);
  // Until the trainer first scores the common set (minutes after a start), the version's
  // own holdout figure, said as such.
  $("champion-accuracy").textContent = last && last.accuracy !== undefined
    ? `accuracy ${num(last.accuracy)} [${num(last.low)}, ${num(last.high)}] on ${last.n} common examples`
    : card && card.holdout ? `holdout accuracy ${num(card.holdout.accuracy)} (n=${card.holdout.n}; not yet scored on the common set)` : "";
  rows("versions", versions.slice().reverse(), (v) => {
    const ev = v.evaluation;
    const d = v.gate && v.gate.paired && v.gate.paired.accuracy_diff;
    const gate = d ? `Δacc ${num(d.estimate)} [${num(d.low)}, ${num(d.high)}] on ${v.gate.paired.n}; ` : "";
    return [
      `v${v.version}`, when(v.created_at), statusCell(v, champ),
      ev ? `${num(ev.accuracy)} [${num(ev.low)}, ${num(ev.high)}] n=${ev.n}`
        : v.holdout ? `not scored yet (own holdout ${num(v.holdout.accuracy)}, n=${v.holdout.n})` : "-",
      `${v.seed_used ?? 0}+${v.labels_used ?? 0}`, gate + (v.reasons || []).join("; "),
    ];
  }, (v) => (v.version === champ ? "champion" : ""));
  $("versions").querySelectorAll("tbody tr").forEach((tr, i) => {
    tr.dataset.version = String(versions[versions.length - 1 - i].version);
  });
  rows("history", (m.history || []).slice().reverse(), (e) => [when(e.at), e.type, `v${e.version}`,
    e.previous_version ? `v${e.previous_version}` : "-", e.reason || "", e.by || "-"]);
  // Every version as a point at its creation time, one series per outcome.
  const kinds = ["bootstrap", "promoted", "rejected"];
  const xs = versions.map((v) => epoch(v.created_at));
  const acc = (v) => (v.evaluation ? v.evaluation.accuracy : v.holdout ? v.holdout.accuracy : null);
  const pts = { paths: () => null, points: { show: true, size: 9 } };
  if (xs.length) plot("chart-versions", "Versions by the gate's decision (common-set accuracy; holdout where not scored)", kinds,
    [xs].concat(kinds.map((k) => versions.map((v) => ((v.status || v.kind) === k ? acc(v) : null)))),
    { series: { bootstrap: pts, promoted: pts, rejected: pts },
      opts: { scales: { x: { time: true }, y: { range: [0, 1] } } },
      xrange: padded(Math.min(...xs), Math.max(Math.max(...xs), s.generated_at)) });
  const series = (m.accuracy || []).filter((p) => p.accuracy !== undefined);
  if (series.length) {
    const now = s.generated_at;
    const pts2 = series.concat([Object.assign({}, series[series.length - 1], { at: null })]);
    const x = pts2.map((p) => (p.at ? epoch(p.at) : now));
    plot("chart-accuracy", "Champion accuracy on the common evaluation set (95% CI)", ["accuracy", "low", "high"],
      [x, pts2.map((p) => p.accuracy), pts2.map((p) => p.low), pts2.map((p) => p.high)],
      { opts: { scales: { x: { time: true }, y: { range: [0, 1] } } }, series: { accuracy: { paths: uPlot.paths.stepped({ align: 1 }) },
        low: { stroke: "#90a4ae", dash: [4, 4], paths: uPlot.paths.stepped({ align: 1 }) },
        high: { stroke: "#90a4ae", dash: [4, 4], paths: uPlot.paths.stepped({ align: 1 }) } } });
  }
  const sel = $("promote-version");
  const want = versions.filter((v) => v.version !== champ && !v.pruned_at).map((v) => String(v.version)).reverse();
  if (Array.from(sel.options).map((o) => o.value).join() !== want.join()) {
    sel.replaceChildren(...want.map((v) => { const o = document.createElement("option"); o.value = v; o.textContent = `v${v}`; return o; }));
  }
}

function renderCadence(c) {
  if (!c) { $("cad-last").textContent = "no trainer (the stack runs without Label Studio)"; return; }
  if (c.unknown) {  // Redis unreadable: say so, rather than "none yet" and "none"
    for (const id of ["cad-now", "cad-since", "cad-next", "cad-trigger", "cad-oldest", "cad-failure"]) $(id).textContent = "-";
    $("cad-last").textContent = `unknown (${c.unknown})`;
    $("cad-progress").value = 0;
    return;
  }
  const run = c.running;
  $("cad-now").textContent = run ? `training, for ${ago(run.for_s)} (${run.by || "by an unknown holder"}${run.host ? ` on ${run.host}, pid ${run.pid}` : ""})` : "idle";
  const r = c.last_run;
  $("cad-last").textContent = r ? `${r.outcome} v${r.challenger_version} at ${when(r.started_at)} (${num(r.duration_s, 0)} s, ${r.new_labels} new labels)` : "none yet";
  $("cad-since").textContent = ago(c.since_last_run_s);
  // The trainer's own run holds its next check; another's (`eddy train`) does not.
  $("cad-next").textContent = c.next_check_in_s === null ? "-" : run && run.by === "trainer" ? "after the run in progress"
    : `in ${ago(c.next_check_in_s)} (every ${ago(c.interval_s)}; last ${ago(c.last_check_s_ago)} ago)`;
  const t = c.trigger || {};
  $("cad-progress").value = t.progress || 0;
  // The trigger's reason already reads "6/50 new label(s), oldest 55s of 3600s".
  $("cad-trigger").textContent = t.reason || `${t.new_labels ?? 0} of ${t.needed ?? "?"} new labels`;
  $("cad-oldest").textContent = t.oldest_age_s === null || t.oldest_age_s === undefined ? "-" : `${ago(t.oldest_age_s)} (runs at ${ago(t.max_age_s)})`;
  const f = c.last_failure;
  $("cad-failure").textContent = f ? `${new Date(f.at * 1000).toLocaleString()}: ${f.reason}` : "none";
}

function renderLabels(l) {
  if (!l) return;
  $("backlog-total").textContent = `${l.backlog_total} (${Object.entries(l.backlog).map(([c, n]) => `${c} ${n}`).join(", ")})`;
  $("awaiting").textContent = l.awaiting_consensus;
  const a = l.agreement || {};
  $("agreement").textContent = a.events_with_several_votes ? `${num(a.mean_agreement, 2)} over ${a.events_with_several_votes} events, ${a.unresolved_ties} ties` : "no overlapping labels yet";
  $("label-counts").textContent = `${l.counts.labelled} / ${l.counts.used}`;
  const h = l.inflow.last_hour;
  $("inflow-hour").textContent = `${h.webhook} by webhook, ${h.poll} by poll`;
  const now = Math.floor(Date.now() / 3600000) * 3600;
  const hx = l.inflow.per_hour.webhook.map((_, i) => now - (23 - i) * 3600);
  const bars = { paths: uPlot.paths.bars({ size: [0.6, 40] }), fill: "#1565c055" };
  plot("chart-inflow", "Labels per hour, by arrival (webhook vs reconciliation poll)", ["webhook", "poll"],
    [hx, l.inflow.per_hour.webhook, l.inflow.per_hour.poll],
    { series: { webhook: bars, poll: Object.assign({}, bars, { fill: "#2e7d3255" }) } });
  const emails = l.annotator_emails || {};
  rows("annotators", Object.entries(l.annotators || {}), ([who, q]) => [emails[who] ? `${emails[who]} (${who})` : who, q.answers, q.one_click,
    q.compared ? `${num(q.agreement, 2)} (n=${q.compared})` : "-"]);
}

function renderStream(s) {
  const st = s.stream || {};
  const groups = st.groups || {};
  $("lag-total").textContent = Object.keys(groups).length ? Object.values(groups).reduce((a, g) => a + g.lag, 0) : "-";
  const lat = st.latency || {};
  $("latency").textContent = lat.n ? `${num(lat.p50_s, 3)} s / ${num(lat.p99_s, 3)} s (last 5 min, ${lat.n})` : "- (no predictions in the last 5 min)";
  const dls = st.deadletters || [];
  $("deadletters-total").textContent = dls.reduce((a, d) => a + d.count, 0);
  rows("deadletters", dls, (d) => [d.stage, d.reason, d.count]);
  const chans = Object.keys(Object.assign({}, st.events_per_s || {}, st.channels || {})).sort();
  rows("channels", chans, (c) => {
    const x = (st.channels || {})[c] || {};
    return [c, num((st.events_per_s || {})[c], 2), num(x.predictions_per_s, 2),
      x.routed_share === null || x.routed_share === undefined ? "-" : `${pct(x.routed_share)} of ${x.window}`];
  });
  rows("partitions", st.partitions || [], (p) => [p.group, p.topic, p.partition, p.end, p.committed ?? "none", p.lag]);
  const ser = s.series || [];
  if (ser.length) {
    const x = ser.map((p) => p.at);
    const gs = Array.from(new Set(ser.flatMap((p) => Object.keys(p.lag)))).sort();
    plot("chart-lag", "Consumer lag per group (records)", gs.map((g) => g.split("-").pop()), [x].concat(gs.map((g) => ser.map((p) => p.lag[g] ?? null))));
    const cs = Array.from(new Set(ser.flatMap((p) => Object.keys(p.events_per_s)))).sort();
    plot("chart-events", "Events in per channel (events/s, mean over the last 60 s)", cs, [x].concat(cs.map((c) => ser.map((p) => p.events_per_s[c] ?? null))));
    plot("chart-latency", "Produce -> prediction latency, seconds", ["p50", "p99"], [x, ser.map((p) => p.latency_p50_s), ser.map((p) => p.latency_p99_s)]);
  }
}

function renderDrift(s) {
  const d = s.drift || {};
  $("drift-method").textContent = `${d.method || "-"}; flagged at >= ${d.threshold}; windows of ${d.window} predictions per channel (current vs previous, and vs the champion's training labels).`;
  const chans = d.channels || {};
  if (d.window && !Object.values(chans).some((c) => c.vs_previous !== null && c.vs_previous !== undefined)) {
    // An empty chart with only its threshold line looked broken.
    $("drift-method").textContent += ` No channel has two full windows yet: the first comparison needs ${2 * d.window} predictions of one channel.`;
  }
  rows("drift-table", Object.values(chans), (c) => [c.channel, c.n,
    Object.entries(c.mix).map(([k, v]) => `${k} ${pct(v)}`).join(", "),
    num(c.mean_confidence), num(c.p10_confidence),
    // The mark on the comparison that crossed the threshold.
    // Said in words as well as in red: colour alone is lost on some eyes and every printout.
    ...["previous", "training"].map((vs) => ((c.drifting_vs || []).includes(vs)
      ? [`${num(c[`vs_${vs}`])} drifting`, "drifting"] : num(c[`vs_${vs}`])))]);
  const ser = (s.series || []).filter((p) => p.drift);
  if (ser.length) {
    const cs = Array.from(new Set(ser.flatMap((p) => Object.keys(p.drift)))).sort();
    const x = ser.map((p) => p.at);
    plot("chart-drift", `Jensen-Shannon divergence vs previous window (threshold ${d.threshold})`, cs.concat(["threshold"]),
      [x].concat(cs.map((c) => ser.map((p) => p.drift[c] ?? null)), [ser.map(() => d.threshold)]),
      { series: { threshold: { stroke: "#c62828", dash: [6, 4], width: 1 } } });
  }
}

function renderWorkers(w, errors) {
  rows("replicas", (w && w.replicas) || [], (b) => [b.role, b.host || "-", b.pid, b.model_version ? `v${b.model_version}` : "-", `${ago(Date.now() / 1000 - b.at)} ago`]);
  // Heartbeats live in Redis: without it the workers are unknown, not gone.
  $("workers-note").textContent = errors && errors.redis
    ? `unknown: the heartbeats could not be read (${errors.redis})`
    : ((w && w.replicas) || []).length ? "" : "no live worker";
}

let latest = null;  // the last state rendered: what the confirmation of an action names

async function refresh() {
  let s;
  try {
    const r = await fetch("/api/state", { credentials: "same-origin", cache: "no-store" });
    if (r.status === 401) { location.reload(); return; }
    s = await r.json();
  } catch (e) {
    renderBanner([{ key: "console", message: `The console server does not answer (${e}).` }]);
    return;
  }
  latest = s;
  renderBanner(s.banner);
  for (const [name, fn] of [["models", () => renderModels(s)], ["cadence", () => renderCadence(s.cadence)],
    ["labels", () => renderLabels(s.labels)], ["stream", () => renderStream(s)], ["drift", () => renderDrift(s)],
    ["workers", () => renderWorkers(s.workers, s.errors)]]) {
    try { fn(); } catch (e) { console.error(name, e); }
  }
  $("updated").textContent = new Date(s.generated_at * 1000).toLocaleTimeString();
  document.body.dataset.generatedAt = String(s.generated_at);
  return s.refresh_s;
}

(async function loop() {
  const every = (await refresh()) || 2;
  setTimeout(loop, every * 1000);
})();
