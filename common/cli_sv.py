"""Swedish for the command lines: argparse (`python -m etl`) and click (`flask
--app app users`) print their headings, usage lines and errors through
gettext; these catalogues answer those calls in Swedish.

Both libraries bind ``_``/``ngettext`` as module globals at import, so
:func:`install` replaces them there (in this process only, before a parser
is built: argparse translates its group titles at construction). A message
without a translation stays as the library wrote it.
"""
from __future__ import annotations

ARGPARSE = {
    "usage: ": "användning: ",
    "positional arguments": "argument",
    "options": "flaggor",
    "optional arguments": "flaggor",
    "show this help message and exit": "visa den här hjälpen och avsluta",
    "show program's version number and exit": "visa programmets version och avsluta",
    "the following arguments are required: %s": "de här argumenten krävs: %s",
    "unrecognized arguments: %s": "okända argument: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "ogiltigt val: %(value)r (välj bland %(choices)s)",
    "argument %(argument_name)s: %(message)s": "argumentet %(argument_name)s: %(message)s",
    "expected one argument": "ett värde väntades",
    "expected at most one argument": "högst ett värde väntades",
    "expected at least one argument": "minst ett värde väntades",
    "invalid %(type)s value: %(value)r": "ogiltigt värde: %(value)r",
    "%(prog)s: error: %(message)s\n": "%(prog)s: fel: %(message)s\n",
    "ambiguous option: %(option)s could match %(matches)s": "tvetydig flagga: %(option)s kan vara %(matches)s",
    "not allowed with argument %s": "får inte användas med argumentet %s",
    "one of the arguments %s is required": "ett av argumenten %s krävs",
    "ignored explicit argument %r": "ignorerat värde %r",
    "unexpected option string: %s": "oväntad flagga: %s",
}
ARGPARSE_PLURAL = {
    ("expected %s argument", "expected %s arguments"): ("%s värde väntades", "%s värden väntades"),
}

CLICK = {
    "Usage:": "Användning:",
    "Options": "Flaggor",
    "Commands": "Kommandon",
    "Positional arguments": "Argument",
    "Show this message and exit.": "Visa den här hjälpen och avsluta.",
    "Show the version and exit.": "Visa versionen och avsluta.",
    "Error: {message}": "Fel: {message}",
    "Aborted!": "Avbrutet.",
    "Missing argument": "Argument saknas",
    "Missing option": "Flagga saknas",
    "Missing parameter": "Parameter saknas",
    "Missing parameter: {param_name}": "Parametern saknas: {param_name}",
    "Missing {param_type}": "{param_type} saknas",
    "Missing command.": "Kommando saknas.",
    "No such command {name!r}.": "Kommandot {name!r} finns inte.",
    "No such option {name!r}.": "Flaggan {name!r} finns inte.",
    "No such option: {name}": "Flaggan finns inte: {name}",
    "Try '{command} {option}' for help.": "Skriv '{command} {option}' för hjälp.",
    "Invalid value for {param_hint}: {message}": "Ogiltigt värde för {param_hint}: {message}",
    "Invalid value: {message}": "Ogiltigt värde: {message}",
    "Option {name!r} does not take a value.": "Flaggan {name!r} tar inget värde.",
    "Repeat for confirmation": "Upprepa för att bekräfta",
    "Error: The two entered values do not match.": "Fel: de två värdena är inte lika.",
    "Error: invalid input": "Fel: ogiltig inmatning",
    "Confirm the action without prompting.": "Bekräfta utan att fråga.",
    "Do you want to continue?": "Vill du fortsätta?",
    "argument": "argument",
    "option": "flagga",
    "parameter": "parameter",
    "default: {default}": "standard: {default}",
    "required": "krävs",
    "env var: {var}": "miljövariabel: {var}",
    "unknown error": "okänt fel",
    "{name} {filename!r}: {message}": "{name} {filename!r}: {message}",
    "Could not open file {filename!r}: {message}": "Filen {filename!r} kunde inte öppnas: {message}",
    "{value!r} is not a valid integer.": "{value!r} är inget heltal.",
    "{value!r} is not a valid boolean.": "{value!r} är inget sanningsvärde (ja/nej).",
}
CLICK_PLURAL = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"):
        ("Oväntat extra argument ({args})", "Oväntade extra argument ({args})"),
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"):
        ("Menade du {possibility}?", "(Menade du någon av: {possibilities}?)"),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."):
        ("Flaggan {name!r} kräver ett värde.", "Flaggan {name!r} kräver {nargs} värden."),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."):
        ("{value!r} är inte {choice}.", "{value!r} är inte något av {choices}."),
}


def _gettext(catalogue: dict[str, str]):
    def translate(message: str) -> str:
        return catalogue.get(message, message)
    return translate


def _ngettext(catalogue: dict[tuple[str, str], tuple[str, str]]):
    def translate(singular: str, plural: str, n: int) -> str:
        one, many = catalogue.get((singular, plural), (singular, plural))
        return one if n == 1 else many
    return translate


def install_argparse() -> None:
    import argparse

    argparse._ = _gettext(ARGPARSE)
    argparse.ngettext = _ngettext(ARGPARSE_PLURAL)


def install_click() -> None:
    import importlib

    for name in ("click.core", "click.exceptions", "click.formatting", "click.parser", "click.types",
                 "click.decorators", "click.termui"):
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = _gettext(CLICK)
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext(CLICK_PLURAL)


def install() -> None:
    install_argparse()
    install_click()
