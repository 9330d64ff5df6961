"""Personal information: the data inventory every model declares (R21) and masking (R22).

Each WarmBee model lists every concrete field under a category, with a retention rule::

    data_inventory = Inventory(
        retention="account",
        general="id name region is_active",
        contact="phone",
        credential="password",
    )

``manage.py check`` fails on a field that is not listed; ``manage.py data_inventory`` writes the
inventory document from these declarations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CATEGORIES = {
    "general": "general data",
    "contact": "contact details (mobile number)",
    "identity": "identity document (resident ID number)",
    "credential": "credential (password hash, MFA secret)",
    "financial": "financial (bank account, money)",
    "health": "health and mental-health",
    "minor": "data about a child",
    "location": "precise location",
    "network": "network identifiers (IP address)",
}

# Retention rules, referenced by name; periods are settings where a deployer may change them.
RETENTION = {
    "permanent": "kept while the record is in use (reference data)",
    "account": "while the account exists; erased or pseudonymised on deletion",
    "audit": "at least 180 days, then archived (R18)",
    "session": "until the session ends",
    "security": "login attempts: until the lock expires or is reset",
    "task": "background task results: 30 days",
    "import": "an import's file until the import ends (IMPORT_RESUME_HOURS at most); its report 30 days",
}


@dataclass(frozen=True)
class Inventory:
    retention: str
    general: str = ""
    contact: str = ""
    identity: str = ""
    credential: str = ""
    financial: str = ""
    health: str = ""
    minor: str = ""
    location: str = ""
    network: str = ""
    categories: dict[str, str] = field(init=False, default_factory=dict)

    def __post_init__(self):
        mapping: dict[str, str] = {}
        for category in CATEGORIES:
            for name in getattr(self, category).split():
                mapping[name] = category
        object.__setattr__(self, "categories", mapping)

    def category_of(self, field_name: str) -> str | None:
        return self.categories.get(field_name)


def mask_phone(value: str | None) -> str:
    """``+8613812348000`` → ``138****8000``."""
    if not value:
        return ""
    digits = value[3:] if value.startswith("+86") else value.lstrip("+")
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_id_number(value: str | None) -> str:
    """``11010519491231002X`` → ``110105********002X``."""
    if not value:
        return ""
    if len(value) < 10:
        return "*" * len(value)
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


def mask_name(value: str | None) -> str:
    """``张三`` → ``张*``; ``欧阳小明`` → ``欧***``; ``Li Lei`` → ``L*****``."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)
