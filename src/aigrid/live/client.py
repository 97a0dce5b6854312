"""A typed client of the REST API (httpx), for the CLI and for tests.

Where to connect and as whom comes from `AIGRID_URL` and `AIGRID_TOKEN`, or else from the
config file (`$XDG_CONFIG_HOME/aigrid/config.toml`, default `~/.config/aigrid/config.toml`) with
`url = "..."` and `token = "..."`. Errors come back as the service's own error classes, so a
failure exits the CLI with the same code whether it happened here or on the server.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from aigrid.errors import UsageError
from aigrid.live.errors import BY_STATUS, LiveError, ServerError

DEFAULT_URL = "http://127.0.0.1:8080"


@dataclass(frozen=True, slots=True)
class ClientConfig:
    url: str
    token: str | None


def config_path(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "aigrid" / "config.toml"


def load_config(env: Mapping[str, str] | None = None) -> ClientConfig:
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    path = config_path(env)
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"{path}: {exc}") from None
    url = env.get("AIGRID_URL") or data.get("url") or DEFAULT_URL
    token = env.get("AIGRID_TOKEN") or data.get("token")
    return ClientConfig(str(url).rstrip("/"), None if token is None else str(token))


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text or response.reason_phrase
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list):  # request validation: say which field and why
        parts = []
        for item in detail:
            loc = ".".join(str(x) for x in item.get("loc", ()) if x != "body")
            parts.append(f"{loc}: {item.get('msg')}" if loc else str(item.get("msg")))
        return "; ".join(parts)
    return str(detail) if detail is not None else response.text


class Client:
    def __init__(self, config: ClientConfig, *, timeout: float = 30.0) -> None:
        headers = {"Authorization": f"Bearer {config.token}"} if config.token else {}
        self.config = config
        self._http = httpx.Client(base_url=config.url, headers=headers, timeout=timeout)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ServerError(f"cannot reach aigrid at {self.config.url}: {exc}") from None
        if response.status_code >= 400:
            cls: type[LiveError] = BY_STATUS.get(response.status_code, ServerError)
            raise cls(_message(response))
        return response

    def get(self, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v is not None}
        return self.request("GET", path, params=clean).json()

    def post(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        return self.request("POST", path, json=body).json()

    # -- operations ------------------------------------------------------------------------------

    def submit(self, body: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = self.post("/jobs", body)
        return out

    def jobs(self, **filters: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self.get("/jobs", **filters)
        return out

    def job(self, job_id: int) -> dict[str, Any]:
        out: dict[str, Any] = self.get(f"/jobs/{job_id}")
        return out

    def cancel(self, job_id: int) -> dict[str, Any]:
        out: dict[str, Any] = self.post(f"/jobs/{job_id}/cancel")
        return out

    def logs(self, job_id: int, max_bytes: int = 65536) -> str:
        return self.request("GET", f"/jobs/{job_id}/logs", params={"max_bytes": max_bytes}).text

    def usage(self) -> dict[str, Any]:
        out: dict[str, Any] = self.get("/usage")
        return out
