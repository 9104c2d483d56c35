"""The referral state machine (pure): every allowed and every forbidden move, and what each
move must record. The expected table is written out here from DESIGN.md, not read from the
module, so a change to the module's table fails a test."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import product

import pytest

from directory.models import InputError
from directory.referral_rules import (
    CHECK_IN,
    CODES,
    MAX_NOTE,
    OPEN_STATUSES,
    ReferralMode,
    ReferralStatus,
    Transition,
    allowed_targets,
    check_check_in,
    check_new_referral,
    check_transition,
)
from directory.workspace import Role

S = ReferralStatus
TODAY = date(2025, 6, 10)
YESTERDAY = TODAY - timedelta(days=1)
NEXT_WEEK = TODAY + timedelta(days=7)

# DESIGN.md, Referrals: "may move to" (entered_in_error is separate: admins, from any status).
ALLOWED: dict[ReferralStatus, set[ReferralStatus]] = {
    S.REQUESTED: {S.ACCEPTED, S.REJECTED, S.CANCELLED},
    S.ACCEPTED: {S.IN_PROGRESS, S.ON_HOLD, S.COMPLETED, S.FAILED, S.CANCELLED},
    S.IN_PROGRESS: {S.ON_HOLD, S.COMPLETED, S.FAILED, S.CANCELLED},
    S.ON_HOLD: {S.IN_PROGRESS, S.COMPLETED, S.FAILED, S.CANCELLED},
    S.COMPLETED: set(),
    S.REJECTED: set(),
    S.FAILED: set(),
    S.CANCELLED: set(),
    S.ENTERED_IN_ERROR: set(),
}
# DESIGN.md, Referrals: "must record". The codes a person may choose for each target.
PERSON_CODES: dict[ReferralStatus, set[str]] = {
    S.ON_HOLD: {"waitlist", "needs_peer_action"},
    S.COMPLETED: {"got_help", "enrolled"},
    S.REJECTED: {"no_capacity", "not_eligible"},
    S.FAILED: {"could_not_contact", "could_not_get_help"},
    S.CANCELLED: {"no_longer_interested"},
}
OPEN_TARGETS = {S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD}
FINAL = {S.COMPLETED, S.REJECTED, S.FAILED, S.CANCELLED, S.ENTERED_IN_ERROR}
PAIRS = [
    pytest.param(current, target, id=f"{current.value}->{target.value}")
    for current, target in product(ReferralStatus, ReferralStatus)
    if target is not S.ENTERED_IN_ERROR
]


def valid_move(
    current: ReferralStatus, target: ReferralStatus, role: Role = Role.SPECIALIST
) -> Transition:
    """Move with whatever the target must record, chosen from the table above."""
    code = min(PERSON_CODES.get(target, {""}))
    follow_up = NEXT_WEEK if target in OPEN_TARGETS else None
    return check_transition(
        current, target, role=role, code=code, follow_up_on=follow_up, today=TODAY
    )


def field_of(error: pytest.ExceptionInfo[InputError]) -> str:
    return error.value.field


# Every pair of statuses


@pytest.mark.parametrize(("current", "target"), PAIRS)
@pytest.mark.parametrize("role", list(Role))
def test_every_pair_moves_exactly_as_the_table_says(
    current: ReferralStatus, target: ReferralStatus, role: Role
) -> None:
    if target in ALLOWED[current]:
        move = valid_move(current, target, role)
        assert (move.from_status, move.to_status) == (current, target)
    else:
        with pytest.raises(InputError) as error:
            valid_move(current, target, role)
        assert field_of(error) == "status"


@pytest.mark.parametrize("current", [s for s in ReferralStatus if s is not S.ENTERED_IN_ERROR])
def test_admin_marks_entered_in_error_from_any_other_status(current: ReferralStatus) -> None:
    move = check_transition(
        current, S.ENTERED_IN_ERROR, role=Role.ADMIN, note="  wrong peer  ", today=TODAY
    )
    assert move == Transition(current, S.ENTERED_IN_ERROR, "", "wrong peer", None)


def test_entered_in_error_is_final_even_for_an_admin() -> None:
    with pytest.raises(InputError) as error:
        check_transition(
            S.ENTERED_IN_ERROR, S.ENTERED_IN_ERROR, role=Role.ADMIN, note="again", today=TODAY
        )
    assert field_of(error) == "status"
    for target in ReferralStatus:
        if target is not S.ENTERED_IN_ERROR:
            with pytest.raises(InputError):
                valid_move(S.ENTERED_IN_ERROR, target, Role.ADMIN)


@pytest.mark.parametrize("role", [Role.SPECIALIST, Role.SUPERVISOR])
@pytest.mark.parametrize("current", list(ReferralStatus))
def test_only_an_admin_marks_entered_in_error(role: Role, current: ReferralStatus) -> None:
    with pytest.raises(InputError) as error:
        check_transition(current, S.ENTERED_IN_ERROR, role=role, note="mistake", today=TODAY)
    assert field_of(error) == "status"


@pytest.mark.parametrize("note", ["", "   \n  "])
def test_entered_in_error_needs_a_note(note: str) -> None:
    with pytest.raises(InputError) as error:
        check_transition(S.ACCEPTED, S.ENTERED_IN_ERROR, role=Role.ADMIN, note=note, today=TODAY)
    assert field_of(error) == "note"


def test_entered_in_error_drops_a_code_and_follow_up() -> None:
    move = check_transition(
        S.IN_PROGRESS,
        S.ENTERED_IN_ERROR,
        role=Role.ADMIN,
        code="got_help",
        note="duplicate",
        follow_up_on=NEXT_WEEK,
        today=TODAY,
    )
    assert (move.code, move.follow_up_on) == ("", None)


def test_a_closed_referral_says_it_is_closed() -> None:
    with pytest.raises(InputError, match="closed"):
        valid_move(S.COMPLETED, S.IN_PROGRESS)


# What each target must record: codes


@pytest.mark.parametrize(
    ("current", "target", "code"),
    [
        pytest.param(current, target, code, id=f"{current.value}->{target.value}:{code}")
        for current, targets in ALLOWED.items()
        for target in sorted(targets)
        for code in sorted(PERSON_CODES.get(target, set()))
    ],
)
def test_every_reason_and_outcome_code_is_accepted_and_recorded(
    current: ReferralStatus, target: ReferralStatus, code: str
) -> None:
    follow_up = NEXT_WEEK if target in OPEN_TARGETS else None
    move = check_transition(
        current, target, role=Role.SPECIALIST, code=code, follow_up_on=follow_up, today=TODAY
    )
    assert move.code == code


def test_the_module_offers_the_codes_of_the_design() -> None:
    offered = {status: set(codes) - {"referred_elsewhere"} for status, codes in CODES.items()}
    assert offered == PERSON_CODES
    assert set(CODES[S.CANCELLED]) == {"no_longer_interested", "referred_elsewhere"}


@pytest.mark.parametrize(
    ("current", "target", "field"),
    [
        (S.ACCEPTED, S.ON_HOLD, "reason"),
        (S.IN_PROGRESS, S.COMPLETED, "outcome"),
        (S.REQUESTED, S.REJECTED, "reason"),
        (S.ON_HOLD, S.FAILED, "reason"),
        (S.REQUESTED, S.CANCELLED, "reason"),
    ],
)
@pytest.mark.parametrize("code", ["", "made_up", "got_help_"])
def test_a_missing_or_unknown_code_names_its_field(
    current: ReferralStatus, target: ReferralStatus, field: str, code: str
) -> None:
    follow_up = NEXT_WEEK if target in OPEN_TARGETS else None
    with pytest.raises(InputError) as error:
        check_transition(
            current, target, role=Role.SPECIALIST, code=code, follow_up_on=follow_up, today=TODAY
        )
    assert field_of(error) == field


def test_a_code_of_another_status_is_refused() -> None:
    with pytest.raises(InputError) as error:
        check_transition(S.ACCEPTED, S.FAILED, role=Role.SPECIALIST, code="got_help", today=TODAY)
    assert field_of(error) == "reason"


@pytest.mark.parametrize(
    ("current", "target"), [(S.REQUESTED, S.ACCEPTED), (S.ON_HOLD, S.IN_PROGRESS)]
)
def test_a_move_that_takes_no_code_refuses_one(
    current: ReferralStatus, target: ReferralStatus
) -> None:
    with pytest.raises(InputError) as error:
        check_transition(
            current,
            target,
            role=Role.SPECIALIST,
            code="waitlist",
            follow_up_on=NEXT_WEEK,
            today=TODAY,
        )
    assert field_of(error) == "reason"


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("current", [S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD])
def test_referred_elsewhere_is_only_for_the_system(role: Role, current: ReferralStatus) -> None:
    with pytest.raises(InputError) as error:
        check_transition(current, S.CANCELLED, role=role, code="referred_elsewhere", today=TODAY)
    assert field_of(error) == "reason"
    move = check_transition(
        current, S.CANCELLED, role=role, code="referred_elsewhere", today=TODAY, system=True
    )
    assert (move.to_status, move.code) == (S.CANCELLED, "referred_elsewhere")


# What each target must record: the follow-up date


@pytest.mark.parametrize(
    ("current", "target"),
    [(c, t) for c, targets in ALLOWED.items() for t in sorted(targets) if t in OPEN_TARGETS],
)
def test_an_open_target_needs_a_follow_up_today_or_later(
    current: ReferralStatus, target: ReferralStatus
) -> None:
    code = min(PERSON_CODES.get(target, {""}))

    def move(follow_up: date | None) -> Transition:
        return check_transition(
            current, target, role=Role.SPECIALIST, code=code, follow_up_on=follow_up, today=TODAY
        )

    for follow_up in (None, YESTERDAY):
        with pytest.raises(InputError) as error:
            move(follow_up)
        assert field_of(error) == "follow_up_on"
    assert move(TODAY).follow_up_on == TODAY
    assert move(NEXT_WEEK).follow_up_on == NEXT_WEEK


@pytest.mark.parametrize(
    ("current", "target"),
    [(c, t) for c, targets in ALLOWED.items() for t in sorted(targets) if t in FINAL],
)
def test_a_final_target_keeps_no_follow_up(current: ReferralStatus, target: ReferralStatus) -> None:
    code = min(PERSON_CODES[target])
    move = check_transition(
        current, target, role=Role.SPECIALIST, code=code, follow_up_on=YESTERDAY, today=TODAY
    )
    assert move.follow_up_on is None
    assert target.final


# Notes


def test_a_note_is_kept_trimmed() -> None:
    move = check_transition(
        S.REQUESTED,
        S.ACCEPTED,
        role=Role.SPECIALIST,
        note="  called, intake Tuesday \n",
        follow_up_on=NEXT_WEEK,
        today=TODAY,
    )
    assert move.note == "called, intake Tuesday"


def test_an_oversized_note_is_refused() -> None:
    with pytest.raises(InputError) as error:
        check_transition(
            S.REQUESTED,
            S.ACCEPTED,
            role=Role.SPECIALIST,
            note="x" * (MAX_NOTE + 1),
            follow_up_on=NEXT_WEEK,
            today=TODAY,
        )
    assert field_of(error) == "note"
    ok = check_transition(
        S.REQUESTED,
        S.ACCEPTED,
        role=Role.SPECIALIST,
        note="x" * MAX_NOTE,
        follow_up_on=NEXT_WEEK,
        today=TODAY,
    )
    assert len(ok.note) == MAX_NOTE


# The targets offered on a referral's page


@pytest.mark.parametrize("current", list(ReferralStatus))
def test_allowed_targets_follow_the_table(current: ReferralStatus) -> None:
    order = list(ReferralStatus)
    expected = sorted(ALLOWED[current], key=order.index)
    assert allowed_targets(current, Role.SPECIALIST) == expected
    assert allowed_targets(current, Role.SUPERVISOR) == expected
    admin_extra = [] if current is S.ENTERED_IN_ERROR else [S.ENTERED_IN_ERROR]
    assert allowed_targets(current, Role.ADMIN) == expected + admin_extra


def test_final_statuses_and_labels() -> None:
    assert {s for s in ReferralStatus if s.final} == FINAL
    assert all(s.label for s in ReferralStatus)
    assert all(m.label for m in ReferralMode)


# The first event of a new referral


@pytest.mark.parametrize("mode", list(ReferralMode))
def test_a_new_referral_is_requested_with_its_mode(mode: ReferralMode) -> None:
    first = check_new_referral(
        mode, follow_up_on=NEXT_WEEK, today=TODAY, note=" ok ", has_consent=True
    )
    assert first == Transition(None, S.REQUESTED, mode.value, "ok", NEXT_WEEK)


@pytest.mark.parametrize("mode", [ReferralMode.INFORMATION, ReferralMode.WARM_HANDOFF])
def test_information_and_warm_handoff_need_no_consent(mode: ReferralMode) -> None:
    first = check_new_referral(mode, follow_up_on=TODAY, today=TODAY, has_consent=False)
    assert first.follow_up_on == TODAY


def test_a_referral_sent_to_the_provider_needs_consent() -> None:
    assert ReferralMode.SENT.discloses
    with pytest.raises(InputError) as error:
        check_new_referral(
            ReferralMode.SENT, follow_up_on=NEXT_WEEK, today=TODAY, has_consent=False
        )
    assert field_of(error) == "consent_id"


@pytest.mark.parametrize("follow_up", [None, YESTERDAY])
def test_a_new_referral_needs_a_follow_up_today_or_later(follow_up: date | None) -> None:
    with pytest.raises(InputError) as error:
        check_new_referral(
            ReferralMode.INFORMATION, follow_up_on=follow_up, today=TODAY, has_consent=False
        )
    assert field_of(error) == "follow_up_on"


def test_a_new_referral_refuses_an_oversized_note() -> None:
    with pytest.raises(InputError) as error:
        check_new_referral(
            ReferralMode.INFORMATION,
            follow_up_on=NEXT_WEEK,
            today=TODAY,
            note="n" * (MAX_NOTE + 1),
            has_consent=False,
        )
    assert field_of(error) == "note"


@pytest.mark.parametrize("bad", ["stopped by\x00", "bell\x07", "escape \x1b[31m", "\ue000"])
def test_a_note_with_characters_that_cannot_be_shown_is_refused(bad: str) -> None:
    """PostgreSQL refuses NUL in text (a 500 otherwise); the rest would reach the page."""
    with pytest.raises(InputError) as error:
        check_new_referral(
            ReferralMode.WARM_HANDOFF, follow_up_on=TODAY, today=TODAY, note=bad,
            has_consent=False,
        )  # fmt: skip
    assert error.value.field == "note"
    with pytest.raises(InputError) as error:
        check_transition(
            S.REQUESTED, S.ACCEPTED, role=Role.SPECIALIST, note=bad, follow_up_on=TODAY,
            today=TODAY,
        )  # fmt: skip
    assert error.value.field == "note"


def test_a_note_keeps_its_lines() -> None:
    moved = check_transition(
        S.REQUESTED, S.ACCEPTED, role=Role.SPECIALIST, note="called\r\n\tleft a message",
        follow_up_on=TODAY, today=TODAY,
    )  # fmt: skip
    assert moved.note == "called\n left a message"


@pytest.mark.parametrize("status", sorted(OPEN_STATUSES))
def test_a_check_in_keeps_an_open_status_and_needs_the_next_date(status: ReferralStatus) -> None:
    done = check_check_in(status, follow_up_on=TODAY + timedelta(days=2), today=TODAY)
    assert (done.from_status, done.to_status, done.code) == (status, status, CHECK_IN)
    for follow_up_on in (None, TODAY - timedelta(days=1)):
        with pytest.raises(InputError) as error:
            check_check_in(status, follow_up_on=follow_up_on, today=TODAY)
        assert error.value.field == "follow_up_on"


@pytest.mark.parametrize("status", sorted(set(ReferralStatus) - OPEN_STATUSES))
def test_a_closed_referral_takes_no_check_in(status: ReferralStatus) -> None:
    with pytest.raises(InputError) as error:
        check_check_in(status, follow_up_on=TODAY, today=TODAY)
    assert error.value.field == "status"
