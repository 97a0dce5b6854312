"""`aigrid serve`: migrate the store, load the fleet, start the scheduling loop, serve the API."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from sqlalchemy.engine import make_url

from aigrid.backends import Backend
from aigrid.backends.registry import BackendContext, make_backend
from aigrid.errors import UsageError
from aigrid.live.api import create_app
from aigrid.live.backends import Backends
from aigrid.live.fleet import fleet_for
from aigrid.live.loop import SchedulingLoop
from aigrid.live.service import ServiceContext
from aigrid.live.store import Store, database_url, upgrade
from aigrid.live.store.fleet import save_fleet
from aigrid.scheduler import Policy

log = logging.getLogger("aigrid.live")


@dataclass(frozen=True, slots=True)
class ServeOptions:
    db: str
    host: str = "127.0.0.1"
    port: int = 8080
    fleet: str = "local"
    gpus: int | None = None
    policy: Policy = field(default_factory=Policy)
    jobs_dir: Path | None = None
    interval_s: float = 0.5


def parse_listen(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--listen wants HOST:PORT, e.g. 127.0.0.1:8080; got {listen!r}")
    return host.strip("[]"), int(port)


def default_jobs_dir(db: str) -> Path:
    """Where the local executor keeps job files: next to a SQLite store, else ./aigrid-jobs."""
    url = make_url(database_url(db))
    if url.get_backend_name() == "sqlite" and url.database:
        path = Path(url.database)
        return path.with_name(path.stem + "-jobs")
    return Path("aigrid-jobs")


def prepare(
    opts: ServeOptions, backend: Backend | None = None
) -> tuple[Store, SchedulingLoop, ServiceContext]:
    """Open and migrate the store, write the fleet, make the backends its pools are bound to
    (or run every pool on `backend`), rebuild the loop; nothing runs yet."""
    if opts.policy.defer_batch:
        # Deferral needs each site's tariff clock, which the live store does not hold yet.
        raise UsageError("the live service does not run the 'defer' option yet")
    fleet = fleet_for(opts.fleet, opts.gpus)
    if backend is None:
        made = BackendContext((opts.jobs_dir or default_jobs_dir(opts.db)).resolve())
        backends = Backends.for_fleet(fleet, lambda binding: make_backend(binding, made))
    else:
        backends = Backends.single(backend)
    store = Store.open(opts.db)
    upgrade(store.engine)
    with store.write() as s:
        save_fleet(s, fleet)
    loop = SchedulingLoop(store, backends, opts.policy, interval_s=opts.interval_s)
    loop.rebuild()
    ctx = ServiceContext(
        store,
        wake_loop=loop.wake,
        read_logs=backends.logs if backends.keep_logs else None,
        pool_ids=tuple(p.id for p in fleet.pools),
        health=loop.figures,
        explain=loop.explain,
    )
    return store, loop, ctx


def serve(opts: ServeOptions) -> None:
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    store, loop, ctx = prepare(opts)
    app = create_app(ctx)
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), name="aigrid-loop", daemon=True)
    thread.start()
    config = uvicorn.Config(
        app, host=opts.host, port=opts.port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)

    def announce() -> None:
        while not server.started and not stop.wait(0.05):
            pass
        if server.started:
            log.info(
                "aigrid serving on http://%s:%d (store: %s)", opts.host, opts.port, store.dialect
            )

    threading.Thread(target=announce, name="aigrid-announce", daemon=True).start()
    try:
        server.run()
    finally:
        stop.set()
        loop.wake()
        thread.join(timeout=10)
        store.close()
