"""Image and gallery blocks: uploads through storage, shown at the sizes pages use."""


def init_app(app):
    pass
