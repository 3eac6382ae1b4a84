"""Extract the AWS provider's resource schema from the PyPI package ``cdktf-cdktf-provider-aws``.

No Terraform provider can be downloaded where this project is tested, but the cdktf bindings
carry the provider's schema in their jsii assembly. This script reads that assembly once and
writes ``infra/aws_provider_schema.json``, trimmed to the resource and data source types this
configuration uses (plus the names of all the others, so an unknown type can be told from one
that is merely not trimmed in). Run it again after adding a new resource type:

    python3 -m venv /tmp/cdktf && /tmp/cdktf/bin/pip download --no-deps -d /tmp/cdktf \\
        'cdktf-cdktf-provider-aws==21.22.1'        # carries hashicorp/aws 6.25.0
    python3 infra/extract_provider_schema.py /tmp/cdktf/cdktf_cdktf_provider_aws-21.22.1-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "infra" / "aws_provider_schema.json"
TYPE_LINK = re.compile(
    r"registry\.terraform\.io/providers/hashicorp/aws/(?P<version>[0-9.]+)/docs/"
    r"(?P<kind>resources|data-sources)/\S+ (?P<type>aws_[a-z0-9_]+)\}"
)
ANCHOR = re.compile(r"#(?P<name>[a-z0-9_]+) [A-Za-z0-9]+#")
DECLARATION = re.compile(r'^\s*(?P<kind>resource|data)\s+"(?P<type>aws_[a-z0-9_]+)"', re.MULTILINE)


def read_assembly(wheel: Path) -> dict[str, Any]:
    with zipfile.ZipFile(wheel) as archive:
        member = next(n for n in archive.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(archive.read(member))) as tar:
            extracted = tar.extractfile("package/.jsii")
            assert extracted is not None
            return json.load(extracted)


def struct_fqn(type_ref: dict[str, Any]) -> str | None:
    """The provider struct a property's type refers to, if any (a nested block)."""
    if "fqn" in type_ref:
        fqn = type_ref["fqn"]
        return fqn if fqn.startswith("@cdktf/provider-aws.") else None
    if "collection" in type_ref:
        return struct_fqn(type_ref["collection"]["elementtype"])
    for member in type_ref.get("union", {}).get("types", []):
        found = struct_fqn(member)
        if found:
            return found
    return None


def block_schema(types: dict[str, Any], fqn: str, depth: int = 0) -> dict[str, Any]:
    attributes: list[str] = []
    required: list[str] = []
    blocks: dict[str, Any] = {}
    for prop in types[fqn].get("properties", []):
        docs = prop.get("docs", {})
        match = ANCHOR.search(docs.get("summary", "") + " " + docs.get("remarks", ""))
        if not match:
            continue
        name = match.group("name")
        nested = struct_fqn(prop["type"])
        if nested and depth < 12:
            blocks[name] = block_schema(types, nested, depth + 1)
        else:
            attributes.append(name)
        if not prop.get("optional"):
            required.append(name)
    return {"attributes": sorted(attributes), "blocks": blocks, "required": sorted(required)}


def used_types(directory: Path) -> set[tuple[str, str]]:
    found = set()
    for path in directory.glob("*.tf"):
        for match in DECLARATION.finditer(path.read_text()):
            found.add(
                ("resources" if match.group("kind") == "resource" else "data-sources", match.group("type"))
            )
    return found


def extract(wheel: Path, directory: Path) -> dict[str, Any]:
    types = read_assembly(wheel)["types"]
    wanted = used_types(directory)
    schema: dict[str, Any] = {
        "resources": {},
        "data-sources": {},
        "all": {"resources": [], "data-sources": []},
    }
    for entry in types.values():
        if entry.get("base") not in ("cdktf.TerraformResource", "cdktf.TerraformDataSource"):
            continue
        match = TYPE_LINK.search(entry.get("docs", {}).get("summary", ""))
        if not match:
            continue
        kind, type_name = match.group("kind"), match.group("type")
        schema["provider_version"] = match.group("version")
        schema["all"][kind].append(type_name)
        if (kind, type_name) in wanted:
            config = entry["initializer"]["parameters"][-1]["type"]["fqn"]
            schema[kind][type_name] = block_schema(types, config)
    for kind in ("resources", "data-sources"):
        schema["all"][kind].sort()
    missing = {t for k, t in wanted if t not in schema[k]}
    if missing:
        raise SystemExit(f"not in the provider schema: {sorted(missing)}")
    return schema


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("wheel", type=Path, help="cdktf_cdktf_provider_aws-*.whl")
    parser.add_argument("--terraform-dir", type=Path, default=ROOT)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    schema = extract(args.wheel, args.terraform_dir)
    args.output.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
    print(
        f"wrote {args.output}: hashicorp/aws {schema['provider_version']}, "
        f"{len(schema['resources'])} resource and {len(schema['data-sources'])} data source types"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
