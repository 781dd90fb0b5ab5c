"""The three paper layouts: queue ticket, requirements slip, technician's test page.

Everything here is in terms of `Document` (styled lines, QR, logo, cut); the same code serves 80 mm
(48 columns) and 58 mm (32 columns) paper because every line is wrapped to the model's columns.
Bilingual texts are printed Indonesian first, then English.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from . import qr_raster
from .content import RequirementsContent, TestPageContent, TicketContent
from .document import CENTER, FONT_B, LEFT, RIGHT, Document, Style
from .length import length_mm
from .model import PrinterModel
from .text import to_ascii

# Byte-mode QR capacities at error correction level M, versions 1..10 (ISO/IEC 18004 table 7).
_QR_M_CAPACITY = [14, 26, 42, 62, 84, 106, 122, 152, 180, 213]
QR_MAX_BYTES = 200  # a ticket id or a status URL; longer means a configuration mistake
QR_MAX_MODULE_DOTS = 6  # ~0.75 mm modules: scans easily from a phone, keeps the ticket short
UNKNOWN = "belum diketahui / unknown"


def local_time(dt: datetime) -> str:
    """'27-11-2026 08:15 WIB': the office's clock, with the zone's own abbreviation."""
    if not isinstance(dt, datetime) or dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"time must be a timezone-aware datetime in the office timezone, got {dt!r}")
    return f"{dt:%d-%m-%Y %H:%M} {dt.tzname()}"


def qr_module_dots(data_len: int, dots: int) -> int:
    """Largest module size (<= 6 dots) at which the symbol plus its quiet zone fits the paper."""
    version = next((v for v, cap in enumerate(_QR_M_CAPACITY, 1) if data_len <= cap), 10)
    modules = 17 + 4 * version + 8  # symbol + 4-module quiet zone each side
    return max(1, min(QR_MAX_MODULE_DOTS, dots // modules))


def qr_bytes(payload: str) -> bytes:
    """The QR data as sent: UTF-8 with control characters removed (they are never meaningful)."""
    data = "".join(ch for ch in payload if ch >= " " and ch != "\x7f").encode("utf-8")
    if not data:
        raise ValueError("qr_payload is empty after removing control characters")
    if len(data) > QR_MAX_BYTES:
        raise ValueError(f"qr_payload is {len(data)} bytes; at most {QR_MAX_BYTES} fit a ticket QR code")
    return data


def number_size(number: str, model: PrinterModel) -> int:
    """The queue number as large as the paper allows, capped by what the printer can do."""
    return max(1, min(model.max_text_size, model.columns // max(1, len(number))))


def _header(doc: Document, model: PrinterModel, office_name: str, office_lines: list[str],
            spacing: int | None = None) -> None:
    # The office's NV logo carries its name, so it replaces the text name (and saves the bytes).
    if model.nv_logo_key:
        doc.nv_logo(model.nv_logo_key)
    else:
        doc.para(office_name, Style(align=CENTER, bold=True, spacing=spacing))
    for line in office_lines:
        doc.para(line, Style(align=CENTER))


def _labelled(doc: Document, label: str, value: str) -> None:
    """'label value' on one line when it fits, else the value on its own line (never split)."""
    style = Style(align=CENTER)
    if len(label) + 1 + len(value) <= doc.width_at(1):
        doc.para(f"{label} {value}", style)
    else:
        doc.para(label, style)
        doc.para(value, style)


def _queue_lines(doc: Document, content: TicketContent) -> None:
    if content.served_first and content.people_ahead is None and content.wait_minutes is None:
        doc.para("Dilayani lebih dulu / Served first", Style(align=CENTER, bold=True))
        return
    if content.people_ahead is None and content.wait_minutes is None:  # e.g. a standalone kiosk
        _labelled(doc, "Antrean / Queue:", UNKNOWN)
        return
    ahead = UNKNOWN if content.people_ahead is None else f"{int(content.people_ahead)}"
    _labelled(doc, "Di depan Anda / Ahead of you:", ahead)
    wait = UNKNOWN if content.wait_minutes is None else f"{int(content.wait_minutes)} menit/min"
    _labelled(doc, "Perkiraan tunggu / Est. wait:", wait)


def _id_line(doc: Document, ticket_id: str, kiosk_id: str) -> None:
    """'ticket id / kiosk' never broken inside either (ids are full of hyphens): in Font B when
    that is what fits, else the id and the kiosk on a line each."""
    text = f"{to_ascii(ticket_id)} / {to_ascii(kiosk_id)}"
    for style in (Style(align=CENTER), Style(align=CENTER, font=FONT_B)):
        if doc.font_b_columns is None and style.font == FONT_B:
            break
        if len(text) <= doc.width_at(1, style.font):
            doc.para(text, style, hyphens=False)
            return
    style = Style(align=CENTER, font=FONT_B if doc.font_b_columns else 0)
    doc.para(ticket_id, style, hyphens=False)
    doc.para(kiosk_id, style, hyphens=False)


def ticket(content: TicketContent, model: PrinterModel) -> Document:
    doc = Document(model.columns, model.font_b_columns)
    if model.smoothing:
        doc.smoothing()  # the 8x number in smooth curves instead of 1 mm steps
    _header(doc, model, content.office_name, content.office_lines)
    doc.rule()
    doc.para(content.service_id, Style(align=CENTER, bold=True, height=2))
    doc.para(content.service_en, Style(align=CENTER))
    doc.blank()
    doc.para("NOMOR ANTREAN / QUEUE NUMBER", Style(align=CENTER))
    number = to_ascii(content.number)
    if not number:
        raise ValueError(f"ticket number {content.number!r} has no printable characters")
    size = number_size(number, model)
    doc.para(number, Style(align=CENTER, bold=True, width=size, height=size))
    if content.priority_label:
        doc.para(content.priority_label, Style(align=CENTER, bold=True, reverse=True))
    for line in content.booking_lines:
        doc.para(line, Style(align=CENTER, bold=True, reverse=True))
    doc.para(local_time(content.issued_at), Style(align=CENTER))
    _queue_lines(doc, content)
    if content.qr_payload:
        data = qr_bytes(content.qr_payload)
        doc.blank()
        if model.native_qr:
            doc.qr(data, qr_module_dots(len(data), model.dots))
        else:
            module = qr_raster.module_dots(model.dpi)
            doc.raster(*qr_raster.qr_raster(data, module))
            doc.feed_dots(4 * module)  # the quiet zone under the symbol
    _id_line(doc, content.ticket_id, content.kiosk_id)
    _footer(doc, content.footer_lines, model)
    return doc


def _footer(doc: Document, lines: list[str], model: PrinterModel, spacing: int | None = None,
            rule_font: int = 0) -> None:
    """The configured footer lines, then feed to the cutter and cut."""
    if lines:
        doc.rule(font=rule_font)
        for line in lines:
            doc.para(line, Style(align=CENTER, spacing=spacing))
    doc.cut(model.cutter)


# The slip is reference material read at arm's length: Font B (9x17 dots) with a tight line feed
# of about 2.35 mm (19 dots at 203 dpi: 2 dots between lines) keeps the longest service of the
# default catalogue under 15 cm on 80 mm paper and 20 cm on 58 mm (tests/printer/test_slip_length.py).
# At 180 dpi (TM-T88V) the same 2.35 mm would be 17 dots, the height of Font B itself: lines touch
# cell to cell, which Font B's glyphs allow (they leave their own bottom rows empty).
# Without Font B (ZJ-5870) the slip is in Font A (12x24), cell to cell, and in one language (the
# applicant's: both would be about 29 cm). The slip's Font A title lines feed 26 dots instead of the
# default 30 (about 1/6 inch).
SLIP_LINE_MM = 2.35
FONT_B_DOTS_HIGH = 17
FONT_A_DOTS_HIGH = 24
SLIP_TITLE_SPACING = FONT_A_DOTS_HIGH + 2
TWO_COLUMN_MIN = 56  # Font B columns from which a bilingual pair may sit side by side (80 mm)


def slip_spacing(model: PrinterModel) -> int:
    if not model.font_b_columns:
        return FONT_A_DOTS_HIGH
    return max(FONT_B_DOTS_HIGH, round(SLIP_LINE_MM * model.dpi / 25.4))


def _pairs(first: list[str], second: list[str]) -> list[tuple[str, str]]:
    """Indonesian/English pairs; an unpaired text stands alone."""
    n = max(len(first), len(second))
    return [(first[i] if i < len(first) else "", second[i] if i < len(second) else "") for i in range(n)]


def _joined(*parts: str) -> str:
    return " - ".join(p for p in parts if p)


# The slip's own words in each language, for a slip in one language (a printer without Font B).
# The first line says, in the other language, which language the slip is in.
_SLIP_WORDS = {
    "id": {"only": "In Bahasa Indonesia only", "title": "PERSYARATAN", "documents": "Dokumen (* wajib):",
           "fees": "Biaya:", "processing": "Waktu proses: ", "notes": "Catatan:",
           "not_ticket": "Bukan nomor antrean", "printed": "Dicetak: "},
    "en": {"only": "Hanya dalam bahasa Inggris", "title": "REQUIREMENTS", "documents": "Documents (* mandatory):",
           "fees": "Fees:", "processing": "Processing time: ", "notes": "Notes:",
           "not_ticket": "Not a queue ticket", "printed": "Printed: "},
}
ONE_LANGUAGE_SLIP_MM = 200  # a one-language slip longer than this keeps only each note's first sentence


def first_sentence(text: str) -> str:
    """'Come in person. Bring the originals.' -> 'Come in person.' (the text itself if one sentence)."""
    for i, ch in enumerate(text):
        if ch in ".!?" and i + 1 < len(text) and text[i + 1] == " ":
            return text[: i + 1]
    return text


def requirements(content: RequirementsContent, model: PrinterModel) -> Document:
    if not model.font_b_columns:
        if content.lang not in _SLIP_WORDS:
            raise ValueError(f"slip language {content.lang!r}: expected one of {', '.join(_SLIP_WORDS)}")
        doc = _one_language_requirements(content, model)
        if length_mm(doc.bytes(), model.dpi) > ONE_LANGUAGE_SLIP_MM:
            doc = _one_language_requirements(content, model, short_notes=True)
        return doc
    doc = Document(model.columns, model.font_b_columns)
    small = Style(font=FONT_B, spacing=slip_spacing(model))
    heading = replace(small, bold=True)
    two_columns = (model.font_b_columns or 0) >= TWO_COLUMN_MIN
    title = Style(align=CENTER, bold=True, spacing=SLIP_TITLE_SPACING)
    _header(doc, model, content.office_name, [], spacing=SLIP_TITLE_SPACING)
    doc.para("PERSYARATAN / REQUIREMENTS", title)
    doc.para(content.service_id, title)
    doc.para(content.service_en, replace(small, align=CENTER))
    if content.documents:
        doc.para("Dokumen / Documents (* wajib / mandatory):", heading)
        for item in content.documents:
            prefix = f"[ ]{'*' if item.mandatory else ' '} "
            if item.note_en:
                left, right = _joined(item.text_id, item.note), _joined(item.text_en, item.note_en)
            else:
                left, right = item.text_id, _joined(item.text_en, item.note)
            doc.pair(left, right, small, prefix=prefix, columns=two_columns)
    if content.fees:
        doc.para("Biaya / Fees:", heading)
        for fee in content.fees:
            doc.para(fee, small, indent=2, first_prefix="- ")
    if content.processing_time:
        doc.para("Waktu proses / Processing time: " + content.processing_time, small, indent=2)
    if content.notes or content.notes_en:
        doc.para("Catatan / Notes:", heading)
        for note_id, note_en in _pairs(content.notes, content.notes_en):
            doc.pair(note_id, note_en, small, prefix="- ", columns=two_columns)
    doc.para("Bukan nomor antrean / Not a queue ticket", replace(small, align=CENTER, bold=True))
    doc.para(f"Dicetak / Printed: {local_time(content.printed_at)}", replace(small, align=CENTER))
    _footer(doc, content.footer_lines, model, spacing=SLIP_TITLE_SPACING, rule_font=FONT_B)
    return doc


def _one_language_requirements(content: RequirementsContent, model: PrinterModel,
                               short_notes: bool = False) -> Document:
    """The slip in the applicant's language alone, Font A cell to cell; `short_notes`: each
    document's and the service's notes cut to their first sentence (a service with long notes)."""
    lang = content.lang
    words = _SLIP_WORDS[lang]
    english = lang == "en"
    note = first_sentence if short_notes else (lambda t: t)
    doc = Document(model.columns, model.font_b_columns)
    small = Style(spacing=slip_spacing(model))
    heading = replace(small, bold=True)
    title = Style(align=CENTER, bold=True, spacing=SLIP_TITLE_SPACING)
    _header(doc, model, content.office_name, [], spacing=SLIP_TITLE_SPACING)
    doc.para(words["only"], replace(small, align=CENTER))
    doc.para(words["title"], title)
    doc.para(content.service_en if english else content.service_id, title)
    if content.documents:
        doc.para(words["documents"], heading)
        for item in content.documents:
            text = item.text_en if english else item.text_id
            text_note = item.note_en if english and item.note_en else item.note
            prefix = f"[ ]{'*' if item.mandatory else ' '} "
            doc.para(_joined(text, note(text_note)), small, indent=2, first_prefix=prefix)
    fees = content.fees_by_lang.get(lang, content.fees)
    if fees:
        doc.para(words["fees"], heading)
        for fee in fees:
            doc.para(fee, small, indent=2, first_prefix="- ")
    processing = content.processing_by_lang.get(lang, content.processing_time)
    if processing:
        doc.para(words["processing"] + processing, small, indent=2)
    notes = content.notes_en if english and content.notes_en else content.notes
    if notes:
        doc.para(words["notes"], heading)
        for text in notes:
            doc.para(note(text), small, indent=2, first_prefix="- ")
    doc.para(words["not_ticket"], replace(small, align=CENTER, bold=True))
    doc.para(words["printed"] + local_time(content.printed_at), replace(small, align=CENTER))
    _footer(doc, content.footer_lines, model, spacing=SLIP_TITLE_SPACING)
    return doc


def test_page(content: TestPageContent, model: PrinterModel) -> Document:
    doc = Document(model.columns, model.font_b_columns)
    if model.nv_logo_key:
        doc.nv_logo(model.nv_logo_key)
        doc.para(f"NV logo '{model.nv_logo_key}' above (blank = not uploaded)", Style(align=CENTER))
    else:
        doc.para("NV logo: not configured", Style(align=CENTER))
    if content.logo_note:
        doc.para(content.logo_note, Style(align=CENTER))
    doc.para("TEST PAGE / HALAMAN UJI", Style(align=CENTER, bold=True, height=2))
    doc.rule()
    for label, value in (
        ("Kiosk", content.kiosk_id),
        ("Device", content.device),
        ("Profile", model.profile),
        ("Paper", f"{model.paper_mm} mm, {model.dots} dots at {model.dpi} dpi, {model.columns} columns"
                  + (f" (Font B {model.font_b_columns})" if model.font_b_columns else "")),
        ("QR", "native GS ( k" if model.native_qr else "raster GS v 0 (no native QR on this model)"),
        ("Max size", f"{model.max_text_size}x"),
        ("Cutter", "partial cut" if model.cutter else "none (tear off)"),
        ("Status", "DLE EOT real-time" if model.status else "not supported"),
        ("Printed", local_time(content.printed_at)),
    ):
        doc.para(f"{label}: {value}", Style(), indent=2)
    doc.rule()
    doc.para("Align left", Style(align=LEFT))
    doc.para("Align center", Style(align=CENTER))
    doc.para("Align right", Style(align=RIGHT))
    doc.para("Bold text", Style(bold=True))
    doc.para("Underlined text", Style(underline=1))
    doc.para(" Reverse text ", Style(reverse=True))
    for size in sorted({1, 2, 3, 4, model.max_text_size}):
        label = f"{size}x"
        if size <= model.max_text_size and len(label) * size <= model.columns:
            doc.para(label, Style(width=size, height=size))
    doc.para("ASCII:", Style())
    printable = "".join(chr(c) for c in range(0x20, 0x7F))
    doc.para(printable.replace(" ", ""), Style())
    doc.para("Normalised: " + "Sérvice ümlaut café – “quotes” 日本 ✓", Style())
    doc.rule()
    doc.para("QR (scan: TEST-" + to_ascii(content.kiosk_id) + "):", Style(align=CENTER))
    data = qr_bytes(f"TEST-{content.kiosk_id}")
    if model.native_qr:
        doc.qr(data, qr_module_dots(len(data), model.dots))
    else:
        module = qr_raster.module_dots(model.dpi)
        doc.raster(*qr_raster.qr_raster(data, module))
        doc.feed_dots(4 * module)
    if model.font_b_columns:
        doc.para("Font B: " + "abcdefghijklmnopqrstuvwxyz 0123456789", Style(font=FONT_B))
    for line in content.extra_lines:
        doc.para(line, Style())
    doc.para("Full width:", Style())
    doc.line("=" * model.columns)
    doc.para("End of test page / Akhir halaman uji", Style(align=CENTER))
    doc.cut(model.cutter)
    return doc
