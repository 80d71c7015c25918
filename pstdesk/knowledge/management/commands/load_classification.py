"""`pstdesk load_classification [FILE --slug kbli2025 --title "KBLI 2025"]`: load a classification version from
its CSV file (the format of reference/kbli2020.csv). Without arguments: KBLI 2020 from the file shipped with the app
(`migrate` does that too). Loading the same file again changes nothing unless --force."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pstdesk.knowledge.classification import KBLI2020, load_classification
from pstdesk.lib.errors import InvalidInput


class Command(BaseCommand):
    help = "Load a classification version (KBLI 2020 by default) from its CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default=str(KBLI2020))
        parser.add_argument("--classification", default="kbli")
        parser.add_argument("--name", default="Klasifikasi Baku Lapangan Usaha Indonesia")
        parser.add_argument("--slug", dest="version_slug", default="kbli2020")
        parser.add_argument("--title", default="KBLI 2020")
        parser.add_argument("--force", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            version = load_classification(
                path,
                classification=options["classification"],
                name=options["name"],
                version=options["version_slug"],
                title=options["title"],
                force=options["force"],
            )
        except InvalidInput as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{version.title}: {version.entry_count} entries")
