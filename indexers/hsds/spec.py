"""Open Referral HSDS 3.0 objects, as the importer validates them before reading anything.

Follows the Human Services Data Specification 3.0 JSON schemas (openreferral/specification,
branch 3.0, `schema/*.json`): each model lists its object's properties with the types the
schema gives, its `required` list, its enums and its formats (`uuid`, `uri`, `email`,
`date-time`). Properties the schemas do not list are allowed, as the schemas allow them.
Tabular data (CSV tables, `tabular.json`) must also carry the `tabular_required` columns
(`TABULAR_REQUIRED`). tests/indexers/test_hsds_conformance.py checks these models against the
official schemas: every official example passes here, and breaking a required field fails both.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

HSDS_VERSION = "3.0"
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def _uuid(value: str) -> str:
    # As JSON Schema's `uuid` format: the hyphenated 8-4-4-4-12 form.
    try:
        uuid.UUID(value)
    except ValueError:
        raise ValueError(f"{value[:60]!r} is not a UUID (HSDS 3.0 ids are UUIDs)") from None
    if len(value) != 36 or any(value[i] != "-" for i in (8, 13, 18, 23)):
        raise ValueError(f"{value[:60]!r} is not a UUID in 8-4-4-4-12 form")
    return value


def _uri(value: str) -> str:
    if not _URI.match(value):
        raise ValueError(f"{value[:60]!r} is not an absolute URI")
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value[:60]!r} is not an email address")
    return value


def _date_time(value: str) -> str:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value[:40]!r} is not an ISO 8601 date-time") from None
    return value


Str = Annotated[str, Field(strict=True)]
Number = Annotated[float, Field(strict=True)]
Uuid = Annotated[str, Field(strict=True), AfterValidator(_uuid)]
Uri = Annotated[str, Field(strict=True), AfterValidator(_uri)]
Email = Annotated[str, Field(strict=True), AfterValidator(_email)]
DateTime = Annotated[str, Field(strict=True), AfterValidator(_date_time)]
LocationType = Literal["physical", "postal", "virtual"]


class HsdsObject(BaseModel):
    model_config = ConfigDict(extra="allow")


class Metadata(HsdsObject):
    id: Uuid
    resource_id: Uuid | None = None
    resource_type: Str | None = None
    last_action_date: Str
    last_action_type: Str
    field_name: Str
    previous_value: Str
    replacement_value: Str
    updated_by: Str


class WithMetadata(HsdsObject):
    metadata: list[Metadata] | None = None


class Taxonomy(WithMetadata):
    id: Uuid
    name: Str
    description: Str
    uri: Uri | None = None
    version: Str | None = None


class TaxonomyTerm(WithMetadata):
    id: Uuid
    code: Str | None = None
    name: Str
    description: Str
    parent_id: Uuid | None = None
    taxonomy: Str | None = None
    taxonomy_detail: Taxonomy | None = None
    language: Str | None = None
    taxonomy_id: Uuid | None = None
    term_uri: Uri | None = None


class Attribute(WithMetadata):
    id: Uuid
    link_id: Uuid | None = None
    taxonomy_term_id: Uuid | None = None
    link_type: Str | None = None
    link_entity: Str | None = None
    value: Str | None = None
    taxonomy_term: TaxonomyTerm | None = None


class Described(WithMetadata):
    attributes: list[Attribute] | None = None


class Language(Described):
    id: Uuid
    service_id: Uuid | None = None
    location_id: Uuid | None = None
    phone_id: Uuid | None = None
    name: Str | None = None
    code: Str | None = None
    note: Str | None = None


class Phone(Described):
    id: Uuid
    location_id: Uuid | None = None
    service_id: Uuid | None = None
    organization_id: Uuid | None = None
    contact_id: Uuid | None = None
    service_at_location_id: Uuid | None = None
    number: Str
    extension: Number | None = None
    type: Str | None = None
    description: Str | None = None
    languages: list[Language] | None = None


class Schedule(Described):
    id: Uuid
    service_id: Uuid | None = None
    location_id: Uuid | None = None
    service_at_location_id: Uuid | None = None
    valid_from: Str | None = None
    valid_to: Str | None = None
    dtstart: Str | None = None
    timezone: Number | None = None
    until: Str | None = None
    count: Number | None = None
    wkst: Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"] | None = None
    freq: Literal["WEEKLY", "MONTHLY"] | None = None
    interval: Number | None = None
    byday: Str | None = None
    byweekno: Str | None = None
    bymonthday: Str | None = None
    byyearday: Str | None = None
    description: Str | None = None
    opens_at: Str | None = None
    closes_at: Str | None = None
    schedule_link: Uri | None = None
    attending_type: Str | None = None
    notes: Str | None = None


class Contact(Described):
    id: Uuid
    organization_id: Uuid | None = None
    service_id: Uuid | None = None
    service_at_location_id: Uuid | None = None
    location_id: Uuid | None = None
    name: Str | None = None
    title: Str | None = None
    department: Str | None = None
    email: Email | None = None
    phones: list[Phone] | None = None


class Address(Described):
    id: Uuid
    location_id: Uuid | None = None
    attention: Str | None = None
    address_1: Str
    address_2: Str | None = None
    city: Str
    region: Str | None = None
    state_province: Str
    postal_code: Str
    country: Str
    address_type: LocationType


class Accessibility(Described):
    id: Uuid
    location_id: Uuid | None = None
    description: Str | None = None
    details: Str | None = None
    url: Uri | None = None


class Location(Described):
    id: Uuid
    location_type: LocationType
    url: Uri | None = None
    organization_id: Uuid | None = None
    name: Str | None = None
    alternate_name: Str | None = None
    description: Str | None = None
    transportation: Str | None = None
    latitude: Number | None = None
    longitude: Number | None = None
    external_identifier: Str | None = None
    external_identifier_type: Str | None = None
    languages: list[Language] | None = None
    addresses: list[Address] | None = None
    contacts: list[Contact] | None = None
    accessibility: list[Accessibility] | None = None
    phones: list[Phone] | None = None
    schedules: list[Schedule] | None = None


class ServiceArea(Described):
    id: Uuid
    service_id: Uuid | None = None
    name: Str | None = None
    description: Str | None = None
    extent: Str | None = None
    extent_type: Str | None = None
    uri: Str | None = None


class CostOption(Described):
    id: Uuid
    service_id: Uuid | None = None
    valid_from: Str | None = None
    valid_to: Str | None = None
    option: Str | None = None
    currency: Str | None = None
    amount: Number | None = None
    amount_description: Str | None = None


class Funding(Described):
    id: Uuid
    organization_id: Uuid | None = None
    service_id: Uuid | None = None
    source: Str | None = None


class RequiredDocument(Described):
    id: Uuid
    service_id: Uuid | None = None
    document: Str | None = None
    uri: Uri | None = None


class Program(Described):
    id: Uuid
    organization_id: Uuid | None = None
    name: Str
    alternate_name: Str | None = None
    description: Str


class OrganizationIdentifier(Described):
    id: Uuid
    organization_id: Uuid | None = None
    identifier_scheme: Str | None = None
    identifier_type: Str
    identifier: Str


class Organization(Described):
    id: Uuid
    name: Str
    alternate_name: Str | None = None
    description: Str
    email: Email | None = None
    website: Uri | None = None
    tax_status: Str | None = None
    tax_id: Str | None = None
    year_incorporated: Number | None = None
    legal_status: Str | None = None
    logo: Str | None = None
    uri: Uri | None = None
    parent_organization_id: Uuid | None = None
    funding: list[Funding] | None = None
    contacts: list[Contact] | None = None
    phones: list[Phone] | None = None
    locations: list[Location] | None = None
    programs: list[Program] | None = None
    organization_identifiers: list[OrganizationIdentifier] | None = None


class ServiceAtLocation(Described):
    id: Uuid
    service_id: Uuid | None = None
    location_id: Uuid | None = None
    description: Str | None = None
    contacts: list[Contact] | None = None
    phones: list[Phone] | None = None
    schedules: list[Schedule] | None = None
    location: Location | None = None


class Service(Described):
    id: Uuid
    organization_id: Uuid | None = None
    program_id: Uuid | None = None
    name: Str
    alternate_name: Str | None = None
    description: Str | None = None
    url: Uri | None = None
    email: Email | None = None
    status: Literal["active", "inactive", "defunct", "temporarily closed"]
    interpretation_services: Str | None = None
    application_process: Str | None = None
    fees_description: Str | None = None
    wait_time: Str | None = None
    fees: Str | None = None
    accreditations: Str | None = None
    eligibility_description: Str | None = None
    minimum_age: Number | None = None
    maximum_age: Number | None = None
    assured_date: Str | None = None
    assurer_email: Email | None = None
    licenses: Str | None = None
    alert: Str | None = None
    last_modified: DateTime | None = None
    phones: list[Phone] | None = None
    schedules: list[Schedule] | None = None
    service_areas: list[ServiceArea] | None = None
    service_at_locations: list[ServiceAtLocation] | None = None
    languages: list[Language] | None = None
    organization: Organization | None = None
    funding: list[Funding] | None = None
    cost_options: list[CostOption] | None = None
    program: Program | None = None
    required_documents: list[RequiredDocument] | None = None
    contacts: list[Contact] | None = None


class MetaTableDescription(Described):
    id: Uuid
    name: Str | None = None
    language: Str | None = None
    character_set: Str | None = None


class Page(HsdsObject):
    """The API's paginated wrapper (openapi.json `components/schemas/Page`, plus `contents`)."""

    total_items: Annotated[int, Field(strict=True)] | None = None
    total_pages: Annotated[int, Field(strict=True)] | None = None
    page_number: Annotated[int, Field(strict=True)] | None = None
    size: Annotated[int, Field(strict=True)] | None = None
    first_page: Annotated[bool, Field(strict=True)] | None = None
    last_page: Annotated[bool, Field(strict=True)] | None = None
    empty: Annotated[bool, Field(strict=True)] | None = None
    contents: list[dict[str, Any]]


class ApiRoot(HsdsObject):
    """`GET /` of an HSDS API: which version and profile it serves."""

    version: Str | None = None
    profile: Uri | None = None
    openapi_url: Uri | None = None


# The tables of the tabular form: file name → the object each row is.
TABLES: dict[str, type[HsdsObject]] = {
    "organizations.csv": Organization,
    "programs.csv": Program,
    "services.csv": Service,
    "attributes.csv": Attribute,
    "service_at_location.csv": ServiceAtLocation,
    "locations.csv": Location,
    "phones.csv": Phone,
    "contacts.csv": Contact,
    "addresses.csv": Address,
    "schedules.csv": Schedule,
    "funding.csv": Funding,
    "service_areas.csv": ServiceArea,
    "required_documents.csv": RequiredDocument,
    "languages.csv": Language,
    "accessibility.csv": Accessibility,
    "taxonomy_terms.csv": TaxonomyTerm,
    "metadata.csv": Metadata,
    "meta_table_descriptions.csv": MetaTableDescription,
    "cost_options.csv": CostOption,
    "organization_identifiers.csv": OrganizationIdentifier,
    "taxonomies.csv": Taxonomy,
}

# Columns the schemas require of table rows only (`tabular_required`): in nested JSON the
# nesting says what a row links to.
TABULAR_REQUIRED: dict[str, tuple[str, ...]] = {
    "attributes.csv": ("link_id", "taxonomy_term_id", "link_entity"),
    "cost_options.csv": ("service_id",),
    "metadata.csv": ("resource_id", "resource_type"),
    "organization_identifiers.csv": ("organization_id",),
    "programs.csv": ("organization_id",),
    "services.csv": ("organization_id",),
    "service_at_location.csv": ("service_id", "location_id"),
}


def number_fields(model: type[HsdsObject]) -> frozenset[str]:
    """The properties the schema types as numbers (CSV cells are read as numbers there)."""
    return frozenset(
        name for name, info in model.model_fields.items() if "float" in str(info.annotation)
    )


def scalar_fields(model: type[HsdsObject]) -> list[str]:
    """A table's columns: the model's properties that are neither lists nor objects."""
    columns = []
    for name, info in model.model_fields.items():
        kinds = get_args(info.annotation) or (info.annotation,)
        if not any(_nested(k) for k in kinds):
            columns.append(name)
    return columns


def _nested(kind: Any) -> bool:
    return get_origin(kind) is list or (isinstance(kind, type) and issubclass(kind, BaseModel))


def problems(error: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """(field, reason) for each error, the field as a path in the input's own terms."""
    found = []
    for item in error.errors(include_url=False):
        path = prefix
        for part in item["loc"]:
            if isinstance(part, int):
                path += f"[{part}]"
            else:
                path += ("." if path else "") + str(part)
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "missing (required by HSDS 3.0)"
        elif item["type"] == "literal_error":
            message = f"{message}, got {item['input']!r}"
        found.append((path or "object", message))
    return found


def check(model: type[HsdsObject], data: Any, prefix: str = "") -> list[tuple[str, str]]:
    """The problems `data` has as an HSDS `model` object (empty when valid)."""
    try:
        model.model_validate(data)
    except ValidationError as err:
        return problems(err, prefix)
    return []
