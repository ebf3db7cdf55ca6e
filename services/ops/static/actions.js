// Eddy ops console: promote and roll back, each asked for a reason and confirmed first.
// Loaded after console.js, whose `$`, `num`, `latest` and `refresh` it uses.
"use strict";

async function act(path, body) {
  const out = $("action-result");
  out.textContent = "working...";
  const r = await fetch(path, { method: "POST", credentials: "same-origin",
    headers: { "content-type": "application/json", "x-eddy-console": "1" }, body: JSON.stringify(body) });
  const j = await r.json();
  out.textContent = r.ok ? `champion: v${j.previous_version} -> v${j.version} (${j.type}: ${j.reason})` : `refused: ${j.detail}`;
  out.className = r.ok ? "muted" : "error";
  await refresh();
}

// "v3 (0.812 on 420 common examples)": what an operator weighs before changing the champion.
function scored(version) {
  const v = ((latest && latest.models && latest.models.versions) || []).find((x) => x.version === version);
  const ev = v && v.evaluation;
  return ev ? `v${version} (${num(ev.accuracy)} on ${ev.n} common examples)` : `v${version}`;
}

function say(text) {
  $("action-result").textContent = text;
  $("action-result").className = "error";
}

// The server requires a reason too; asking for it before the dialog saves a confirm-then-refuse.
function reasonGiven(id) {
  if ($(id).value.trim()) {
    say("");  // an earlier "say why first" is answered
    return true;
  }
  say("say why first: a reason is required (it is recorded in the champion history)");
  $(id).focus();
  return false;
}

// Changing what every worker serves is one click away: ask first, naming both versions.
function confirmed(question) {
  return window.confirm(`${question}\nEvery classify worker switches to it within EDDY_MODEL_POLL_S.`);
}

// The champion the dialog named travels with the action: if the gate changed it meanwhile,
// the server refuses rather than act on a version the operator did not see.
$("promote-btn").addEventListener("click", () => {
  const version = Number($("promote-version").value);
  const champ = latest && latest.champion;
  if (!version) {
    say("no other version to promote");
    return;
  }
  if (!reasonGiven("promote-reason")) return;
  if (!confirmed(`Promote ${scored(version)} to champion${champ ? `, replacing ${scored(champ)}` : ""}?`)) return;
  act("/api/promote", { version, reason: $("promote-reason").value, champion: champ || null });
});
$("rollback-btn").addEventListener("click", () => {
  const champ = latest && latest.champion;
  // The read model names what the registry would pick (services/registry/rollout.py).
  const target = latest && latest.models ? latest.models.rollback_to : null;
  // Unless the registry could not be read (then the server decides), say now what it
  // would refuse rather than ask, then refuse.
  const unread = latest && latest.errors && latest.errors.models;
  if (!unread && (!champ || !target)) {
    say(champ ? `v${champ} has no earlier champion to roll back to; promote a version instead` : "no champion to roll back from");
    return;
  }
  const gone = ((latest && latest.models && latest.models.versions) || []).find((v) => v.version === target && v.pruned_at);
  if (!unread && gone) {  // the registry would refuse it: say so rather than ask
    say(`v${target}'s weights were pruned (EDDY_REGISTRY_KEEP); promote a kept version instead`);
    return;
  }
  if (!reasonGiven("rollback-reason")) return;
  const from = champ ? scored(champ) : "the champion";
  if (!confirmed(`Roll back ${from} to ${target ? scored(target) : "the version that served before it"}?`)) return;
  act("/api/rollback", { reason: $("rollback-reason").value, champion: champ || null });
});

