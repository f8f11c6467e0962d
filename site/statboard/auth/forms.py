from wtforms import (
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from statboard.forms import Form
from statboard.notify import channels
from statboard.notify.models import KINDS, MODES


class LoginForm(Form):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class TokenForm(Form):
    """A new API token. Admins also choose whose it is (`owner`)."""

    name = StringField(
        "Name",
        validators=[DataRequired("Give the token a name."), Length(max=100)],
        description="What uses it, e.g. 'backup script'.",
    )
    scopes = SelectMultipleField(
        "Scopes",
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )  # at least one: checked by issue_token (a `required` checkbox would demand them all)
    owner = SelectField("For user", coerce=int, validate_choice=True)


class NotifyForm(Form):
    mode = RadioField(
        "Change mail",
        choices=[SelectChoice(mode, label) for mode, label in MODES.items()],
        validators=[InputRequired("Choose how often you get change mail.")],
    )
    daily_hour = SelectField(
        "Daily digest at",
        coerce=int,
        choices=[SelectChoice(hour, f"{hour:02d}:00") for hour in range(24)],
    )
    scope = RadioField(
        "About",
        choices=[
            SelectChoice("all", "Every page"),
            SelectChoice("chosen", "Only the pages I choose"),
        ],
        default="all",
    )
    pages = SelectMultipleField(
        "Pages",
        coerce=int,
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.scope.data == "chosen" and not self.pages.data:
            self.pages.errors = ["Tick at least one page, or choose every page."]
            return False
        return True


def _kinds_field():
    return SelectMultipleField(
        "Send",
        choices=[SelectChoice(kind, label) for kind, label in KINDS.items()],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )  # at least one: checked by notify.channels (a `required` checkbox wants them all)


class ChannelForm(Form):
    """A new notification channel: an Apprise URL and what it gets."""

    url = StringField(
        "Apprise URL",
        validators=[InputRequired("Give the Apprise URL of the channel.")],
        description="ntfy://ntfy.sh/my-topic, slack://…, discord://…, json://host/path …",
    )
    kinds = _kinds_field()

    def validate_url(self, field):
        field.data = _checked(channels.check_url, field.data)

    def validate_kinds(self, field):
        field.data = _checked(channels.check_kinds, field.data)


class ChannelKindsForm(Form):
    kinds = _kinds_field()

    def validate_kinds(self, field):
        field.data = _checked(channels.check_kinds, field.data)


def _checked(check, value):
    try:
        return check(value)
    except ValueError as error:
        raise ValidationError(str(error)) from error
