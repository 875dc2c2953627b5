"""The exams' blueprint, apart from the package so that its modules import it without
importing the package that imports them."""

from flask import Blueprint

bp = Blueprint("exams", __name__)
