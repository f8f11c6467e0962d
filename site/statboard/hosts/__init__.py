"""Hosts: see the README."""


def init_app(app):
    pass
