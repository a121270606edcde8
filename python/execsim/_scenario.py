"""Scenarios: what to simulate, from a TOML file or text, or built with keywords.

The keyword builder mirrors the TOML keys. A section's keys may be given flat (they are
unambiguous) or as a dict::

    Scenario(executor="thread", workers=4, switch_interval="2ms", cores=2,
             clients=[{"name": "simple", "n": 1},
                      {"name": "long", "n": 100000, "start": "2s"}])
    Scenario(server={"executor": "process"}, python={"version": "3.13"}, duration="6s")

Durations are strings such as ``"2ms"`` or :class:`datetime.timedelta`. Every key is checked
by the simulator's own validation; a bad one raises :class:`execsim.ScenarioError` (a
``ValueError``) whose ``key`` names it, e.g. ``clients[1].n``.
"""

from __future__ import annotations

import datetime
import json
import os
import pathlib
from typing import Any, Dict, Mapping, Optional, Union

from . import _native

#: The flat keywords of each TOML section (``[machine]``, ``[python]``, ``[server]``).
SECTION_KEYS: Dict[str, tuple] = {
    "machine": ("cores", "scheduler"),
    "python": ("version", "gil", "switch_interval", "runtime"),
    "server": ("kind", "executor", "workers", "language"),
}
#: The top-level keys of a scenario file.
TOP_KEYS = ("name", "seed", "duration", "clients", "requests", "affinity", "costs")
#: What the keyword builder fills in when not given (as ``Scenario::default`` in Rust: the
#: lesson's length and one closed-loop client sending ``n = 1``).
DEFAULTS: Dict[str, Any] = {
    "duration": "12s",
    "clients": [{"name": "simple", "n": 1}],
}

_FLAT = {key: section for section, keys in SECTION_KEYS.items() for key in keys}


def _plain(value: Any, key: str) -> Any:
    """``value`` with timedeltas as durations, request objects as dicts, Nones dropped."""
    if isinstance(value, datetime.timedelta):
        ns = round(value.total_seconds() * 1e9)
        if ns < 0:
            raise key_error(key, "durations cannot be negative")
        return f"{ns}ns"
    if hasattr(value, "request") and callable(value.request):
        return _plain(value.request(), key)
    if isinstance(value, Mapping):
        return {str(k): _plain(v, f"{key}.{k}" if key else str(k)) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{key}[{i}]") for i, v in enumerate(value)]
    return value


def key_error(key: str, message: str) -> _native.ScenarioError:
    """A :class:`execsim.ScenarioError` naming ``key`` (its message, and its ``key``)."""
    err = _native.ScenarioError(f"{key}: {message}" if key else message)
    err.key = key
    return err


class Scenario:
    """A complete, validated description of one run (immutable).

    Build it with keywords (see the module documentation) or :meth:`from_toml`; read it back
    with :attr:`toml` or :meth:`to_dict`.
    """

    __slots__ = ("_toml", "_base")

    def __init__(self, **keys: Any) -> None:
        doc = _with_keys({}, keys)
        for key, value in DEFAULTS.items():
            doc.setdefault(key, value)
        self._base = os.getcwd()
        self._toml = _native.scenario_from_json(json.dumps(doc), self._base)

    def replace(self, **keys: Any) -> "Scenario":
        """A copy with ``keys`` changed (the same keywords as the builder), e.g. the advised
        option: ``s.replace(executor="process", workers=2)``. A section given as a dict
        changes only the keys it names; a list (``clients``, ``requests``) is replaced whole;
        ``None`` puts a key back to its default (``workers=None``: the executor's own pool
        size). Empirical distributions' files are still read from this scenario's folder."""
        new = Scenario.__new__(Scenario)
        new._base = self._base
        doc = _with_keys(_without_nulls(self.to_dict()), keys)
        new._toml = _native.scenario_from_json(json.dumps(doc), self._base)
        return new

    @classmethod
    def from_toml(cls, source: Union[str, os.PathLike]) -> "Scenario":
        """A scenario from a TOML file (a path) or TOML text.

        A string is taken as a path when it names an existing file, otherwise as TOML text.
        An empirical distribution's file is read relative to the scenario file's folder (the
        current folder for text). A file's scenario is named after the file unless it says.
        """
        path: Optional[pathlib.Path] = None
        if isinstance(source, os.PathLike):
            path = pathlib.Path(source)
        elif isinstance(source, str) and "\n" not in source and "=" not in source:
            path = pathlib.Path(source)
        self = cls.__new__(cls)
        if path is not None:
            try:
                text = path.read_text()
            except OSError as e:
                raise key_error("", f"cannot read {path}: {e.strerror or e}") from None
            self._base = str(path.resolve().parent)
            self._toml = _native.scenario_check(text, self._base, path.stem)
        else:
            self._base = os.getcwd()
            self._toml = _native.scenario_check(str(source), self._base)
        return self

    @property
    def toml(self) -> str:
        """The scenario as TOML, every key written out (a file ``execsim run`` takes)."""
        return self._toml

    @property
    def base(self) -> str:
        """The folder empirical distributions' files are read from."""
        return self._base

    def to_dict(self) -> Dict[str, Any]:
        """The scenario as nested dicts, every key with its value (defaults included)."""
        return json.loads(_native.scenario_to_json(self._toml, self._base))

    @property
    def name(self) -> str:
        """The scenario's label (``"scenario"`` when unnamed)."""
        return self.to_dict().get("name") or "scenario"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scenario) and self._toml == other._toml

    def __hash__(self) -> int:
        return hash(self._toml)

    def __repr__(self) -> str:
        d = self.to_dict()
        server = d.get("server", {})
        return (
            f"Scenario(name={self.name!r}, executor={server.get('executor')!r}, "
            f"duration={d.get('duration')!r}, clients={len(d.get('clients', []))})"
        )


def _with_keys(doc: Dict[str, Any], keys: Mapping[str, Any]) -> Dict[str, Any]:
    """``doc`` (a scenario's nested dicts) with the builder's keywords ``keys`` set in it."""
    for key, value in keys.items():
        if value is None:  # not given, or (replacing) back to its default
            if key in _FLAT:
                doc.get(_FLAT[key], {}).pop(key, None)
            elif key in TOP_KEYS or key in SECTION_KEYS:
                doc.pop(key, None)
            continue
        if key in SECTION_KEYS:
            if not isinstance(value, Mapping):
                raise key_error(key, "must be a dict of the section's keys")
            doc.setdefault(key, {}).update(_plain(value, key))
        elif key in _FLAT:
            section = _FLAT[key]
            doc.setdefault(section, {})[key] = _plain(value, f"{section}.{key}")
        elif key in TOP_KEYS:
            doc[key] = _plain(value, key)
        else:
            known = ", ".join(sorted(set(TOP_KEYS) | set(SECTION_KEYS) | set(_FLAT)))
            raise key_error(key, f"unknown key (known: {known})")
    return doc


def _without_nulls(value: Any) -> Any:
    """``value`` (from :meth:`Scenario.to_dict`) without its unset keys (JSON nulls)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def as_scenario(scenario: Union[Scenario, str, os.PathLike]) -> Scenario:
    """A :class:`Scenario`, a path to a TOML file or TOML text, as a :class:`Scenario`."""
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, (str, os.PathLike)):
        return Scenario.from_toml(scenario)
    raise TypeError(f"scenario: expected an execsim.Scenario, a path or TOML text, not {type(scenario).__name__}")
