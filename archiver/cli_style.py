"""How every command reads and answers alike, whatever module declares it.

- Help shows metavars the way Click writes them: `SOURCES...`, `TEXT`, `INTEGER`, `PATH`,
  `[table|json]`, not the types' Python names.
- A usage error (an unknown option, a bad choice, a value that is not a number) is one line on
  stderr naming the option and the allowed values, then exit 2: no usage block, no framework words.
- `-q`/`--quiet` and `-v`/`--verbose` are accepted after the command as well as before it.

Shell completion is Typer's own (`--install-completion`, `--show-completion` on the root command).
`ArchiverGroup` is the root command's class (`typer.Typer(cls=ArchiverGroup)`); Typer builds the
whole tree of commands before it, so each command, in any group, gets the same treatment.
"""

from __future__ import annotations

import logging
import re
from typing import Any, NoReturn

import typer
from typer._click.core import Command, Context, Parameter
from typer._click.exceptions import BadParameter, MissingParameter, NoArgsIsHelpError, UsageError
from typer.core import TyperArgument, TyperGroup, TyperOption

from archiver.output import terminal_safe

# -q given anywhere makes the command quiet; the -v given before and after the command add up.
STATE: dict[str, Any] = {"quiet": False, "verbose": 0}

_TYPE_METAVARS = {"str": "TEXT", "int": "INTEGER", "int range": "INTEGER", "float": "FLOAT",
                  "float range": "FLOAT", "path": "PATH", "filename": "FILE", "boolean": "BOOLEAN",
                  "datetime": "DATETIME", "uuid": "UUID"}
_EXPECTED = {"int": "an integer", "int range": "an integer", "float": "a number", "float range": "a number"}


def say(message: str) -> None:
    """A line for people on stderr ("archiver: ..."): what a command did, a hint, a note; none under -q,
    which keeps stderr to errors (each failure a command names, and its count, are printed whatever).
    What it quotes of the archive (a handle a server chose) reaches the terminal as text only."""
    if not STATE["quiet"]:
        typer.echo(f"archiver: {terminal_safe(message)}", err=True)


def set_verbosity(verbose: int = 0, quiet: bool = False, *, added: bool = False) -> None:
    """Apply -v and -q to the tool's own loggers (libraries stay at WARNING); `added`: given after
    the command, on top of what was given before it."""
    if added:
        STATE["verbose"] += verbose
        STATE["quiet"] = STATE["quiet"] or quiet
    else:
        STATE["verbose"], STATE["quiet"] = verbose, quiet
    level = logging.ERROR if STATE["quiet"] else (logging.WARNING, logging.INFO, logging.DEBUG)[min(STATE["verbose"], 2)]
    logging.getLogger("archiver").setLevel(level)


def _choices(param_type: Any) -> list[str] | None:
    choices = getattr(param_type, "choices", None)
    if choices is None:
        return None
    return [str(getattr(c, "value", c)) for c in choices]


def type_metavar(param_type: Any) -> str:
    """Click's metavar for a value of this type: `[a|b]` for a choice, else the type's name in capitals."""
    choices = _choices(param_type)
    if choices is not None:
        return "[" + "|".join(choices) + "]"
    name = str(getattr(param_type, "name", "text"))
    return _TYPE_METAVARS.get(name, name.upper().replace(" ", "_"))


class _ClickStyleOption(TyperOption):
    def make_metavar(self, ctx: Context) -> str:
        if self.metavar is not None:
            return self.metavar
        return type_metavar(self.type) + ("..." if self.nargs != 1 else "")


class _ClickStyleArgument(TyperArgument):
    def make_metavar(self, ctx: Context, *, usage: bool = False) -> str:
        var = self.metavar or (self.name or "").upper()
        if usage and not self.required and not var.startswith("["):
            var = f"[{var}]"
        return var + ("..." if self.nargs != 1 else "")


def _late_verbose(ctx: Context, param: Parameter, value: int) -> None:
    if value:
        set_verbosity(value, added=True)


def _late_quiet(ctx: Context, param: Parameter, value: bool) -> None:
    if value:
        set_verbosity(quiet=True, added=True)


def _verbosity_options() -> list[Parameter]:
    """-v/-q on a command itself, so that `archiver lookup ... -q` works as `archiver -q lookup ...` does."""
    return [
        TyperOption(param_decls=["--verbose", "-v"], count=True, default=0, expose_value=False,
                    callback=_late_verbose, help="More log detail on stderr (-vv for debug); also before the command."),
        TyperOption(param_decls=["--quiet", "-q"], is_flag=True, default=False, expose_value=False,
                    callback=_late_quiet, help="Only errors on stderr; no progress bars; also before the command."),
    ]


def keep_examples(help_text: str) -> str:
    """`help_text` with each indented paragraph (an example command) marked for Click to print as
    written: Click re-wraps every paragraph to the terminal's width, which splits a long example
    over lines a reader cannot paste, unless the paragraph opens with a line holding only \\b."""
    paragraphs = help_text.split("\n\n")
    for n, paragraph in enumerate(paragraphs):
        first = paragraph.split("\n", 1)[0]
        if first[:1] == " " and first.strip() and first.strip() != "\b":
            paragraphs[n] = f"\b\n{paragraph}"  # at the margin: the lines keep their own indent
    return "\n\n".join(paragraphs)


def _conform(command: Command, *, root: bool) -> None:
    if command.help:
        command.help = keep_examples(command.help)
    for param in command.params:
        if type(param) is TyperOption:
            param.__class__ = _ClickStyleOption
        elif type(param) is TyperArgument:
            param.__class__ = _ClickStyleArgument
    subcommands: dict[str, Command] | None = getattr(command, "commands", None)
    if subcommands is not None:  # a group: its commands take the options
        for sub in subcommands.values():
            _conform(sub, root=False)
    elif not root:
        taken = {opt for p in command.params for opt in p.opts}
        command.params.extend(p for p in _verbosity_options() if not taken & set(p.opts))


def one_line_usage(e: UsageError, command: str | None = None) -> str:
    """A usage error as one line: the option named with what it takes, and where the help is
    (`command`: the command being parsed, for an error Click raised without its context, such as
    an option given without its value)."""
    names: list[str] = []
    ctx = e.ctx
    while ctx is not None and ctx.parent is not None:  # the root is `archiver`, however it was started
        names.insert(0, ctx.info_name or "")
        ctx = ctx.parent
    if not names and command:
        names = [command]
    where = " ".join(["archiver", *names])
    param = getattr(e, "param", None)
    if isinstance(e, MissingParameter) and param is not None:
        if isinstance(param, TyperArgument):
            message = f"missing {(param.name or '').upper()}{'...' if param.nargs != 1 else ''}"
        else:
            message = f"missing {max(param.opts, key=len)}"
    elif isinstance(e, BadParameter) and param is not None and e.param_hint is None and e.message:
        name = max(param.opts, key=len) if param.opts else (param.name or "").upper()
        choices = _choices(param.type)
        invalid = re.fullmatch(r"(?s)(.*) is not a valid (.+?)\.?", e.message)
        if choices is not None and " is not one of" in e.message:
            value = e.message.split(" is not one of", 1)[0]
            message = f"{name} {value}: expected one of {', '.join(choices)}"
        elif invalid is not None:
            expected = _EXPECTED.get(invalid[2], invalid[2])
            message = f"{name} {invalid[1]}: expected {expected}"
        else:
            message = f"{name}: {e.message.rstrip('.')}"
    elif needs_value := re.fullmatch(r"Option '(.+)' requires an argument\.?", e.format_message()):
        message = f"{needs_value[1]} needs a value"
    else:
        message = e.format_message().rstrip(".")
    return f"archiver: {message} (see `{where} --help`)"


class ArchiverGroup(TyperGroup):
    """The root command: Click-style help, one-line usage errors, -q/-v after any command."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _conform(self, root=True)

    def make_context(self, *args: Any, **kwargs: Any) -> Context:
        try:
            return super().make_context(*args, **kwargs)
        except UsageError as e:
            _say(e)

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as e:
            _say(e, ctx.invoked_subcommand)


def _say(e: UsageError, command: str | None = None) -> NoReturn:
    if isinstance(e, NoArgsIsHelpError):  # `archiver index` alone: its help, as asked
        raise e
    from .output import one_line

    typer.echo(one_line(one_line_usage(e, command)), err=True)
    raise typer.Exit(e.exit_code)


def url_words(option: str, url: str | None, env: str, *, secrets: list[str]) -> tuple[str, str]:
    """What a command printed as a hint adds for a URL option (`--index`, `--broker`): ` OPTION URL`
    and no note; for a URL that holds a password (`secrets`: what it holds), which a message never
    prints, nothing, and a note that the variable `env` stands for it. ("", "") without a URL."""
    import shlex

    if not url:
        return "", ""
    if secrets:
        return "", f"{env} set to the {option} URL (it holds a password, not printed here)"
    return f" {option} {shlex.quote(url)}", ""


def index_words(index_url: str | None) -> tuple[str, str]:
    """`url_words` of an `--index` URL (ARCHIVER_INDEX stands for one with a password)."""
    from .redact import dsn_secrets

    return url_words("--index", index_url, "ARCHIVER_INDEX", secrets=dsn_secrets(index_url) if index_url else [])


def with_notes(*notes: str) -> str:
    """The notes `url_words` gave, as words said after a command: ` (with A and B)`, or ""."""
    given = [n for n in notes if n]
    return f" (with {' and '.join(given)})" if given else ""
