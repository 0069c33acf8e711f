"""What a running app is made of: its threads, its per-fd flags and epoll sets, its strace log."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..sockets import Process, Socket
from ..trace import AppView
from .language import Program

ERRNO = {
    "EPERM": 1, "EBADF": 9, "EAGAIN": 11, "EFAULT": 14, "EEXIST": 17, "EINVAL": 22, "EMFILE": 24, "EPIPE": 32,
    "ENOENT": 2, "ENOTSOCK": 88, "EDESTADDRREQ": 89, "EMSGSIZE": 90,
    "ENOPROTOOPT": 92, "EOPNOTSUPP": 95, "EADDRINUSE": 98, "EADDRNOTAVAIL": 99,
    "ENETUNREACH": 101, "ECONNABORTED": 103, "ECONNRESET": 104, "EISCONN": 106, "ENOTCONN": 107, "ETIMEDOUT": 110,
    "ECONNREFUSED": 111, "EHOSTUNREACH": 113, "EALREADY": 114, "EINPROGRESS": 115,
}
"""Linux errno numbers (asm-generic/errno.h), so a program can compare `errno == EAGAIN`."""
ERRNO_NAME = {number: name for name, number in ERRNO.items()}
STRERROR = {
    "EPERM": "Operation not permitted", "EBADF": "Bad file descriptor", "EAGAIN": "Resource temporarily unavailable",
    "EFAULT": "Bad address", "EEXIST": "File exists", "EINVAL": "Invalid argument", "EMFILE": "Too many open files",
    "EPIPE": "Broken pipe", "ENOENT": "No such file or directory", "ENOTSOCK": "Socket operation on non-socket",
    "EDESTADDRREQ": "Destination address required", "EMSGSIZE": "Message too long",
    "ENOPROTOOPT": "Protocol not available", "EOPNOTSUPP": "Operation not supported",
    "EADDRINUSE": "Address already in use", "EADDRNOTAVAIL": "Cannot assign requested address",
    "ENETUNREACH": "Network is unreachable", "ECONNABORTED": "Software caused connection abort",
    "ECONNRESET": "Connection reset by peer",
    "EISCONN": "Transport endpoint is already connected", "ENOTCONN": "Transport endpoint is not connected",
    "ETIMEDOUT": "Connection timed out", "ECONNREFUSED": "Connection refused", "EHOSTUNREACH": "No route to host",
    "EALREADY": "Operation already in progress", "EINPROGRESS": "Operation now in progress",
}
"""strerror() of each, as strace prints it after the errno name."""


@dataclass(frozen=True, slots=True)
class Event:
    """One entry epoll_wait(), poll() or select() filled in: the fd and what is ready on it."""

    fd: int
    events: int


@dataclass(slots=True)
class Interest:
    """One fd in an epoll set: the events asked for, and for edge-triggered ones what was last reported."""

    mask: int
    last_token: object = None


@dataclass(slots=True)
class FdInfo:
    """What the app's side of the kernel keeps per fd beyond the socket: flags, progress, epoll sets."""

    kind: str
    """`socket` or `epoll`."""
    sock: Socket | None = None
    nonblock: bool = False
    send_seq: int = 0
    """The sequence number of the next byte write() sends."""
    pending_error: str | None = None
    """sk_err: reported once by the next call (or SO_ERROR), e.g. ECONNREFUSED after a non-blocking connect."""
    reset: bool = False
    """A RST ended the connection: reads return 0 after the error, writes fail with EPIPE."""
    refused: bool = False
    """A connect() call reported the failure and tcp_disconnect() ran (__inet_stream_connect's
    sock_error path): the socket is back to unconnected, so read() is ENOTCONN, not 0."""
    connecting: bool = False
    """A non-blocking connect() returned EINPROGRESS and no connect() call has seen the outcome yet
    (sock->state SS_CONNECTING): the next one returns 0 once connected, and once it failed sk_err
    or, when that was already taken, ECONNABORTED."""
    shut_wr: bool = False
    options: dict[str, int] = field(default_factory=dict)
    """Options set on the fd's socket beyond the socket's own fields (TCP_NODELAY, SO_KEEPALIVE,
    SO_SNDBUF, SO_RCVTIMEO): see `options`."""
    keepalive_probes: int = 0
    """icsk_probes_out: keepalive probes sent since the peer was last heard from."""
    keepalive_due: float | None = None
    """When the keepalive timer fires next (armed by SO_KEEPALIVE with the tcp_keepalive_time of
    that moment, as inet_csk_reset_keepalive_timer() does: changing the sysctl later moves no timer
    already running)."""
    unsent: int = 0
    """Bytes write() accepted that Nagle's algorithm holds back until the data in flight is acknowledged."""
    interests: dict[int, Interest] = field(default_factory=dict)
    """For an epoll fd: the fds it watches."""
    opened_actively: bool = False
    """connect() opened it (its SYN counts in tcp_info's segs_out and bytes_acked)."""
    bytes_sent: int = 0
    bytes_read: int = 0
    segs_out: int = 0
    data_segs_out: int = 0
    last_sent: float | None = None
    """When the socket last sent a segment (ss -i's lastsnd)."""


@dataclass(slots=True)
class Thread:
    """One thread: where it is in the code, its variables, and the call it waits in."""

    tid: int
    pc: int
    variables: dict[str, object] = field(default_factory=dict)
    blocked: str | None = None
    """The call it is blocked in, as strace shows an unfinished one (`accept(3, ...`)."""
    deadline: float | None = None
    """For a call with a timeout (epoll_wait, sleep): when, on the host clock, it returns anyway."""
    blocked_at: float | None = None
    """When the call it waits in began (strace -T shows how long it took)."""
    done: bool = False


@dataclass(slots=True)
class App:
    """A running program: one process of the host's socket table, with its threads."""

    program: Program
    proc: Process
    threads: list[Thread] = field(default_factory=list)
    files: dict[int, FdInfo] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    """Every finished call, strace style (`accept(3) = 4`), and what the program printed."""
    last_events: str = ""
    """What the last epoll_wait/poll/select reported, for the app's view."""
    exit_status: int | None = None
    next_tid: int = 0
    trimmed: int = 0
    """How many of the oldest log lines were let go (the log keeps the latest)."""
    spinning: bool = False
    """The last run ended with a thread still running, never having blocked (a busy loop)."""
    tasks_max: int | None = None
    """The pids cgroup limit the app runs under (systemd's TasksMax=): clone() fails with EAGAIN
    once the process has this many threads."""
    deliveries: int = 0
    """Packets delivered to its sockets while a journey was recorded (numbers `follow`)."""
    follow: tuple[int, list[AppView]] | None = None
    """The delivery whose aftermath is being recorded, and the app's view after each call since;
    the runner closes it when it has let the app run on (see `appview`)."""
    followed: dict[int, tuple[AppView, ...]] = field(default_factory=dict)
    """Closed records, by delivery number (the latest few): what the app did after each packet."""

    @property
    def logged(self) -> int:
        """Lines ever logged: a mark that stays valid after old lines are let go."""
        return self.trimmed + len(self.log)

    def since(self, mark: int) -> list[str]:
        """The lines logged after `mark` (a value of `logged`) that are still kept."""
        return self.log[max(0, mark - self.trimmed):]

    @property
    def status(self) -> str:
        """`running`, `blocked in CALL`, or `exited (N)`."""
        if self.exit_status is not None:
            return f"exited ({self.exit_status})"
        if self.spinning:
            return "running without ever blocking (a busy loop: it uses a whole CPU)"
        waiting = [t.blocked for t in self.threads if not t.done and t.blocked]
        if waiting and len(waiting) == len([t for t in self.threads if not t.done]):
            return f"blocked in {waiting[0]}" if len(waiting) == 1 else f"{len(waiting)} threads blocked"
        return "running"
