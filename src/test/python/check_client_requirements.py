"""Prints one line per requirement of a generated Python client that this interpreter does not meet.

Usage: check_client_requirements.py CLIENT_DIR, where CLIENT_DIR holds the setup.py and requirements.txt that
openapi-generator's `python` generator wrote. Prints nothing when every requirement is met. Reads only the lower
bounds (`>=`), the ones an older installation misses.
"""
import importlib.metadata
import pathlib
import re
import sys


def version_tuple(text):
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def main(client_dir):
    client = pathlib.Path(client_dir)
    unmet = []
    python_requires = re.search(r'PYTHON_REQUIRES\s*=\s*"\s*>=\s*([0-9.]+)',
                                (client / "setup.py").read_text(encoding="utf-8"))
    if python_requires and sys.version_info[:3] < version_tuple(python_requires.group(1)):
        unmet.append(f"python >= {python_requires.group(1)} (this is {sys.version.split()[0]}, {sys.executable})")
    for line in (client / "requirements.txt").read_text(encoding="utf-8").splitlines():
        requirement = line.split("#")[0].strip()
        if not requirement:
            continue
        match = re.match(r"([A-Za-z0-9_.-]+)\s*(?:>=\s*([0-9.]+))?", requirement)
        name, lower = match.group(1), match.group(2)
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            unmet.append(f"{requirement} (not installed)")
            continue
        if lower and version_tuple(installed) < version_tuple(lower):
            unmet.append(f"{requirement} (installed: {installed})")
    print("\n".join(unmet))


if __name__ == "__main__":
    main(sys.argv[1])
