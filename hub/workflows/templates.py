"""Message templates: Jinja2 in a sandbox, strict about names, checked when the workflow loads.

    Hi {{ contact.first_name or "there" }}, it's {{ agent.first_name }} from {{ business.name }}.

`SandboxedEnvironment` keeps templates away from Python internals; `StrictUndefined` turns a
misspelt variable into an error instead of an empty string in a lead's text. Load time catches
what it can statically: syntax errors, unknown variables and unknown attributes of the known ones
(`contact.nickname`). Values that are None render as "" (use `or` for a fallback word). HTML bodies
are rendered with autoescape, so a lead's name cannot inject markup into an email.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from hub.errors import WorkflowError

# Variables a template may use, and their attributes (None: free-form, checked when rendering).
TEMPLATE_VARIABLES: dict[str, tuple[str, ...] | None] = {
    "contact": (
        "first_name",
        "last_name",
        "name",
        "email",
        "phone",
        "source",
        "tags",
        "custom",
        "state",
        "postal_code",
    ),
    "agent": ("name", "first_name", "email", "phone"),
    "business": ("name", "postal_address", "help_text"),
    "location": ("id", "name"),
    "trigger": None,
}


class TemplateRenderError(WorkflowError):
    """Raised when a template cannot be rendered for a lead (a missing variable, a sandbox refusal)."""


def _finalize(value: Any) -> Any:
    return "" if value is None else value


_TEXT = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, finalize=_finalize)
_HTML = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True, finalize=_finalize)


def check_template(source: str, *, html: bool = False) -> list[str]:
    """Problems with a template (empty when fine): syntax, unknown variables and attributes."""
    env = _HTML if html else _TEXT
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        return [f"template syntax error on template line {exc.lineno}: {exc.message}"]
    problems: list[str] = []
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and name.name not in TEMPLATE_VARIABLES and name.name not in assigned:
            problems.append(
                f"unknown template variable {name.name!r}; available: {', '.join(TEMPLATE_VARIABLES)}"
            )
    for attribute in tree.find_all(nodes.Getattr):
        base = attribute.node
        if isinstance(base, nodes.Name) and base.name in TEMPLATE_VARIABLES:
            allowed = TEMPLATE_VARIABLES[base.name]
            if allowed is not None and attribute.attr not in allowed:
                problems.append(
                    f"{base.name} has no attribute {attribute.attr!r}; it has: {', '.join(allowed)}"
                )
    return list(dict.fromkeys(problems))


@lru_cache(maxsize=1024)
def _compiled(source: str, html: bool) -> Template:
    # Compiling is most of a render's cost and a workflow's templates are few and immutable.
    return (_HTML if html else _TEXT).from_string(source)


def render(source: str, variables: Mapping[str, Any], *, html: bool = False) -> str:
    """Render a template for one lead; TemplateRenderError says which variable was missing."""
    try:
        return _compiled(source, html).render(**variables)
    except UndefinedError as exc:
        raise TemplateRenderError(f"template needs a value it does not have: {exc.message}") from None
    except SecurityError as exc:
        raise TemplateRenderError(f"template refused by the sandbox: {exc}") from None
    except TemplateSyntaxError as exc:
        raise TemplateRenderError(f"template syntax error on line {exc.lineno}: {exc.message}") from None
    except (TemplateError, TypeError, ValueError) as exc:
        raise TemplateRenderError(f"template could not be rendered: {exc}") from None
