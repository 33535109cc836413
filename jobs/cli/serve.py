"""`hljnews serve`: the read-only web app over the archive, under uvicorn."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import click

from jobs.cli.options import CONFIG_OPTION, DB_OPTION, CliError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; any but loopback needs --token.")
@click.option("--port", type=click.IntRange(0, 65_535), default=8000, show_default=True)
@DB_OPTION
@click.option("--token", envvar="HLJNEWS_WEB_TOKEN", default=None, metavar="SECRET",
              help="Required from every request (16+ characters; default $HLJNEWS_WEB_TOKEN): a Bearer header, "
                   "or a link with ?token= once, which sets a cookie.")
@CONFIG_OPTION
def serve(host: str, port: int, db: str | None, token: str | None, config_path: Path | None) -> None:
    """Serve the archive as a read-only web site: search, articles with revisions, hot-list charts, runs, sites.

    Listens on 127.0.0.1 unless --host says otherwise; then every request must carry the token.

    Example: hljnews serve --port 8080
    """
    import uvicorn

    from crawler.sites.registry import load_sites
    from jobs.cli.sites import site_descriptions
    from web import create_app
    from web.guard import RedactToken, check_token

    try:
        check_token(host, token or None)
    except ValueError as error:
        raise CliError(str(error)) from None
    _, registry = load_sites(config_path)
    app = create_app(db, token=token or None, sites=site_descriptions(registry))
    logging.getLogger("uvicorn.access").addFilter(RedactToken())
    shown = f"[{host}]" if ":" in host else host
    check_can_listen(host, port, shown)
    click.echo(f"serving the archive on http://{shown}:{port}/ (Ctrl-C stops)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=True)


def check_can_listen(host: str, port: int, shown: str) -> None:
    """One line for an address that cannot be served (a port in use, a name that is no address), where uvicorn
    would log several and exit 3. Bound as uvicorn binds (SO_REUSEADDR), then released for it."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as error:
        raise CliError(f"cannot listen on {shown}: {getattr(error, 'strerror', None) or error}") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            raise CliError(f"cannot listen on {shown}:{port}: {error.strerror or error}") from None
