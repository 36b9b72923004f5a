"""Airflow's REST API (v2) as `make airflow`, `make cluster`, the benchmark's scheduler and their tests call it."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path


def _request(url: str, method: str, body=None, token: str | None = None, timeout: float = 30):
    """Send one request; return the answer's JSON, or None for an empty answer."""
    sent = urllib.request.Request(
        url,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
    )
    with urllib.request.urlopen(sent, timeout=timeout) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def health(url: str, timeout: float = 30) -> dict:
    """Ask the api-server at `url` how Airflow's components are (no sign-in needed): the metadata database,
    scheduler, dag-processor and triggerer, each with its `status`."""
    return _request(url.rstrip("/") + "/api/v2/monitor/health", "GET", timeout=timeout)


class Api:
    """The REST API at `url`, signed in as `user` on the first call that needs it."""

    def __init__(self, url: str, user: str, password: str) -> None:
        self.url, self.user, self.password = url.rstrip("/"), user, password
        self._token: str | None = None

    @classmethod
    def generated_admin(cls, url: str, airflow_home: Path) -> Api:
        """Sign in as the admin whose password the simple auth manager generated into AIRFLOW_HOME (the api-server
        writes it as it starts: until then, FileNotFoundError)."""
        passwords = airflow_home / "simple_auth_manager_passwords.json.generated"
        return cls(url, "admin", json.loads(passwords.read_text(encoding="utf-8"))["admin"])

    def token(self) -> str:
        if self._token is None:
            answer = _request(
                f"{self.url}/auth/token", "POST", {"username": self.user, "password": self.password}
            )
            self._token = answer["access_token"]
        return self._token

    def call(self, method: str, path: str, body=None, timeout: float = 30):
        return _request(self.url + path, method, body, self.token(), timeout)

    def get(self, path: str, timeout: float = 30):
        return self.call("GET", path, timeout=timeout)

    def post(self, path: str, body):
        return self.call("POST", path, body)

    def patch(self, path: str, body):
        return self.call("PATCH", path, body)

    def health(self, timeout: float = 30) -> dict:
        return health(self.url, timeout)
