"""Settings and rule files, loaded once from ``pipeline/rules/``.

A user's own TOML file (``pipeline --config FILE``, or the environment
variable ``PIPELINE_CONFIG``) is laid over ``config.toml``: it may set any
of its keys and no others, so a typo is an error rather than a setting
silently ignored. The variable is how worker processes see the same file.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tomllib
from pathlib import Path

RULES_DIR = Path(__file__).parent / "rules"
CONFIG_ENV = "PIPELINE_CONFIG"


class ConfigError(ValueError):
    """A user configuration file that cannot be used; the message says why."""


@functools.cache
def settings() -> dict:
    """The parsed ``config.toml``, with the user's file (if any) laid over it."""
    with open(RULES_DIR / "config.toml", "rb") as f:
        base = tomllib.load(f)
    user = os.environ.get(CONFIG_ENV)
    if user:
        try:
            with open(user, "rb") as f:
                overrides = tomllib.load(f)
        except OSError as exc:
            raise ConfigError(f"{user}: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{user}: not valid TOML ({exc})") from None
        _lay_over(base, overrides, user, "")
    return base


def use_config(path: Path | str | None) -> dict:
    """Lay ``path`` over ``config.toml`` for this process and its children;
    return the settings, or raise :class:`ConfigError` at once."""
    if path is not None:
        os.environ[CONFIG_ENV] = os.path.abspath(path)
        settings.cache_clear()
    return settings()


def _lay_over(base: dict, overrides: dict, source: str, prefix: str) -> None:
    for key, value in overrides.items():
        name = f"{prefix}{key}"
        if key not in base:
            known = ", ".join(sorted(base))
            raise ConfigError(f"{source}: unknown setting {name!r} (config.toml has: {known})")
        old = base[key]
        if isinstance(old, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: {name!r} must be a table")
            _lay_over(old, value, source, f"{name}.")
        elif isinstance(old, bool) != isinstance(value, bool) or not isinstance(value, _kind(old)):
            raise ConfigError(f"{source}: {name!r} must be {_kind(old)[0].__name__}, "
                              f"not {type(value).__name__}")
        else:
            base[key] = value


def _kind(value) -> tuple[type, ...]:
    return (float, int) if isinstance(value, float) else (type(value),)


@functools.cache
def load_toml(name: str) -> dict:
    """A rule file in TOML, by file name."""
    with open(RULES_DIR / name, "rb") as f:
        return tomllib.load(f)


@functools.cache
def load_lines(name: str) -> tuple[str, ...]:
    """A word or phrase list: one entry per line, ``#`` starts a comment."""
    lines = []
    for line in (RULES_DIR / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return tuple(lines)


def rules_fingerprint() -> str:
    """Hash of every rule file and of the settings in force (a user's file
    included), so a changed rule or setting invalidates the cache."""
    h = hashlib.sha256(json.dumps(settings(), sort_keys=True).encode())
    for path in sorted(RULES_DIR.rglob("*")):
        if path.is_file():
            h.update(path.relative_to(RULES_DIR).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]
