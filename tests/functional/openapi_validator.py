"""Checks HTTP responses against the project's OpenAPI 3.1 document (docs/openapi.yaml).

Given a method, a path (a concrete one such as /api/v1/shows/7 or a template such as
/api/v1/shows/{id}), a status, the headers and the body, `OpenApiValidator.check` finds the
operation and returns a list of mismatches (empty when the response matches):

- the status must be documented for the operation (exactly, as a range such as 2XX, or `default`);
- every header the document marks `required` must be there, and documented headers must match
  their schema;
- the Content-Type must be one of the documented media types, and a response documented without
  content must have no body;
- a JSON body must match the documented schema (JSON Schema 2020-12, as OpenAPI 3.1 uses it;
  OpenAPI 3.0's `nullable` is understood too). With `strict_properties` (the default) an object
  member that the schema does not declare is a mismatch as well, so a field the server adds
  without documenting it is caught;
- rules the document states for every response: problem bodies carry the HTTP status in `status`,
  every response has X-Request-Id, and a gzip-compressed response says `Vary: Accept-Encoding`.

A path the document does not have must be answered 404 with a problem; a documented path with an
undocumented method must be answered 405 with a problem and an `Allow` header naming exactly the
documented methods.

Schemas are checked with python3-jsonschema when it is installed (Debian: python3-jsonschema), else
with the small built-in validator below, which covers every keyword the document uses (a test
checks that). Needs only python3-yaml.
"""
import datetime
import json
import math
import os
import re
import urllib.parse

import yaml

try:  # Debian bookworm: python3-jsonschema 4.10
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError:  # pragma: no cover - depends on the machine
    jsonschema = None
    Draft202012Validator = None

DEFAULT_DOCUMENT = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "openapi.yaml")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


# ---------------------------------------------------------------------------------------------
# formats (OpenAPI 3.1 leaves them to the tool; these are the ones the document uses)

_DATE_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")


def _valid_date(y, m, d):
    try:
        datetime.date(int(y), int(m), int(d))
        return True
    except ValueError:
        return False


def _check_format(fmt, value):
    """True when `value` is of format `fmt` (or the format is not one this module knows)."""
    if fmt == "date-time":
        if not isinstance(value, str):
            return True
        m = _DATE_TIME.match(value)
        return bool(m) and _valid_date(*m.group(1, 2, 3)) and int(m.group(4)) < 24 and int(m.group(5)) < 60 \
            and int(m.group(6)) <= 60
    if fmt == "date":
        if not isinstance(value, str):
            return True
        m = _DATE.match(value)
        return bool(m) and _valid_date(*m.group(1, 2, 3))
    if fmt == "email":
        return not isinstance(value, str) or bool(_EMAIL.match(value))
    if fmt == "uri":
        return not isinstance(value, str) or bool(_URI.match(value))
    if fmt == "int64":
        return not isinstance(value, int) or isinstance(value, bool) or -(2 ** 63) <= value < 2 ** 63
    if fmt == "int32":
        return not isinstance(value, int) or isinstance(value, bool) or -(2 ** 31) <= value < 2 ** 31
    return True


KNOWN_FORMATS = ("date-time", "date", "email", "uri", "int64", "int32")


# ---------------------------------------------------------------------------------------------
# the built-in schema validator, used when python3-jsonschema is missing

# Keywords that only annotate: they never make an instance invalid.
ANNOTATIONS = {"description", "title", "summary", "default", "examples", "example", "deprecated", "readOnly",
               "writeOnly", "externalDocs", "xml", "discriminator", "$comment", "$schema", "$id", "components"}
# Keywords the built-in validator checks.
ASSERTIONS = {"$ref", "type", "nullable", "enum", "const", "format", "minimum", "maximum", "exclusiveMinimum",
              "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "pattern", "required", "properties",
              "additionalProperties", "patternProperties", "propertyNames", "minProperties", "maxProperties",
              "items", "prefixItems", "minItems", "maxItems", "uniqueItems", "allOf", "anyOf", "oneOf", "not", "if",
              "then", "else"}
SUPPORTED_KEYWORDS = ANNOTATIONS | ASSERTIONS


def _type_ok(t, value):
    if t == "null":
        return value is None
    if t == "boolean":
        return isinstance(value, bool)
    if t == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer())
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t == "string":
        return isinstance(value, str)
    if t == "array":
        return isinstance(value, list)
    if t == "object":
        return isinstance(value, dict)
    return False


def _json_equal(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


class MiniSchemaValidator:
    """A JSON Schema 2020-12 subset: the keywords in ASSERTIONS, local `$ref`s only."""

    def __init__(self, root):
        self.root = root

    def resolve(self, ref):
        if not ref.startswith("#"):
            raise ValueError(f"only local $refs are supported: {ref}")
        node = self.root
        for part in ref[1:].split("/")[1:]:
            part = urllib.parse.unquote(part).replace("~1", "/").replace("~0", "~")
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    def errors(self, schema, value, path="$"):
        if schema is True or schema == {}:
            return []
        if schema is False:
            return [f"{path}: no value is allowed here"]
        out = []
        if "$ref" in schema:
            out += self.errors(self.resolve(schema["$ref"]), value, path)
        types = schema.get("type")
        if types is not None:
            types = [types] if isinstance(types, str) else list(types)
            if schema.get("nullable") is True:
                types.append("null")
            if not any(_type_ok(t, value) for t in types):
                return out + [f"{path}: {json.dumps(value)[:80]} is not of type {' or '.join(types)}"]
        if "enum" in schema and not any(_json_equal(value, e) for e in schema["enum"]):
            out.append(f"{path}: {json.dumps(value)[:80]} is not one of {schema['enum']}")
        if "const" in schema and not _json_equal(value, schema["const"]):
            out.append(f"{path}: {json.dumps(value)[:80]} is not {json.dumps(schema['const'])}")
        if "format" in schema and not _check_format(schema["format"], value):
            out.append(f"{path}: {json.dumps(value)[:80]} is not a {schema['format']}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                out.append(f"{path}: {value} is less than the minimum of {schema['minimum']}")
            if "maximum" in schema and value > schema["maximum"]:
                out.append(f"{path}: {value} is more than the maximum of {schema['maximum']}")
            if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
                out.append(f"{path}: {value} is not more than {schema['exclusiveMinimum']}")
            if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
                out.append(f"{path}: {value} is not less than {schema['exclusiveMaximum']}")
            if "multipleOf" in schema and not math.isclose(value / schema["multipleOf"], round(value / schema["multipleOf"])):
                out.append(f"{path}: {value} is not a multiple of {schema['multipleOf']}")
        if isinstance(value, str):
            n = len(value)  # code points, as JSON Schema counts
            if "minLength" in schema and n < schema["minLength"]:
                out.append(f"{path}: {json.dumps(value)[:80]} is shorter than {schema['minLength']}")
            if "maxLength" in schema and n > schema["maxLength"]:
                out.append(f"{path}: {json.dumps(value)[:80]} is longer than {schema['maxLength']}")
            if "pattern" in schema and not re.search(schema["pattern"], value):
                out.append(f"{path}: {json.dumps(value)[:80]} does not match {schema['pattern']!r}")
        if isinstance(value, dict):
            for name in schema.get("required", []):
                if name not in value:
                    out.append(f"{path}: {name!r} is a required property")
            if "minProperties" in schema and len(value) < schema["minProperties"]:
                out.append(f"{path}: fewer than {schema['minProperties']} properties")
            if "maxProperties" in schema and len(value) > schema["maxProperties"]:
                out.append(f"{path}: more than {schema['maxProperties']} properties")
            props = schema.get("properties", {})
            patterns = schema.get("patternProperties", {})
            for name, v in value.items():
                if "propertyNames" in schema:
                    out += self.errors(schema["propertyNames"], name, f"{path}.{name} (name)")
                matched = False
                if name in props:
                    matched = True
                    out += self.errors(props[name], v, f"{path}.{name}")
                for pat, sub in patterns.items():
                    if re.search(pat, name):
                        matched = True
                        out += self.errors(sub, v, f"{path}.{name}")
                if not matched and "additionalProperties" in schema:
                    out += self.errors(schema["additionalProperties"], v, f"{path}.{name}")
        if isinstance(value, list):
            if "minItems" in schema and len(value) < schema["minItems"]:
                out.append(f"{path}: fewer than {schema['minItems']} items")
            if "maxItems" in schema and len(value) > schema["maxItems"]:
                out.append(f"{path}: more than {schema['maxItems']} items")
            if schema.get("uniqueItems"):
                seen = [json.dumps(v, sort_keys=True) for v in value]
                if len(set(seen)) != len(seen):
                    out.append(f"{path}: items are not unique")
            prefix = schema.get("prefixItems", [])
            for i, v in enumerate(value):
                if i < len(prefix):
                    out += self.errors(prefix[i], v, f"{path}[{i}]")
                elif "items" in schema:
                    out += self.errors(schema["items"], v, f"{path}[{i}]")
        for sub in schema.get("allOf", []):
            out += self.errors(sub, value, path)
        if "anyOf" in schema and not any(not self.errors(s, value, path) for s in schema["anyOf"]):
            out.append(f"{path}: matches none of anyOf")
        if "oneOf" in schema:
            n = sum(1 for s in schema["oneOf"] if not self.errors(s, value, path))
            if n != 1:
                out.append(f"{path}: matches {n} of oneOf, not exactly one")
        if "not" in schema and not self.errors(schema["not"], value, path):
            out.append(f"{path}: matches a schema under `not`")
        if "if" in schema:
            if not self.errors(schema["if"], value, path):
                if "then" in schema:
                    out += self.errors(schema["then"], value, path)
            elif "else" in schema:
                out += self.errors(schema["else"], value, path)
        return out


# ---------------------------------------------------------------------------------------------


def _nullable_to_type(node):
    """OpenAPI 3.0's `nullable: true` as JSON Schema (3.1 documents use type: [x, 'null'])."""
    if isinstance(node, dict):
        node = {k: _nullable_to_type(v) for k, v in node.items()}
        if node.get("nullable") is True:
            del node["nullable"]
            t = node.get("type")
            if isinstance(t, str):
                node["type"] = [t, "null"]
            elif isinstance(t, list) and "null" not in t:
                node["type"] = t + ["null"]
            if "enum" in node and None not in node["enum"]:
                node["enum"] = node["enum"] + [None]
        return node
    if isinstance(node, list):
        return [_nullable_to_type(v) for v in node]
    return node


def _media_base(content_type):
    return (content_type or "").split(";")[0].strip().lower()


def _is_json_media(media):
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _split(path):
    return [p for p in path.split("/") if p != ""]


class OpenApiValidator:
    def __init__(self, document=DEFAULT_DOCUMENT, strict_properties=True, engine=None):
        """`document`: a path or an already parsed document. `engine`: "jsonschema", "builtin" or
        None (jsonschema when installed)."""
        if isinstance(document, str):
            with open(document, encoding="utf-8") as f:
                document = yaml.safe_load(f)
        self.doc = _nullable_to_type(document)
        self.strict_properties = strict_properties
        if engine is None:
            engine = "jsonschema" if jsonschema is not None else "builtin"
        if engine == "jsonschema" and jsonschema is None:
            raise RuntimeError("python3-jsonschema is not installed")
        self.engine = engine
        self.mini = MiniSchemaValidator(self.doc)
        self._compiled = {}
        self.templates = list((self.doc.get("paths") or {}).keys())

    # -- look-ups -------------------------------------------------------------------------------

    def resolve(self, node):
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            target = self.mini.resolve(node["$ref"])
            extra = {k: v for k, v in node.items() if k != "$ref"}
            node = dict(target, **extra) if extra and isinstance(target, dict) else target
            seen += 1
            if seen > 50:
                raise ValueError("$ref loop")
        return node

    def match_path(self, path):
        """The document's path template for a concrete path (or a template), or None."""
        path = urllib.parse.urlsplit(path).path if "://" in path else path.split("?", 1)[0]
        if path in self.doc.get("paths", {}):
            return path
        if len(path) > 1 and path.endswith("/"):
            return None  # the server treats a trailing slash as another resource
        parts = [urllib.parse.unquote(p) for p in _split(path)]
        best, best_literals = None, -1
        for template in self.templates:
            segs = _split(template)
            if len(segs) != len(parts):
                continue
            literals = 0
            for seg, part in zip(segs, parts):
                if seg.startswith("{") and seg.endswith("}"):
                    continue
                if seg != part:
                    break
                literals += 1
            else:
                if literals > best_literals:
                    best, best_literals = template, literals
        return best

    def operation(self, method, path):
        template = self.match_path(path)
        if template is None:
            return None, None
        item = self.resolve(self.doc["paths"][template])
        return template, item.get(method.lower())

    def documented_methods(self, template):
        item = self.resolve(self.doc["paths"][template])
        return sorted(m.upper() for m in item if m in METHODS)

    # -- schema checks --------------------------------------------------------------------------

    def schema_errors(self, schema, value, key=None):
        """Mismatches of `value` against `schema` (which may use the document's local $refs)."""
        if self.engine == "jsonschema":
            validator = self._compiled.get(key) if key is not None else None
            if validator is None:
                wrapped = dict(schema) if isinstance(schema, dict) else {"allOf": [schema]}
                wrapped["components"] = self.doc.get("components", {})
                checker = jsonschema.FormatChecker(formats=())
                for fmt in KNOWN_FORMATS:
                    checker.checks(fmt)(lambda v, fmt=fmt: _check_format(fmt, v))
                validator = Draft202012Validator(wrapped, format_checker=checker)
                if key is not None:
                    self._compiled[key] = validator
            errors = []
            for e in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path)):
                where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path)
                errors.append(f"{where}: {e.message[:300]}")
            return errors
        return self.mini.errors(schema, value)

    def undeclared_properties(self, schema, value, path="$", depth=0):
        """Object members that no (sub)schema declares, for a schema that declares its members."""
        if depth > 40:
            return []
        props, closed, items = self._shape(schema)
        out = []
        if isinstance(value, dict):
            for name, v in value.items():
                if name in props:
                    for sub in props[name]:
                        out += self.undeclared_properties(sub, v, f"{path}.{name}", depth + 1)
                elif closed:
                    out.append(f"{path}.{name}: not in the document")
        elif isinstance(value, list) and items:
            for i, v in enumerate(value):
                for sub in items:
                    out += self.undeclared_properties(sub, v, f"{path}[{i}]", depth + 1)
        return sorted(set(out))

    def _shape(self, schema, depth=0):
        """(declared members -> their schemas, whether other members are undeclared, item schemas)."""
        props, items = {}, []
        if not isinstance(schema, dict) or depth > 40:
            return props, False, items
        schema = self.resolve(schema)
        declares = "properties" in schema
        open_ = schema.get("additionalProperties") not in (None, False) or "patternProperties" in schema
        for name, sub in (schema.get("properties") or {}).items():
            props.setdefault(name, []).append(sub)
        if "items" in schema and isinstance(schema["items"], dict):
            items.append(schema["items"])
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in schema.get(key, []):
                p, c, i = self._shape(sub, depth + 1)
                for name, subs in p.items():
                    props.setdefault(name, []).extend(subs)
                items += i
                declares = declares or c or bool(p)
                open_ = open_ or self._is_open(sub)
        for key in ("then", "else"):
            if key in schema:
                p, _, i = self._shape(schema[key], depth + 1)
                for name, subs in p.items():
                    props.setdefault(name, []).extend(subs)
                items += i
        return props, declares and not open_, items

    def _is_open(self, schema, depth=0):
        schema = self.resolve(schema) if isinstance(schema, dict) else schema
        if not isinstance(schema, dict) or depth > 40:
            return False
        if schema.get("additionalProperties") not in (None, False) or "patternProperties" in schema:
            return True
        return any(self._is_open(s, depth + 1) for k in ("allOf", "anyOf", "oneOf") for s in schema.get(k, []))

    # -- the check ------------------------------------------------------------------------------

    def check(self, method, path, status, headers=None, body=b"", content_type=None):
        """Mismatches between one response and the document; [] when it matches."""
        method = method.upper()
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        if content_type is None:
            content_type = headers.get("content-type")
        status = int(status)
        where = f"{method} {path.split('?', 1)[0]} -> {status}"
        out = []
        if "x-request-id" not in headers:
            out.append(f"{where}: no X-Request-Id header (the document says every response has one)")
        if headers.get("content-encoding", "").lower() == "gzip" and "accept-encoding" not in headers.get("vary", "").lower():
            out.append(f"{where}: gzip-compressed without Vary: Accept-Encoding")

        template, op = self.operation("GET" if method == "HEAD" else method, path)
        if template is None:
            if status == 404:
                return out + self._check_problem(where, 404, "not-found", headers, body, content_type, method)
            return out + [f"{where}: the path is not in the document (only a 404 problem is expected there)"]
        if op is None:
            if status == 405:
                out += self._check_problem(where, 405, "method-not-allowed", headers, body, content_type, method)
                allow = {m.strip().upper() for m in headers.get("allow", "").split(",") if m.strip()}
                documented = set(self.documented_methods(template))
                if "GET" in documented:
                    documented.add("HEAD")
                if allow != documented:
                    out.append(f"{where}: Allow is {sorted(allow)}, the document has {sorted(documented)}")
                return out
            return out + [f"{where}: {method} is not documented for {template} (only a 405 problem is expected)"]

        where = f"{method} {template} -> {status}"
        responses = op.get("responses") or {}
        key = str(status)
        if key not in responses:
            key = f"{status // 100}XX" if f"{status // 100}XX" in responses else (
                f"{status // 100}xx" if f"{status // 100}xx" in responses else "default")
        if key not in responses:
            return out + [f"{where}: status {status} is not documented (documented: {', '.join(sorted(responses))})"]
        response = self.resolve(responses[key])

        for name, h in (response.get("headers") or {}).items():
            h = self.resolve(h)
            value = headers.get(name.lower())
            if value is None:
                if h.get("required") and name.lower() != "content-type":
                    out.append(f"{where}: required header {name} is missing")
                continue
            schema = h.get("schema")
            if schema is not None:
                sv = self.resolve(schema)
                candidate = value
                if sv.get("type") in ("integer", "number"):
                    try:
                        candidate = int(value) if sv.get("type") == "integer" else float(value)
                    except ValueError:
                        out.append(f"{where}: header {name} {value!r} is not a number")
                        continue
                out += [f"{where}: header {name}: {e}" for e in self.schema_errors(schema, candidate)]

        content = response.get("content") or {}
        if body is None or method == "HEAD":
            return out  # a streamed response whose body was not read, or an answer to HEAD
        raw = body if isinstance(body, (bytes, str)) else None
        if not content:
            if raw is None or len(raw) > 0:
                out.append(f"{where}: the document has no body here, the response has one")
            return out
        media = _media_base(content_type)
        documented = {_media_base(m): m for m in content}
        if media not in documented:
            wildcard = [m for m in documented if m.endswith("/*") and media.startswith(m[:-1])] or (
                ["*/*"] if "*/*" in documented else [])
            if not wildcard:
                return out + [f"{where}: Content-Type {content_type!r} is not documented ({', '.join(content)})"]
            media = wildcard[0]
        mt = content[documented[media]] or {}
        schema = mt.get("schema")
        if schema is None:
            return out
        if _is_json_media(media):
            if raw is not None:
                try:
                    value = json.loads(raw)
                except ValueError as e:
                    return out + [f"{where}: the body is not JSON: {e}"]
            else:
                value = body
            cache_key = (template, method, key, media)
            out += [f"{where}: {e}" for e in self.schema_errors(schema, value, cache_key)]
            if self.strict_properties:
                out += [f"{where}: {e}" for e in self.undeclared_properties(schema, value)]
            if media == "application/problem+json" and isinstance(value, dict) and value.get("status") != status:
                out.append(f"{where}: the problem's status {value.get('status')!r} is not the HTTP status")
        elif self.resolve(schema).get("type") == "string" and raw is not None and isinstance(raw, bytes):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                out.append(f"{where}: the {media} body is not UTF-8 text")
        return out

    def _check_problem(self, where, status, slug, headers, body, content_type, method):
        out = []
        if method == "HEAD" or body is None:
            return out
        if _media_base(content_type) != "application/problem+json":
            return [f"{where}: expected application/problem+json, got {content_type!r}"]
        try:
            value = json.loads(body) if isinstance(body, (bytes, str)) else body
        except ValueError as e:
            return [f"{where}: the body is not JSON: {e}"]
        schema = {"$ref": "#/components/schemas/Problem"}
        out += [f"{where}: {e}" for e in self.schema_errors(schema, value, ("problem",))]
        if isinstance(value, dict):
            if value.get("status") != status:
                out.append(f"{where}: the problem's status {value.get('status')!r} is not {status}")
            if value.get("type") != f"https://boxoffice.dev/problems/{slug}":
                out.append(f"{where}: the problem type is {value.get('type')!r}, expected the {slug} slug")
        return out


def schema_keywords(node, found=None, in_schema=False):
    """Every keyword used in the document's schemas (to check the built-in validator covers them)."""
    found = set() if found is None else found
    if isinstance(node, dict):
        if in_schema:
            found.update(k for k in node if not k.startswith("x-"))
        for k, v in node.items():
            if in_schema and k in ("properties", "patternProperties"):
                for sub in (v or {}).values():
                    schema_keywords(sub, found, True)
            elif in_schema and k in ("items", "additionalProperties", "propertyNames", "not", "if", "then", "else"):
                schema_keywords(v, found, True)
            elif in_schema and k in ("allOf", "anyOf", "oneOf", "prefixItems"):
                for sub in v:
                    schema_keywords(sub, found, True)
            elif in_schema:
                continue  # enum, const, examples, default: values, not schemas
            elif k == "schema" or (k == "schemas" and isinstance(v, dict)):
                if k == "schema":
                    schema_keywords(v, found, True)
                else:
                    for sub in v.values():
                        schema_keywords(sub, found, True)
            else:
                schema_keywords(v, found, False)
    elif isinstance(node, list) and not in_schema:
        for v in node:
            schema_keywords(v, found, False)
    return found


def every_ref(node):
    """Every $ref value in the document."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield v
            else:
                yield from every_ref(v)
    elif isinstance(node, list):
        for v in node:
            yield from every_ref(v)
