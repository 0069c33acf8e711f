"""Message catalogs (English and Russian) and the lookup every layer above the kernel uses.

The kernel writes message keys and parameters into its steps; this module turns them into words.
A missing translation falls back to English, and a missing key to the key itself, so a gap shows
up as an odd word rather than a crash.
"""

from __future__ import annotations

from . import en, ru

CATALOGS: dict[str, dict[str, str]] = {"en": en.MESSAGES, "ru": ru.MESSAGES}
LANGUAGES = tuple(CATALOGS)


class _Params(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def message(key: str, params: dict[str, str] | None = None, lang: str = "en") -> str:
    """The text for `key` in `lang`, with `{name}` placeholders filled from `params`."""
    template = CATALOGS.get(lang, en.MESSAGES).get(key) or en.MESSAGES.get(key) or key
    return template.format_map(_Params(params or {}))
