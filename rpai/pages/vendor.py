"""`make vendor`: the pages' vendored libraries, fetched again from the npm registry.

`vendor.lock.json` names, for each npm package, its version and which of its files are copied
where under `vendor/`; this writes those files unchanged and records the package's integrity
(the registry's sha512 of its tarball, checked by `npm pack`) and each file's sha256, which
tests/rpai/test_pages.py checks. Run by a person, never by the app or by CI. To upgrade a
package: change its version and delete its integrity, run `make vendor`, look at the diff.
A locked version must come back from the registry with the integrity it was locked with.
"""

import hashlib
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

PAGES_DIR = Path(__file__).parent
VENDOR_DIR = PAGES_DIR / "vendor"
LOCK = PAGES_DIR / "vendor.lock.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_lock() -> dict[str, Any]:
    lock: dict[str, Any] = json.loads(LOCK.read_text())
    return lock


def pack(name: str, version: str, into: Path) -> tuple[Path, str]:
    """The package's tarball from the registry (through npm, with its configuration) and its
    integrity."""
    answer = subprocess.run(
        ["npm", "pack", f"{name}@{version}", "--json", "--pack-destination", str(into)],
        check=True,
        capture_output=True,
        text=True,
    )
    [packed] = json.loads(answer.stdout)
    return into / packed["filename"], str(packed["integrity"])


def vendor(name: str, entry: dict[str, Any], into: Path) -> None:
    """Write the package's files under vendor/ and record their checksums in `entry`."""
    tarball, integrity = pack(name, entry["version"], into)
    if entry.get("integrity", integrity) != integrity:
        raise SystemExit(
            f"{name}@{entry['version']}: the registry's tarball is not the one locked "
            "(after changing a version, delete its integrity)"
        )
    entry["integrity"] = integrity
    with tarfile.open(tarball) as archive:
        for target, file in entry["files"].items():
            member = archive.extractfile(f"package/{file['from']}")
            if member is None:
                raise SystemExit(f"{name}: {file['from']} is not a file")
            data = member.read()
            (VENDOR_DIR / target).parent.mkdir(parents=True, exist_ok=True)
            (VENDOR_DIR / target).write_bytes(data)
            file["sha256"] = sha256(data)
    print(f"{name}@{entry['version']}: {len(entry['files'])} files")  # noqa: T201 - for the person running it


def main() -> None:
    lock = read_lock()
    with tempfile.TemporaryDirectory() as scratch:
        for name, entry in lock["packages"].items():
            vendor(name, entry, Path(scratch))
    LOCK.write_text(json.dumps(lock, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
