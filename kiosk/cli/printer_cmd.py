"""`kiosk printer status|test|preview|upload-logo`: the printer as a technician sees it."""

from __future__ import annotations

from pathlib import Path

from .common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, CommandError, Context, emit_json


def register(sub) -> None:
    p = sub.add_parser("printer", help="printer status, test page, ticket preview, NV logo")
    psub = p.add_subparsers(dest="printer_command", required=True, metavar="ACTION")

    s = psub.add_parser("status", help="ask the printer its real-time status (exit 0 ready or paper near end, 1 otherwise)")
    s.add_argument("--json", action="store_true", help='JSON with "state": ready, paper_near_end, paper_out, cover_open, offline or unknown')
    s.set_defaults(func=status)

    t = psub.add_parser("test", help="print the test page (exit 0 printed, 1 not)")
    t.set_defaults(func=test_page)

    v = psub.add_parser("preview", help="draw a sample ticket for SERVICE as PNG, without printing")
    v.add_argument("service", metavar="SERVICE", help="prefix letter or key")
    v.add_argument("--out", required=True, metavar="FILE.png")
    v.add_argument("--requirements", action="store_true", help="the requirements slip instead of a ticket")
    v.set_defaults(func=preview)

    u = psub.add_parser("upload-logo", help="store IMAGE in the printer's NV memory (once), under printer.nv_logo_key")
    u.add_argument("image", metavar="IMAGE")
    u.add_argument("--key", help="two-character NV key (default: printer.nv_logo_key)")
    u.set_defaults(func=upload_logo)


def _printing(ctx: Context):
    from ..printing import TicketPrinting

    try:
        return TicketPrinting(ctx.config)
    except ValueError as e:
        raise CommandError(str(e), EXIT_USAGE) from None


def status(ctx: Context, args) -> int:
    printing = _printing(ctx)
    try:
        with ctx.open_store() as store:
            st = printing.status(store)
    finally:
        printing.close()
    model = printing.model
    qr = "native" if model.native_qr else "raster (GS v 0: this model has no native QR)"
    if args.json:
        emit_json({"state": st.state, "detail": st.detail, "device": ctx.config.printer.device, "model": ctx.config.printer.model,
                   "columns": model.columns, "dots": model.dots, "dpi": model.dpi, "qr": qr.split()[0],
                   "can_confirm": model.status})
    else:
        print(f"{st.state}: {st.detail}  ({ctx.config.printer.device}, {ctx.config.printer.model})")
        print(f"  {model.describe()}; QR {qr}")
    return EXIT_OK if st.state in ("ready", "paper_near_end") else EXIT_FAIL


def test_page(ctx: Context, args) -> int:
    from .. import __version__

    printing = _printing(ctx)
    try:
        with ctx.open_store() as store:
            outcome = printing.print_test_page([f"kiosk {__version__}", f"config {ctx.config.path}"], store)
    finally:
        printing.close()
    print(outcome.describe())
    return EXIT_OK if outcome.delivered else EXIT_FAIL


def preview(ctx: Context, args) -> int:
    import printer
    from printer.preview import render_png

    from ..clock import Clock
    from ..store import Ticket

    cfg = ctx.config
    service = cfg.catalogue.find(args.service)
    if service is None:
        raise CommandError(f"unknown service {args.service!r}; known: {', '.join(s.prefix for s in cfg.catalogue.services)}", EXIT_USAGE)
    printing = _printing(ctx)
    if args.requirements:
        data = printer.encode_requirements(printing.requirements_content(service), printing.model)
    else:
        now = Clock().now().astimezone(printing.tz)
        sample = Ticket(
            id="00000000-0000-4000-8000-000000000000", kiosk_id=cfg.kiosk.id, number=f"{service.prefix}001",
            service=service.key, prefix=service.prefix, seq=1, priority=None, service_day=now.date().isoformat(),
            issued_at=now.isoformat(timespec="seconds"), mono_ns=0, boot_id="preview", clock_trusted=True,
        )
        data = printer.encode_ticket(printing.ticket_content(sample, None), printing.model)
    out = render_png(data, Path(args.out), cfg.printer.paper_mm, dots=printing.model.dots)
    print(f"{out} ({len(data)} bytes of ESC/POS)")
    return EXIT_OK


def upload_logo(ctx: Context, args) -> int:
    from printer import upload_logo as upload

    from ..printing import PrintOutcome

    key = args.key or ctx.config.printer.nv_logo_key
    if not key:
        raise CommandError("no NV key: pass --key XX or set printer.nv_logo_key", EXIT_USAGE)
    if not Path(args.image).is_file():
        raise CommandError(f"{args.image}: no such image file", EXIT_USAGE)
    printing = _printing(ctx)
    try:
        result = upload(printing.printer, args.image, key)
    except ValueError as e:
        raise CommandError(str(e), EXIT_USAGE) from None
    finally:
        printing.close()
    outcome = PrintOutcome.of(result)
    with ctx.open_store() as store:  # tickets print the logo only once it is known to be there
        printing.record_logo_upload(store, key, outcome)
    print(outcome.describe())
    return EXIT_OK if outcome.delivered else EXIT_FAIL
