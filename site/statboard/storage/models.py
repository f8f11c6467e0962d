from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from statboard.extensions import db
from statboard.models_base import utcnow


class StoredFile(db.Model):
    """An uploaded image. `storage` names the storage that holds it (its URL), so
    switching STATBOARD_STORAGE_URL leaves old images where they are and working."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    storage: Mapped[str] = mapped_column(String(500))
    # Random object prefix; the original and thumbnails live under it.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]
    original_name: Mapped[str] = mapped_column(String(255), default="")
    # Object names of the thumbnails, by width: {"480": "<key>/w480.webp", ...}
    variants: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    uploaded_by_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
