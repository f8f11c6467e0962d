"""Reference: a minimal Flask view, the floor of what any Flask page costs here.

GET / answers a small fixed HTML page, through Flask's routing, request context and
response machinery, and nothing else (no template, no database, no session).
"""

from flask import Flask

app = Flask(__name__)
PAGE = "<!doctype html><html><head><title>Home</title></head><body><p>Hello</p></body></html>"


@app.get("/")
def home():
    return PAGE
