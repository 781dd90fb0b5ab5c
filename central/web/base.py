"""What every page shares that is a route of its own: the server's front page (it names the pages)."""

from __future__ import annotations

from flask import Blueprint, render_template

blueprint = Blueprint("base", __name__)


@blueprint.get("/")
def index():
    return render_template("index.html")
