"""Nested stacks for an app over CloudFormation's 500 resources per stack (pure).

:func:`split` takes the flat template :func:`.template.build` made and, when it is over
:data:`STACK_LIMIT`, returns a root template and child templates (``AWS::CloudFormation::Stack``,
``TemplateURL`` under the ``TemplateBase`` parameter: the deploy uploads them to the code bucket).

* The root keeps the tables and buckets (retained, named resources must never move between stacks), the
  APIs, their deployments and stages, every resource that belongs to no single function, and the outputs.
* Each function's resources (its function, role, log group, permissions, methods, event sources, queues,
  ...: those that reference it or only it references, transitively) form a unit; units are packed in
  order into children of at most :data:`CHILD_SIZE` resources. A unit referencing another's resources
  comes after it. On a redeploy, each unit stays in the child it is deployed in (a named resource cannot
  move between stacks in one update); new units go to the last child, then to new ones.
* A reference out of a child (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``) becomes a child parameter, passed from
  the root (``Ref``/``GetAtt`` there, or an earlier child's ``Outputs``); ``DependsOn`` across stacks
  becomes a ``DependsOn`` between the stacks in the root.
"""
from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Iterator, Mapping
from typing import Any

from .parts import TemplateError, logical_id

#: CloudFormation's limits per stack (resources, parameters, outputs).
STACK_LIMIT, PARAMETER_LIMIT, OUTPUT_LIMIT = 500, 200, 200
#: Resources per child stack (room under the limit for what a unit brings).
CHILD_SIZE = 300
#: Resource types that stay in the root stack.
ROOT_TYPES = frozenset({
    "AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::ApiGateway::RestApi", "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Stage",
})
_SUB = re.compile(r"\$\{([^!}][^}]*)\}")


def references(value: Any) -> Iterator[tuple[str, str | None]]:
    """``(logical id, attribute or None)`` of every ``Ref``, ``Fn::GetAtt`` and ``Fn::Sub`` variable in ``value``."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and isinstance(value["Ref"], str):
            yield value["Ref"], None
            return
        if set(value) == {"Fn::GetAtt"}:
            target = value["Fn::GetAtt"]
            name, attribute = target if isinstance(target, list) else str(target).split(".", 1)
            yield name, attribute
            return
        if set(value) == {"Fn::Sub"}:
            text, variables = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]
            for match in _SUB.finditer(text):
                name, _, attribute = match.group(1).partition(".")
                if name not in variables:
                    yield name, attribute or None
            yield from references(variables)
            return
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def _depends(resource: dict[str, Any]) -> list[str]:
    depends = resource.get("DependsOn") or []
    return [depends] if isinstance(depends, str) else list(depends)


def _links(resources: dict[str, Any]) -> dict[str, set[str]]:
    """Logical id -> the resources it references or depends on."""
    return {key: {name for name, _ in references(resource)} & set(resources) | set(_depends(resource)) & set(resources)
            for key, resource in resources.items()}


def units(resources: dict[str, Any]) -> dict[str, str]:
    """Resource -> the function whose unit it is in (resources of no single function are left out)."""
    links = _links(resources)
    owner = {key: key for key, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
    for function in list(owner):
        for used in links[function]:
            if resources[used]["Type"] in ("AWS::IAM::Role", "AWS::Logs::LogGroup"):
                owner[used] = function
    changed = True
    while changed:
        changed = False
        for key in sorted(resources):
            if key in owner or resources[key]["Type"] in ROOT_TYPES:
                continue
            used = {owner[k] for k in links[key] if k in owner}
            users = {owner.get(k) for k, targets in links.items() if key in targets}
            if len(used) == 1 and not (users - used - {None}):
                owner[key] = used.pop()
            elif not used and None not in users and len(users) == 1:
                owner[key] = users.pop()
            else:
                continue
            changed = True
    for key in sorted(resources):  # not one function's, but needing some: a group of its own, ordered with them
        if key not in owner and resources[key]["Type"] not in ROOT_TYPES and links[key] & set(owner):
            owner[key] = key
    return owner


def _ordered_units(resources: dict[str, Any], owner: dict[str, str]) -> list[list[str]]:
    """The units' resources, each unit after the units it references (a cycle of units becomes one unit)."""
    links = _links(resources)
    members: dict[str, list[str]] = {}
    for key in resources:
        if key in owner:
            members.setdefault(owner[key], []).append(key)
    needs = {unit: {owner[t] for k in keys for t in links[k] if t in owner} - {unit} for unit, keys in members.items()}
    ordered: list[list[str]] = []
    while needs:
        ready = sorted(unit for unit, wanted in needs.items() if not wanted)
        if not ready:  # units referencing each other in a circle travel together
            ready = [sorted(needs)]
            merged = [k for unit in ready[0] for k in members[unit]]
            ordered.append(merged)
            needs.clear()
            break
        for unit in ready:
            ordered.append(members[unit])
            del needs[unit]
        for wanted in needs.values():
            wanted.difference_update(ready)
    return ordered


def _parameter(name: str, attribute: str | None) -> str:
    """A parameter (or output) name for ``name``'s ``attribute``: readable, with a digest so none collide."""
    digest = hashlib.sha256(f"{name}.{attribute}".encode()).hexdigest()[:8]
    return re.sub(r"[^A-Za-z0-9]", "", f"P{name}{attribute or ''}")[:240] + digest


def _rewrite(value: Any, outside: set[str], resolve: Any) -> Any:
    """``value`` with each reference to an ``outside`` resource replaced: ``resolve(name, attribute)`` gives
    ``(value, variable, variable value or None)``; ``Fn::Sub`` uses the variable (declared when it has a value)."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in outside:
            return resolve(value["Ref"], None)[0]
        if set(value) == {"Fn::GetAtt"}:
            target = value["Fn::GetAtt"]
            name, attribute = target if isinstance(target, list) else str(target).split(".", 1)
            return resolve(name, attribute)[0] if name in outside else value
        if set(value) == {"Fn::Sub"}:
            text, variables = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]
            extra: dict[str, Any] = {}

            def swap(match: re.Match) -> str:
                name, _, attribute = match.group(1).partition(".")
                if name not in outside or name in variables:
                    return match.group(0)
                _, variable, declared = resolve(name, attribute or None)
                if declared is not None:
                    extra[variable] = declared
                return "${" + variable + "}"

            text = _SUB.sub(swap, text)
            variables = {**_rewrite(variables, outside, resolve), **extra}
            return {"Fn::Sub": [text, variables] if variables else text}
        return {k: _rewrite(v, outside, resolve) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, outside, resolve) for v in value]
    return value


def _value(name: str, attribute: str | None) -> dict[str, Any]:
    return {"Ref": name} if attribute is None else {"Fn::GetAtt": [name, attribute]}


def _pack(ordered: list[list[str]], placement: Mapping[str, int]) -> dict[int, list[str]]:
    """``{part number: its resources}``. A unit deployed before stays in its part (``placement``: resource ->
    part number, from the deployed stack), as CloudFormation cannot move a named resource (a function, its
    log group) from one stack to another in one update; new units fill the last part, then new ones."""
    bins: dict[int, list[str]] = {}
    fresh: list[list[str]] = []
    for unit in ordered:
        homes = {placement[key] for key in unit if key in placement}
        home = homes.pop() if len(homes) == 1 else None
        if home is not None and len(bins.get(home, [])) + len(unit) <= CHILD_SIZE:
            bins.setdefault(home, []).extend(unit)
        else:
            fresh.append(unit)
    last = max(bins, default=0)
    for unit in fresh:
        if last and len(bins[last]) + len(unit) <= CHILD_SIZE:
            bins[last].extend(unit)
        else:
            last = max(bins, default=0) + 1
            bins[last] = list(unit)
    return dict(sorted(bins.items()))


def _cyclic(needs: Mapping[str, set[str]]) -> bool:
    """Whether the stacks' references to each other's outputs go round in a circle."""
    left = {stack: set(wanted) for stack, wanted in needs.items()}
    while left:
        ready = [stack for stack, wanted in left.items() if not wanted & set(left)]
        if not ready:
            return True
        for stack in ready:
            del left[stack]
    return False


def _move_depends(resource: dict[str, Any], inside: set[str], home: dict[str, str], here: str | None) -> set[str]:
    """Keep ``DependsOn`` within the stack; return what the stack itself must depend on instead."""
    depends = _depends(resource)
    if not depends:
        return set()
    kept = [d for d in depends if d in inside]
    if kept:
        resource["DependsOn"] = kept
    else:
        del resource["DependsOn"]
    return {home.get(d, d) for d in depends if d not in inside} - {here}


def split(template: dict[str, Any], render: Any,
          placement: Mapping[str, int] | None = None) -> tuple[dict[str, Any], dict[str, tuple[str, str]]]:
    """``(root, {child stack id: (file name, text)})``; an app within :data:`STACK_LIMIT` is left whole.
    ``placement``: the part each resource is deployed in (see :func:`_pack`)."""
    resources = template["Resources"]
    if len(resources) <= STACK_LIMIT:
        return template, {}
    packed = _pack(_ordered_units(resources, units(resources)), placement or {})
    ids, bins = [logical_id("Stack", f"part{n}") for n in packed], list(packed.values())
    home = {key: stack for stack, keys in zip(ids, bins) for key in keys}
    root_count = len(resources) - len(home) + len(bins)
    if root_count > STACK_LIMIT:
        raise TemplateError(f"even split into {len(bins)} nested stacks the root stack would hold {root_count} "
                            f"resources, over CloudFormation's {STACK_LIMIT}: deploy the app as smaller apps")
    outputs: dict[str, dict[str, Any]] = {stack: {} for stack in ids}
    children: dict[str, dict[str, Any]] = {}
    stacks: dict[str, dict[str, Any]] = {}
    every = set(resources) | set(template.get("Parameters") or {})
    for stack, keys in zip(ids, bins):
        inside = set(keys)
        parameters: dict[str, Any] = {}
        depends: set[str] = set()

        def resolve(name: str, attribute: str | None, parameters=parameters) -> tuple[Any, str, None]:
            key = _parameter(name, attribute)
            if name in home:  # an earlier child's: through its outputs
                outputs[home[name]][key] = _value(name, attribute)
                parameters[key] = {"Fn::GetAtt": [home[name], f"Outputs.{key}"]}
            else:
                parameters[key] = _value(name, attribute)
            return {"Ref": key}, key, None

        body = {}
        for key in keys:
            resource = copy.deepcopy(resources[key])
            depends |= _move_depends(resource, inside, home, stack)
            body[key] = _rewrite(resource, every - inside, resolve)
        children[stack] = body
        stacks[stack] = {"Type": "AWS::CloudFormation::Stack", **({"DependsOn": sorted(depends)} if depends else {}),
                         "Properties": {"Parameters": parameters}}
    needs = {stack: ({name for name, _ in references(made)} | set(made.get("DependsOn", []))) & set(ids) - {stack}
             for stack, made in stacks.items()}
    if placement and _cyclic(needs):  # kept in place, two parts would wait on each other: packed afresh
        return split(template, render)
    return _assemble(template, home, children, stacks, outputs, render)


def _assemble(template: dict[str, Any], home: dict[str, str], children: dict[str, dict[str, Any]],
              stacks: dict[str, dict[str, Any]], outputs: dict[str, dict[str, Any]],
              render: Any) -> tuple[dict[str, Any], dict[str, tuple[str, str]]]:
    """The root (its references to children through their outputs) and the rendered children."""
    def resolve(name: str, attribute: str | None) -> tuple[Any, str, Any]:
        key = _parameter(name, attribute)
        outputs[home[name]][key] = _value(name, attribute)
        value = {"Fn::GetAtt": [home[name], f"Outputs.{key}"]}
        return value, key, value

    root: dict[str, Any] = {}
    for key, resource in template["Resources"].items():
        if key in home:
            continue
        resource = copy.deepcopy(resource)
        depends = _move_depends(resource, set(template["Resources"]) - set(home), home, None)
        if depends:
            resource["DependsOn"] = sorted(set(_depends(resource)) | depends)
        root[key] = _rewrite(resource, set(home), resolve)
    root_outputs = _rewrite(copy.deepcopy(template.get("Outputs") or {}), set(home), resolve)
    files: dict[str, tuple[str, str]] = {}
    description = str(template.get("Description", "")).replace(", deployed by tight", "")
    for number, (stack, body) in enumerate(children.items(), 1):
        parameters = stacks[stack]["Properties"]["Parameters"]
        if len(parameters) > PARAMETER_LIMIT or len(outputs[stack]) > OUTPUT_LIMIT:
            raise TemplateError(f"nested stack {stack} would take {len(parameters)} parameters and give "
                                f"{len(outputs[stack])} outputs, over CloudFormation's {PARAMETER_LIMIT}: "
                                "deploy the app as smaller apps")
        child = {"AWSTemplateFormatVersion": "2010-09-09",
                 "Description": f"{description} part {number} of {len(children)}, deployed by tight",
                 "Parameters": {key: {"Type": "String"} for key in parameters}, "Resources": body}
        if outputs[stack]:
            child["Outputs"] = {key: {"Value": value} for key, value in outputs[stack].items()}
        text = render(child)
        name = f"{hashlib.sha256(text.encode()).hexdigest()}.yml"
        files[stack] = (name, text)
        stacks[stack]["Properties"]["TemplateURL"] = {"Fn::Sub": f"${{TemplateBase}}/{name}"}
    parameters = {**template.get("Parameters", {}), "TemplateBase": {
        "Type": "String", "Description": "URL of the folder holding the nested stacks' templates"}}
    before = {k: v for k, v in root.items() if not set(_depends(v)) & set(stacks)
              and not {name for name, _ in references(v)} & set(stacks)}
    after = {k: v for k, v in root.items() if k not in before}  # listed after the stacks they wait for
    result = {**template, "Parameters": parameters, "Resources": {**before, **stacks, **after}}
    if root_outputs:
        result["Outputs"] = root_outputs
    return result, files
