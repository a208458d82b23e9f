"""Builds each Lambda function's resolver from the route table, and what its endpoints share:
the current call, access checks, gates, idempotency and responses."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from functions import aws
from functions.scheduling import lifecycle, waitlist
from functions.scheduling.config import ID_PATTERN
from functions.scheduling.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, slot_unavailable
from functions.store import CommitFailed, Snapshot
from functions.store.table import Idempotency

from . import errors
from .identity import Caller, caller_of
from .models import ErrorBody
from .routes import Access, Route, find, routes_of

logger = Logger(service="client-portal")

IDEMPOTENCY_HEADER = "Idempotency-Key"
# Every id in a path: what ids are made of, at most 128 characters; anything else is a 404.
PATH_ID = re.compile(ID_PATTERN)


@dataclass(frozen=True)
class Call:
    route: Route
    caller: Caller
    event: dict[str, Any]
    now: datetime
    invocation: str


_current: ContextVar[Call] = ContextVar("call")


def current() -> Call:
    return _current.get()


# ---- responses ----------------------------------------------------------------------------------


def respond(status: int, body: BaseModel, headers: dict[str, str] | None = None) -> Response[str]:
    return respond_json(status, body.model_dump_json(exclude_unset=True), headers)


def respond_json(status: int, body: str, headers: dict[str, str] | None = None) -> Response[str]:
    """An answer whose JSON is already written (availability writes its own, docs/performance.md)."""
    return Response(status, "application/json", body, {**errors.HEADERS, **(headers or {})})


# ---- access and gates ---------------------------------------------------------------------------


def _check_access(route: Route, caller: Caller) -> None:
    if route.access is Access.PUBLIC:
        return
    if not caller.signed_in:
        raise errors.Unauthorized()
    if route.access is Access.STAFF and not caller.staff:
        raise Forbidden("forbidden", "You are not allowed to do this.")


def not_a_client() -> Forbidden:
    return Forbidden("not_a_client", "This account is not linked to a client of the practice.")


def check_gate(route: Route, snapshot: Snapshot) -> None:
    """The refusals that come after the role and before the body: a caller who is not a client,
    and a feature the practice turned off."""
    if route.gate is None:
        return
    if route.gate == "anonymous_request":
        lifecycle.check_new_allowed(snapshot.config, signed_in=False)
        return
    if route.gate == "waitlist":
        waitlist.check_join_allowed(snapshot.config, signed_in=False)
        return
    if snapshot.client_id is None:
        raise not_a_client()
    if route.gate == "client_request":
        lifecycle.check_new_allowed(snapshot.config, signed_in=True)
    elif route.gate == "client_waitlist":
        waitlist.check_join_allowed(snapshot.config, signed_in=True)
    elif route.gate == "reschedule":
        lifecycle.check_reschedule_allowed(snapshot.config)
    else:
        lifecycle.check_cancel_allowed(snapshot.config)


def _on_validation_error(exc: RequestValidationError) -> Response[str]:
    call = current()
    if call.route.gate is not None:
        # A bad body counts only once the caller may use the feature at all.
        try:
            check_gate(call.route, aws.store().read(user_sub=call.caller.account))
        except DomainError as refused:
            return _on_domain_error(refused)
    return errors.from_validation(exc.errors())


def _on_domain_error(exc: DomainError) -> Response[str]:
    call = _current.get(None)
    logger.info("refused", extra={"code": exc.code, "route": call.route.endpoint if call else None})
    return errors.from_domain(exc)


# ---- idempotency --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdempotencyKey:
    scope: str
    body_hash: str
    valid: bool = True

    def check(self) -> IdempotencyKey:
        if not self.valid:
            raise Invalid(
                "invalid_idempotency_key", "must be 1 to 255 printable ASCII characters", IDEMPOTENCY_HEADER
            )
        return self


def header(name: str) -> str | None:
    """A request header of the current call, whatever its case."""
    wanted = name.lower()
    return next((v for k, v in (current().event.get("headers") or {}).items() if k.lower() == wanted), None)


def idempotency_key() -> IdempotencyKey | None:
    """The caller's Idempotency-Key, scoped to the caller, method and path, with the body's hash.
    A malformed key is refused by `replay` or `check`, after the gate, as the contract orders."""
    call = current()
    key = header(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    valid = 1 <= len(key) <= 255 and key.isascii() and key.isprintable()
    scope = "\n".join((call.caller.sub or "anonymous", call.route.method, call.event.get("path", ""), key))
    return IdempotencyKey(_sha256(scope), _sha256(_canonical_body(call.event.get("body"))), valid)


def _canonical_body(body: str | None) -> str:
    try:
        return json.dumps(json.loads(body or "null"), sort_keys=True, separators=(",", ":"))
    except (ValueError, RecursionError):
        return body or ""


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def write_token(key: IdempotencyKey | None, write: str, *, across_invocations: bool = False) -> str:
    """The token of one of this call's writes (`write` names which: a call may make several, and
    DynamoDB refuses one ClientRequestToken for two different transactions). The SDK's retries of
    a write carry the same token (DynamoDB's ClientRequestToken, and the mark a retry finds when
    its lost first attempt was applied). By default two invocations never share a token, even with
    one Idempotency-Key: a second invocation must be refused by the idempotency record and replay
    its answer, not be taken for the first. `across_invocations` is for a write that is not part
    of a transaction with its idempotency record: a retried call with the same key then finds that
    its earlier invocation made the write."""
    seed = f"{key.scope}|{key.body_hash}" if key else ""
    if not across_invocations or key is None:
        seed += f"|{current().invocation}"
    return _sha256(f"{write}|{seed}")[:32]


def replay(found: Idempotency | None, key: IdempotencyKey | None) -> Response[str] | None:
    """The first answer again for a repeated key and body; a 409 for the key with another body."""
    if key is not None:
        key.check()
    if found is None or key is None:
        return None
    if found.body_hash != key.body_hash:
        raise Conflict("idempotency_key_reused", "This Idempotency-Key was used with a different request.")
    return Response(found.status_code, "application/json", found.body, dict(errors.HEADERS))


def remembered(status: int, body: BaseModel) -> Response[str]:
    """Answer a write made outside a transition, keeping the answer for the Idempotency-Key; a
    concurrent twin with the same key gets the first answer."""
    response = respond(status, body)
    key = idempotency_key()
    if key is not None:
        record = Idempotency(key.scope, key.body_hash, status, str(response.body))
        earlier = aws.store().remember(record, current().now, write_token(key, "answer"))
        if (again := replay(earlier, key)) is not None:
            return again
    return response


def commit(
    plan: lifecycle.Plan, status: int, body: BaseModel, key: IdempotencyKey | None, on_conflict: DomainError
) -> Response[str]:
    """Write a transition with its idempotency record and answer; map a refused write to a domain error."""
    return commit_with(
        lambda token, record: aws.store().commit(plan, current().now, token, record),
        status,
        body,
        key,
        lambda: on_conflict,
        log={"appointment_id": plan.appointment.id, "request_id": plan.request.id},
    )


def commit_with(
    write: Callable[[str, Idempotency | None], None],
    status: int,
    body: BaseModel,
    key: IdempotencyKey | None,
    on_conflict: Callable[[], DomainError],
    *,
    log: dict[str, str],
    write_name: str = "transition",
    refused: Mapping[str, Callable[[], DomainError]] | None = None,
) -> Response[str]:
    """Make one transactional write (given its token and idempotency record) and answer; map a
    refused write to a domain error: `refused` by the part that refused it (the write's own
    meaning of a tally, say), else the usual ones, else `on_conflict`."""
    response = respond(status, body)
    record = Idempotency(key.scope, key.body_hash, status, str(response.body)) if key else None
    try:
        write(write_token(key, write_name), record)
    except CommitFailed as failed:
        if failed.part == "idempotency":
            if (again := replay(failed.existing, key)) is not None:
                return again
            raise Conflict(
                "idempotency_key_reused", "This Idempotency-Key is in use by another request."
            ) from None
        if refused and failed.part in refused:
            raise refused[failed.part]() from None
        if failed.part == "claim":
            raise slot_unavailable() from None
        if failed.part == "tally":
            raise Conflict(
                "too_many_pending",
                "There are already requests awaiting review for this email address or phone number. "
                "Please wait for the practice's answer, or call the practice.",
            ) from None
        raise on_conflict() from None
    logger.info("committed", extra=log)
    return response


# ---- the resolver -------------------------------------------------------------------------------


def _responses(route: Route, model: type[BaseModel] | None) -> dict[int, Any]:
    answers: dict[int, Any] = {}
    if model is not None:
        answers[route.status] = {
            "description": route.summary,
            "content": {"application/json": {"model": model}},
        }
    elif route.status == 204:
        answers[204] = {"description": f"{route.summary}: done (no body)"}
    codes = [400, 422, 429, 503]
    if route.access is not Access.PUBLIC:
        codes += [401, 403]
    if route.gate == "anonymous_request" or route.method in ("POST", "PUT", "PATCH", "DELETE"):
        codes += [403, 404, 409]
    if "{" in route.path:
        codes.append(404)  # an id of the wrong shape, or of nothing stored
    if route.function == "practice" and route.method in ("PUT", "PATCH"):
        codes.append(412)  # If-Match named a version that is no longer the stored one
    for code in sorted(set(codes)):
        answers[code] = {
            "description": _ERROR_DESCRIPTIONS[code],
            "content": {"application/json": {"model": ErrorBody}},
        }
    return answers


_ERROR_DESCRIPTIONS = {
    400: "Malformed JSON",
    401: "No or invalid token",
    403: "Not allowed, or the practice turned the feature off",
    404: "Not found",
    409: "Conflict with the current state",
    412: "Changed meanwhile: the If-Match version is no longer the stored one (`changed_meanwhile`)",
    422: "Validation failed",
    429: "Throttled",
    503: "Temporarily unavailable; retry after the Retry-After header",
}


def register(app: APIGatewayRestResolver, route: Route, endpoint: Callable[..., Any]) -> None:
    model = getattr(endpoint, "response_model", None)
    app.route(
        route.resolver_path,
        route.method,
        summary=route.summary,
        operation_id=route.endpoint,
        responses=_responses(route, model),
        security=[{"cognito": []}] if route.access is not Access.PUBLIC else None,
        tags=[route.function],
    )(endpoint)


def returns(model: type[BaseModel]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the model an endpoint answers with, for the OpenAPI document."""

    def mark(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        endpoint.response_model = model  # type: ignore[attr-defined]
        return endpoint

    return mark


def new_resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)
    app.exception_handler(DomainError)(_on_domain_error)
    app.exception_handler(RequestValidationError)(_on_validation_error)

    @app.not_found
    def _not_found(_: Exception) -> Response[str]:
        return errors.from_domain(NotFound())

    return app


def lambda_handler(module: str, function: str) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda entry point of one function: its routes from the table, on a resolver with
    validation; the caller's role is checked again here before anything else runs."""
    app = new_resolver()
    endpoints = sys.modules[module]
    for route in routes_of(function):
        register(app, route, getattr(endpoints, route.endpoint))

    @logger.inject_lambda_context(clear_state=True)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        result: dict[str, Any]
        # API Gateway's request id, read directly (what correlation_paths.API_GATEWAY_REST finds
        # with a JMESPath search, in a fraction of its time).
        request = event.get("requestContext")
        logger.set_correlation_id(request.get("requestId") if isinstance(request, dict) else None)
        route = find(str(event.get("httpMethod", "")), str(event.get("resource", "")))
        if route is None or route.function != function:
            return _raw(errors.from_domain(NotFound()))
        settings = aws.settings()
        caller = caller_of(event, client_pool=settings.user_pool_id, staff_pool=settings.staff_user_pool_id)
        call = Call(route, caller, event, datetime.now(UTC).replace(microsecond=0), context.aws_request_id)
        token = _current.set(call)
        try:
            _check_access(route, call.caller)
            _as_json(event)
            if not all(PATH_ID.fullmatch(str(v)) for v in (event.get("pathParameters") or {}).values()):
                # No record has such an id (and DynamoDB refuses keys past 2,048 bytes).
                raise NotFound()
            shape = _body_shape(event.get("body"))
            if shape == "too_deep":
                result = _raw(errors.from_validation([_MALFORMED]))
            elif shape == "not_an_object":
                # Powertools would take a list's only item as the body; the contract wants an object.
                result = _raw(_on_validation_error(RequestValidationError([_NOT_AN_OBJECT])))
            else:
                result = app.resolve(event, context)
        except DomainError as refused:
            result = _raw(_on_domain_error(refused))
        finally:
            _current.reset(token)
        _allow_origin(event, result)
        logger.info("answered", extra={"route": route.endpoint, "status": result.get("statusCode")})
        return result

    handler.app = app  # type: ignore[attr-defined]
    return handler


def _allow_origin(event: dict[str, Any], result: dict[str, Any]) -> None:
    """CORS for the portal and the practice's website, as API Gateway answers the preflight."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    origin = headers.get("origin")
    if not origin or origin not in aws.settings().allowed_origins:
        return
    # The staff page reads a record's version (ETag) to send it back in If-Match.
    cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin", "Access-Control-Expose-Headers": "ETag"}
    result.setdefault("headers", {}).update(cors)
    if result.get("multiValueHeaders"):
        result["multiValueHeaders"].update({k: [v] for k, v in cors.items()})


_NOT_AN_OBJECT = {"type": "model_attributes_type", "loc": ("body",), "msg": "must be a JSON object"}


def _as_json(event: dict[str, Any]) -> None:
    """Bodies are JSON whatever Content-Type a client sent (curl -d says form-encoded): a body that
    is not JSON is then a 400 malformed_json, never a form read field by field."""
    if not event.get("body"):
        return
    for name in ("headers", "multiValueHeaders"):
        headers = event.get(name) or {}
        for key in [k for k in headers if k.lower() == "content-type"]:
            del headers[key]
        headers["Content-Type"] = ["application/json"] if name == "multiValueHeaders" else "application/json"
        event[name] = headers


def _body_shape(body: str | None) -> str:
    """What a body is, parsed once: "too_deep" when it nests deeper than Python's JSON parser goes
    (about 1,000 levels: refused as malformed JSON, a 400, before anything else parses it);
    "not_an_object" when it is JSON but neither an object nor null; else "ok" (absent, an
    object, or not JSON: a 400 later)."""
    if not body:
        return "ok"
    try:
        parsed = json.loads(body)
    except RecursionError:
        return "too_deep"
    except ValueError:
        return "ok"
    return "ok" if parsed is None or isinstance(parsed, dict) else "not_an_object"


_MALFORMED = {"type": "json_invalid", "loc": ("body",), "msg": "not valid JSON"}


def _raw(response: Response[str]) -> dict[str, Any]:
    return {
        "statusCode": response.status_code,
        "headers": {"Content-Type": "application/json", **(response.headers or {})},
        "multiValueHeaders": {},
        "body": response.body,
        "isBase64Encoded": False,
    }
