"""The closed-loop referral state machine (DESIGN.md, Referrals). Pure: no I/O.

Statuses follow the HL7 FHIR SDOH referral task, with peer-friendly labels. Each status says
where it may move and what moving into it must record: a follow-up date while the referral is
open, a reason or outcome code when it ends, a note for `entered_in_error` (admins only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from directory.models import InputError
from directory.workspace import Role, free_text

MAX_NOTE = 1000


class ReferralStatus(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    REJECTED = "rejected"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ENTERED_IN_ERROR = "entered_in_error"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def final(self) -> bool:
        return not TRANSITIONS[self]


S = ReferralStatus

STATUS_LABELS = {
    S.REQUESTED: "Referred, waiting to hear",
    S.ACCEPTED: "Provider said yes",
    S.IN_PROGRESS: "Getting help",
    S.ON_HOLD: "On hold",
    S.COMPLETED: "Done: got help",
    S.REJECTED: "Provider said no",
    S.FAILED: "Didn't work out",
    S.CANCELLED: "Cancelled",
    S.ENTERED_IN_ERROR: "Entered in error",
}

# Where each status may move (entered_in_error is added for admins, from any status).
TRANSITIONS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    S.REQUESTED: frozenset({S.ACCEPTED, S.REJECTED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.IN_PROGRESS, S.ON_HOLD, S.COMPLETED, S.FAILED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.ON_HOLD, S.COMPLETED, S.FAILED, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.IN_PROGRESS, S.COMPLETED, S.FAILED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.REJECTED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
    S.ENTERED_IN_ERROR: frozenset(),
}
OPEN_STATUSES = frozenset(s for s, targets in TRANSITIONS.items() if targets)

# The codes a move into a status must carry (a reason, or for `completed` the outcome).
CODES: dict[ReferralStatus, dict[str, str]] = {
    S.ON_HOLD: {"waitlist": "On a waiting list", "needs_peer_action": "Waiting on the peer"},
    S.COMPLETED: {"got_help": "Got help", "enrolled": "Enrolled"},
    S.REJECTED: {"no_capacity": "No room or capacity", "not_eligible": "Not eligible"},
    S.FAILED: {
        "could_not_contact": "Couldn't make contact",
        "could_not_get_help": "Couldn't get help there",
    },
    S.CANCELLED: {
        "no_longer_interested": "No longer interested",
        "referred_elsewhere": "Referred elsewhere",
    },
}
# Events that leave the status as it is: a check-in that sets the next follow-up date (no news
# yet is news too), and a hand-over to a colleague.
CHECK_IN = "check_in"
REASSIGNED = "reassigned"
CODE_LABELS = {
    **{code: label for codes in CODES.values() for code, label in codes.items()},
    CHECK_IN: "Checked in",
    REASSIGNED: "Handed on",
}
# Moving into these statuses keeps the referral open, so it needs the next follow-up date.
NEEDS_FOLLOW_UP = frozenset({S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD})
# Codes that only the system sets: a cancellation "referred elsewhere" is made by creating the
# new referral, which links the two.
SYSTEM_CODES = frozenset({"referred_elsewhere"})


class ReferralMode(StrEnum):
    INFORMATION = "information"
    WARM_HANDOFF = "warm_handoff"
    SENT = "sent"

    @property
    def label(self) -> str:
        return MODE_LABELS[self]

    @property
    def discloses(self) -> bool:
        """Whether this mode tells the provider something about the peer (needs consent)."""
        return self is ReferralMode.SENT


MODE_LABELS = {
    ReferralMode.INFORMATION: "Information given to the peer",
    ReferralMode.WARM_HANDOFF: "Warm handoff (we called or went together)",
    ReferralMode.SENT: "Referral sent to the provider",
}


@dataclass(frozen=True)
class Transition:
    """A checked move, ready to be stored as an event."""

    from_status: ReferralStatus | None
    to_status: ReferralStatus
    code: str
    note: str
    follow_up_on: date | None


def allowed_targets(current: ReferralStatus, role: Role) -> list[ReferralStatus]:
    """The statuses `role` may move a referral in `current` to, in table order."""
    targets = [s for s in ReferralStatus if s in TRANSITIONS[current]]
    if role is Role.ADMIN and current is not S.ENTERED_IN_ERROR:
        targets.append(S.ENTERED_IN_ERROR)
    return targets


def check_transition(
    current: ReferralStatus,
    target: ReferralStatus,
    *,
    role: Role,
    code: str = "",
    note: str = "",
    follow_up_on: date | None = None,
    today: date,
    system: bool = False,
) -> Transition:
    """Check a move against the table; raise InputError naming the field that is wrong."""
    note = free_text(note, "note", MAX_NOTE)
    if target is S.ENTERED_IN_ERROR:
        if role is not Role.ADMIN:
            raise InputError("status", "only an administrator can mark a referral entered in error")
        if current is S.ENTERED_IN_ERROR:
            raise InputError("status", "this referral is already marked entered in error")
        if not note:
            raise InputError("note", "say what was entered in error")
        return Transition(current, target, "", note, None)
    if target not in TRANSITIONS[current]:
        if current.final:
            raise InputError("status", f"the referral is closed ({current.label}); it cannot move")
        raise InputError(
            "status", f"a referral that is {current.label} cannot move to {target.label}"
        )
    codes = CODES.get(target, {})
    if codes:
        if code not in codes:
            choices = ", ".join(codes.values())
            field = "outcome" if target is S.COMPLETED else "reason"
            raise InputError(field, f"choose one of: {choices}")
        if code in SYSTEM_CODES and not system:
            raise InputError("reason", "use “Refer elsewhere” to make the new referral")
    elif code:
        raise InputError("reason", f"a move to {target.label} takes no reason code")
    if target in NEEDS_FOLLOW_UP:
        if follow_up_on is None:
            raise InputError("follow_up_on", "give the next follow-up date")
        if follow_up_on < today:
            raise InputError("follow_up_on", "must be today or later")
    elif follow_up_on is not None:
        follow_up_on = None  # a closed referral has nothing to follow up
    return Transition(current, target, code, note, follow_up_on)


def check_check_in(
    current: ReferralStatus, *, follow_up_on: date | None, note: str = "", today: date
) -> Transition:
    """A check-in on an open referral: no change of status, the next follow-up date."""
    note = free_text(note, "note", MAX_NOTE)
    if current.final:
        raise InputError(
            "status", f"the referral is closed ({current.label}); nothing to follow up"
        )
    if follow_up_on is None:
        raise InputError("follow_up_on", "give the next follow-up date")
    if follow_up_on < today:
        raise InputError("follow_up_on", "must be today or later")
    return Transition(current, current, CHECK_IN, note, follow_up_on)


def check_new_referral(
    mode: ReferralMode,
    *,
    follow_up_on: date | None,
    today: date,
    note: str = "",
    has_consent: bool,
) -> Transition:
    """The first event of a referral: it is `requested`, with how it was made."""
    note = free_text(note, "note", MAX_NOTE)
    if follow_up_on is None:
        raise InputError("follow_up_on", "give a follow-up date")
    if follow_up_on < today:
        raise InputError("follow_up_on", "must be today or later")
    if mode.discloses and not has_consent:
        raise InputError(
            "consent_id",
            "sending a referral tells the provider about the peer: record consent first",
        )
    return Transition(None, S.REQUESTED, mode.value, note, follow_up_on)
