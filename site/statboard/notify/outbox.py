"""The outbox mailer: each message an .eml file in a folder, for sites without SMTP."""

import itertools
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

_sequence = itertools.count()  # keeps .eml names in sending order within one process


class OutboxMailer:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def send(self, messages: list[EmailMessage]) -> None:
        for msg in messages:
            self.write(msg)

    def write(self, msg: EmailMessage) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns()}-{next(_sequence):06d}-{uuid.uuid4().hex[:8]}.eml"
        partial = self.folder / f".{name}.part"  # readers never see half a message
        partial.write_bytes(msg.as_bytes())
        return partial.rename(self.folder / name)
