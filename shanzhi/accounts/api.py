from __future__ import annotations

import datetime as dt

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from ninja import Router, Schema

from shanzhi.accounts.services import describe_roles, issue_token
from shanzhi.core.api_schemas import ERRORS
from shanzhi.core.errors import DomainError

router = Router(tags=["auth"])


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    expires: dt.datetime


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    roles: list[str]
    permissions: list[str]


@router.post(
    "/token",
    auth=None,
    response={200: TokenOut, **ERRORS},
    summary="Exchange a username (or phone) and password for a bearer token",
)
def obtain_token(request, payload: TokenIn):
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        raise DomainError(_("Incorrect username or password."), code="invalid_credentials", status=401)
    key, token = issue_token(user)
    return {"token": key, "expires": token.expires}


@router.get("/me", response={200: MeOut, **ERRORS}, summary="Who the token or session belongs to")
def me(request):
    user = request.auth
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "roles": describe_roles(user),
        "permissions": sorted(user.get_all_permissions()),
    }
