"""Who is calling: ``Authorization: Bearer <token>``, checked against the stored digests."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.models import Role, User
from campaigns.http.api.common import Deps

bearer = HTTPBearer(
    auto_error=False,
    description="`campaigns users add` ya da `campaigns users token` ile verilen anahtar / "
    "the token issued by `campaigns users add` or `campaigns users token`.",
)


async def current_user(
    deps: Deps, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> User:
    """The active user the bearer token belongs to; 401 otherwise."""
    token = credentials.credentials if credentials is not None else None
    user = await deps.transaction(lambda session: users.authenticate(session, token))
    if user is None:
        raise HTTPException(
            401,
            detail="geçerli bir erişim anahtarı gerekli / a valid bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if user.role is Role.DESK:
        raise HTTPException(
            403,
            detail="Öğrenci İşleri masası web uygulamasını kullanır / the Student Affairs desk "
            "works in the web app, not the API",
        )
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def current_actor(user: CurrentUser) -> Actor:
    """The caller as the use cases know them."""
    return Actor.of(user)


CurrentActor = Annotated[Actor, Depends(current_actor)]


async def admin_user(user: CurrentUser) -> User:
    """The caller, if they are an admin; 403 otherwise."""
    if user.role is not Role.ADMIN:
        raise HTTPException(403, detail="yalnızca yöneticiler / only administrators may do this")
    return user


AdminUser = Annotated[User, Depends(admin_user)]
