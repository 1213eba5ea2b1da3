"""Ray for the engines that use it (ray, prefect-ray): joining a cluster, and a run's channel.

Every execution of a run on Ray (the first, every resume) gets a channel on the driver process's
one small named actor, its RunChannel: workers send the run's events to it and read the run's
stop flag from it; the driver reads the events back into the run's own sink and sets the flag on
cancel. A worker process keeps one RunContext per channel (`worker_run`): a relay to that
execution and a stop flag, so two runs sharing a worker never see each other's events, and a
resumed run never inherits the stop flag of the execution that was cancelled.

Locking (worker side): one lock guards a relay's buffer; the flusher thread swaps it out under the
lock and talks to Ray outside it, so a node thread never waits on Ray.
"""
from __future__ import annotations

import os
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from reelgraph.flows.events import Event, EventSink, NodeFinished, RunContext
from reelgraph.flows.runtime import Runtime, RuntimeConfig, process_runtime
from reelgraph.nodes import ProgressEvent

NAMESPACE = "reelgraph"
EVENT_INTERVAL = 0.1    # seconds between a worker's flushes, and between the driver's reads
STOP_POLL_SECONDS = 0.5  # how often a worker running a node of the run asks whether it must stop
IDLE_POLL_SECONDS = 10.0  # how often an idle relay checks that its run is still there (else it ends)
PROGRESS_INTERVAL = 0.5  # at most one progress event per node per this many seconds crosses Ray


_init_lock = threading.Lock()  # the studio runs several runs at once in one process: one ray.init


def ensure_ray(address: str | None = None, **init_options: Any) -> None:
    import ray

    with _init_lock:
        if ray.is_initialized():
            return
        if address:
            pass_cluster_token()
        try:
            ray.init(address=address, namespace=NAMESPACE, include_dashboard=False, log_to_driver=False,
                     configure_logging=False, **init_options)
        except (ConnectionError, ray.exceptions.AuthenticationError) as error:
            from reelgraph.flows.driver import EngineUnavailable

            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise EngineUnavailable(f"cannot join the Ray cluster at {address or 'a local Ray'}: {first_line}. "
                                    f"A cluster started with token auth (`ray start` since Ray 2.60) needs "
                                    f"RAY_AUTH_MODE=token and its token here: copy the head's ~/.ray/auth_token, "
                                    f"or set RAY_AUTH_TOKEN") from None


def pass_cluster_token() -> None:
    """Joining a cluster by address, Ray sends no token unless RAY_AUTH_MODE=token is set (it turns
    token auth on by itself only for a local cluster). A token given explicitly (RAY_AUTH_TOKEN, or
    the file RAY_AUTH_TOKEN_PATH names) says the cluster uses token auth: turn the mode on for it.
    Not for a bare ~/.ray/auth_token: any local `ray.init()` leaves one, and token mode against a
    cluster without auth breaks it (its workers' calls back to this driver carry no token)."""
    given = os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH")
    if "RAY_AUTH_MODE" in os.environ or not given:
        return
    os.environ["RAY_AUTH_MODE"] = "token"
    try:  # Ray caches its config at import: re-read it, as Ray's own token setup does
        from ray._raylet import Config

        Config.initialize("")
    except (ImportError, AttributeError):
        pass


def shutdown_ray() -> None:
    import ray

    if ray.is_initialized():
        ray.shutdown()


class RunChannel:
    """One Ray actor per driver process, carrying every run execution's events and stop flag
    (keyed by execution id). Shared because an actor costs a worker process to start, about a
    second, which a run of cheap nodes would otherwise spend waiting for its last events."""

    def __init__(self) -> None:
        self.events: dict[str, list] = {}
        self.stopped: set[str] = set()

    def open(self, execution: str) -> None:
        self.events.setdefault(execution, [])

    def ping(self) -> bool:
        return True

    def put(self, execution: str, batch: list) -> bool | None:
        """Keep a worker's events; says whether the run must stop (None: it is over)."""
        if execution not in self.events:
            return None
        self.events[execution].extend(batch)
        return execution in self.stopped

    def take(self, execution: str) -> list:
        events, self.events[execution] = self.events.get(execution, []), []
        return events

    def stop(self, execution: str) -> None:
        self.stopped.add(execution)

    def is_stopped(self, execution: str) -> bool | None:
        return None if execution not in self.events else execution in self.stopped

    def close(self, execution: str) -> None:
        self.events.pop(execution, None)
        self.stopped.discard(execution)


@dataclass(frozen=True)
class Channel:
    """Driver side of one execution of a run on the shared RunChannel. `address` is what workers
    are handed to find it (`worker_run`)."""
    actor: Any
    name: str
    execution: str

    @property
    def address(self) -> str:
        return f"{self.name}#{self.execution}"

    def take(self) -> Any:
        return self.actor.take.remote(self.execution)

    def stop(self) -> None:
        self.actor.stop.remote(self.execution)

    def close(self) -> None:
        self.actor.close.remote(self.execution)


_channel_lock = threading.Lock()
_channel: tuple[str, Any, str] | None = None  # (the driver's Ray node/job, actor, its name)


def _shared_channel() -> tuple[Any, str]:
    """This process's RunChannel, made on first use and again after Ray restarted or it died."""
    import ray

    global _channel
    context = ray.get_runtime_context()  # a new ray.init numbers its jobs from 1 again: the node tells
    connection = f"{context.get_node_id()}/{context.get_job_id()}"
    with _channel_lock:
        if _channel is not None and _channel[0] == connection:
            try:
                ray.get(_channel[1].ping.remote(), timeout=30)
                return _channel[1], _channel[2]
            except Exception:  # noqa: BLE001 - dead, or unknown to this cluster: any answer but True means a new one
                pass
        name = f"reelgraph-events-{uuid.uuid4().hex[:12]}"
        actor = ray.remote(RunChannel).options(name=name, namespace=NAMESPACE, num_cpus=0).remote()
        _channel = (connection, actor, name)
        return actor, name


def open_channel(run_id: str) -> Channel:
    """The channel of a new execution of a run: its own stop flag, so a resumed run never inherits
    the flag of the execution that was cancelled."""
    import ray

    actor, name = _shared_channel()
    channel = Channel(actor, name, f"{run_id}-{uuid.uuid4().hex[:8]}")
    ray.get(actor.open.remote(channel.execution))
    return channel


class ChannelReader:
    """Driver side: moves a run's events from its channel to its sink, counting NodeFinished ones
    so the driver can wait for the last events of nodes it already has outcomes for."""

    def __init__(self, channel: Channel, sink: EventSink) -> None:
        self.channel, self.sink = channel, sink
        self.finished_events = 0
        self._last_read = 0.0
        self._reading: Any = None  # a take() in flight

    def forward(self, force: bool = False) -> None:
        """Hand the events read so far to the sink. Never blocks the driver loop (an actor call
        takes milliseconds on a busy machine, while workers wait for their next node) unless
        `force`d: one call sends a read, a later one hands its events over."""
        import ray

        if self._reading is None:
            if not force and time.monotonic() - self._last_read < EVENT_INTERVAL:
                return  # each read is a call to the channel's actor
            self._last_read = time.monotonic()
            self._reading = self.channel.take()
        done, _ = ray.wait([self._reading], timeout=None if force else 0)
        if not done:
            return
        events, self._reading = ray.get(self._reading), None
        for event in events:
            if isinstance(event, NodeFinished):
                self.finished_events += 1
            self.sink(event)

    def drain(self, expected_finished: int, timeout: float = 5.0) -> None:
        """Workers flush every EVENT_INTERVAL: wait (a little) for the last ones."""
        deadline = time.monotonic() + timeout
        while True:
            self.forward(force=True)
            if self.finished_events >= expected_finished or time.monotonic() > deadline:
                return
            time.sleep(EVENT_INTERVAL / 2)


class WorkerRelay:
    """Worker side of a run's channel: batches the run's events (one actor call per batch, not per
    event: each costs about a millisecond, as much as a small node), and sets `stop` when the
    driver asked the run to stop (polled only while a node of the run runs here)."""

    def __init__(self, channel: Any, execution: str) -> None:
        self.channel, self.execution = channel, execution
        self.stop = threading.Event()
        self.active = 0
        self.closed = False
        self._last_progress: dict[str, float] = {}
        self._buffer: list = []
        self._lock = threading.Lock()
        self._flush_now = threading.Event()
        threading.Thread(target=self._flush_forever, name="reelgraph-events", daemon=True).start()

    def flush_soon(self) -> None:
        """A task of the run ended here: send its events now, not at the next interval (the
        driver waits for a finished run's last events before it returns)."""
        self._flush_now.set()

    def __call__(self, event: Event) -> None:
        if isinstance(event, ProgressEvent):
            now = time.monotonic()
            if now - self._last_progress.get(event.node_id, 0.0) < PROGRESS_INTERVAL:
                return
            self._last_progress[event.node_id] = now
        with self._lock:
            self._buffer.append(event)

    def _flush_forever(self) -> None:
        import ray

        polled = 0.0
        while not self.closed:
            self._flush_now.wait(EVENT_INTERVAL)
            self._flush_now.clear()
            with self._lock:
                batch, self._buffer = self._buffer, []
            try:
                if batch:
                    stopped = ray.get(self.channel.put.remote(self.execution, batch))
                elif time.monotonic() - polled > (STOP_POLL_SECONDS if self.active else IDLE_POLL_SECONDS):
                    polled = time.monotonic()
                    stopped = ray.get(self.channel.is_stopped.remote(self.execution))
                else:
                    continue
            except ray.exceptions.RayError:  # the channel is gone: its driver is
                stopped = None
            if stopped is None:  # the execution is over
                self.closed = True
                return
            if stopped:
                self.stop.set()


_worker_relays: dict[str, WorkerRelay] = {}
_worker_relays_lock = threading.Lock()


def worker_runtime(config: RuntimeConfig) -> Runtime:
    """The worker process's Runtime, named after its Ray node."""
    import ray

    runtime = process_runtime(config)
    runtime.worker = f"ray-node-{ray.get_runtime_context().get_node_id()[:12]}-pid-{os.getpid()}"
    return runtime


@contextmanager
def worker_run(run_id: str, channel: str):
    """The RunContext of a run's execution in this worker process, for the length of one task;
    `channel` is the execution's Channel.address."""
    import ray

    with _worker_relays_lock:
        relay = _worker_relays.get(channel)
        if relay is None or relay.closed:
            name, execution = channel.split("#", 1)
            relay = _worker_relays[channel] = WorkerRelay(ray.get_actor(name, namespace=NAMESPACE), execution)
            for old in [r for r, v in _worker_relays.items() if v.closed]:
                del _worker_relays[old]
        relay.active += 1
    try:
        yield RunContext(run_id, on_event=relay, stop=relay.stop)
    finally:
        with _worker_relays_lock:
            relay.active -= 1
        relay.flush_soon()
