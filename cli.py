"""The `channelport` command: serve, worker, migrate, create-admin, demo, mailbox, export-schema,
trusted-documents."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import signal
import sys
from pathlib import Path

from settings import ConfigError, Settings, get_settings

SCHEMA_FILE = Path(__file__).resolve().parent / "schema.graphql"


def _settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as error:
        sys.exit(f"Channelport cannot start: {error}")


async def _with_database(settings: Settings, work: object) -> object:
    from services.platform.database import close_database, open_database

    await open_database(settings.database_url)
    try:
        return await work  # type: ignore[misc]
    finally:
        await close_database()


def cmd_migrate(_args: argparse.Namespace) -> None:
    from services.platform.database import migrate_database

    settings = _settings()
    asyncio.run(migrate_database(settings.database_url))
    print("Database is up to date.")


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = _settings()
    if args.migrate:
        cmd_migrate(args)
    if args.demo:
        _load_demo(settings, quiet_if_loaded=True)
    print(f"Channelport serves on http://{args.host}:{args.port}/graphql (GraphiQL in a browser)")
    uvicorn.run(
        "app:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        access_log=False,
        # Per-message deflate costs ~35 KiB per idle websocket and a compression per message
        # and socket: off unless asked for (bench/popup_fanout.py).
        ws_per_message_deflate=args.ws_deflate,
        log_level=settings.log_level.lower(),
    )


def cmd_worker(_args: argparse.Namespace) -> None:
    from schema.schema import schema
    from schema.webhooks.payloads import register_payload_renderer
    from services.deals.registration_listeners import use_settings as use_registration_settings
    from services.platform.worker import run_worker

    settings = _settings()
    # Jobs emit webhook events (a lead returned, a registration expired): render them as the API.
    register_payload_renderer(schema._schema, settings)
    use_registration_settings(settings)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await _with_database(settings, run_worker(settings, stop))

    import logging

    logging.basicConfig(level=settings.log_level, format="%(message)s")
    asyncio.run(main())


def cmd_create_admin(args: argparse.Namespace) -> None:
    from models.enums import Role
    from services.platform.errors import ServiceError
    from services.users.service import NewUser, create_user_in_transaction

    settings = _settings()
    password = args.password or os.environ.get("CHANNELPORT_ADMIN_PASSWORD")
    if not password:
        password = getpass.getpass("Password for the new vendor admin: ")

    async def create() -> None:
        from tortoise.transactions import in_transaction

        from services.audit.recorder import audited_command

        arguments = {"email": args.email, "name": args.name, "password": password}
        async with audited_command("cli:create-admin", arguments), in_transaction():
            await create_user_in_transaction(
                NewUser(
                    email=args.email, full_name=args.name, role=Role.VENDOR_ADMIN, password=password
                ),
                None,
            )

    try:
        asyncio.run(_with_database(settings, create()))  # type: ignore[arg-type]
    except ServiceError as error:
        sys.exit(f"Cannot create the admin: {error.message}")
    print(f"Vendor admin {args.email} created.")


def _load_demo(settings: Settings, quiet_if_loaded: bool = False) -> None:
    from services.audit.recorder import audited_command
    from services.demo.dataset import DEMO_PASSWORD, load_demo_data
    from services.users.service import any_user_exists

    async def load() -> list | None:
        if quiet_if_loaded and await any_user_exists():
            return None
        async with audited_command("cli:demo", {}):
            return await load_demo_data(settings)

    logins = asyncio.run(_with_database(settings, load()))  # type: ignore[arg-type]
    if logins is None:
        print("Demo data already loaded.")
        return
    print(f"Demo data loaded. Log in with any of these (password: {DEMO_PASSWORD}):")
    for login in logins:
        where = f" of {login.partner}" if login.partner else ""
        print(f"  {login.email:38} {login.role.value}{where}")


def cmd_demo(_args: argparse.Namespace) -> None:
    settings = _settings()
    _load_demo(settings)


def cmd_mailbox(args: argparse.Namespace) -> None:
    from services.email.mailbox import CaptureMailbox, mailbox_directory

    settings = _settings()
    mailbox = CaptureMailbox(mailbox_directory(settings))
    if args.action == "list":
        entries = mailbox.entries(args.limit)
        if not entries:
            print(f"The mailbox ({mailbox.directory}) is empty.")
            return
        print(f"{'ID':12}  {'DATE':31}  {'TO':30}  SUBJECT")
        for entry in entries:
            print(f"{entry.id[:12]:12}  {entry.date:31}  {entry.recipient:30}  {entry.subject}")
        return
    if not args.id:
        sys.exit("Which email? `channelport mailbox show ID` (an ID from `mailbox list`).")
    message = mailbox.message(args.id)
    if message is None:
        sys.exit(f"No email with ID {args.id!r} in {mailbox.directory} (or the ID is ambiguous).")
    if args.raw:
        print(message.raw)
        return
    for name, value in message.headers:
        if not name.lower().startswith("content-") and name.lower() != "mime-version":
            print(f"{name}: {value}")
    print()
    print(message.html if args.html else message.text)


def cmd_export_schema(args: argparse.Namespace) -> None:
    from schema.schema import schema

    text = schema.as_str() + "\n"
    if args.check:
        current = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else ""
        if current != text:
            sys.exit("schema.graphql is out of date: run `channelport export-schema`.")
        print("schema.graphql matches the code.")
        return
    SCHEMA_FILE.write_text(text, encoding="utf-8")
    print(f"Wrote {SCHEMA_FILE.name}.")


def cmd_trusted_documents(args: argparse.Namespace) -> None:
    import json

    from resolvers.platform.trusted_documents import build_manifest

    try:
        manifest = build_manifest(Path(name) for name in args.files)
    except (OSError, ValueError) as error:
        sys.exit(f"Cannot build the manifest: {error}")
    if not manifest:
        sys.exit("Cannot build the manifest: the files hold no operations.")
    json.dump(manifest, sys.stdout, indent=2)
    print()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="channelport", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="web processes")
    serve.add_argument("--migrate", action="store_true", help="apply migrations first")
    serve.add_argument("--demo", action="store_true", help="load demo data into an empty database")
    serve.add_argument(
        "--ws-deflate", action="store_true", help="per-message deflate on websockets (off)"
    )
    serve.set_defaults(func=cmd_serve)

    commands.add_parser("worker", help="run the background worker").set_defaults(func=cmd_worker)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    admin = commands.add_parser("create-admin", help="create a vendor admin")
    admin.add_argument("email")
    admin.add_argument("--name", default="")
    admin.add_argument("--password", help="or CHANNELPORT_ADMIN_PASSWORD, or asked for")
    admin.set_defaults(func=cmd_create_admin)

    commands.add_parser("demo", help="load the demo data set").set_defaults(func=cmd_demo)

    mailbox = commands.add_parser(
        "mailbox", help="read the emails captured locally (SMTP_URL=capture://)"
    )
    mailbox.add_argument("action", choices=["list", "show"], nargs="?", default="list")
    mailbox.add_argument("id", nargs="?", help="the email to show (ID or its first characters)")
    mailbox.add_argument("--limit", type=int, default=50, help="list at most this many (newest)")
    mailbox.add_argument("--html", action="store_true", help="show the HTML body, not the text")
    mailbox.add_argument("--raw", action="store_true", help="show the whole message as sent")
    mailbox.set_defaults(func=cmd_mailbox)

    export = commands.add_parser("export-schema", help="write schema.graphql from the code")
    export.add_argument("--check", action="store_true", help="fail if schema.graphql differs")
    export.set_defaults(func=cmd_export_schema)

    trusted = commands.add_parser(
        "trusted-documents", help="build the TRUSTED_DOCUMENTS manifest from .graphql files"
    )
    trusted.add_argument("action", choices=["build"])
    trusted.add_argument("files", nargs="+", help=".graphql files with the operations to allow")
    trusted.set_defaults(func=cmd_trusted_documents)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
