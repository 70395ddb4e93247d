"""Packaging only: pick a target's pure writer, zip its files reproducibly, write atomically."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from grader.atomic import write_bytes_atomic
from grader.export import canvas, gift, moodle, qti21
from grader.export.common import ExportSet

# The zip format stores a local time; a fixed one keeps packages byte-identical (no clock).
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """A zip of ``files`` (archive path -> bytes), sorted by path, fixed dates and modes.

    >>> zip_bytes({"a.txt": b"x"}) == zip_bytes({"a.txt": b"x"})
    True
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # unix, whatever the platform
            archive.writestr(info, files[name])
    return buffer.getvalue()


def package(files: Mapping[str, bytes], zipped: bool) -> bytes:
    """The bytes of the output file: the single file itself, or a zip of them all."""
    if not zipped:
        if len(files) != 1:
            raise ValueError(f"a single-file format produced {len(files)} files")
        return next(iter(files.values()))
    return zip_bytes(files)


def write_package(path: str | Path, data: bytes) -> Path:
    """Write the package atomically (a reader never sees half a file)."""
    return write_bytes_atomic(path, data)


@dataclass(frozen=True)
class Target:
    """An LMS format: its pure writer, whether its files are zipped, the usual file suffix."""

    name: str
    writer: Callable[[ExportSet], Mapping[str, bytes]]
    zipped: bool
    suffix: str


TARGETS: Mapping[str, Target] = {
    "moodle": Target("moodle", moodle.files, False, ".xml"),
    "qti21": Target("qti21", qti21.files, True, ".zip"),
    "canvas": Target("canvas", canvas.files, True, ".zip"),
    "gift": Target("gift", gift.files, False, ".gift.txt"),
}


def export_bytes(export: ExportSet, target: str) -> bytes:
    """The output file's bytes for ``target`` (a key of :data:`TARGETS`); pure."""
    chosen = TARGETS[target]
    return package(chosen.writer(export), chosen.zipped)
