"""Claims of a form page's token, which let the page act only once."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from customers.models import FormSubmission
from customers.submissions import FORM_SUBMISSION_KEPT, form_submission_claim

pytestmark = pytest.mark.django_db


def test_second_claim_returns_first():
    first, first_claimed = form_submission_claim("token-1")
    second, second_claimed = form_submission_claim("token-1")

    assert first_claimed is True
    assert second_claimed is False
    assert second == first
    assert FormSubmission.objects.count() == 1


def test_other_token_claimed_separately():
    form_submission_claim("token-1")

    _submission, claimed = form_submission_claim("token-2")

    assert claimed is True
    assert FormSubmission.objects.count() == 2


def test_rollback_releases_claim():
    with transaction.atomic():
        form_submission_claim("token-1")
        transaction.set_rollback(True)

    _submission, claimed = form_submission_claim("token-1")

    assert claimed is True


def test_claim_deletes_expired_claims():
    form_submission_claim("token-old")
    FormSubmission.objects.update(created_at=timezone.now() - FORM_SUBMISSION_KEPT - datetime.timedelta(minutes=1))

    form_submission_claim("token-recent")

    assert FormSubmission.objects.count() == 1
    _submission, claimed = form_submission_claim("token-old")
    assert claimed is True
