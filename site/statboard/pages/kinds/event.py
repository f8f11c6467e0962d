"""Event blocks: title, start and optional end in a time zone, location, description."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from wtforms import DateTimeLocalField, StringField, TextAreaField, URLField
from wtforms.validators import (
    URL,
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from statboard import notify
from statboard.forms import Form
from statboard.pages.registry import BlockKind

FORMAT = "%Y-%m-%dT%H:%M"
BAD_TIME = "Give the date and time as YYYY-MM-DDTHH:MM, e.g. 2030-05-14T18:30."
FORMATS = [FORMAT, "%Y-%m-%dT%H:%M:%S"]  # browsers add seconds now and then


def zone(name: str) -> ZoneInfo | None:
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _length(field: str, most: int) -> Length:
    return Length(max=most, message=f"Keep the {field} under {most} characters.")


class EventBlockForm(Form):
    title = StringField(
        "Title", validators=[DataRequired("Give the event a title."), _length("title", 200)]
    )
    start = DateTimeLocalField(
        "Starts",
        format=FORMATS,
        invalid_value_message=BAD_TIME,
        validators=[InputRequired("Give a start date and time.")],
    )
    end = DateTimeLocalField(
        "Ends (optional)", format=FORMATS, invalid_value_message=BAD_TIME, validators=[Optional()]
    )
    tz = StringField(
        "Time zone",
        default="UTC",
        validators=[DataRequired("Name a time zone, e.g. Europe/Berlin."), _length("zone", 64)],
    )
    location = StringField("Location", validators=[Optional(), _length("location", 200)])
    location_url = URLField(
        "Location link",
        validators=[
            Optional(),
            _length("link", 500),
            URL(message="Give a full web address starting with http:// or https://."),
        ],
    )
    description = TextAreaField("Description", validators=[_length("description", 5000)])

    def __init__(self, *args, data=None, **kwargs):
        # Block data keeps datetimes as strings; the fields want datetime objects.
        super().__init__(*args, data=form_data(data) if data else None, **kwargs)

    def validate_tz(self, field):
        if zone(field.data.strip()) is None:
            raise ValidationError("Unknown time zone; use an IANA name such as Europe/Berlin.")

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("The end is before the start; move it later.")

    def validate_location_url(self, field):
        if field.data and not field.data.lower().startswith(("http://", "https://")):
            raise ValidationError("Links start with http:// or https://.")

    def to_data(self, old: dict) -> dict:
        return {
            **old,
            "title": self.title.data.strip(),
            "start": self.start.data.strftime(FORMAT),
            "end": self.end.data.strftime(FORMAT) if self.end.data else "",
            "tz": self.tz.data.strip(),
            "location": (self.location.data or "").strip(),
            "location_url": (self.location_url.data or "").strip(),
            "description": (self.description.data or "").strip(),
        }


def form_data(data: dict) -> dict:
    """Block data as the form expects it (datetimes, not strings)."""
    parsed = dict(data)
    for key in ("start", "end"):
        parsed[key] = _parse(data.get(key))
    return parsed


def _parse(value: str | None) -> datetime | None:
    try:
        return datetime.strptime(value, FORMAT) if value else None
    except ValueError:
        return None


def event_context(block) -> dict:
    """When the event is, in its own zone, and whether it is over."""
    data = block.data
    tz = zone(data.get("tz", "UTC")) or ZoneInfo("UTC")
    start, end = _parse(data.get("start")), _parse(data.get("end"))
    if start is None:
        return {"start": None, "end": None, "is_past": False}
    start = start.replace(tzinfo=tz)
    end = end.replace(tzinfo=tz) if end else None
    is_past = (end or start) < datetime.now(UTC)
    return {"start": start, "end": end, "is_past": is_past, "tz_name": tz.key}


def describe(data: dict) -> list[dict]:
    """The fields a change mail shows old and new; times with their zone."""
    tz = data.get("tz", "UTC")

    def when(key: str) -> str:
        moment = _parse(data.get(key))
        return f"{moment.strftime('%a %-d %b %Y, %H:%M')} ({tz})" if moment else ""

    return [
        notify.field("Title", data.get("title", "")),
        notify.field("Start", when("start")),
        notify.field("End", when("end")),
        notify.field("Place", data.get("location", "")),
        notify.field("Place link", data.get("location_url", "")),
        notify.text("Description", data.get("description", "")),
    ]


def _demo() -> dict:
    year = datetime.now(UTC).year + 1
    return {
        "title": "Statboard meet-up",
        "start": f"{year}-05-14T18:30",
        "end": f"{year}-05-14T21:00",
        "tz": "Europe/Berlin",
        "location": "Community hall",
        "location_url": "https://example.org/hall",
        "description": "An evening of dashboards, numbers and a look at what is next.",
    }


def _defaults() -> dict:
    """A new event starts tomorrow at 10:00 in the site's time zone (TIME_ZONE)."""
    name = str(current_app.config["TIME_ZONE"])
    tomorrow = datetime.now(zone(name) or UTC).date() + timedelta(days=1)
    return {
        "title": "New event",
        "start": f"{tomorrow.isoformat()}T10:00",
        "end": "",
        "tz": name if zone(name) else "UTC",
        "location": "",
        "location_url": "",
        "description": "",
    }


KIND = BlockKind(
    name="event",
    label="Event",
    template="blocks/event/_view.html",
    edit_template="blocks/event/_edit.html",
    form=EventBlockForm,
    defaults=_defaults,
    demo=_demo,
    context=event_context,
    describe=describe,
    cached_by=lambda block: event_context(block)["is_past"],  # "Upcoming" turns "Past"
)
