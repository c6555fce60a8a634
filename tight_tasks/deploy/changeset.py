"""Stack changes through change sets: :func:`plan` (reads and a change set, nothing executed), then :func:`apply`.

:func:`plan` creates a change set for the stack and describes it; "nothing
to change" is decided on the change set's status and reason, never on an
empty list of changes (a new code key changes only a parameter, which
CloudFormation may list as no resource change). :func:`apply` executes it
and follows the stack's events until the stack settles; a stack that does not
reach ``*_COMPLETE`` raises :class:`DeployFailed` with the failing events.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..console import say
from .cloud import Cloud, CloudError

SETTLED_OK = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE")
#: A stack in one of these cannot be updated; it must be deleted first (tables are retained).
DEAD = ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED", "DELETE_FAILED")
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
#: How long to wait for a change set or a stack operation (seconds).
PATIENCE = 3600


class DeployFailed(Exception):
    """The stack did not reach ``*_COMPLETE``; ``str()`` is the block of failing events to print."""


@dataclass(frozen=True)
class Change:
    action: str  # Add | Modify | Remove | Import | Dynamic
    logical_id: str
    resource_type: str
    replacement: str = ""  # True | False | Conditional (for Modify)


@dataclass
class Plan:
    stack: str
    kind: str  # CREATE | UPDATE
    change_set: str | None = None  # its id; None: nothing to change
    stack_id: str | None = None
    changes: list[Change] = field(default_factory=list)
    #: Parameters whose values change (a new code zip changes CodeKey).
    parameters: list[str] = field(default_factory=list)
    #: Whether ``execute_change_set`` was sent (from then on CloudFormation carries on without us).
    executed: bool = False

    @property
    def nothing_to_do(self) -> bool:
        return self.change_set is None


def check_stack(stack: Mapping[str, Any] | None, delete_hint: str) -> str:
    """``CREATE`` or ``UPDATE`` for the stack's status; a busy or dead stack is a :class:`CloudError`."""
    if stack is None:
        return "CREATE"
    status = stack["StackStatus"]
    if status == "REVIEW_IN_PROGRESS":  # created by a change set that never ran
        return "CREATE"
    if status in DEAD:
        raise CloudError(f"Stack {stack['StackName']} is {status} (an earlier deploy failed before it was "
                         f"complete): delete it with `{delete_hint}` (tables are kept), then deploy again.")
    if status.endswith("_IN_PROGRESS"):
        raise CloudError(f"Stack {stack['StackName']} is busy ({status}): wait until it settles, then retry.")
    if status == "UPDATE_ROLLBACK_FAILED":
        raise CloudError(f"Stack {stack['StackName']} is UPDATE_ROLLBACK_FAILED: continue the rollback in the "
                         "CloudFormation console (or `aws cloudformation continue-update-rollback`), then retry.")
    return "UPDATE"


def _changed_parameters(stack: Mapping[str, Any] | None, parameters: Mapping[str, str]) -> list[str]:
    old = {p["ParameterKey"]: p.get("ParameterValue") for p in (stack or {}).get("Parameters") or []}
    return sorted(k for k, v in parameters.items() if old.get(k) != v)


def _wait_for_change_set(cloud: Cloud, change_set: str) -> dict[str, Any]:
    waited = 0.0
    while True:
        described = cloud.call("cloudformation", "describe_change_set", ChangeSetName=change_set)
        if described.get("Status") not in ("CREATE_PENDING", "CREATE_IN_PROGRESS") or waited > PATIENCE:
            return described
        cloud.sleep(1)
        waited += 1


def _changes(cloud: Cloud, described: dict[str, Any]) -> list[Change]:
    pages = [described]
    while pages[-1].get("NextToken"):
        pages.append(cloud.call("cloudformation", "describe_change_set", ChangeSetName=described["ChangeSetId"],
                                NextToken=pages[-1]["NextToken"]))
    found = []
    for page in pages:
        for item in page.get("Changes") or []:
            change = item.get("ResourceChange") or {}
            found.append(Change(change.get("Action", ""), change.get("LogicalResourceId", ""),
                                change.get("ResourceType", ""), str(change.get("Replacement") or "")))
    return found


def plan(cloud: Cloud, stack: str, parameters: Mapping[str, str], template_body: str | None = None,
         template_url: str | None = None, description: str = "", delete_hint: str = "tight deploy.delete",
         tags: Mapping[str, str] | None = None) -> Plan:
    """A change set taking ``stack`` to the template; nothing is executed."""
    existing = cloud.stack(stack)
    kind = check_stack(existing, delete_hint)
    result = Plan(stack, kind, stack_id=(existing or {}).get("StackId"),
                  parameters=_changed_parameters(existing if kind == "UPDATE" else None, parameters))
    source = {"TemplateURL": template_url} if template_url else {"TemplateBody": template_body}
    try:
        created = cloud.call(
            "cloudformation", "create_change_set", StackName=stack, ChangeSetType=kind,
            ChangeSetName=f"tight-{int(cloud.clock() * 1000)}", Capabilities=["CAPABILITY_IAM"], **source,
            **({"Description": description[:1024]} if description else {}),
            **({"Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]} if tags else {}),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(parameters.items())])
    except CloudError as exc:
        if any(text in str(exc) for text in NO_CHANGES):
            return result
        raise
    result.stack_id = created.get("StackId") or result.stack_id
    try:
        described = _wait_for_change_set(cloud, created["Id"])
    except KeyboardInterrupt:  # leave nothing behind: the change set, and the empty stack a first one made
        cloud.call("cloudformation", "delete_change_set", ChangeSetName=created["Id"])
        if kind == "CREATE" and result.stack_id:
            cloud.call("cloudformation", "delete_stack", StackName=result.stack_id)
        raise
    if described.get("Status") == "FAILED":
        reason = " ".join(str(described.get("StatusReason") or "no reason given").split())
        cloud.call("cloudformation", "delete_change_set", ChangeSetName=created["Id"])
        if any(text in reason for text in NO_CHANGES):
            return result
        raise CloudError(f"CloudFormation refused the change set for {stack}: {reason}")
    result.change_set = created["Id"]
    result.changes = _changes(cloud, described)
    return result


def describe(plan: Plan) -> list[str]:
    """Lines saying what the plan adds, modifies and removes."""
    if plan.nothing_to_do:
        return [f"Stack {plan.stack} is up to date: nothing to change."]
    verb = "create" if plan.kind == "CREATE" else "update"
    lines = [f"Changes to {verb} stack {plan.stack}:"]
    marks = {"Add": "+", "Modify": "~", "Remove": "-"}
    for change in sorted(plan.changes, key=lambda c: (c.action != "Add", c.action, c.logical_id)):
        replace = " (replaced)" if change.replacement == "True" else \
            " (may be replaced)" if change.replacement == "Conditional" else ""
        lines.append(f"  {marks.get(change.action, '*')} {change.logical_id} ({change.resource_type}){replace}")
    if plan.kind == "UPDATE" and plan.parameters:
        lines.append(f"  ~ parameters: {', '.join(plan.parameters)}")
    if len(lines) == 1:
        lines.append("  (no resource changes listed)")
    return lines


# -- executing and following -----------------------------------------------------------------


def _event_line(event: Mapping[str, Any]) -> str:
    reason = event.get("ResourceStatusReason")
    text = f"  {event.get('ResourceStatus', '')}  {event.get('ResourceType', '')}  {event.get('LogicalResourceId', '')}"
    return text + (f": {' '.join(str(reason).split())}" if reason else "")


def failure_block(stack: str, status: str, events: list[Mapping[str, Any]], error: str = "",
                  what: str = "Deploy of") -> str:
    """The message of a failed stack operation: the status, each failing resource event, the error."""
    failed = [e for e in events if str(e.get("ResourceStatus", "")).endswith("_FAILED")]
    lines = [f"{what} stack {stack} failed: the stack is {status}."]
    lines += [_event_line(e) for e in failed]
    lines += [f"  {error}"] if error else [] if failed else ["  (no failing resource events were reported)"]
    return "\n".join(lines)


def follow(cloud: Cloud, stack_id: str, since: str | None, out: Callable[[str], None],
           done: Callable[[str], bool]) -> tuple[str, list[dict[str, Any]]]:
    """Print the stack's events after event ``since`` until ``done(status)``; return the status and the events.

    Each poll reads back (through every page) only to the newest event already printed.
    """
    seen: list[dict[str, Any]] = []
    waited = 0.0
    while True:
        stack = cloud.stack(stack_id)
        status = stack["StackStatus"] if stack else "DELETE_COMPLETE"
        fresh = cloud.stack_events(stack_id, since) if stack else []
        if fresh:
            since = fresh[0].get("EventId")
        for event in reversed(fresh):
            seen.append(event)
            out(_event_line(event))
        if done(status) or waited > PATIENCE:
            return status, seen
        cloud.sleep(2)
        waited += 2


def latest_event(cloud: Cloud, stack_id: str | None) -> str | None:
    if not stack_id:
        return None
    events = cloud.stack_events(stack_id, limit=1)
    return events[0].get("EventId") if events else None


def apply(cloud: Cloud, plan: Plan, out: Callable[[str], None] = say) -> str:
    """Execute the plan's change set and follow it; returns the final status or raises :class:`DeployFailed`."""
    since = latest_event(cloud, plan.stack_id)
    plan.executed = True
    try:
        cloud.call("cloudformation", "execute_change_set", once=True, ChangeSetName=plan.change_set)
    except CloudError as exc:
        events = cloud.stack_events(plan.stack_id, since) if plan.stack_id else []
        stack = cloud.stack(plan.stack_id or plan.stack)
        status = stack["StackStatus"] if stack else "not created"
        raise DeployFailed(failure_block(plan.stack, status, events, str(exc))) from None
    status, events = follow(cloud, plan.stack_id or plan.stack, since, out,
                            lambda s: not s.endswith("_IN_PROGRESS"))
    if status not in SETTLED_OK:
        raise DeployFailed(failure_block(plan.stack, status, events))
    return status
