"""Annotators' accounts: Label Studio's invite link. The community edition has one link per
organisation and no roles: whoever signs up with it is a member who can label, and can also
open the project's settings and exports."""

from __future__ import annotations

from services.annotation.client import LabelStudioClient
from services.annotation.lserrors import LabelStudioRefused, ls_call


def invite_link(client: LabelStudioClient, base_url: str, reset: bool = False) -> str:
    """The sign-up link for new annotators; ``reset`` makes a new one, and the old link stops
    working (for one that was shared too widely)."""
    orgs = client.sdk.organizations
    if reset:
        got = ls_call("reset the invite link", orgs.reset_token)
    else:
        got = ls_call("get the invite link", orgs.invites.get_invite_link)
    path = got.invite_url
    if not isinstance(path, str) or not path:
        raise LabelStudioRefused("get the invite link: Label Studio answered without one", 200)
    return base_url.rstrip("/") + path
