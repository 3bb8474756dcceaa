"""Edits of a draft: applied on the revision the user saw, merged when others saved meanwhile.

An edit is a pure function `document -> (new document, summary)`. When the user's revision is
still current it is simply applied. When someone saved since (another tab, another person), the
edit is applied to the revision the user saw and three-way merged onto the current one: an edit
that does not overlap the newer changes goes through; one that does is refused with a clear
message, and nothing typed is applied silently over someone else's change. A new activity
never takes a key the draft's lineage ever used (see services.identity).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from journeys.domain import graph
from journeys.domain.catalog import BY_TYPE_ID, activity_name, title_of
from journeys.domain.diff import branch_name
from journeys.domain.document import items
from journeys.domain.journey_items import new_exit, new_goal
from journeys.domain.merge import merge
from journeys.models import Draft, Revision
from journeys.permissions import can_edit_draft, require
from journeys.services.drafts import lock_draft, save_revision
from journeys.services.identity import Lineage, activity_keys, lineage
from journeys.services.limits import LimitRefused

Document = dict[str, Any]
Edit = Callable[[Document], tuple[Document, str]]


class EditRefused(Exception):
    """The edit cannot be applied; `message` says why in plain language.

    `keep_input`: the draft is as the user saw it (a limit refused the edit), so a panel keeps
    what they typed rather than showing the stored values."""

    def __init__(
        self, message: str, *, conflicts: list[str] | None = None, keep_input: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.conflicts = conflicts or []
        self.keep_input = keep_input


def _save(user: Any, draft: Draft, document: Document, **options: Any) -> Draft:
    """save_revision, with a limit's refusal told as an EditRefused that keeps the input."""
    try:
        return save_revision(user, draft, document, **options)
    except LimitRefused as refused:
        raise EditRefused(refused.message, keep_input=True) from refused


@dataclass(frozen=True)
class EditResult:
    draft: Draft
    summary: str
    merged: bool


def apply_edit(user: Any, draft: Draft, edit: Edit, *, expected_revision: int) -> EditResult:
    """Apply `edit` as made on `expected_revision`; merge it onto newer revisions if needed.

    All under the draft's row lock, so the edit is applied against the lineage as it is when it
    is committed: a new activity's key is free of every key any revision or remote version of
    the journey ever used, and a stale edit is merged onto the revision it will follow.
    """
    require(can_edit_draft(user, draft))
    with transaction.atomic():
        locked = lock_draft(draft)
        if locked.revision_number == expected_revision:
            document, summary = _run(edit, locked.document, _taken(edit, locked))
            saved = _save(
                user,
                locked,
                document,
                expected_revision=expected_revision,
                summary=summary,
            )
            return EditResult(saved, summary, merged=False)
        seen = Revision.objects.filter(draft=locked, number=expected_revision).first()
        if seen is None:
            raise EditRefused(f"Revision {expected_revision} of this draft does not exist.")
        known = lineage(locked.journey_id)
        ours, summary = _run(edit, seen.document, _taken(edit, locked, known))
        result = merge(seen.document, ours, locked.document, sfmc_keys=known.sfmc_keys)
        # The merge reports overlapping fields and graph breakage (dangling next, cycle, orphan).
        if result.conflicts:
            raise EditRefused(
                "Someone changed this draft since you loaded it, and your change overlaps "
                f"theirs (now at revision {locked.revision_number}). The canvas shows their "
                "version; make your change again there.",
                conflicts=[conflict.description for conflict in result.conflicts],
            )
        saved = _save(
            user,
            locked,
            result.document,
            expected_revision=locked.revision_number,
            summary=f"{summary} (merged with newer changes)",
        )
        return EditResult(saved, summary, merged=True)


def _taken(edit: Edit, draft: Draft, known: Lineage | None = None) -> Collection[str]:
    """The keys a new activity must not take: only an insert makes one (reading the lineage's
    keys costs a query and a row per activity the journey ever had)."""
    if not isinstance(edit, Insert):
        return frozenset()
    known = known or lineage(draft.journey_id)
    return known.taken | activity_keys(draft.document).keys()


def _run(edit: Edit, document: Document, taken: Collection[str]) -> tuple[Document, str]:
    try:
        return edit(document, taken) if isinstance(edit, Insert) else edit(document)
    except graph.EditError as error:
        raise EditRefused(error.message) from error
    except LookupError as error:
        # A panel form applied to a revision where its activity no longer exists.
        raise EditRefused("What you were editing is no longer in this draft.") from error


def undo(user: Any, draft: Draft, *, expected_revision: int) -> EditResult:
    """Bring back the content before the latest change, as a new revision."""
    return _travel(user, draft, expected_revision, "undo")


def redo(user: Any, draft: Draft, *, expected_revision: int) -> EditResult:
    """Re-apply the change the latest undo took back, as a new revision."""
    return _travel(user, draft, expected_revision, "redo")


def _travel(user: Any, draft: Draft, expected_revision: int, direction: str) -> EditResult:
    require(can_edit_draft(user, draft))
    draft.refresh_from_db()
    stack = draft.undo_stack if direction == "undo" else draft.redo_stack
    if not stack:
        raise EditRefused(f"There is nothing to {direction}.")
    if draft.revision_number != expected_revision:
        raise EditRefused(
            f"This draft changed since you loaded it (now revision {draft.revision_number}); "
            f"nothing was {direction}ne. Look at the refreshed canvas first."
        )
    target = Revision.objects.get(draft=draft, number=stack[-1])
    summary = f"{direction.capitalize()}: back to the content of revision {target.number}"
    saved = _save(
        user,
        draft,
        target.document,
        expected_revision=expected_revision,
        summary=summary,
        history=direction,
    )
    return EditResult(saved, summary, merged=False)


def restore_revision(user: Any, draft: Draft, number: int, *, expected_revision: int) -> EditResult:
    """Make an earlier revision's content the newest revision (history stays append-only)."""
    target = Revision.objects.filter(draft=draft, number=number).first()
    if target is None:
        raise EditRefused(f"Revision {number} of this draft does not exist.")
    document = target.document

    def restore(_: Document) -> tuple[Document, str]:
        return document, f"Restored revision {number}"

    require(can_edit_draft(user, draft))
    draft.refresh_from_db()
    if draft.revision_number != expected_revision:
        raise EditRefused(
            "This draft changed since you loaded it; look at the newest revision first."
        )
    return apply_edit(user, draft, restore, expected_revision=expected_revision)


def structural_edit(op: str, params: dict[str, Any]) -> Edit:
    """The Edit for one canvas operation; raises EditRefused for an unknown one."""
    builders: dict[str, Callable[[dict[str, Any]], Edit]] = {
        "insert": _insert,
        "delete": _delete,
        "add-branch": _add_branch,
        "remove-branch": _remove_branch,
        "relink": _relink,
        "add-goal": _add_filter_step("goal"),
        "add-exit": _add_filter_step("exit"),
        "remove-goal": _remove_filter_step("goal"),
        "remove-exit": _remove_filter_step("exit"),
    }
    if op not in builders:
        raise EditRefused(f"Unknown edit {op!r}.")
    return builders[op](params)


def _label(document: Document, key: str) -> str:
    """An activity in a revision's summary by its name (the history shows it), never its key."""
    activity = _activity(document, key)
    return f"'{activity_name(activity)}'" if activity else title_of(key, {})


def _activity(document: Document, key: str) -> dict[str, Any] | None:
    return next((a for a in items(document, "activities") if a.get("key") == key), None)


def _branch(document: Document, key: str, outcome_key: str) -> str:
    """A path of an activity by its name ("Path 2", "Yes"), as the canvas labels it."""
    outcomes = items(_activity(document, key), "outcomes")
    outcome = next((o for o in outcomes if o.get("key") == outcome_key), None)
    return f"'{branch_name(outcome)}'" if outcome else "a path"


@dataclass(frozen=True)
class Insert:
    """The insert edit: its new activity's key must avoid every key the lineage used, which
    only `apply_edit` knows (under the draft's lock), so it is passed in as `taken`."""

    params: dict[str, Any]

    def __call__(self, document: Document, taken: Collection[str] = ()) -> tuple[Document, str]:
        params, type_id = self.params, self.params["type_id"]
        new, key = graph.insert_activity(
            document,
            type_id,
            after=params.get("after") or None,
            outcome_key=params.get("outcome_key") or None,
            taken=taken,
        )
        where = (
            f"after {_label(document, params['after'])}" if params.get("after") else "at the start"
        )
        return new, f"Added {BY_TYPE_ID[type_id].label} {_label(new, key)} {where}"


def _insert(params: dict[str, Any]) -> Edit:
    if params["type_id"] not in BY_TYPE_ID:
        raise EditRefused(f"Unknown activity type {params['type_id']!r}.")
    return Insert(params)


def _delete(params: dict[str, Any]) -> Edit:
    def edit(document: Document) -> tuple[Document, str]:
        keep = params.get("keep_branch") or None
        new = graph.delete_activity(document, params["key"], keep_branch=keep)
        kept = f", keeping branch {keep}" if keep else ""
        return new, f"Deleted {_label(document, params['key'])}{kept}"

    return edit


def _add_branch(params: dict[str, Any]) -> Edit:
    def edit(document: Document) -> tuple[Document, str]:
        new = graph.add_branch(document, params["key"], label=params.get("label") or None)
        return new, f"Added a branch to {_label(document, params['key'])}"

    return edit


def _remove_branch(params: dict[str, Any]) -> Edit:
    def edit(document: Document) -> tuple[Document, str]:
        new = graph.remove_branch(document, params["key"], params["outcome_key"])
        branch = _branch(document, params["key"], params["outcome_key"])
        return new, f"Removed branch {branch} of {_label(document, params['key'])}"

    return edit


def _relink(params: dict[str, Any]) -> Edit:
    def edit(document: Document) -> tuple[Document, str]:
        target = params.get("target") or None
        new = graph.relink_outcome(document, params["key"], params["outcome_key"], target)
        where = _label(document, target) if target else "the end of the journey"
        source = _label(document, params["key"])
        branch = _branch(document, params["key"], params["outcome_key"])
        return new, f"Outcome {branch} of {source} now goes to {where}"

    return edit


# Goal and exit criteria: (noun, list in the document, setter, factory of a new one).
_FILTER_STEPS: dict[str, tuple[str, str, Callable[..., Document], Callable[[], Document]]] = {
    "goal": ("the goal", "goals", graph.set_goal, new_goal),
    "exit": ("the exit criteria", "exits", graph.set_exit, new_exit),
}


def _existing(document: Document, field: str) -> dict[str, Any] | None:
    items = document.get(field)
    first = items[0] if isinstance(items, list) and items else None
    return first if isinstance(first, dict) else None


def _add_filter_step(kind: str) -> Callable[[dict[str, Any]], Edit]:
    noun, field, store, factory = _FILTER_STEPS[kind]

    def build(_: dict[str, Any]) -> Edit:
        def edit(document: Document) -> tuple[Document, str]:
            if _existing(document, field) is not None:
                raise graph.EditError(f"This journey already has {noun}; open it to change it.")
            return store(document, factory()), f"Added {noun}"

        return edit

    return build


def _remove_filter_step(kind: str) -> Callable[[dict[str, Any]], Edit]:
    noun, field, store, _ = _FILTER_STEPS[kind]

    def build(_: dict[str, Any]) -> Edit:
        def edit(document: Document) -> tuple[Document, str]:
            item = _existing(document, field)
            if item is None:
                raise graph.EditError(f"This journey has no {noun.removeprefix('the ')}.")
            name = item.get("name") or item.get("key")
            return store(document, None), f"Removed {noun} '{name}'"

        return edit

    return build
