"""Real Redis topologies on loopback for the tests and benches: a three-node Redis Cluster
and a Sentinel set (a master, a replica and three sentinels).

Every process listens on 127.0.0.1 on a port of its own and keeps its files in a folder
of its own; nothing touches the shared Redis on 6379. Waiting is on conditions the
processes report (``CLUSTER INFO``, ``SENTINEL MASTER``, ``INFO replication``), polled
with a deadline: no event crosses the process boundary.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import redis
from redis.exceptions import RedisError, ResponseError

from ogpreview.settings import Settings

#: A hang guard for a topology to form or heal (not a timing assertion).
DEADLINE = 30.0
POLL = 0.02
SERVICE = "ogpreview-test"
#: How soon the sentinels count a silent master as down (the failover tests wait this).
DOWN_AFTER_MS = 1000


def binaries() -> tuple[str, str, str] | None:
    """redis-server, redis-cli and redis-sentinel, or None when one is missing."""
    found = [shutil.which(name) for name in ("redis-server", "redis-cli", "redis-sentinel")]
    if None in found:
        return None
    server, cli, sentinel = found
    assert server and cli and sentinel
    return server, cli, sentinel


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def wait_for(what: str, condition: Callable[[], bool], deadline: float = DEADLINE) -> float:
    """Poll ``condition`` until it holds; the seconds that took. Fails after ``deadline``."""
    start = time.monotonic()
    while True:
        try:
            if condition():
                return time.monotonic() - start
        except (RedisError, OSError):
            pass  # not up yet
        if time.monotonic() - start > deadline:
            raise TimeoutError(f"{what} not within {deadline:g} s")
        time.sleep(POLL)


class RedisProcess:
    """One redis-server (or sentinel) process; restartable on its port and folder."""

    def __init__(self, binary: str, folder: Path, args: list[str], port: int) -> None:
        self.binary = binary
        self.folder = folder
        self.args = args
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def ask(self, *command: str) -> object:
        with self.client() as client:
            return client.execute_command(*command)

    def start(self) -> None:
        log = (self.folder / "log.txt").open("ab")
        self.process = subprocess.Popen(
            [self.binary, *self.args], cwd=self.folder, stdout=log, stderr=log
        )
        log.close()
        wait_for(f"redis on {self.address}", lambda: bool(self.ask("PING")))

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to save or say goodbye."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        self._end(signal.SIGTERM)

    def _end(self, sig: signal.Signals) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(DEADLINE)
        self.process = None


class Cluster:
    """Three primaries without replicas, each with an append-only file fsynced on every
    write (a node restarted after SIGKILL has every write it acknowledged), and
    ``cluster-require-full-coverage no`` (the others serve while one node is down)."""

    def __init__(self, server: str, cli: str, root: Path) -> None:
        self.cli = cli
        self.nodes: list[RedisProcess] = []
        for index in range(3):
            port, bus = free_port(), free_port()
            args = [
                *("--port", str(port), "--bind", "127.0.0.1", "--cluster-port", str(bus)),
                *("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"),
                *("--cluster-node-timeout", "1000", "--cluster-require-full-coverage", "no"),
                *("--appendonly", "yes", "--appendfsync", "always", "--save", ""),
            ]
            self.nodes.append(RedisProcess(server, root / f"node{index}", args, port))

    @property
    def url(self) -> str:
        """The seed nodes, as OGPREVIEW_REDIS_URL lists them in cluster mode."""
        return ",".join(f"redis://{node.address}" for node in self.nodes)

    def settings(self, base: Settings, prefix: str) -> Settings:
        return base.replace(redis_url=self.url, redis_mode="cluster", cache_prefix=prefix)

    def start(self) -> None:
        for node in self.nodes:
            node.start()
        subprocess.run(
            [
                self.cli,
                "--cluster",
                "create",
                *(node.address for node in self.nodes),
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=DEADLINE,
        )
        self.wait_healthy()

    def healthy(self) -> bool:
        for node in self.nodes:
            with node.client() as client:
                info = client.cluster("INFO")
            if info.get("cluster_state") != "ok" or int(info["cluster_slots_ok"]) != 16384:
                return False
            if int(info["cluster_known_nodes"]) != len(self.nodes):
                return False
        return True

    def wait_healthy(self) -> float:
        return wait_for("the cluster to be ok on every node", self.healthy)

    def heal(self) -> None:
        """Start any node a test left stopped, and wait until the cluster is ok."""
        for node in self.nodes:
            if node.process is None:
                node.start()
        self.wait_healthy()

    def slot_of(self, key: str) -> int:
        live = next(node for node in self.nodes if node.process is not None)
        return int(str(live.ask("CLUSTER", "KEYSLOT", key)))

    def node_of(self, key: str) -> RedisProcess:
        """The node holding ``key``'s slot."""
        live = next(node for node in self.nodes if node.process is not None)
        slot = self.slot_of(key)
        with live.client() as client:
            ranges = client.execute_command("CLUSTER SLOTS")
        for start, end, primary, *_ in ranges:
            if start <= slot <= end:
                port = int(primary[1])
                return next(node for node in self.nodes if node.port == port)
        raise LookupError(f"no node holds slot {slot}")

    def delete(self, pattern: str) -> None:
        for node in self.nodes:
            _delete(node, pattern)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


class SentinelSet:
    """A master and its replica, watched by three sentinels (quorum two)."""

    def __init__(self, server: str, sentinel: str, root: Path) -> None:
        master_port, replica_port = free_port(), free_port()
        # No delay before a full sync: a demoted master copies its new master at once.
        data = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        data += ["--repl-diskless-sync-delay", "0"]
        self.data = [
            RedisProcess(server, root / "a", ["--port", str(master_port), *data], master_port),
            RedisProcess(
                server,
                root / "b",
                [
                    *("--port", str(replica_port), *data),
                    *("--replicaof", "127.0.0.1", str(master_port)),
                ],
                replica_port,
            ),
        ]
        self.sentinels: list[RedisProcess] = []
        for index in range(3):
            port = free_port()
            folder = root / f"sentinel{index}"
            folder.mkdir(parents=True)
            (folder / "sentinel.conf").write_text(
                f"port {port}\nbind 127.0.0.1\ndir {folder}\n"
                f"sentinel monitor {SERVICE} 127.0.0.1 {master_port} 2\n"
                f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {SERVICE} 3000\n"
            )
            self.sentinels.append(RedisProcess(sentinel, folder, ["sentinel.conf"], port))

    @property
    def url(self) -> str:
        """The sentinels, as OGPREVIEW_REDIS_URL lists them in sentinel mode."""
        return ",".join(f"redis://{node.address}" for node in self.sentinels)

    def settings(self, base: Settings, prefix: str) -> Settings:
        return base.replace(
            redis_url=self.url,
            redis_mode="sentinel",
            redis_sentinel_service=SERVICE,
            cache_prefix=prefix,
        )

    def start(self) -> None:
        for node in (*self.data, *self.sentinels):
            node.start()
        self.wait_healthy()

    def _agreed_master(self) -> RedisProcess | None:
        ports = {
            int(node.ask("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)[1])  # type: ignore[index]
            for node in self.sentinels
        }
        if len(ports) != 1:
            return None  # mid-failover
        port = ports.pop()
        return next(node for node in self.data if node.port == port)

    def master(self) -> RedisProcess:
        """The data node every sentinel names as the master."""
        master = self._agreed_master()
        assert master is not None, "the sentinels disagree on the master"
        return master

    def healthy(self) -> bool:
        master = self._agreed_master()
        if master is None:
            return False
        replica = next(node for node in self.data if node is not master)
        with master.client() as client:
            if client.info("replication")["role"] != "master":
                return False
        with replica.client() as client:
            info = client.info("replication")
            if info["role"] != "slave" or info.get("master_link_status") != "up":
                return False
            if int(info["master_port"]) != master.port:
                return False
        for node in self.sentinels:
            with node.client() as client:
                state = client.sentinel_master(SERVICE)
                replicas = client.sentinel_slaves(SERVICE)
            flags = str(state["flags"])
            if "s_down" in flags or "o_down" in flags or "failover" in flags:
                return False
            seen = {int(str(r["port"])) for r in replicas if r["flags"] == "slave"}
            if state["num-other-sentinels"] != 2 or replica.port not in seen:
                return False
        return True

    def wait_healthy(self) -> float:
        return wait_for("the sentinel set to be settled", self.healthy)

    def fail_over(self, *, kill: bool = False) -> float:
        """Fail the master over: by SENTINEL FAILOVER, or by SIGKILL of the master. Returns
        once the sentinels agree on the new master: the seconds that took. :meth:`settle`
        brings the set back to a master and a replica."""
        old = self.master()
        if kill:
            old.kill()
        else:
            wait_for("a sentinel to take the failover", self._ask_for_failover)
        return wait_for("the sentinels to promote the replica", lambda: self._promoted(old))

    def _ask_for_failover(self) -> bool:
        try:
            self.sentinels[0].ask("SENTINEL", "FAILOVER", SERVICE)
        except ResponseError as exc:
            # Until the sentinels have seen the replica's link up again since the last
            # failover (they ask replicas every 10 s), none is good enough to promote.
            if "NOGOODSLAVE" in str(exc):
                return False
            raise
        return True

    def delete(self, pattern: str) -> None:
        _delete(self.master(), pattern)

    def heal(self) -> None:
        self.settle()

    def settle(self) -> None:
        """Start the data node a kill stopped, and wait until the old master is a replica
        of the new one."""
        for node in self.data:
            if node.process is None:
                node.start()
        wait_for("the sentinels to agree", lambda: self._agreed_master() is not None)
        master = self.master()
        for node in self.data:
            with node.client() as client:
                if node is not master and client.info("replication")["role"] == "master":
                    # What the sentinels do to a demoted master at their next look at it
                    # (up to 10 s later), done now.
                    client.replicaof("127.0.0.1", master.port)
        self.wait_healthy()

    def _promoted(self, old: RedisProcess) -> bool:
        master = self._agreed_master()
        return master is not None and master is not old

    def stop(self) -> None:
        for node in (*self.sentinels, *self.data):
            node.stop()


def _delete(node: RedisProcess, pattern: str) -> None:
    with node.client() as client:
        for key in list(client.scan_iter(match=pattern, count=500)):
            client.delete(key)


Topology = TypeVar("Topology", Cluster, SentinelSet)


@contextmanager
def running(topology: Topology) -> Iterator[Topology]:
    """The topology started, and stopped (every process) at the end."""
    try:
        topology.start()
        yield topology
    finally:
        topology.stop()
