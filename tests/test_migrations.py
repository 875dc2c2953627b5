"""The schema only changes through migrations: upgrading an empty database to head gives
exactly the tables, columns and constraints the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from exam import create_app
from exam.extensions import db
from tests.helpers import config_for_tests, fresh_database_url


def test_migrations_build_the_schema_of_the_models(tmp_path):
    app = create_app(config_for_tests(SQLALCHEMY_DATABASE_URI=fresh_database_url(tmp_path, "mig")))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        downgrade(revision="base")
        with db.engine.connect() as connection:
            remaining = set(db.inspect(connection).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.engine.dispose()
