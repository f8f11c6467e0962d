"""Backup and restore of the whole site: every table and every stored file.

    flask --app statboard backup site.zip    # one archive (archive.py describes it)
    flask --app statboard restore site.zip   # into an empty database and storage

The tables are found in the models' metadata, so a new table is backed up without a
change here. Restore loads an archive on either engine (SQLite or PostgreSQL, a folder
or S3), in one transaction, and writes the files only once the rows are in.
"""


def init_app(app):
    # Loaded when asked for: a serving worker never backs up or restores.
    app.cli.later("backup", "statboard.backup.cli:backup_command")
    app.cli.later("restore", "statboard.backup.cli:restore_command")
