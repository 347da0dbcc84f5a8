"""Login, logout, tokens, rate limiting and invitations, through the real GraphQL endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.enums import Role
from models.users import AuthSession, LoginFailure
from settings import Settings
from tests.conftest import TEST_PASSWORD, GraphQLClient, World, gid, make_user

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    __typename
    ... on LoginSuccess { token expiresInSeconds user { email role } }
    ... on OperationErrors { errors { field message code } }
  }
}"""
ME = "{ me { email role partner { name } } }"


async def test_login_returns_a_token_that_identifies_the_user(gql: GraphQLClient, world: World):
    result = (await gql.data(LOGIN, {"email": "ADMIN@alpha.test ", "password": TEST_PASSWORD}))[
        "login"
    ]
    assert result["__typename"] == "LoginSuccess"
    assert result["user"] == {"email": "admin@alpha.test", "role": "PARTNER_ADMIN"}
    me = await gql.data(ME, token=result["token"])
    assert me["me"] == {
        "email": "admin@alpha.test",
        "role": "PARTNER_ADMIN",
        "partner": {"name": "Alpha Partners"},
    }


async def test_wrong_password_is_a_typed_error_and_is_recorded(gql: GraphQLClient, world: World):
    result = (await gql.data(LOGIN, {"email": "admin@alpha.test", "password": "nope"}))["login"]
    assert result["__typename"] == "OperationErrors"
    assert result["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert await LoginFailure.filter(email="admin@alpha.test").count() == 1
    assert await AuthSession.filter(user_id=world.admin_a.id).count() == 1  # only the fixture's


async def test_unknown_account_gets_the_same_answer(gql: GraphQLClient, world: World):
    result = (await gql.data(LOGIN, {"email": "ghost@alpha.test", "password": "nope"}))["login"]
    assert result["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert result["errors"][0]["message"] == "The email or password is not correct."


async def test_failed_logins_are_rate_limited_per_account(
    gql: GraphQLClient, world: World, settings: Settings
):
    for _ in range(settings.login_max_failures):
        await gql.data(LOGIN, {"email": "user@alpha.test", "password": "wrong"})
    blocked = (await gql.data(LOGIN, {"email": "user@alpha.test", "password": TEST_PASSWORD}))[
        "login"
    ]
    assert blocked["__typename"] == "OperationErrors"
    assert blocked["errors"][0]["code"] == "RATE_LIMITED"
    assert "Too many failed logins" in blocked["errors"][0]["message"]
    # Another account from another address is not affected.
    other = (await gql.data(LOGIN, {"email": "user@beta.test", "password": TEST_PASSWORD}))["login"]
    assert other["__typename"] == "LoginSuccess"


async def test_failed_logins_are_rate_limited_per_client_address(
    gql: GraphQLClient, world: World, settings: Settings
):
    attempts = settings.login_max_failures * 4
    for index in range(attempts):
        await gql.data(LOGIN, {"email": f"guess{index}@alpha.test", "password": "wrong"})
    blocked = (await gql.data(LOGIN, {"email": "user@beta.test", "password": TEST_PASSWORD}))[
        "login"
    ]
    assert blocked["errors"][0]["code"] == "RATE_LIMITED"


async def test_old_failures_do_not_count(gql: GraphQLClient, world: World, settings: Settings):
    for _ in range(settings.login_max_failures):
        await gql.data(LOGIN, {"email": "user@alpha.test", "password": "wrong"})
    await LoginFailure.all().update(
        failed_at=datetime.now(UTC) - timedelta(seconds=settings.login_failure_window_seconds + 5)
    )
    result = (await gql.data(LOGIN, {"email": "user@alpha.test", "password": TEST_PASSWORD}))[
        "login"
    ]
    assert result["__typename"] == "LoginSuccess"


async def test_logout_revokes_the_token(gql: GraphQLClient, world: World):
    token = world.token("user_a")
    assert (await gql.data(ME, token=token))["me"]["email"] == "user@alpha.test"
    result = await gql.data("mutation { logout { __typename } }", token=token)
    assert result["logout"]["__typename"] == "Done"
    body = await gql.request(ME, token=token)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
    # Other sessions of other users still work.
    assert (await gql.data(ME, token=world.token("user_b")))["me"]["email"] == "user@beta.test"


async def test_expired_forged_and_missing_tokens_are_refused(gql: GraphQLClient, world: World):
    token = world.token("user_a")
    session_id, _, signature = token.rpartition(".")
    forged = f"{session_id}.{'A' * len(signature)}"
    await AuthSession.filter(user_id=world.admin_a.id).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    for bad, code in (
        (forged, "INVALID_TOKEN"),
        (world.token("admin_a"), "TOKEN_EXPIRED"),
        ("garbage", "INVALID_TOKEN"),
        ("", "UNAUTHENTICATED"),
    ):
        body = await gql.request(ME, token=bad)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == code


async def test_deactivated_user_loses_access_at_once(gql: GraphQLClient, world: World):
    result = await gql.data(
        "mutation($id: ID!) { updateUser(id: $id, input: {isActive: false}) { __typename } }",
        {"id": gid("User", world.user_a.id)},
        token=world.token("admin_a"),
    )
    assert result["updateUser"]["__typename"] == "User"
    body = await gql.request(ME, token=world.token("user_a"))
    assert body["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
    login = (await gql.data(LOGIN, {"email": "user@alpha.test", "password": TEST_PASSWORD}))[
        "login"
    ]
    assert login["__typename"] == "OperationErrors"


async def test_invited_user_sets_a_password_once(gql: GraphQLClient, world: World):
    created = await gql.data(
        """mutation { createUser(input: {email: "new@alpha.test", fullName: "New"}) {
             __typename ... on InvitedUser { invitationUrl user { email role } } } }""",
        token=world.token("admin_a"),
    )
    invitation = created["createUser"]
    assert invitation["user"] == {"email": "new@alpha.test", "role": "PARTNER_USER"}
    token = invitation["invitationUrl"].split("#", 1)[1]
    accept = """mutation($token: String!, $password: String!) {
      acceptInvitation(token: $token, password: $password) {
        __typename ... on OperationErrors { errors { code field } } } }"""
    weak = await gql.data(accept, {"token": token, "password": "short"})
    assert weak["acceptInvitation"]["errors"][0] == {"code": "INVALID", "field": "password"}
    ok = await gql.data(accept, {"token": token, "password": "a good long password"})
    assert ok["acceptInvitation"]["__typename"] == "User"
    again = await gql.data(accept, {"token": token, "password": "another long password"})
    assert again["acceptInvitation"]["errors"][0]["code"] == "INVALID_TOKEN"
    login = (
        await gql.data(LOGIN, {"email": "new@alpha.test", "password": "a good long password"})
    )["login"]
    assert login["__typename"] == "LoginSuccess"


async def test_user_without_password_cannot_log_in(gql: GraphQLClient, world: World):
    await make_user("nopass@alpha.test", Role.PARTNER_USER, world.partner_a, password_hash="")
    result = (await gql.data(LOGIN, {"email": "nopass@alpha.test", "password": ""}))["login"]
    assert result["__typename"] == "OperationErrors"
