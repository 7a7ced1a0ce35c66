"""Opening an operator's file as text: UTF-8 unless told otherwise, and checked before anything starts.

A file in another encoding would otherwise fail half-way (a traceback after
some accounts had started) or, worse, decode into the wrong characters. The
whole file is checked first, in fixed-size chunks (memory stays flat), and a
problem is one line naming the byte offset and the ``--encoding`` to try.
"""

import codecs
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20
BOMS = {
    codecs.BOM_UTF8: "UTF-8",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
}
HINT = "--encoding GBK (or GB18030, UTF-16, latin-1)"


class EncodingProblem(ValueError):
    """The file cannot be read in the encoding asked for; the message is one line."""


@dataclass(frozen=True)
class TextFileFacts:
    encoding: str  # the codec to open it with ("utf-8-sig" for UTF-8, with or without a BOM)
    lines: int  # physical lines holding something other than white space
    first_line: str  # the first such line, decoded (the header of a CSV)


def check_text_file(path: Path, encoding: str | None = None) -> TextFileFacts:
    """Decode the whole file once, chunk by chunk; refuse it with the byte offset of the first problem."""
    codec = _codec(encoding)
    # A UTF-8 byte-order mark is skipped here so that offsets count from the file's first byte.
    decoder = codecs.getincrementaldecoder("utf-8" if codec == "utf-8-sig" else codec)(errors="strict")
    offset, lines, first, pending = 0, 0, None, ""
    with path.open("rb") as handle:
        head = handle.read(4)
        handle.seek(0)
        if codec == "utf-8-sig" and head.startswith(codecs.BOM_UTF8):
            offset = handle.seek(len(codecs.BOM_UTF8))
        if encoding is None:
            for bom, name in sorted(BOMS.items(), key=lambda kv: -len(kv[0])):
                if head.startswith(bom) and name != "UTF-8":
                    raise EncodingProblem(
                        f"{path}: the file starts with a {name} byte-order mark (offset 0); "
                        f"import it with --encoding {name}"
                    )
        while True:
            chunk = handle.read(CHUNK)
            buffered = len(decoder.getstate()[0])  # bytes of an unfinished character from the last chunk
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                where = offset - buffered + exc.start
                raise EncodingProblem(_not_decodable(path, codec, encoding, max(where, 0), exc)) from None
            offset += len(chunk)
            pending += text
            *complete, pending = pending.split("\n")
            if not chunk:
                complete.append(pending)
            for line in complete:
                if line.strip().lstrip("\ufeff").strip():
                    lines += 1
                    if first is None:
                        first = line.lstrip("\ufeff")
            if not chunk:
                break
    return TextFileFacts(codec, lines, first or "")


def codec_for(encoding: str | None) -> str:
    """The codec to open a file with: utf-8-sig (a BOM is skipped) unless another encoding is named."""
    return _codec(encoding)


def _codec(encoding: str | None) -> str:
    if encoding is None:
        return "utf-8-sig"
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise EncodingProblem(f"unknown encoding {encoding!r}; e.g. {HINT}") from None
    return "utf-8-sig" if name == "utf-8" else name


def _not_decodable(path: Path, codec: str, asked: str | None, offset: int, exc: UnicodeDecodeError) -> str:
    bad = exc.object[exc.start : exc.start + 1]
    byte = f"byte 0x{bad[0]:02X}" if bad else "an unfinished character"
    if asked is None:
        return (
            f"{path}: not UTF-8: {byte} at offset {offset} is not valid UTF-8; "
            f"if the file is in another encoding, say which: {HINT}"
        )
    return f"{path}: not {asked}: {byte} at offset {offset} cannot be decoded as {codec}"
