"""The house plan, checked: imports only run down the layers, and domains meet through services.

Layers: schema -> resolvers -> services -> models (ARCHITECTURE.md). Inside the resolvers layer a
domain reaches another domain's data through that domain's services, never its models. Every
import counts, also those inside functions and under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["schema", "resolvers", "services", "models"]
# The layers each layer may import (besides itself); anything else above it is forbidden.
MAY_IMPORT = {
    "schema": {"resolvers", "services", "models"},
    "resolvers": {"services", "models"},
    "services": {"models"},
    "models": set(),
}
# Which domain each model module belongs to; None: shared by every domain.
MODEL_DOMAINS: dict[str, str | None] = {
    "models": None,
    "models.enums": None,
    "models.vendor": "vendor",
    "models.partners": "partners",
    "models.users": "users",
    "models.leads": "leads",
    "models.lead_management": "leads",
    "models.consent": "consent",
    "models.messaging": "messaging",
    "models.customers": "customers",
    "models.accounts": "customers",
    "models.deals": "deals",
    "models.deal_registrations": "deals",
    "models.renewals": "renewals",
    "models.outbox": "email",
    "models.audit": "audit",
    "models.tracking": None,
}
SHARED_CORNER = "platform"
MAX_MODULE_LINES = 450


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, dotted module) for every import in the source, absolute names only."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
            # `from services import leads` imports the module services.leads
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return found


def model_domain(module: str) -> str | None:
    while module:
        if module in MODEL_DOMAINS:
            return MODEL_DOMAINS[module]
        module = module.rpartition(".")[0]
    return None


def violations(module: str, source: str) -> list[str]:
    """What is wrong with the imports of one module of ours (dotted name), as readable lines."""
    layer = module.split(".")[0]
    parts = module.split(".")
    domain = parts[1] if len(parts) > 2 else None
    problems = []
    for line, target in imported_modules(source):
        target_layer = target.split(".")[0]
        if target_layer not in LAYERS or target_layer == layer:
            continue
        if target_layer not in MAY_IMPORT[layer]:
            problems.append(f"{module}:{line} imports {target} ({layer} may not import upward)")
        elif layer == "resolvers" and target_layer == "models" and domain != SHARED_CORNER:
            owner = model_domain(target)
            if owner is not None and target in MODEL_DOMAINS and owner != domain:
                problems.append(
                    f"{module}:{line} imports {target} (the {owner} domain's models: "
                    "go through services)"
                )
    return problems


def our_modules() -> list[tuple[str, Path]]:
    modules = []
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            modules.append((dotted.removesuffix(".__init__"), path))
    return modules


def test_imports_follow_the_layers_and_domains() -> None:
    problems = [
        problem
        for module, path in our_modules()
        for problem in violations(module, path.read_text())
    ]
    assert not problems, "\n".join(problems)


def test_every_module_is_small_and_says_what_it_holds() -> None:
    problems = []
    for module, path in our_modules():
        source = path.read_text()
        if len(source.splitlines()) > MAX_MODULE_LINES:
            problems.append(f"{module} has {len(source.splitlines())} lines")
        if source.strip() and ast.get_docstring(ast.parse(source)) is None:
            problems.append(f"{module} has no docstring")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("services.leads.service", "from schema.leads import schema\n"),
        ("services.leads.service", "def f():\n    from resolvers.leads import resolvers\n"),
        ("models.leads", "import services.leads.service\n"),
        ("resolvers.leads.resolvers", "from schema.platform.common import Node\n"),
        ("resolvers.consent.resolvers", "from models.leads import Lead\n"),
        ("resolvers.deals.resolvers", "from models import customers\n"),
    ],
)
def test_a_forbidden_import_is_reported(module: str, source: str) -> None:
    assert violations(module, source)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        (
            "schema.leads.schema",
            "from resolvers.leads import resolvers\nfrom models.leads import X\n",
        ),
        ("resolvers.leads.resolvers", "from models.lead_management import RuleSetOwner\n"),
        (
            "resolvers.consent.resolvers",
            "from models.enums import Role\nfrom services.leads import x\n",
        ),
        ("resolvers.platform.loaders", "from models.partners import PartnerOrg\n"),
        ("services.consent.service", "from models.leads import Lead\n"),
    ],
)
def test_an_allowed_import_passes(module: str, source: str) -> None:
    assert not violations(module, source)
