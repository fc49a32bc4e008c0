"""Streaming a CSV upload (private): hashing every byte once, the header, errors.

Shared by the importer (:mod:`analysis.records`) and the profiler
(:mod:`analysis.records_profile`), which both read an upload once, in
blocks, with pyarrow's streaming CSV reader.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os

from .errors import AnalysisError, InvalidSpecification

HEADER_BYTES = 1 << 20


def norm_key(value) -> str:
    """A value as matched against a mapping: repeated spaces collapsed, case folded."""
    return " ".join(str(value).split()).casefold()


class HashingReader(io.RawIOBase):
    """Reads from a binary stream and feeds every byte to SHA-256 once."""

    def __init__(self, raw):
        self._raw = raw
        self.sha = hashlib.sha256()
        self.n_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        data = self._raw.read(len(buf))
        if not isinstance(data, bytes | bytearray):
            raise InvalidSpecification("open the records file in binary mode ('rb')")
        n = len(data)
        buf[:n] = data
        self.sha.update(data)
        self.n_bytes += n
        return n


def open_source(source):
    """(binary file object, whether to close it) from a path or an open binary file."""
    if isinstance(source, str | os.PathLike):
        try:
            return open(source, "rb"), True   # the caller closes it
        except FileNotFoundError:
            raise AnalysisError(f"records file not found: {os.fspath(source)}") from None
        except OSError as exc:
            raise AnalysisError(f"cannot open {os.fspath(source)}: {exc.strerror}") from None
    if isinstance(source, io.TextIOBase):
        raise InvalidSpecification("open the records file in binary mode ('rb')")
    if not hasattr(source, "read"):
        raise InvalidSpecification("records source must be a path or a binary file object")
    return source, False


def file_sha256(source) -> str:
    """SHA-256 of a file's bytes, streamed (a cheap duplicate check before importing)."""
    fh, close = open_source(source)
    try:
        reader = HashingReader(fh)
        buf = bytearray(1 << 20)
        while reader.readinto(buf):
            pass
        return reader.sha.hexdigest()
    finally:
        if close:
            fh.close()


def read_header(head: bytes, encoding: str) -> list[str]:
    """Column names from the first bytes of the file (BOM and quoting handled)."""
    text = head.decode(encoding, errors="ignore").lstrip("\ufeff")
    if not text.strip():
        raise AnalysisError("the records file is empty")
    if "\n" not in text and len(head) >= HEADER_BYTES:
        raise AnalysisError("the first line is longer than 1 MB: is this a CSV file?")
    row = next(csv.reader(io.StringIO(text)), [])
    names = list(row)
    if not names or not any(n.strip() for n in names):
        raise AnalysisError("the first line of the file holds no column names")
    return names


def read_error(exc: Exception, encoding: str) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, UnicodeDecodeError) or "utf8" in text.lower() or "utf-8" in text.lower():
        return (f"the file is not {encoding} text ({text}); re-save it as UTF-8 or set the "
                "mapping's encoding (e.g. latin-1)")
    if "straddling" in text or "block" in text.lower():
        return f"a line or quoted field is too long to read ({text}); is this a CSV file?"
    return f"cannot read the file as CSV: {text}"


class CsvBlocks:
    """One streamed pass over a CSV upload (a context manager).

    Opens the source, hashes every byte once, reads the header, then yields
    blocks of the chosen columns as text (pyarrow's streaming reader; quoted
    fields may hold commas and line breaks), counting lines with the wrong
    number of fields instead of failing or dropping them silently.  Read and
    decoding errors become one :class:`AnalysisError` naming the problem.
    """

    def __init__(self, source, *, encoding: str = "utf-8", block_bytes: int = 2 << 20):
        self.encoding, self.block_bytes = encoding, int(block_bytes)
        self._fh, self._close = open_source(source)
        self._reader = HashingReader(self._fh)
        self.bad_lines = 0
        try:
            self._buffered = io.BufferedReader(self._reader, buffer_size=HEADER_BYTES)
            self.header = read_header(self._buffered.peek(HEADER_BYTES)[:HEADER_BYTES], encoding)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> CsvBlocks:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._close:
            self._fh.close()
            self._close = False

    @property
    def content_hash(self) -> str:
        """SHA-256 of the bytes read so far (all of them after the last block)."""
        return self._reader.sha.hexdigest()

    @property
    def n_bytes(self) -> int:
        return self._reader.n_bytes

    def _bad_line(self, row) -> str:
        self.bad_lines += 1
        return "skip"

    def blocks(self, columns):
        """Record batches of ``columns`` (header names) as strings."""
        import pyarrow as pa
        import pyarrow.csv as pacsv

        columns = list(dict.fromkeys(columns)) or self.header[:1]
        try:
            stream = pacsv.open_csv(
                self._buffered,
                read_options=pacsv.ReadOptions(block_size=self.block_bytes,
                                               encoding=self.encoding, use_threads=True),
                parse_options=pacsv.ParseOptions(newlines_in_values=True,
                                                 invalid_row_handler=self._bad_line),
                convert_options=pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in columns}, include_columns=columns,
                    strings_can_be_null=False, quoted_strings_can_be_null=False))
            yield from stream
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise AnalysisError(read_error(exc, self.encoding)) from None
