"""Command line of the ETL layer: ``python -m etl demo|load|status|bootstrap``.

Exit codes of ``load`` (PRODUCT.md): 0 every file loaded (some rows may have
been rejected) or was already loaded, 2 a file was rejected, 1 internal error.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import traceback
from pathlib import Path

from config.settings import SettingsError, load_settings

EXIT_OK, EXIT_INTERNAL, EXIT_REJECTED = 0, 1, 2
DETAILS_PER_FILE = 5
#: Show a progress bar when a load is at least this big (bytes) and stderr is a terminal.
PROGRESS_MIN_BYTES = 20_000_000


def _out(text: str = "") -> None:
    print(text, flush=True)


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"ogiltigt datum {value!r}: ange ÅÅÅÅ-MM-DD") from exc


class SwedishParser(argparse.ArgumentParser):
    """argparse in Swedish (common/cli_sv.py) with what to do after an error."""

    def error(self, message):
        self.print_usage(sys.stderr)
        _err(f"Fel i kommandoraden: {message}. Se `{self.prog} --help`.")
        sys.exit(EXIT_REJECTED)


def build_parser() -> argparse.ArgumentParser:
    from common.cli_sv import install_argparse

    install_argparse()
    parser = SwedishParser(prog="python -m etl", description="Inläsning av registerextrakt till lägesbildens lager.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=SwedishParser, title="kommandon",
                                metavar="KOMMANDO")

    demo = sub.add_parser("demo", help="skriv en reproducerbar demoleverans")
    demo.add_argument("--out", required=True, type=Path, help="katalog att skriva till")
    demo.add_argument("--scale", choices=["small", "national"], default="small",
                      help="small: några enheter (sekunder), national: Sverige-stor (standard small)")
    demo.add_argument("--seed", type=int, default=1, help="slumpfrö: samma frö ger samma leverans (standard 1)")
    demo.add_argument("--end-date", type=_date, default=None, help="sista dag (ÅÅÅÅ-MM-DD), standard i går")

    load = sub.add_parser("load", help="läs in filer eller kataloger")
    load.add_argument("paths", nargs="+", type=Path, metavar="SÖKVÄG", help="filer eller kataloger med extrakt")
    load.add_argument("--source", choices=["spor", "ncr", "vtd", "vardenheter", "kva"], default=None,
                      help="filtyp när filnamnet inte säger det")
    load.add_argument("--timings", action="store_true", help="skriv tid per steg till stderr (för mätningar)")
    load.add_argument("--verbose", action="store_true",
                      help="visa tekniska detaljer (Python-spårning) för filer som inte gick att läsa")

    status = sub.add_parser("status", help="vad som är inläst")
    status.add_argument("--json", action="store_true", help="maskinläsbart")
    status.add_argument("--rejections", metavar="FILNAMN", default=None,
                        help="lista varje avvisad rad (rad, kolumn, värde, skäl) för en fil, från den "
                             "senaste inläsningen med det namnet, t.ex. --rejections spor_20261120.csv")
    status.add_argument("--last", type=int, default=10, help="antal senaste inläsningar (standard 10)")

    sub.add_parser("bootstrap", help="demodata om inget är inläst (används av make run)")
    sub.add_parser("snapshots", help="de publicerade ögonblicksbilderna, och om de är hela")
    rollback = sub.add_parser("rollback", help="publicera en tidigare ögonblicksbild igen")
    rollback.add_argument("id", nargs="?", default=None,
                          help="ögonblicksbildens id (standard: den senaste hela före den publicerade)")
    rollback.add_argument("--to", dest="targets", action="append", type=Path, metavar="KATALOG", default=None,
                          help="appservrarnas datakataloger: återställ var och en (kan anges flera gånger)")
    publish = sub.add_parser("publish", help="sprid den publicerade ögonblicksbilden till appservrarna")
    publish.add_argument("--to", dest="targets", action="append", type=Path, metavar="KATALOG", required=True,
                         help="en appservers datakatalog (LAGESBILD_DATA_DIR); kan anges flera gånger")
    publish.add_argument("--id", default=None, help="en annan publicerad ögonblicksbild än den aktuella")
    return parser


# ---- load ---------------------------------------------------------------------------

def _file_line(res) -> str:
    from etl.results import count_noun, rows_summary

    if res.outcome == "ignored":
        return f"{res.name}: {res.message}"
    if res.outcome == "unchanged":
        return f"{res.name}: redan inläst (oförändrad)"
    if res.outcome == "rejected":
        return f"{res.name}: AVVISAD: {res.message}"
    text = f"{res.name}: {rows_summary(res.accepted, res.rejected)}"
    extras = []
    if res.replaced:
        extras.append(count_noun(res.replaced, "tidigare rad ersatt", "tidigare rader ersatta"))
    if extras:
        text += f" ({', '.join(extras)})"
    return text


def _detail_lines(res) -> list[str]:
    from etl.results import count_noun

    lines = []
    for line, column, value, reason in res.details[:DETAILS_PER_FILE]:
        where = f"rad {line}" if line is not None else "filen"
        col = f", kolumn {column}" if column else ""
        val = f" (värde: {value!r})" if value is not None else ""
        lines.append(f"    {res.name}, {where}{col}: {reason}{val}")
    if res.rejected > len(lines) and lines:
        more = res.rejected - len(lines)
        lines.append(f"    … och {count_noun(more, 'avvisad rad', 'avvisade rader')} till: "
                     f"python -m etl status --rejections {res.name}")
    return lines


def cmd_load(args, settings) -> int:
    from etl.loader import load_paths
    from etl.results import count_noun, fmt_int
    from etl.snapshot import LoaderBusy

    total = 0
    for p in args.paths:
        p = Path(p)
        if p.is_dir():
            total += sum(c.stat().st_size for c in p.iterdir() if c.is_file())
        elif p.is_file():
            total += p.stat().st_size
    bar = None
    if total >= PROGRESS_MIN_BYTES and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=total, unit="B", unit_scale=True, desc="Läser in", file=sys.stderr, leave=False)

    def emit(text: str) -> None:
        if bar is not None:
            bar.write(text, file=sys.stdout)
        else:
            _out(text)

    def on_start(path: Path, size: int) -> None:
        if bar is not None:
            bar.set_postfix_str(path.name)

    def on_file(res) -> None:
        emit(_file_line(res))
        for warning in res.warnings:
            emit(f"    varning: {warning}")
        if res.outcome in ("loaded", "rejected"):
            for text in _detail_lines(res):
                emit(text)
        if bar is not None and res.outcome != "ignored":
            try:
                bar.update(res.path.stat().st_size)
            except OSError:
                pass

    try:
        result = load_paths(args.paths, settings.warehouse_dir, source=args.source,
                            on_file=on_file, on_start=on_start)
    except LoaderBusy as exc:
        _err(str(exc))
        return EXIT_INTERNAL
    finally:
        if bar is not None:
            bar.close()
    if getattr(args, "timings", False):
        _err("Tider (s): " + ", ".join(f"{k} {v:.3f}" for k, v in result.phases.items()))
        for res in sorted(result.files, key=lambda r: -r.seconds)[:3]:
            _err(f"  {res.name}: " + ", ".join(f"{k} {v:.3f}" for k, v in res.phases.items()))
    seconds = f"{result.seconds:.1f}".replace(".", ",")
    loaded = sum(r.outcome == "loaded" for r in result.files)
    rejected = sum(r.outcome == "rejected" for r in result.files)
    if result.replaced or result.cancelled:
        _out(f"Registerposter: {fmt_int(result.replaced)} rättade (ersatte en tidigare version), "
             f"{fmt_int(result.cancelled)} makulerade (borttagna).")
    if result.snapshot_id:
        _out(f"Klart på {seconds} s: {count_noun(loaded, 'fil inläst', 'filer inlästa')}, "
             f"{count_noun(rejected, 'avvisad', 'avvisade')}; "
             f"ny ögonblicksbild {result.snapshot_id} publicerad.")
    else:
        _out(f"Klart på {seconds} s: inget nytt att publicera; lagret är oförändrat.")
    if rejected:
        _out("Avvisade filer har inte ändrat lagret. Rätta filen och läs in den igen.")
    return EXIT_REJECTED if result.any_rejected else EXIT_OK


# ---- other commands -------------------------------------------------------------------

def cmd_status(args, settings) -> int:
    from data.warehouse import Warehouse
    from etl.status import collect, render

    wh = Warehouse(settings.warehouse_dir, threads=1)
    try:
        wh.snapshot_id  # opens and verifies the published snapshot
        damaged = wh.damaged
    finally:
        wh.close()
    if damaged:
        _err(f"Den publicerade ögonblicksbilden kan inte användas: {damaged}.")
        _err("Se `python -m etl snapshots` och återställ med `python -m etl rollback`.")
        return EXIT_INTERNAL
    status = collect(settings.warehouse_dir, last=args.last, rejections_for=args.rejections)
    if args.json:
        _out(json.dumps(status, ensure_ascii=False, indent=2))
    else:
        _out(render(status))
    return EXIT_OK


def cmd_demo(args, settings) -> int:
    from etl.demo import generate_demo
    from etl.results import fmt_int

    summary = generate_demo(args.out, scale=args.scale, seed=args.seed, end_date=args.end_date,
                            progress=lambda msg: _err(msg))
    _out(f"Demoleverans ({args.scale}) skriven till {args.out}: {len(summary.files)} filer, "
         f"{fmt_int(summary.spor_operations)} SPOR- och {fmt_int(summary.ncr_operations)} NCR-operationer.")
    _out(f"Läs in den med: python -m etl load {args.out}")
    return EXIT_OK


def cmd_bootstrap(args, settings) -> int:
    from etl import bootstrap
    from etl.status import collect, render

    if bootstrap.needs_demo(settings.warehouse_dir):
        out = bootstrap.demo_dir(settings.data_dir)
        _out(f"Inga data är inlästa i {settings.data_dir}: skapar demoleverans i {out} …")
        bootstrap.generate_small_demo(out)
        load_args = argparse.Namespace(paths=[out], source=None, timings=False, verbose=False)
        code = cmd_load(load_args, settings)
        if code != EXIT_OK:
            _err("Demoleveransen kunde inte läsas in helt; se raderna ovan.")
            return code
    else:
        status = collect(settings.warehouse_dir, last=3)
        _out(render(status))
    return EXIT_OK


def cmd_snapshots(args, settings) -> int:
    """The published snapshots, newest first: id, published, size, data-changing,
    files and operations, and whether each is intact."""
    from etl.snapshot import SnapshotStore

    store = SnapshotStore(settings.warehouse_dir)
    current = store.current_id()
    ids = list(reversed(store.published_ids()))
    if not ids:
        _out("Inga publicerade ögonblicksbilder.")
        return EXIT_OK
    for sid in ids:
        manifest = store.manifest(sid) or {}
        problem = store.check_file(sid)
        counts = ""
        if not problem:
            try:
                counts = _snapshot_counts(store, sid)
            except Exception as exc:  # noqa: BLE001 - a damaged file: say so, go on
                problem = f"går inte att läsa ({type(exc).__name__})"
        mark = "*" if sid == current else " "
        kind = "data" if manifest.get("data_changed", True) else "bara avvisade filer"
        _out(f"{mark} {sid}  {manifest.get('published', '')[:19].replace('T', ' ')}  {kind:<20} "
             + (f"SKADAD: {problem}" if problem else counts))
    _out("* = publicerad nu. Återställ med: python -m etl rollback [ID]")
    return EXIT_OK


def _snapshot_counts(store, sid) -> str:
    import duckdb

    from etl.results import fmt_int

    con = duckdb.connect(str(store.path_for(sid)), read_only=True)
    try:
        files = con.execute("SELECT count(*) FROM load_history").fetchall()[0][0]
        ops = con.execute("SELECT count(*) FROM operations").fetchall()[0][0]
    finally:
        con.close()
    return f"{fmt_int(files)} filer, {fmt_int(ops)} operationer"


def cmd_publish(args, settings) -> int:
    """Copy the published snapshot to every app server's data directory and switch their CURRENT."""
    from etl.distribute import DistributionError, publish_to

    try:
        done = publish_to(settings.data_dir, args.targets, args.id)
    except DistributionError as exc:
        _err(str(exc))
        return EXIT_REJECTED
    for d in done:
        _out(f"{d.target}: {d.snapshot_id} {'kopierad och ' if d.copied else ''}publicerad.")
    return EXIT_OK


def cmd_rollback(args, settings) -> int:
    """Point CURRENT at an earlier intact snapshot (default: the newest intact one
    before the current), atomically, under the loader's lock; with --to, on every
    app server's data directory."""
    from etl.snapshot import LoaderBusy, SnapshotStore

    if getattr(args, "targets", None):
        from etl.distribute import DistributionError, rollback_on

        try:
            plan = rollback_on(args.targets, args.id)
        except DistributionError as exc:
            _err(f"Återställer inte: {exc}")
            return EXIT_REJECTED
        for target, sid, before in plan:
            _out(f"{target}: {sid} är publicerad nu (var {before}).")
        return EXIT_OK

    store = SnapshotStore(settings.warehouse_dir)
    current = store.current_id()
    ids = store.published_ids()
    if args.id:
        target = args.id
        if target not in ids:
            _err(f"Ögonblicksbilden {target} finns inte. Se `python -m etl snapshots`.")
            return EXIT_REJECTED
    else:
        older = [sid for sid in ids if current is None or sid < current]
        target = next((sid for sid in reversed(older) if not store.check_file(sid)), None)
        if target is None:
            _err("Det finns ingen tidigare hel ögonblicksbild att återställa till.")
            return EXIT_REJECTED
    problem = store.check_file(target)
    if not problem:
        try:
            _snapshot_counts(store, target)
        except Exception as exc:  # noqa: BLE001
            problem = f"går inte att läsa ({type(exc).__name__})"
    if problem:
        _err(f"Återställer inte: {problem}.")
        return EXIT_REJECTED
    try:
        with store.lock(wait=False):
            store.point_to(target)
    except LoaderBusy:
        _err("En inläsning pågår; försök igen när den är klar.")
        return EXIT_REJECTED
    _out(f"Återställt: {target} är publicerad nu (var {current}). Appen byter vid nästa fråga.")
    return EXIT_OK


COMMANDS = {"load": cmd_load, "status": cmd_status, "demo": cmd_demo, "bootstrap": cmd_bootstrap,
            "snapshots": cmd_snapshots, "rollback": cmd_rollback, "publish": cmd_publish}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "verbose", False):
        import logging

        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
        for noisy in ("urllib3", "asyncio"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        settings = load_settings()
    except SettingsError as exc:
        _err(f"Felaktig inställning: {exc}")
        return EXIT_INTERNAL
    try:
        return COMMANDS[args.command](args, settings)
    except KeyboardInterrupt:
        _err("Avbrutet; lagret är oförändrat (ingen ny ögonblicksbild publicerades).")
        return EXIT_INTERNAL
    except OSError as exc:
        import errno

        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        if exc.errno == errno.ENOSPC:
            _err(f"Disken är full{where}: frigör utrymme (en inläsning behöver ungefär lagrets storlek "
                 "till en kopia) och kör igen.")
        elif exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
            _err(f"Datakatalogen går inte att skriva{where}: kontrollera behörigheten för "
                 f"LAGESBILD_DATA_DIR ({settings.data_dir}) och att disken inte är skrivskyddad.")
        elif exc.errno == errno.EFBIG:
            _err(f"Filen blev större än systemet tillåter{where}: höj gränsen för filstorlek "
                 "(ulimit -f, filsystemets största filstorlek) och kör igen.")
        else:
            name = errno.errorcode.get(exc.errno, "okänt fel") if exc.errno else "okänt fel"
            _err(f"Ett fel i filsystemet{where} ({name}): kontrollera disken och datakatalogen "
                 f"({settings.data_dir}) och kör igen; `--verbose` visar detaljerna.")
        _err("Lagret är oförändrat (ingen ny ögonblicksbild publicerades).")
        if getattr(args, "verbose", False):
            _err(traceback.format_exc())
        return EXIT_INTERNAL
    except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence
        _err(f"Internt fel: {type(exc).__name__}: {exc}")
        _err("Lagret är oförändrat (ingen ny ögonblicksbild publicerades). Detaljer:")
        _err(traceback.format_exc())
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
