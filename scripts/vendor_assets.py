"""Vendor the front-end assets from the npm registry into static/ (run by `make vendor`).

The app must work on a closed exam network: no CDN, no remote fonts. The results are committed;
this script only documents and repeats how they were made.

- Bootstrap 5 (CSS and the bundled JS) for the sober, accessible page toolkit.
- Tinos (metric-compatible with Times New Roman, as NĐ 30/2020 documents expect), from
  @fontsource/tinos: its latin, latin-ext and vietnamese subsets merged into one TTF per style,
  so WeasyPrint embeds a single font with every Vietnamese glyph.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from fontTools.merge import Merger
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
PACKAGES = {"bootstrap": "5.3.9", "@fontsource/tinos": "5.3.0"}
SUBSETS = ("latin", "latin-ext", "vietnamese")
STYLES = {
    "400-normal": "Regular",
    "700-normal": "Bold",
    "400-italic": "Italic",
    "700-italic": "BoldItalic",
}


def fetch(workdir: Path) -> dict[str, Path]:
    unpacked = {}
    for name, version in PACKAGES.items():
        out = (
            subprocess.run(
                ["npm", "pack", f"{name}@{version}", "--silent"],
                cwd=workdir,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        target = workdir / name.replace("/", "_")
        with tarfile.open(workdir / out) as tar:
            tar.extractall(target, filter="data")
        unpacked[name] = target / "package"
    return unpacked


def vendor_bootstrap(package: Path) -> None:
    dest = STATIC / "vendor" / "bootstrap"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(package / "dist/css/bootstrap.min.css", dest)
    shutil.copy(package / "dist/js/bootstrap.bundle.min.js", dest)
    shutil.copy(package / "LICENSE", dest / "LICENSE")


def vendor_tinos(package: Path, workdir: Path) -> None:
    dest = STATIC / "fonts"
    dest.mkdir(parents=True, exist_ok=True)
    for style, suffix in STYLES.items():
        parts = []
        for subset in SUBSETS:
            font = TTFont(package / "files" / f"tinos-{subset}-{style}.woff")
            font.flavor = None
            path = workdir / f"{subset}-{style}.ttf"
            font.save(path)
            parts.append(str(path))
        merged = Merger().merge(parts)
        merged.save(dest / f"Tinos-{suffix}.ttf")
    shutil.copy(package / "LICENSE", dest / "LICENSE-Tinos.txt")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        unpacked = fetch(workdir)
        vendor_bootstrap(unpacked["bootstrap"])
        vendor_tinos(unpacked["@fontsource/tinos"], workdir)


if __name__ == "__main__":
    main()
