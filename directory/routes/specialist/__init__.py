"""The specialist workspace, mounted at /work: sign-in, peers, search and shortlist,
referrals and consents, follow-ups, the team's view and the next-steps sheet.

Every route is wrapped by `auth.requires(role)` or marked `auth.public`; the authorization
sweep in the tests checks that no route is neither.
"""

from __future__ import annotations

from starlette.routing import Route

from directory.routes.specialist import (
    consents,
    followups,
    peers,
    referrals,
    shortlist,
    signin,
    welcome,
)

routes = [
    Route("/", followups.home, name="home"),
    Route("/sign-in", signin.sign_in_form, name="sign_in_form"),
    Route("/sign-in", signin.sign_in, methods=["POST"], name="sign_in"),
    Route("/sign-out", signin.sign_out, methods=["POST"], name="sign_out"),
    Route("/setup", signin.setup_form, name="setup_form"),
    Route("/setup", signin.setup, methods=["POST"], name="setup"),
    Route("/welcome/{token}", welcome.welcome_form, name="welcome_form"),
    Route("/welcome/{token}", welcome.welcome, methods=["POST"], name="welcome"),
    Route("/team", followups.team, name="team"),
    Route("/peers", peers.peer_list, name="peers"),
    Route("/peers", peers.create_peer, methods=["POST"], name="create_peer"),
    Route("/peers/new", peers.new_peer, name="new_peer"),
    Route("/peers/find", peers.find_peers, methods=["POST"], name="find_peers"),
    Route("/peers/{peer_id}", peers.peer_page, name="peer"),
    Route("/peers/{peer_id}", peers.update_peer, methods=["POST"], name="update_peer"),
    Route("/peers/{peer_id}/edit", peers.edit_peer, name="edit_peer"),
    Route("/peers/{peer_id}/search", shortlist.peer_search, name="peer_search"),
    Route(
        "/peers/{peer_id}/shortlist", shortlist.add_to_shortlist, methods=["POST"],
        name="add_to_shortlist",
    ),
    Route(
        "/peers/{peer_id}/shortlist/remove", shortlist.remove_from_shortlist, methods=["POST"],
        name="remove_from_shortlist",
    ),
    Route("/peers/{peer_id}/next-steps", followups.next_steps, name="next_steps"),
    Route("/peers/{peer_id}/referrals/new", referrals.new_referral, name="new_referral"),
    Route(
        "/peers/{peer_id}/referrals", referrals.create_referral, methods=["POST"],
        name="create_referral",
    ),
    Route("/peers/{peer_id}/consents/new", consents.new_consent, name="new_consent"),
    Route(
        "/peers/{peer_id}/consents", consents.create_consent, methods=["POST"],
        name="create_consent",
    ),
    Route(
        "/consents/{consent_id}/revoke", consents.revoke_consent, methods=["POST"],
        name="revoke_consent",
    ),
    Route("/referrals/{referral_id}", referrals.referral_page, name="referral"),
    Route(
        "/referrals/{referral_id}/move", referrals.move_referral, methods=["POST"],
        name="move_referral",
    ),
    Route(
        "/referrals/{referral_id}/check-in", referrals.check_in_referral, methods=["POST"],
        name="check_in_referral",
    ),
    Route(
        "/referrals/{referral_id}/reassign", referrals.reassign_referral, methods=["POST"],
        name="reassign_referral",
    ),
]  # fmt: skip
