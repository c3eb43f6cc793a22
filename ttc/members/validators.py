"""Dutch identifiers and uploaded documents, checked with clear messages."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.nl import btw, postcode

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_PDF_BYTES = 5 * 1024 * 1024
#: A tax statement may be at most this old when a member applies or renews.
TAX_STATEMENT_MAX_AGE = timedelta(days=183)


def _digits(value: str, length: int, message: StrOrPromise) -> str:
    compact = "".join(value.split()).replace(".", "")
    if len(compact) != length or not compact.isdigit():
        raise ValidationError(message, code="invalid")
    return compact


def clean_kvk_number(value: str) -> str:
    return _digits(value, 8, _("A KvK number has 8 digits."))


def clean_establishment_number(value: str) -> str:
    return _digits(value, 12, _("An establishment number (vestigingsnummer) has 12 digits."))


def clean_agb_code(value: str) -> str:
    return _digits(value, 8, _("An AGB code has 8 digits."))


def clean_oin(value: str) -> str:
    return _digits(value, 20, _("An OIN has 20 digits."))


def clean_postcode(value: str) -> str:
    try:
        return str(postcode.validate(value))
    except StdnumError:
        raise ValidationError(
            _("“%(value)s” is not a Dutch postcode (like 3511 AB)."),
            params={"value": value},
            code="invalid",
        ) from None


def clean_vat_number(value: str) -> str:
    try:
        return "NL" + str(btw.validate(value))
    except StdnumError:
        raise ValidationError(
            _("“%(value)s” is not a valid Dutch VAT identification number (like NL123456789B01)."),
            params={"value": value},
            code="invalid",
        ) from None


def clean_pdf(upload: UploadedFile) -> UploadedFile:
    """Really a PDF (by its first bytes, not its name) and not too large."""
    if upload.size is not None and upload.size > MAX_PDF_BYTES:
        raise ValidationError(_("The file is larger than 5 MB."), code="too_large")
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head != b"%PDF-":
        raise ValidationError(_("The file is not a PDF."), code="not_pdf")
    return upload


def clean_tax_statement_date(issued_on: date, today: date | None = None) -> date:
    today = today or timezone.localdate()
    if issued_on > today:
        raise ValidationError(_("The statement's date is in the future."), code="future")
    if today - issued_on > TAX_STATEMENT_MAX_AGE:
        raise ValidationError(
            _(
                "This statement is older than 6 months. Ask the Belastingdienst for a new "
                "“verklaring betalingsgedrag” and upload that one."
            ),
            code="too_old",
        )
    return issued_on
