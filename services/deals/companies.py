"""How deal registration compares companies: by normalised name, or by web domain.

One definition for every comparison (a registration against another partner's, against the
vendor's own open deals), so that "the same company" means the same thing everywhere:

- names as the lead rules compare text (`services.leads.ignored_companies.normalise_company`:
  case and spacing ignored);
- domains lowercased, without scheme, user, port, path, query or a leading `www.`, so that
  `https://www.Example.com/pricing` and `example.com` are one company.
"""

from __future__ import annotations

import re

from services.leads.ignored_companies import normalise_company

__all__ = ["domain_problem", "normalise_company", "normalise_domain"]

MAX_DOMAIN_LENGTH = 253
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
# A host name label: letters and digits (any script), inner hyphens, at most 63 characters.
_LABEL = re.compile(r"^[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?$")


def normalise_domain(text: str) -> str:
    """The bare host name of a domain or web address, lowercased ("" for blank input)."""
    host = text.strip().lower()
    host = _SCHEME.sub("", host)
    host = re.split(r"[/?#\\]", host, maxsplit=1)[0]
    host = host.rpartition("@")[2]  # user:password@host
    host = host.split(":", 1)[0]  # host:port
    host = host.strip().rstrip(".")
    while host.startswith("www."):
        host = host[len("www.") :]
    return host


def domain_problem(domain: str) -> str | None:
    """What is wrong with a normalised domain, or None (an empty domain is fine: none given)."""
    if not domain:
        return None
    labels = domain.split(".")
    if (
        len(domain) > MAX_DOMAIN_LENGTH
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
    ):
        return "This is not a web domain such as example.com."
    return None
