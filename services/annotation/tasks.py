"""Pure mapping between Eddy's records and Label Studio's JSON: the labeling config generated
from the label set, review -> task (with the model's pre-annotation), annotation -> label."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from services.labels.records import AnnotationRecord
from services.labels.threads import NO_CONTEXT

FROM_NAME = "label"
TO_NAME = "text"


def labeling_config(
    labels: list[str], definitions: Mapping[str, str] | None = None, suggest: bool = False
) -> str:
    """One text, one single-choice question over the label set (each choice with its
    definition as a hint); metadata and the conversation's earlier turns shown read-only.
    ``suggest``: the header names the model's guess (EDDY_ANNOTATION_SUGGEST)."""
    if not labels:
        raise ValueError("cannot build a labeling config from an empty label set")
    defs = definitions or {}
    choices = "\n".join(
        f"    <Choice value={quoteattr(lab)}"
        + (f" hint={quoteattr(defs[lab])}" if defs.get(lab) else "")
        + "/>"
        for lab in labels
    )
    return (
        "<View>\n"
        f'  <Header value="Channel: $channel{" · model says $model_label" if suggest else ""}"/>\n'
        '  <Header value="Earlier in this conversation" size="6"/>\n'
        '  <Text name="context" value="$context"/>\n'
        '  <Header value="The message to label" size="6"/>\n'
        f'  <Text name="{TO_NAME}" value="$text"/>\n'
        f'  <Choices name="{FROM_NAME}" toName="{TO_NAME}" choice="single-radio"'
        ' showInLine="true">\n'
        f"{choices}\n"
        "  </Choices>\n"
        '  <Header value="Details" size="6"/>\n'
        '  <Text name="meta" value="$meta"/>\n'
        "</View>"
    )


SUGGESTED = "The model's guess is pre-selected and may be wrong: change it when it is."


def instructions_html(
    text: str, labels: list[str], definitions: Mapping[str, str], suggest: bool = False
) -> str:
    """The project's instructions: the lead's text, then what each label means."""
    items = "".join(
        f"<li><b>{escape(lab)}</b>: {escape(definitions[lab])}</li>"
        for lab in labels
        if definitions.get(lab)
    )
    lead = f"{text} {SUGGESTED}" if suggest else text
    return f"<p>{escape(lead)}</p>" + (f"<ul>{items}</ul>" if items else "")


def definition_notes(labels: list[str], definitions: Mapping[str, str]) -> list[str]:
    """What an operator should hear about EDDY_LABEL_DEFINITIONS against the label set: a
    definition of a label the set lacks is never shown (a typo, or a label not trained yet)."""
    if not definitions:
        return [
            "EDDY_LABEL_DEFINITIONS is empty: annotators see no meaning for any label (set it "
            'as JSON, e.g. {"negative": "a complaint or a problem"})'
        ]
    notes = []
    unknown = [k for k in definitions if k not in labels]
    if unknown:
        notes.append(
            f"EDDY_LABEL_DEFINITIONS names {', '.join(unknown)}, not in the label set "
            f"({', '.join(labels)}): annotators never see {'it' if len(unknown) == 1 else 'them'}"
        )
    undefined = [lab for lab in labels if not definitions.get(lab)]
    if undefined:
        notes.append(f"EDDY_LABEL_DEFINITIONS has no definition of {', '.join(undefined)}")
    return notes


def task_for_review(
    review: dict[str, Any], context: str = NO_CONTEXT, suggest: bool = False
) -> dict[str, Any]:
    """A Label Studio task for one review.v1 record, with the conversation's earlier turns.
    Every text is already redacted. The prediction carries the queue place; the model's
    guess, in it and in the data, only with ``suggest`` (blind otherwise: nothing to anchor
    on, in the labelling screen, the task's JSON or the quick view)."""
    meta = review.get("metadata") or {}
    meta_line = " · ".join(f"{k}: {v}" for k, v in sorted(meta.items()) if _scalar(v))
    data = {
        "text": review["text"],
        "event_id": review["event_id"],
        "channel": review["channel"],
        "model_version": review["model_version"],
        "meta": meta_line or "(none)",
        "context": context,
    }
    if suggest:
        data["model_label"] = review["label"]
    return {
        "data": data,
        "predictions": [
            {
                "model_version": f"v{review['model_version']}",
                # Label Studio's uncertainty sampling serves the lowest score first.
                "score": priority(review),
                "result": guess(review["label"], suggest),
            }
        ],
    }


def guess(label: str, suggest: bool) -> list[dict[str, Any]]:
    """A prediction's result: the model's label to pre-select, or none (blind)."""
    return [choice_result(label)] if suggest else []


def priority(review: Mapping[str, Any]) -> float:
    """The task's place in the queue, lowest first: 1 - the routing score for a routed case
    (the least sure first). An audit or random pick is a sample of traffic, mostly cases the
    model is sure of: by its own score it would sort after every routed case (never reached
    while the queue is long, so the holdout fills late and only with its hardest cases) and
    its number would give it away to annotators. It gets a draw, fixed by its event id, in
    the routed cases' range instead."""
    if review.get("sample") in ("audit", "random"):
        return sampled_priority(str(review["event_id"]), float(review.get("threshold") or 0.0))
    score = review.get("score")
    if isinstance(score, int | float):
        return round(1.0 - float(score), 6)
    return float(review["confidence"])


def sampled_priority(event_id: str, threshold: float) -> float:
    """An audit or random pick's place: uniform over the routed cases' range [0, 1 - the
    routing threshold], fixed by its event id (a re-scoring computes the same)."""
    return round(_draw(event_id) * max(1.0 - threshold, 0.0), 6)


def _draw(event_id: str) -> float:
    """Uniform in [0, 1), the same for the same event id in every process."""
    digest = hashlib.sha256(f"queue-priority:{event_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _scalar(v: object) -> bool:
    return isinstance(v, str | int | float | bool)


def choice_result(label: str) -> dict[str, Any]:
    return {
        "from_name": FROM_NAME,
        "to_name": TO_NAME,
        "type": "choices",
        "value": {"choices": [label]},
    }


class NotOurTask(ValueError):
    """A task without Eddy's event id (created by hand in Label Studio)."""


def parse_annotation(
    annotation: dict[str, Any], task: dict[str, Any], source: str, labels: list[str] | None = None
) -> AnnotationRecord:
    """Turn a Label Studio annotation (+ its task) into an AnnotationRecord.

    A skipped task (`was_cancelled`) or an empty result counts as no label; a choice outside
    the label set is kept as ``cancelled`` rather than silently trained on.
    """
    data = task.get("data") or {}
    event_id = data.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        raise NotOurTask(f"task {task.get('id')} has no data.event_id")
    label: str | None = None
    origin: str | None = None
    status = "submitted"
    if annotation.get("was_cancelled"):
        status = "skipped"
    else:
        label, origin = _choice(annotation.get("result") or [])
        if label is None or (labels is not None and label not in labels):
            status, label = "cancelled", None
    by = annotation.get("completed_by")
    if isinstance(by, dict):
        by = by.get("id")
    return AnnotationRecord(
        annotation_id=int(annotation["id"]),
        task_id=int(task.get("id") or annotation["task"]),
        event_id=event_id,
        channel=data.get("channel"),
        text=str(data.get("text") or ""),
        label=label,
        status=status,
        annotator=str(by) if by is not None else None,
        updated_at=str(annotation.get("updated_at") or annotation.get("created_at")),
        source=source,
        origin=origin,
    )


def _choice(result: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    """(the chosen label, its origin) of an annotation's result."""
    for item in result:
        if item.get("from_name") == FROM_NAME and item.get("type") == "choices":
            choices = (item.get("value") or {}).get("choices") or []
            if len(choices) == 1:
                origin = item.get("origin")
                return str(choices[0]), str(origin) if isinstance(origin, str) else None
    return None, None
