"""Forms of the chart block's accounts panel (the block's own settings: blocks.py)."""

from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from statboard.forms import Form
from statboard.series.accounts import HANDLE_PATTERN
from statboard.series.collectors import COLLECTORS

HANDLE = Regexp(
    HANDLE_PATTERN,
    message="Use the handle as the platform shows it, e.g. user@mastodon.social or octocat.",
)


class AccountForm(Form):
    platform = SelectField(
        "Platform", choices=[SelectChoice(c.platform, c.label) for c in COLLECTORS.values()]
    )
    handle = StringField("Handle", validators=[DataRequired(), Length(max=200), HANDLE])
    is_public = BooleanField("Visitors may see it", default=True)


class AccountEditForm(Form):
    handle = StringField("Handle", validators=[DataRequired(), Length(max=200), HANDLE])
    is_public = BooleanField("Visitors may see it")
    readers = StringField(
        "Users who may read it (usernames, comma-separated)", validators=[Length(max=1000)]
    )
