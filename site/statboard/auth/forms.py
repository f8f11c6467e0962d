from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class TokenForm(FlaskForm):
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
