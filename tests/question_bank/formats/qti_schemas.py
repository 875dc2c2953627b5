"""The official 1EdTech (IMS) QTI 2.1 and 2.2 schemas, kept in ``schemas/`` (see its
README), loaded offline: every import is resolved to a file there, never fetched."""

from __future__ import annotations

import functools
import posixpath
from pathlib import Path

from lxml import etree

SCHEMAS = Path(__file__).parent / "schemas"
ITEM_SCHEMAS = {
    "2.1": SCHEMAS / "qtiv2p1" / "imsqti_v2p1.xsd",
    "2.2": SCHEMAS / "qtiv2p2" / "imsqti_v2p2.xsd",
}


class _LocalOnly(etree.Resolver):
    """Resolve a schema import to the local copy of the same name; refuse anything else."""

    def resolve(self, url: str, pubid: str, context: object) -> object:
        local = Path(url)
        if local.is_file() and SCHEMAS in local.resolve().parents:
            return self.resolve_filename(str(local), context)
        found = sorted(SCHEMAS.rglob(posixpath.basename(url)))
        if not found:
            raise OSError(f"schema not kept locally: {url}")
        return self.resolve_filename(str(found[0]), context)


@functools.cache
def item_schema(version: str) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalOnly())
    return etree.XMLSchema(etree.parse(str(ITEM_SCHEMAS[version]), parser))


def schema_errors(item_xml: bytes, version: str) -> list[str]:
    """Every way ``item_xml`` breaks the official schema (empty when it is valid)."""
    schema = item_schema(version)
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    document = etree.fromstring(item_xml, parser)
    if schema.validate(document):
        return []
    return [f"{error.line}: {error.message}" for error in schema.error_log]
