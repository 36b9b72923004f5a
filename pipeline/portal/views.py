"""The portal's pages: log in and out, upload with an instant receipt, 仍然提交, history, receipts, templates."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pipeline.portal import history
from pipeline.portal.sessions import (
    Session,
    clear_failures,
    end_session,
    find_session,
    record_failure,
    same_token,
    start_session,
    throttled_for,
)
from pipeline.portal.state import Portal
from pipeline.portal.uploads import (
    UploadRefused,
    check_and_place,
    inbox_name,
    read_upload,
    take_pending,
)
from pipeline.portal.users import account_name, verify_password
from pipeline.receipt_facts import STATUS_ZH, ReceiptFacts
from pipeline.receipt_render import WOULD_ZH, _would, render_html, summary
from pipeline.status import stale_lines, status
from pipeline.suites import rule_titles

router = APIRouter()
CSRF_REFUSED = "表单已过期或来源不明（缺少校验码），未执行。请刷新页面后重试。"


def portal_of(request: Request) -> Portal:
    return request.app.state.portal


def _session(request: Request) -> Session | None:
    portal = portal_of(request)
    session = find_session(portal.settings, request.cookies.get(portal.cookie_name))
    request.state.account = session.account if session else None
    return session


def _require(request: Request) -> Session:
    session = _session(request)
    if session is None:
        # Pages ask for a login; anything posted without a session is refused outright.
        if request.method == "GET":
            raise HTTPException(303, headers={"Location": str(request.url_for("login_page"))})
        raise HTTPException(403, "登录已失效，请重新登录。")
    return session


def _check_csrf(session: Session, given: str | None) -> None:
    if not same_token(session.csrf, given):
        raise HTTPException(403, CSRF_REFUSED)


def _address(request: Request) -> str | None:
    # Behind the proxy uvicorn has already put the client's address here (--forwarded-allow-ips).
    return request.client.host if request.client else None


def _set_cookie(portal: Portal, response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=not portal.config.allow_http,
        httponly=True,
        samesite="strict" if name == portal.login_cookie_name else "lax",
    )


def _drop_cookie(portal: Portal, response: Response, name: str) -> None:
    # A __Host- cookie is only replaced by one with the same attributes, expiry aside.
    _set_cookie(portal, response, name, "", 0)


@router.get("/healthz")
def healthz() -> Response:
    return Response("ok", media_type="text/plain")


@router.get("/login", response_class=HTMLResponse, name="login_page")
def login_page(request: Request) -> Response:
    if _session(request):
        return RedirectResponse(request.url_for("home"), 303)
    return _login_form(request)


def _login_form(request: Request, message: str | None = None, status_code: int = 200) -> Response:
    """Show the login form with a fresh token, in a cookie and in the form (no session exists yet)."""
    portal = portal_of(request)
    token = secrets.token_urlsafe(32)
    response = portal.page(
        request, "login.html", status=status_code, csrf=token, message=message, account=None
    )
    _set_cookie(portal, response, portal.login_cookie_name, token, 3600)
    return response


@router.post("/login")
def login(request: Request, name: str = Form(""), password: str = Form(""), csrf: str = Form("")) -> Response:
    portal = portal_of(request)
    # Before a session exists the form's token must match the cookie the login page set (double submit).
    if not same_token(request.cookies.get(portal.login_cookie_name), csrf):
        raise HTTPException(403, CSRF_REFUSED)
    name = account_name(portal.settings, portal.registry.offices, name[:200])
    address = _address(request)
    wait = throttled_for(portal.settings, portal.config, name, address)
    if wait:
        minutes = (wait + 59) // 60
        return _login_form(
            request, f"登录失败次数过多，已暂停登录，请{minutes}分钟后再试；忘记密码请联系区财政局重设。", 429
        )
    account = verify_password(portal.settings, name, password[:1000])
    if account is None:
        record_failure(portal.settings, name, address)
        return _login_form(request, "账号或密码不正确。", 401)
    clear_failures(portal.settings, name)
    response = RedirectResponse(request.url_for("admin" if account.is_admin else "home"), 303)
    token = start_session(portal.settings, portal.config, account)
    _set_cookie(portal, response, portal.cookie_name, token, portal.config.session_hours * 3600)
    _drop_cookie(portal, response, portal.login_cookie_name)
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    portal = portal_of(request)
    session = _require(request)
    _check_csrf(session, csrf)
    end_session(portal.settings, request.cookies.get(portal.cookie_name))
    response = RedirectResponse(request.url_for("login_page"), 303)
    _drop_cookie(portal, response, portal.cookie_name)
    return response


def _office_page(
    request: Request, session: Session, name: str, status_code: int = 200, **context
) -> Response:
    portal = portal_of(request)
    return portal.page(
        request,
        name,
        status=status_code,
        account=session.account,
        csrf=session.csrf,
        limits=portal.settings.limits,
        max_files=portal.config.max_files,
        blanks=list(portal.checker.blanks.values()),
        **context,
    )


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request) -> Response:
    portal = portal_of(request)
    session = _require(request)
    if session.account.is_admin:
        return RedirectResponse(request.url_for("admin"), 303)
    rows = history.submissions(portal.settings, session.account, portal.registry.offices)
    return _office_page(request, session, "home.html", submissions=rows, status_zh=STATUS_ZH)


@dataclass(frozen=True, slots=True)
class Checked:
    """One uploaded file: what the check found, and what became of it (placed, or kept for 仍然提交)."""

    facts: ReceiptFacts
    would: str
    placed: str | None
    pending_id: str | None
    # Which of the files of one name sent in this upload it is: each has its own result, headed by that name.
    alike: str = ""

    @property
    def renamed(self) -> str | None:
        """Return the name it was placed under when not the name it is headed by (one of that name was there)."""
        name = self.placed.rpartition("/")[2] if self.placed else None
        return name if name is not None and name != self.facts.original_name else None


def _alike(names: list[str]) -> list[str]:
    """Say, for each of the files of one name in an upload, which of them it is, in the order they were chosen."""
    seen: dict[str, int] = {}
    said = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        count = names.count(name)
        said.append(
            f"本次上传中有{count}个名为“{name}”的文件，这是其中第{seen[name]}个（按选择的顺序）"
            if count > 1
            else ""
        )
    return said


async def _checked(portal: Portal, office: str, files: list[tuple[str, bytes]], force: bool) -> list[Checked]:
    names = [inbox_name(name) for name, _ in files]
    outcomes = await run_in_threadpool(
        check_and_place,
        portal.settings,
        portal.checker,
        office,
        list(zip(names, (c for _, c in files), strict=True)),
        force,
    )
    return [
        Checked(facts, _would(facts, portal.checker.names), placed, pending, alike)
        for (facts, placed, pending), alike in zip(outcomes, _alike(names), strict=True)
    ]


def _results(request: Request, session: Session, checked: list[Checked]) -> Response:
    return _office_page(
        request,
        session,
        "results.html",
        checked=checked,
        would_zh=WOULD_ZH,
        rule_zh=rule_titles(),
    )


@router.post("/upload", response_class=HTMLResponse)
async def upload(request: Request) -> Response:
    portal = portal_of(request)
    session = _require(request)
    if session.account.is_admin:
        raise HTTPException(403, "管理员账号不代表任何单位，不能上传；请用单位账号登录。")

    def csrf_first(fields: dict[str, str]) -> None:
        # The token comes before the files in the form: nothing of a forged upload is kept, or even read far.
        if not same_token(session.csrf, fields.get("csrf")):
            raise UploadRefused(403, CSRF_REFUSED)

    try:
        sent = await read_upload(request, portal.settings.limits, portal.config.max_files, csrf_first)
        csrf_first(sent.fields)
    except UploadRefused as refused:
        headers = {"Connection": "close"} if refused.status == 413 else None
        raise HTTPException(refused.status, refused.message_zh, headers=headers) from None
    if not sent.files:
        raise HTTPException(400, "没有选择文件，请选择要报送的文件后再上传。")
    checked = await _checked(portal, session.account.office, sent.files, force=False)
    return _results(request, session, checked)


@router.post("/submit-anyway", response_class=HTMLResponse, name="submit_anyway")
async def submit_anyway(request: Request, pending: str = Form(""), csrf: str = Form("")) -> Response:
    portal = portal_of(request)
    session = _require(request)
    _check_csrf(session, csrf)
    kept = take_pending(portal.settings, session.account.office or "", pending)
    if kept is None:
        raise HTTPException(404)
    checked = await _checked(portal, session.account.office, [kept], force=True)
    return _results(request, session, checked)


def _receipt_or_404(request: Request, submission_id: int) -> tuple[Session, ReceiptFacts]:
    portal = portal_of(request)
    session = _require(request)
    facts = history.receipt(portal.settings, session.account, portal.registry.offices, submission_id)
    if facts is None:  # another office's receipt looks exactly like one that does not exist
        raise HTTPException(404)
    return session, facts


@router.get("/receipts/{submission_id}", response_class=HTMLResponse, name="receipt")
def receipt(request: Request, submission_id: int) -> Response:
    portal = portal_of(request)
    session, facts = _receipt_or_404(request, submission_id)
    return portal.page(
        request,
        "receipt.html",
        account=session.account,
        csrf=session.csrf,
        facts=facts,
        summary=summary(facts),
        status_zh=STATUS_ZH,
        rule_zh=rule_titles(),
        names=portal.checker.names,
    )


def _attachment(name: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(name)}"


@router.get("/receipts/{submission_id}/download", name="receipt_download")
def receipt_download(request: Request, submission_id: int) -> Response:
    _, facts = _receipt_or_404(request, submission_id)
    # The same page the night writes to receipts/, built here from the warehouse rather than read from disk.
    return Response(
        render_html(facts),
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": _attachment(f"{facts.original_name}.回执.html")},
    )


@router.get("/templates/{template_id}", name="template")
def template(request: Request, template_id: str) -> Response:
    portal = portal_of(request)
    _require(request)
    blank = portal.checker.blanks.get(template_id)
    if blank is None:
        raise HTTPException(404)
    return Response(
        blank.content,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": _attachment(blank.file_name)},
    )


@router.get("/admin", response_class=HTMLResponse, name="admin")
def admin(request: Request) -> Response:
    portal = portal_of(request)
    session = _require(request)
    if not session.account.is_admin:
        raise HTTPException(403, "此页面仅供区财政局管理员使用。")
    state = status(portal.settings)
    return portal.page(
        request,
        "admin.html",
        account=session.account,
        csrf=session.csrf,
        state=state,
        # The lines `pipeline status` prints: which published reports print older data, and how to rebuild each.
        stale=stale_lines(state.stale_reports),
        statuses=list(STATUS_ZH),
        status_zh=STATUS_ZH,
        submissions=history.submissions(portal.settings, session.account, portal.registry.offices),
        blanks=list(portal.checker.blanks.values()),
    )
