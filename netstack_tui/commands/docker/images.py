"""The stand-in images: what `docker images` lists and what each one runs.

No image is real software: an image name maps to a process that listens where the real server would
(nginx on tcp :80, redis on :6379, postgres on :5432) or to a shell that exits or sleeps.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Image:
    """One stand-in image."""

    repository: str
    image_id: str
    command: str
    """What `docker ps` shows in COMMAND (entrypoint and cmd of the real image)."""
    app: str
    """The process name `ss -tlnp` shows inside the container."""
    listens: tuple[tuple[str, int], ...]
    """(proto, port) the app listens on, on 0.0.0.0."""
    size: str
    created: str


IMAGES: dict[str, Image] = {
    image.repository: image
    for image in (
        Image("nginx", "4e1b6bae1e48", "/docker-entrypoint.sh nginx -g 'daemon off;'", "nginx",
              (("tcp", 80),), "192MB", "2 weeks ago"),
        Image("redis", "a7ec7e2d6a6b", "docker-entrypoint.sh redis-server", "redis-server",
              (("tcp", 6379),), "128MB", "3 weeks ago"),
        Image("postgres", "0c6a4a7c1f1e", "docker-entrypoint.sh postgres", "postgres",
              (("tcp", 5432),), "438MB", "3 weeks ago"),
        Image("httpd", "1a8e2a1d5b2f", "httpd-foreground", "httpd", (("tcp", 80),), "148MB", "4 weeks ago"),
        Image("busybox", "6d3e4188a38a", "sh", "sh", (), "4.28MB", "8 months ago"),
        Image("alpine", "9234e8fb04c4", "/bin/sh", "sh", (), "8.31MB", "4 months ago"),
    )
}


def find(reference: str) -> Image | None:
    """The stand-in for `repo[:tag]` (any tag: the stand-ins play every version)."""
    repo = reference.rsplit(":", 1)[0] if ":" in reference.split("/")[-1] else reference
    return IMAGES.get(repo.removeprefix("docker.io/").removeprefix("library/"))


def note(image: Image) -> str:
    """The one line that says the image is a stand-in."""
    if image.listens:
        where = ", ".join(f"{proto} :{port}" for proto, port in image.listens)
        return f"(simulated image: {image.repository} stands in as a listener on {where}, not real software)"
    return f"(simulated image: {image.repository} stands in as a shell with nothing listening, not real software)"
