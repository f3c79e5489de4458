"""The one normal form of an email address, used to match profiles and to export them.

Addresses arrive with whatever a spreadsheet or a form left around them: tabs, no-break spaces,
ideographic spaces, line separators, zero-width characters and byte order marks, and Unicode in
composed or decomposed form. Matching and export must see the same text, or one person becomes two
profiles, one of them rejected. The form: NFC, invisible characters removed anywhere, Unicode
whitespace trimmed at both ends, lower case; empty becomes NULL. Whitespace inside an address is
kept, so the exporter's validator rejects it with a reason instead of this guessing a fix.
"""

from __future__ import annotations

import re
import unicodedata

# Format characters that render as nothing: soft hyphen, Mongolian vowel separator, zero-width
# space/joiners, direction marks and embeddings, word joiner and invisible operators, BOM.
INVISIBLE = "\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff"
_INVISIBLE_SQL = r"[\x{00AD}\x{180E}\x{200B}-\x{200F}\x{202A}-\x{202E}\x{2060}-\x{2064}\x{FEFF}]"
# Exactly Python's str.isspace: RE2's \s is only [\t\n\f\r ], so the control separators, NEL and
# \pZ (no-break, ideographic and other spaces, line and paragraph separators) are listed too.
_SPACE_SQL = r"[\t\n\x{0B}\x{0C}\r\x{1C}-\x{1F}\x{85}\pZ]"
_INVISIBLE_RE = re.compile(f"[{INVISIBLE}]")
# The ASCII members of the class above, as a literal for trim(text, characters).
_ASCII_SPACE_SQL = "'" + "".join(c for c in map(chr, range(128)) if c.isspace()) + "'"


def email_form_sql(value_sql: str) -> str:
    """SQL for the normal form of an email held in a VARCHAR expression (NULL when nothing is left)."""
    return f"NULLIF({trim_case_sql(value_sql)}, '')"


def trim_case_sql(value_sql: str) -> str:
    """The form without the NULL for empty text: also the `trim_case` normaliser of match rules."""
    visible = f"regexp_replace(nfc_normalize({value_sql}), '{_INVISIBLE_SQL}', '', 'g')"
    trimmed = f"regexp_replace({visible}, '^{_SPACE_SQL}+|{_SPACE_SQL}+$', '', 'g')"
    # ASCII text (as many bytes as characters) is already NFC and holds no invisible characters, so
    # trimming its ASCII whitespace is the whole work, as cheap as lower(trim()) for most addresses.
    # trim(text, characters) costs about ten times trim(text) in DuckDB; ASCII text whose first and
    # last characters are above the space (nearly every address) has nothing to trim.
    untouched = f"ascii({value_sql}) > 32 AND ascii(({value_sql})[-1]) > 32"
    ascii_trimmed = f"CASE WHEN {untouched} THEN {value_sql} ELSE trim({value_sql}, {_ASCII_SPACE_SQL}) END"
    is_ascii = f"strlen({value_sql}) = length({value_sql})"
    return f"lower(CASE WHEN {is_ascii} THEN {ascii_trimmed} ELSE {trimmed} END)"


def email_form(value: str | None) -> str | None:
    """The same normal form in Python, for single values (tests, messages)."""
    if value is None:
        return None
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", value))
    return text.strip().lower() or None
