"""Backup and restore of the whole site: every table and every stored file.

    flask --app statboard backup site.zip    # one archive (archive.py describes it)
    flask --app statboard restore site.zip   # into an empty database and storage

The tables are found in the models' metadata, so a new table is backed up without a
change here. Restore loads an archive on either engine (SQLite or PostgreSQL, a folder
or S3), in one transaction, and writes the files only once the rows are in.
"""


def init_app(app):
    from statboard.backup.cli import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
