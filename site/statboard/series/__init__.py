"""Follower graphs: tracked accounts, daily collection, CSV import/export, chart blocks."""

from flask import Blueprint

bp = Blueprint("series", __name__)
UPLOT = "vendor/uplot-1.6.32"
# Machine routes: bearer tokens or public reads, no cookie-authenticated writes.
api_bp = Blueprint("series_api", __name__)


def init_app(app):
    from statboard.extensions import csrf
    from statboard.pages import registry
    from statboard.series import api, jobs, models, routes  # noqa: F401
    from statboard.series.charts import chart_context
    from statboard.series.cli import series_cli
    from statboard.series.demo import demo_block_data
    from statboard.series.forms import ChartBlockForm

    registry.register(
        registry.BlockKind(
            name="chart",
            label="Follower chart",
            template="blocks/chart/_view.html",
            edit_template="blocks/chart/_edit.html",
            form=ChartBlockForm,
            defaults=lambda: {"title": "Followers", "accounts": [], "range": "30d"},
            demo=demo_block_data,
            context=chart_context,
            span=2,
            styles=(UPLOT + "/uPlot.min.css", "css/charts.css"),
            scripts=(UPLOT + "/uPlot.iife.min.js", "js/charts.js"),
        )
    )
    csrf.exempt(api_bp)
    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    app.cli.add_command(series_cli)
    app.jinja_env.globals["series_chart_context"] = chart_context
