"""Trusted documents: an optional allow-list of the operations a portal ships, named by hash.

With TRUSTED_DOCUMENTS set to a manifest file, every request over HTTP (GET and POST) and every
websocket `subscribe` must name a document of the manifest by its SHA-256 hash, either as
`extensions.persistedQuery.sha256Hash` (what Apollo Client's persisted-queries link sends) or as
`documentId` (the GraphQL-over-HTTP persisted documents form; "sha256:<hex>" or the bare hex).
Query text on its own is refused with TRUSTED_DOCUMENT_REQUIRED, an unknown hash with
PERSISTED_QUERY_NOT_FOUND, text that does not hash to the hash sent with it with
PERSISTED_QUERY_HASH_MISMATCH. There is no exemption, also not for vendor admins: the admin tools
ship their operations in the manifest like the portal does.

Without the setting the API is open: query text runs, and a request that names only a hash gets
PERSISTED_QUERY_NOT_FOUND (an Apollo persisted-queries link then retries with the text).

The manifest is a JSON object `{"<sha256 hex>": "<document>"}` (what `channelport
trusted-documents build` and GraphQL Code Generator's persisted documents write), or Apollo's
persisted query manifest (`{"format": "apollo-persisted-query-manifest", "operations": [{"id",
"body", ...}]}`). Every hash must be the SHA-256 of its document's exact text and every document
must parse: a manifest that breaks either rule stops start-up.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError, GraphQLSyntaxError, parse

from settings import ConfigError

SETTING = "TRUSTED_DOCUMENTS"
APOLLO_MANIFEST_FORMAT = "apollo-persisted-query-manifest"

DOCUMENT_REQUIRED = "TRUSTED_DOCUMENT_REQUIRED"
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
BAD_DOCUMENT_ID = "BAD_REQUEST"

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class TrustedDocumentError(Exception):
    """A request refused by the trusted-documents rules; `code` goes into `extensions.code`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def as_graphql_error(self) -> dict[str, Any]:
        return {"message": self.message, "extensions": {"code": self.code}}

    def as_http_exception(self) -> HTTPException:
        """A 400 that /graphql answers as a GraphQL-shaped error with this code."""
        refusal = HTTPException(400, self.message)
        refusal.code = self.code  # type: ignore[attr-defined]
        return refusal


def document_hash(document: str) -> str:
    """The SHA-256 hex digest of a document's exact text (UTF-8)."""
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TrustedDocuments:
    """The allow-list: documents by the SHA-256 of their text."""

    documents: Mapping[str, str]

    def get(self, sha256: str) -> str | None:
        return self.documents.get(sha256)

    def __len__(self) -> int:
        return len(self.documents)


def _manifest_entries(manifest: object) -> Iterable[tuple[object, object]]:
    if isinstance(manifest, dict) and manifest.get("format") == APOLLO_MANIFEST_FORMAT:
        operations = manifest.get("operations")
        if not isinstance(operations, list):
            raise ConfigError(SETTING, "an Apollo manifest needs an `operations` list")
        for operation in operations:
            if not isinstance(operation, dict):
                raise ConfigError(SETTING, "every Apollo manifest operation must be an object")
            yield operation.get("id"), operation.get("body")
        return
    if not isinstance(manifest, dict):
        raise ConfigError(SETTING, 'expected a JSON object {"<sha256>": "<document>"}')
    yield from manifest.items()


def parse_manifest(manifest: object) -> TrustedDocuments:
    """Check a decoded manifest and build the allow-list, or raise ConfigError saying why."""
    documents: dict[str, str] = {}
    for key, document in _manifest_entries(manifest):
        if not isinstance(key, str) or not _SHA256_HEX.fullmatch(key):
            raise ConfigError(SETTING, f"{key!r} is not a lower-case SHA-256 hex digest")
        if not isinstance(document, str):
            raise ConfigError(SETTING, f"the document of {key} is not a string")
        if document_hash(document) != key:
            raise ConfigError(SETTING, f"{key} is not the SHA-256 of its document's text")
        try:
            parse(document)
        except GraphQLSyntaxError as error:
            problem = f"the document of {key} does not parse: {error.message}"
            raise ConfigError(SETTING, problem) from None
        documents[key] = document
    if not documents:
        raise ConfigError(SETTING, "the manifest holds no documents")
    return TrustedDocuments(documents)


def load_trusted_documents(path: str) -> TrustedDocuments | None:
    """The allow-list from the manifest at `path`; None (the API is open) for an empty path."""
    if not path:
        return None
    try:
        manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(SETTING, f"cannot read {path}: {error.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ConfigError(SETTING, f"{path} is not UTF-8 JSON") from None
    return parse_manifest(manifest)


def _requested_hash(extensions: object, document_id: object) -> str | None:
    """The hash a request names, from `documentId` or `extensions.persistedQuery.sha256Hash`."""
    if document_id is not None:
        if not isinstance(document_id, str):
            raise TrustedDocumentError(BAD_DOCUMENT_ID, "`documentId` must be a string.")
        prefix, separator, digest = document_id.partition(":")
        if separator and prefix != "sha256":
            raise TrustedDocumentError(NOT_FOUND, "Only sha256 document ids are known here.")
        return digest if separator else document_id
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if persisted is None:
        return None
    sha256 = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    if not isinstance(sha256, str):
        raise TrustedDocumentError(
            BAD_DOCUMENT_ID, "`extensions.persistedQuery.sha256Hash` must be a string."
        )
    return sha256


def resolve_document(
    trusted: TrustedDocuments | None,
    query: object,
    extensions: object = None,
    document_id: object = None,
) -> object:
    """The document text to execute for a request, or TrustedDocumentError.

    `query` is returned unchanged when no hash is named and the API is open, so that the view's
    own checks (a missing or non-string query) still answer it.
    """
    requested = _requested_hash(extensions, document_id)
    if requested is None:
        if trusted is not None:
            raise TrustedDocumentError(
                DOCUMENT_REQUIRED,
                "This server runs only trusted documents: name one by its hash "
                "(extensions.persistedQuery.sha256Hash or documentId).",
            )
        return query
    document = trusted.get(requested) if trusted is not None else None
    if document is None:
        raise TrustedDocumentError(NOT_FOUND, "PersistedQueryNotFound")
    if query not in (None, "") and query != document and document_hash(str(query)) != requested:
        raise TrustedDocumentError(
            HASH_MISMATCH, "The query text sent does not have the hash sent with it."
        )
    return document


def build_manifest(paths: Iterable[Path]) -> dict[str, str]:
    """A manifest of every operation in the given .graphql files: one document per operation.

    A file may hold several operations and the fragments they use; each operation becomes its own
    document with exactly the fragments it spreads (from any of the files), in a stable text, so
    the hash does not change when an unrelated operation is edited.
    """
    from graphql import (
        DocumentNode,
        FragmentDefinitionNode,
        FragmentSpreadNode,
        OperationDefinitionNode,
        print_ast,
        visit,
    )
    from graphql.language import Visitor

    operations: list[OperationDefinitionNode] = []
    fragments: dict[str, FragmentDefinitionNode] = {}
    for path in paths:
        try:
            document = parse(path.read_text(encoding="utf-8"))
        except GraphQLError as error:
            raise ValueError(f"{path}: {error.message}") from None
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                operations.append(definition)
            elif isinstance(definition, FragmentDefinitionNode):
                fragments[definition.name.value] = definition

    def spreads(node: Any) -> set[str]:
        found: set[str] = set()

        class Spreads(Visitor):
            def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: Any) -> None:
                found.add(spread.name.value)

        visit(node, Spreads())
        return found

    manifest: dict[str, str] = {}
    for operation in operations:
        needed: list[str] = []
        pending = sorted(spreads(operation))
        while pending:
            name = pending.pop(0)
            if name in needed:
                continue
            if name not in fragments:
                raise ValueError(f"fragment {name} is used but defined in none of the files")
            needed.append(name)
            pending.extend(sorted(spreads(fragments[name]) - set(needed)))
        text = print_ast(
            DocumentNode(definitions=(operation, *(fragments[name] for name in sorted(needed))))
        )
        manifest[document_hash(text)] = text
    return dict(sorted(manifest.items()))
