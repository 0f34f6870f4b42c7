"""`bulletin subscribers import`: a CSV file of any length, streamed into the store in batches.

The file is read twice and never held whole: a first pass checks that it is UTF-8 and
well-formed CSV with an ``email`` header (a broken file imports nothing), the second
adds the rows, ``BATCH_ROWS`` at a time, each batch in one transaction. A run killed
half-way leaves whole batches; running the same file again adds only what is missing
(an address already there is never added twice), so an import is resumable by
running it again. What is reported: each invalid row, then one summary.
"""

from __future__ import annotations

import codecs
import csv
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .encoding import not_utf8
from .errors import SubscriberError
from .preferences import Choices
from .store import NewSubscriber, Store
from .subscribers import clean_name, from_spreadsheet, normalise_address

BATCH_ROWS = 5000
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ImportReport:
    added: int = 0
    present: int = 0
    invalid: int = 0

    def summary(self) -> str:
        return f"Added {self.added}, already present {self.present}, invalid {self.invalid}."


@dataclass(frozen=True)
class _Columns:
    email: int
    name: int | None
    language: int | None = None  # the `lang` column
    topics: int | None = None


def import_csv(store: Store, path: Path, on_invalid: Callable[[str], None], choices: Choices) -> ImportReport:
    """Import ``email,name[,lang,topics]`` rows; ``on_invalid`` hears one line per row that is
    refused. ``lang`` and ``topics`` are checked against ``choices`` (the site's languages and
    digest.topics): a row with another language or topic is refused."""
    columns = _check_file(path)
    added = present = invalid = 0
    with _open_text(path) as handle:
        rows = _numbered(handle, path)
        next(rows)  # the header, read by _check_file
        while batch := list(itertools.islice(rows, BATCH_ROWS)):
            people: list[NewSubscriber] = []
            for line, row in batch:
                if not any(cell.strip() for cell in row):
                    continue  # a blank row, as spreadsheets leave them
                try:
                    people.append(_person(row, columns, choices))
                except SubscriberError as exc:
                    invalid += 1
                    on_invalid(f"{path}:{line}: invalid: {exc}")
            new = sum(store.add_subscribers(people))
            added += new
            present += len(people) - new
    return ImportReport(added, present, invalid)


def _person(row: list[str], columns: _Columns, choices: Choices) -> NewSubscriber:
    def cell(at: int | None) -> str | None:
        return from_spreadsheet(row[at]) if at is not None and at < len(row) else None

    email = normalise_address(cell(columns.email) or "")
    language = choices.language(cell(columns.language))
    topics = choices.topics_cell(cell(columns.topics) or "")
    return NewSubscriber(email, clean_name(cell(columns.name)), language, topics)


def _check_file(path: Path) -> _Columns:
    """The header's columns, after one pass over the file checking it is UTF-8 CSV."""
    if not path.is_file():
        # The file is read twice: a pipe (or a device) cannot be.
        what = "no such file" if not path.exists() else "not a regular file; save the list to a file first"
        raise SubscriberError(f"{path}: {what}")
    _check_utf8(path)
    with _open_text(path) as handle:
        rows = _numbered(handle, path)
        _, header = next(rows, (0, []))
        for _ in rows:
            pass  # to the end: a quote left open shows only there
    names = [cell.strip().lower() for cell in header]
    if "email" not in names:
        raise SubscriberError(f"{path}: the first row must be a header naming an 'email' column (email,name)")

    def at(name: str) -> int | None:
        return names.index(name) if name in names else None

    return _Columns(names.index("email"), at("name"), at("lang"), at("topics"))


def _check_utf8(path: Path) -> None:
    """SubscriberError naming the line of the first byte that is not UTF-8, if any."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    # exc.object is the decoder's carried-over bytes and the chunk; the
                    # message counts bytes from the file's start.
                    at = offset - (len(exc.object) - len(chunk)) + exc.start
                    moved = UnicodeDecodeError(exc.encoding, exc.object, at, at + 1, exc.reason)
                    # The encoding is guessed from the bytes from there on, not the UTF-8 before.
                    rest = exc.object[exc.start :]
                    raise SubscriberError(f"{path}: {not_utf8(rest, moved)}") from None
                offset += len(chunk)
            decoder.decode(b"", final=True)
    except OSError as exc:
        raise SubscriberError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:  # the file ends inside a character
        raise SubscriberError(f"{path}: not UTF-8 (byte {offset}): it ends inside a character") from None


def _open_text(path: Path) -> IO[str]:
    try:
        # newline="": the csv module sees the file's own CRLF, LF or CR line ends.
        return open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise SubscriberError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _numbered(handle: IO[str], path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number where the row ends, cells) for each row; SubscriberError at the first
    that is no CSV (strict: a quote left open would swallow every row after it)."""
    reader = csv.reader(handle, strict=True)
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:  # a quote still open at the end, text after a closing quote
        raise SubscriberError(f"{path}:{reader.line_num}: not a CSV file: {exc}") from None
    except UnicodeDecodeError:  # the file changed after it was checked
        raise SubscriberError(f"{path}: changed while being imported (no longer UTF-8)") from None
