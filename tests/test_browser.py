"""Real renders in headless Chromium: the simulate report and the decision graph page.

Each page is screenshotted and the PNG decoded here (zlib + struct, no imaging
library) to show that something was drawn: the report's bar colours fill
whole bars, the graph's node colours are there, and much of the page is not
white. Without `chromium` on PATH the test is skipped, unless the environment
variable CI is set (`.ci/run` installs the browser, so there it must run).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pytest

from policyc.cli import main

REPO = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT = 1280, 2000
WHITE = (255, 255, 255)


@pytest.fixture(scope="module")
def chromium() -> str:
    return find_chromium()


def find_chromium() -> str:
    """The browser on PATH; without it skip, or fail when CI is set."""
    found = shutil.which("chromium")
    if found is not None:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed, and CI is set: the browser test must run in CI "
                    "(.ci/run installs it with apt-get install -y chromium)")
    pytest.skip("chromium is not installed (apt-get install -y chromium); "
                "set CI=1 to make its absence a failure")


def screenshot(browser: str, page: Path, png: Path, profile: Path) -> None:
    profile.mkdir()
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", f"--screenshot={png}",
         f"--window-size={WIDTH},{HEIGHT}", page.resolve().as_uri()],
        check=True, capture_output=True, timeout=180)


def test_a_missing_browser_skips_here_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium is not installed"):
        find_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        find_chromium()


# -- a small PNG decoder: 8-bit RGB or RGBA, not interlaced ---------------------------------------

def decode_png(data: bytes) -> tuple[int, int, list[bytes], int]:
    """(width, height, rows of pixel bytes, bytes per pixel)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, bytearray(), b""
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(bytes(idat)), width * bpp
    rows, prior = [], bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        line = _unfilter(raw[start], raw[start + 1:start + 1 + stride], prior, bpp)
        rows.append(line)
        prior = line
    return width, height, rows, bpp


def _unfilter(kind: int, line: bytes, prior: bytes, bpp: int) -> bytes:
    if kind == 0:
        return line
    if kind == 2:  # Up: bytewise sum without carries, on the whole row as one integer
        n = len(line)
        a, b = int.from_bytes(line, "big"), int.from_bytes(prior, "big")
        low = int.from_bytes(b"\x7f" * n, "big")
        return (((a & low) + (b & low)) ^ ((a ^ b) & ~low & ((1 << 8 * n) - 1))).to_bytes(n, "big")
    out = bytearray(line)
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        up = prior[i]
        if kind == 1:
            out[i] = (out[i] + left) & 255
        elif kind == 3:
            out[i] = (out[i] + (left + up) // 2) & 255
        else:  # 4: Paeth
            corner = prior[i - bpp] if i >= bpp else 0
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            guess = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            out[i] = (out[i] + guess) & 255
    return bytes(out)


def colours(png: Path, width: int | None = WIDTH,
            height: int | None = HEIGHT) -> Counter[tuple[int, int, int]]:
    """How many pixels of each RGB colour the screenshot has (of the given size, if given)."""
    got_width, got_height, rows, bpp = decode_png(png.read_bytes())
    assert width is None or got_width == width
    assert height is None or got_height == height
    counted: Counter[tuple[int, int, int]] = Counter()
    for row in rows:
        counted.update(zip(row[0::bpp], row[1::bpp], row[2::bpp], strict=True))
    return counted


def rgb(hex_colour: str) -> tuple[int, int, int]:
    value = int(hex_colour.lstrip("#"), 16)
    return value >> 16, (value >> 8) & 255, value & 255


def test_png_decoder_reads_every_filter() -> None:
    rows = [bytes([10, 20, 30, 40, 50, 60]), bytes([1, 2, 3, 250, 251, 252])]
    raw = bytearray()
    for kind in range(5):  # the same two rows, the second filtered with each filter in turn
        raw += b"\x00" + rows[0] + bytes([kind]) + _filter(kind, rows[1], rows[0], 3)
    header = struct.pack(">IIBBBBB", 2, 10, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + \
        _chunk(b"IDAT", zlib.compress(bytes(raw))) + _chunk(b"IEND", b"")
    assert decode_png(data)[2] == rows * 5


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _filter(kind: int, line: bytes, prior: bytes, bpp: int) -> bytes:
    out = bytearray()
    for i, x in enumerate(line):
        left = line[i - bpp] if i >= bpp else 0
        up, corner = prior[i], prior[i - bpp] if i >= bpp else 0
        p = left + up - corner
        paeth = min((abs(p - left), 0, left), (abs(p - up), 1, up), (abs(p - corner), 2, corner))[2]
        guess = (0, left, up, (left + up) // 2, paeth)[kind]
        out.append((x - guess) & 255)
    return bytes(out)


# -- the renders ---------------------------------------------------------------------------------

def test_report_renders_its_charts(chromium: str, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    page, png = tmp_path / "shopee-day.html", tmp_path / "shopee-day.png"
    assert main(["simulate", str(REPO / "policies" / "shopee.yaml"),
                 "--log", str(REPO / "policies" / "logs" / "shopee-day.jsonl"),
                 "--report", str(page)]) == 0
    capsys.readouterr()
    screenshot(chromium, page, png, tmp_path / "profile")
    assert 20_000 < png.stat().st_size < 5_000_000
    seen = colours(png)
    assert sum(n for c, n in seen.items() if c != WHITE) > WIDTH * HEIGHT // 20
    assert len(seen) > 50  # text, lines and bars, anti-aliased
    assert seen[rgb("#2463a6")] > 2000  # the agents' bars (and the queue line)
    assert seen[rgb("#c99400")] > 2000  # the waiting-time bars (and the staging line)


def test_graph_page_renders_its_nodes(chromium: str, tmp_path: Path) -> None:
    page, png = tmp_path / "shopee-graph.html", tmp_path / "shopee-graph.png"
    # the graph command has no --event/--state: the plain page, no highlighted path
    assert main(["graph", str(REPO / "policies" / "shopee.yaml"), "--format", "html",
                 "-o", str(page)]) == 0
    screenshot(chromium, page, png, tmp_path / "profile")
    assert 20_000 < png.stat().st_size < 5_000_000
    seen = colours(png)
    assert sum(n for c, n in seen.items() if c != WHITE) > WIDTH * HEIGHT // 20
    assert len(seen) > 50
    for node_fill in ("#eef3fb", "#fff8e6", "#eafaf1"):  # entry, gate, outcome boxes
        assert seen[rgb(node_fill)] > 500, node_fill


def test_graph_page_draws_a_highlighted_path(chromium: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The path of the example message, decided by `policyc graph --state --event`, in red."""
    monkeypatch.chdir(REPO)
    examples = Path("policies/examples")
    page, png = tmp_path / "shopee-path.html", tmp_path / "shopee-path.png"
    assert main(["graph", "policies/shopee.yaml", "--format", "html", "--state",
                 str(examples / "shopee-state.json"), "--event",
                 str(examples / "shopee-event.json"), "-o", str(page)]) == 0
    capsys.readouterr()
    screenshot(chromium, page, png, tmp_path / "profile")
    seen = colours(png)
    assert seen[rgb("#c0392b")] > 1000  # the taken edges and the boxes on the path
    assert seen[rgb("#eafaf1")] > 500
